//! The collab/v1 contract (`pd-collab-contract`: the sandbox's collab tests and the app
//! client's round trip, written once) against `partnerdesk-server` on SQLite. The PostgreSQL run
//! is the same line with `common::server_target(Some(postgres_url))` and a guard that keeps the
//! database alive.

mod common;

pd_collab_contract::contract_tests!(common::server_target(None));
