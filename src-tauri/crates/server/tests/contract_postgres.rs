//! The collab/v1 contract (`pd-collab-contract`, the same bodies as `contract_sqlite.rs`)
//! against `partnerdesk-server` on a real PostgreSQL started by the test (`pd-pgtest`: Debian's
//! `initdb`/`pg_ctl` on a loopback port), one fresh database per test.

mod common;

use pd_collab_contract::Target;
use pd_pgtest::PgServer;

/// The server on a fresh PostgreSQL database; `None` (skipped) when PostgreSQL is not installed
/// and not required. The guard stops the server process, then PostgreSQL.
async fn on_postgres() -> Option<(Target, (common::ServerProcess, PgServer))> {
    let pg = PgServer::start_or_skip()?;
    let url = pg.create_database("contract").expect("create the database");
    let (target, server) = common::server_target(Some(url)).await;
    Some((target, (server, pg)))
}

pd_collab_contract::contract_tests!(optional on_postgres());
