//! `partnerdesk-sandbox`: a real loopback HTTP server that speaks Trading Grid's OAuth2,
//! Community Management and Lens surfaces plus PartnerDesk's `collab/v1`, over its own SQLite
//! file, seeded with a demo tenant, with switchable fault injection. The desktop app runs it
//! in-process as the "Demo" workspace; client tests and benchmarks use it as their peer.

pub mod db;
pub mod error;
pub mod faults;
pub mod lens;
pub mod rng;
mod routes;
pub mod seed;
pub mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use pd_domain::Timestamp;
use serde::{Deserialize, Serialize};

pub use error::{ApiError, Result, SandboxError};
pub use faults::Faults;

/// Lens transactions in a seeded tenant.
pub const SEED_TRANSACTIONS: usize = 5_000;

/// How to start a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where to listen; port 0 picks a free one. Loopback only in practice.
    pub listen: SocketAddr,
    /// OAuth2 consumer key (HTTP Basic user for the token and admin endpoints).
    pub consumer_key: String,
    /// OAuth2 consumer secret.
    pub consumer_secret: String,
    /// Our company id, e.g. `GC00804444LX`.
    pub company_id: String,
    /// The data file; reused if it already holds a seeded tenant. None: a temp file removed at
    /// shutdown.
    pub data: Option<PathBuf>,
    /// Seed of the demo data: same seed (and `seed_now`), same tenant.
    pub seed: u64,
    /// Cases to seed.
    pub cases: usize,
    /// Average comments per case.
    pub comments_per_case: usize,
    /// The "now" seeded times are relative to; None: the current hour. Set it for byte-for-byte
    /// reproducible data.
    pub seed_now: Option<Timestamp>,
    /// Initial fault switches.
    pub faults: Faults,
    /// Serve `collab/v1` (cases). `false` plays a Trading-Grid-only tenant: OAuth2, Community
    /// Management and Lens as usual, every path under `/collab/` answers 404.
    pub serve_cases: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            consumer_key: "partnerdesk-demo".into(),
            consumer_secret: "partnerdesk-demo-secret".into(),
            company_id: "GC00804444LX".into(),
            data: None,
            seed: 42,
            cases: 300,
            comments_per_case: 4,
            seed_now: None,
            faults: Faults::default(),
            serve_cases: true,
        }
    }
}

/// Counts `GET /__admin/stats` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxStats {
    /// Cases stored.
    pub cases: i64,
    /// Comments stored.
    pub comments: i64,
    /// Documents stored.
    pub documents: i64,
    /// Lens transactions.
    pub transactions: i64,
    /// Writes applied through collab/v1 (replays not counted).
    pub applied_ops: i64,
    /// API requests received (admin requests not counted).
    pub requests: u64,
}

/// One applied write, as `GET /__admin/ops` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedOp {
    /// Position in the global log.
    pub seq: i64,
    /// The Idempotency-Key, or a server-made id when the request had none.
    pub op_id: String,
    /// The case written.
    pub case_id: String,
    /// `create_case`, `patch_case`, `add_comment`, `link_transaction`, `unlink_transaction`,
    /// `upload_document`, `partner_reply`.
    pub kind: String,
    /// When (RFC 3339).
    pub at: String,
}

/// The entry point.
#[derive(Debug)]
pub struct Sandbox;

/// A running sandbox.
#[derive(Debug)]
pub struct SandboxHandle {
    addr: SocketAddr,
    state: Arc<state::AppState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    data_path: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl Sandbox {
    /// Opens or seeds the data file, binds, and serves in the background.
    pub async fn start(config: SandboxConfig) -> Result<SandboxHandle> {
        if config.company_id.trim().is_empty() {
            return Err(SandboxError::Config("company id must not be empty".into()));
        }
        config.faults.validate().map_err(SandboxError::Config)?;
        let (temp, data_path) = match &config.data {
            Some(path) => (None, path.clone()),
            None => {
                let dir = tempfile::tempdir()?;
                let path = dir.path().join("sandbox.sqlite");
                (Some(dir), path)
            }
        };
        let setup = {
            let config = config.clone();
            let path = data_path.clone();
            tokio::task::spawn_blocking(move || open_tenant(&path, &config))
        };
        let (conn, lens) = setup
            .await
            .map_err(|e| SandboxError::Task(e.to_string()))??;
        let state = Arc::new(state::AppState::new(
            config.company_id.clone(),
            config.consumer_key.clone(),
            config.consumer_secret.clone(),
            conn,
            config.faults.clone(),
            lens,
        ));
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| SandboxError::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = routes::router(
            Arc::clone(&state),
            routes::Surfaces {
                cases: config.serve_cases,
            },
        );
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await
        });
        tracing::info!(%addr, path = %data_path.display(), "sandbox listening");
        Ok(SandboxHandle {
            addr,
            state,
            shutdown: Some(tx),
            task: Some(task),
            data_path,
            _temp: temp,
        })
    }
}

