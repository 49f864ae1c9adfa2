//! `collab/v1` in the sandbox: the shared handlers of `pd-collab` over the sandbox's own SQLite
//! file, with the sandbox's tokens (the request names a comment's author) and its seeded
//! directory (partners, users, Lens transactions) to check names against.

use std::sync::Arc;

use async_trait::async_trait;
use axum::http::HeaderMap;
use axum::Router;
use pd_collab::sqlite::SqliteStore;
use pd_collab::{ApiError, Authenticate, Caller, Collab, Directory};
use rusqlite::OptionalExtension;

use crate::state::AppState;

/// The routes, served for the sandbox's one company.
pub fn routes(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    let collab = Collab {
        store: Arc::new(SqliteStore::shared(state.connection())),
        auth: Arc::new(SandboxAuth(Arc::clone(state))),
        directory: Arc::new(SandboxDirectory(Arc::clone(state))),
        objects: None,
        object_prefix: String::new(),
        companies: vec![state.company_id.clone()],
        idempotency_ttl: None,
    };
    pd_collab::router(Arc::new(collab))
}

/// The sandbox's bearer tokens; the caller has no configured name.
#[derive(Debug)]
struct SandboxAuth(Arc<AppState>);

impl Authenticate for SandboxAuth {
    fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        self.0.check_bearer(headers).map(|_| Caller::default())
    }
}

/// The seeded partners and users, and the Lens index.
#[derive(Debug)]
struct SandboxDirectory(Arc<AppState>);

#[async_trait]
impl Directory for SandboxDirectory {
    async fn partner_name(&self, partner_id: &str) -> Result<Option<String>, ApiError> {
        let id = partner_id.to_string();
        self.0
            .db(move |conn| {
                Ok(conn
                    .query_row("SELECT name FROM partners WHERE id = ?1", [id], |r| {
                        r.get(0)
                    })
                    .optional()?)
            })
            .await
    }

    async fn owner_name(&self, login_id: &str) -> Result<Option<String>, ApiError> {
        let login = login_id.to_string();
        self.0
            .db(move |conn| {
                let data: Option<String> = conn
                    .query_row("SELECT data FROM users WHERE login_id = ?1", [login], |r| {
                        r.get(0)
                    })
                    .optional()?;
                Ok(data.map(|d| {
                    let v = serde_json::from_str::<serde_json::Value>(&d).unwrap_or_default();
                    format!(
                        "{} {}",
                        v["firstName"].as_str().unwrap_or_default(),
                        v["lastName"].as_str().unwrap_or_default()
                    )
                }))
            })
            .await
    }

    fn has_transaction(&self, transaction_id: &str) -> bool {
        self.0.lens.contains(transaction_id)
    }
}
