//! The collab/v1 contract (`pd-collab-contract`: the sandbox's collab tests and the app
//! client's round trip, written once) against `partnerdesk-server` on SQLite.

mod common;

pd_collab_contract::contract_tests!(common::server_target(None));