fn open_tenant(
    path: &std::path::Path,
    config: &SandboxConfig,
) -> Result<(rusqlite::Connection, lens::LensIndex)> {
    let mut conn = db::open(path)?;
    if db::meta_get(&conn, "seeded")?.is_none() {
        let now = config.seed_now.unwrap_or_else(|| {
            let now = chrono::Utc::now();
            now - chrono::Duration::seconds(
                i64::from(chrono::Timelike::minute(&now)) * 60
                    + i64::from(chrono::Timelike::second(&now)),
            ) - chrono::Duration::nanoseconds(i64::from(chrono::Timelike::nanosecond(&now)))
        });
        seed::seed(
            &mut conn,
            &seed::SeedParams {
                seed: config.seed,
                cases: config.cases,
                comments_per_case: config.comments_per_case,
                company_id: config.company_id.clone(),
                now,
                transactions: SEED_TRANSACTIONS,
            },
        )?;
    }
    let mut records = Vec::new();
    {
        let mut stmt = conn.prepare("SELECT data FROM transactions ORDER BY rowid")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        for row in rows {
            let record: lens::record::TxRecord =
                serde_json::from_str(&row?).map_err(db::corrupt)?;
            records.push(record);
        }
    }
    // Cases belong to the configured company (seeded rows and reused files alike).
    conn.execute(
        "UPDATE cases SET company_id = ?1 WHERE company_id <> ?1",
        [&config.company_id],
    )?;
    // The company row is keyed by id: a reused file answers for the configured company.
    conn.execute(
        "INSERT OR IGNORE INTO company(id, data) VALUES (?1, ?2)",
        rusqlite::params![
            config.company_id,
            seed::company_json(&config.company_id).to_string()
        ],
    )?;
    Ok((conn, lens::LensIndex::new(records)))
}

impl SandboxHandle {
    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The SQLite data file.
    pub fn data_path(&self) -> &std::path::Path {
        &self.data_path
    }

    /// The company id the tenant answers for.
    pub fn company_id(&self) -> &str {
        &self.state.company_id
    }

    /// Switches faults while running.
    pub fn set_faults(&self, faults: Faults) -> Result<()> {
        faults.validate().map_err(SandboxError::Config)?;
        self.state.set_faults(faults);
        Ok(())
    }

    /// The current fault switches.
    pub fn faults(&self) -> Faults {
        self.state.faults()
    }

    /// How many requests carried each `Idempotency-Key` so far (an operation sent once: 1).
    pub fn requests_by_key(&self) -> std::collections::HashMap<String, u64> {
        self.state.requests_by_key()
    }

    /// Counts of stored rows and requests.
    pub async fn stats(&self) -> Result<SandboxStats> {
        routes::admin::stats(&self.state)
            .await
            .map_err(|e| SandboxError::Task(e.message))
    }

    /// The applied-operations log, oldest first (optionally for one case).
    pub async fn applied_ops(&self, case_id: Option<&str>) -> Result<Vec<AppliedOp>> {
        routes::admin::applied_ops(&self.state, case_id.map(str::to_string))
            .await
            .map_err(|e| SandboxError::Task(e.message))
    }

    /// Adds `n` partner comments to random open cases (server-side changes).
    pub async fn simulate_partner_replies(&self, n: usize) -> Result<Vec<String>> {
        routes::admin::partner_replies(&self.state, n)
            .await
            .map_err(|e| SandboxError::Task(e.message))
    }

    /// Stops accepting, finishes in-flight requests, and waits for the server to end.
    pub async fn shutdown(mut self) -> Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .map_err(|e| SandboxError::Task(e.to_string()))??;
        }
        Ok(())
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
