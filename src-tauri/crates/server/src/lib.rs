//! `partnerdesk-server`: a team's case server. It serves PartnerDesk's `collab/v1` (the same
//! handlers as the sandbox, from `pd-collab`) over SQLite for one machine or PostgreSQL for a
//! team, with OAuth2 client credentials per analyst or integration, idempotency keys that
//! expire, document bytes in the database or an S3 bucket, `/healthz` and structured logs.
//!
//! Processes keep nothing a request depends on in memory: tokens are HMAC-signed (any process
//! with the same `token_secret` verifies them), idempotency answers and the change feed live in
//! the database, so several processes run behind one load balancer on one database.

pub mod app;
pub mod auth;
pub mod config;
pub mod database;
pub mod error;
pub mod objects;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use pd_collab::{Collab, CollabStore, DocumentObjects};

pub use config::{DatabaseUrl, ServerConfig, Settings};
pub use error::{Result, ServerError};

/// How often expired idempotency answers are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(600);

/// A running server.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    purge: tokio::task::JoinHandle<()>,
}

/// Opens the database and runs its migrations (the `migrate` subcommand); returns what it
/// opened, for the log.
pub async fn migrate(settings: &Settings) -> Result<String> {
    let store = database::open(&settings.database).await?;
    store.ping().await?;
    Ok(settings.database.redacted())
}

/// Opens the database (migrating it), binds and serves in the background.
pub async fn start(settings: Settings) -> Result<RunningServer> {
    let store = database::open(&settings.database).await?;
    let objects: Option<Arc<dyn DocumentObjects>> = match settings.file.documents.storage {
        config::DocumentStorage::Database => None,
        config::DocumentStorage::S3 => {
            let s3 = objects::S3Objects::new(
                &settings.file.documents,
                settings.s3_secret.as_deref().unwrap_or_default(),
            )?;
            s3.check().await?;
            Some(Arc::new(s3))
        }
    };
    let authority = Arc::new(auth::TokenAuthority::new(
        &settings.token_secret,
        settings.file.token_lifetime_secs,
        &settings.file.clients,
    )?);
    let ttl = chrono::Duration::hours(
        i64::try_from(settings.file.idempotency_expiry_hours).unwrap_or(i64::MAX / 3600),
    );
    let collab = Arc::new(Collab {
        store: Arc::clone(&store),
        auth: Arc::clone(&authority) as Arc<dyn pd_collab::Authenticate>,
        directory: Arc::new(app::OpenDirectory),
        objects,
        object_prefix: settings
            .file
            .documents
            .prefix
            .clone()
            .unwrap_or_else(|| objects::DEFAULT_PREFIX.to_string()),
        companies: settings.file.companies.clone(),
        idempotency_ttl: Some(ttl),
    });
    let listen = settings.file.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| ServerError::Bind {
            addr: listen,
            source,
        })?;
    let addr = listener.local_addr()?;
    let app = app::router(collab, authority);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    let purge = tokio::spawn(purge_expired(store, ttl));
    tracing::info!(
        %addr,
        database = %settings.database.redacted(),
        companies = ?settings.file.companies,
        clients = settings.file.clients.len(),
        documents = ?settings.file.documents.storage,
        "partnerdesk-server listening"
    );
    Ok(RunningServer {
        addr,
        shutdown: Some(tx),
        task,
        purge,
    })
}

/// Deletes idempotency answers older than the expiry, now and then.
async fn purge_expired(store: Arc<dyn CollabStore>, ttl: chrono::Duration) {
    let mut tick = tokio::time::interval(PURGE_EVERY);
    loop {
        tick.tick().await;
        match store.purge_answers(chrono::Utc::now() - ttl).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "expired idempotency answers deleted"),
            Err(e) => tracing::warn!(error = %e, "deleting expired idempotency answers failed"),
        }
    }
}

impl RunningServer {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, finishes in-flight requests and waits.
    pub async fn shutdown(mut self) -> Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.wait().await
    }

    /// Waits until the server ends (after [`RunningServer::stop`] or a fatal error).
    pub async fn wait(self) -> Result<()> {
        let result = self
            .task
            .await
            .map_err(|e| ServerError::Io(std::io::Error::other(e.to_string())))?;
        self.purge.abort();
        Ok(result?)
    }

    /// Serves until `signal` completes (then stops gracefully) or the server fails, whichever
    /// comes first.
    pub async fn run_until(mut self, signal: impl std::future::Future<Output = ()>) -> Result<()> {
        tokio::select! {
            () = signal => {
                tracing::info!("stopping: finishing requests in flight");
                self.stop();
                self.wait().await
            }
            ended = &mut self.task => {
                self.purge.abort();
                ended
                    .map_err(|e| ServerError::Io(std::io::Error::other(e.to_string())))?
                    .map_err(ServerError::Io)
            }
        }
    }

    /// Asks the server to stop (in-flight requests finish).
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
