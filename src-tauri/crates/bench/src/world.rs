//! Starting the in-process sandbox and a client and cache for it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use partnerdesk_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use pd_store::Store;
use pd_tradinggrid::{ClientConfig, TradingGridClient};

use crate::error::{BenchError, Result};

/// A running sandbox, its config (with the port it got) and how long it took to come up.
pub struct Server {
    /// The running server (None while stopped).
    pub handle: Option<SandboxHandle>,
    /// The config it runs with (fixed port after the first start, so restarts keep it).
    pub config: SandboxConfig,
    /// Time to start, seeding included when the data file was new.
    pub started_in: Duration,
    /// Whether the data file already held a tenant (so nothing was seeded).
    pub reused_data: bool,
}

impl Server {
    /// Starts the sandbox with `cases` cases and `comments_per_case` comments on average,
    /// using (and keeping) the data file `data`.
    pub async fn start(data: &Path, cases: usize, comments_per_case: usize) -> Result<Server> {
        let reused_data = data.exists();
        let config = SandboxConfig {
            data: Some(data.to_path_buf()),
            cases,
            comments_per_case,
            ..SandboxConfig::default()
        };
        let started = Instant::now();
        let handle = Sandbox::start(config.clone()).await?;
        let started_in = started.elapsed();
        let config = SandboxConfig {
            listen: handle.addr(),
            ..config
        };
        Ok(Server {
            handle: Some(handle),
            config,
            started_in,
            reused_data,
        })
    }

    /// The running handle.
    pub fn handle(&self) -> Result<&SandboxHandle> {
        self.handle
            .as_ref()
            .ok_or_else(|| BenchError::Check("the sandbox is not running".into()))
    }

    /// Stops the server (clients see it go away).
    pub async fn stop(&mut self) -> Result<()> {
        if let Some(h) = self.handle.take() {
            h.shutdown().await?;
        }
        Ok(())
    }

    /// Starts it again on the same port with the same data file (retrying while the port is
    /// still being released).
    pub async fn restart(&mut self) -> Result<()> {
        let mut last = None;
        for _ in 0..50 {
            match Sandbox::start(self.config.clone()).await {
                Ok(h) => {
                    self.handle = Some(h);
                    return Ok(());
                }
                Err(e) => {
                    last = Some(e);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        Err(last
            .map(BenchError::from)
            .unwrap_or_else(|| BenchError::Check("the sandbox did not restart".into())))
    }

    /// A client for this server with the default retry policy.
    pub fn client(&self) -> Result<TradingGridClient> {
        let url = url::Url::parse(&format!("http://{}", self.config.listen))
            .map_err(|e| BenchError::Check(format!("sandbox address: {e}")))?;
        let mut cc = ClientConfig::new(
            url,
            self.config.company_id.clone(),
            self.config.consumer_key.clone(),
            self.config.consumer_secret.clone(),
        );
        cc.request_timeout = Duration::from_secs(60);
        Ok(TradingGridClient::new(cc)?)
    }
}

/// Where a run keeps its files: a temp dir removed at the end, plus the sandbox data file
/// (inside it, or the `--data` path to reuse between runs).
pub struct Workspace {
    /// The temp dir.
    pub dir: tempfile::TempDir,
    /// The sandbox data file.
    pub sandbox_data: PathBuf,
}

impl Workspace {
    /// A new temp dir; `data` overrides the sandbox data file.
    pub fn new(data: Option<PathBuf>) -> Result<Workspace> {
        let dir = tempfile::Builder::new().prefix("pd-bench-").tempdir()?;
        let sandbox_data = data.unwrap_or_else(|| dir.path().join("sandbox.db"));
        Ok(Workspace { dir, sandbox_data })
    }

    /// Opens a new, empty cache in the temp dir.
    pub fn empty_cache(&self, name: &str) -> Result<Store> {
        let path = self.dir.path().join(name);
        if path.exists() {
            return Err(BenchError::Check(format!(
                "{} already exists",
                path.display()
            )));
        }
        Ok(Store::open(path)?)
    }
}
