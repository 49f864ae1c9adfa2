//! Which [`CollabStore`] a database URL opens: `sqlite:PATH` (one machine) or `postgres://`
//! (`pd-collab-pg`, a team's database shared by several server processes). No cargo features:
//! every build knows every scheme.

use std::sync::Arc;

use pd_collab::sqlite::SqliteStore;
use pd_collab::CollabStore;

use crate::config::DatabaseUrl;
use crate::error::ServerError;

/// Opens the store (creating a SQLite file if needed) and brings its schema up to date.
pub async fn open(url: &DatabaseUrl) -> Result<Arc<dyn CollabStore>, ServerError> {
    let store: Arc<dyn CollabStore> = match url {
        DatabaseUrl::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                if !dir.is_dir() {
                    return Err(ServerError::Config(format!(
                        "database: the folder {} does not exist; create it or change the sqlite: path",
                        dir.display()
                    )));
                }
            }
            let path = path.clone();
            let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path))
                .await
                .map_err(|e| ServerError::Config(format!("database task failed: {e}")))??;
            Arc::new(store)
        }
        DatabaseUrl::Postgres(url) => open_postgres(url).await?,
    };
    store.migrate().await?;
    Ok(store)
}

/// Connections each process keeps open at most to PostgreSQL.
pub const POSTGRES_POOL_SIZE: usize = 16;

/// The PostgreSQL backend (connected lazily; [`CollabStore::migrate`] is its first use, so a
/// wrong host or password stops the server at start with PostgreSQL's own words).
async fn open_postgres(url: &str) -> Result<Arc<dyn CollabStore>, ServerError> {
    let store = pd_collab_pg::PgStore::connect(url, POSTGRES_POOL_SIZE)?;
    Ok(Arc::new(store))
}
