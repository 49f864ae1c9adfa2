//! Which [`CollabStore`] a database URL opens: `sqlite:PATH` here; `postgres://` is the
//! PostgreSQL backend's (filled in by `open_postgres` below once that crate exists). No cargo
//! features: every build knows every scheme, and says plainly which one it cannot serve yet.

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

/// The PostgreSQL backend.
async fn open_postgres(_url: &str) -> Result<Arc<dyn CollabStore>, ServerError> {
    Err(ServerError::Config(
        "database: postgres:// is not built yet in this partnerdesk-server (the PostgreSQL \
         backend is on its way); use sqlite:PATH for now"
            .into(),
    ))
}
