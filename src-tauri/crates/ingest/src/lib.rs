//! Drop folders: local and SFTP folders watched so that every complete file becomes a document
//! on the right case exactly once, across restarts and crashes. The ingest ledger lives in
//! `pd-store` (one transaction per batch: ledger rows + cases + documents + outbox entries);
//! routing is an ordered rule list other features extend ([`routing::Router::insert`]). No
//! Tauri: the app runs each folder as a supervised background job.

pub mod edi;
pub mod error;
pub mod local;
pub mod names;
pub mod routing;
pub mod sftp;
pub mod status;
pub mod take;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub use error::IngestError;
pub use local::{watch_local_blocking, LocalFolderSpec, WatchMode};
pub use routing::{Decision, FileFacts, FolderDefaults, Router, Rule};
pub use sftp::{run_sftp, PollReport, SftpFolderSpec, SftpPoller};
pub use status::{FolderState, FolderStatus, StatusBoard};

use pd_store::Store;

/// What every folder watcher shares: the cache, the routing rules, where kept bytes go, who
/// documents are attached as, and the status board.
#[derive(Clone, Debug)]
pub struct IngestContext {
    /// The open workspace's cache.
    pub store: Store,
    /// Routing rules.
    pub router: Arc<Router>,
    /// The cache's spool folder (kept copies until uploaded).
    pub spool_dir: PathBuf,
    /// Who documents are attached as (the analyst's login or "drop folder").
    pub uploaded_by: String,
    /// Folder states.
    pub status: StatusBoard,
}

/// Sets its flag when dropped: stops a blocking watcher when its async job is aborted.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Runs a local folder's watcher on a blocking thread until this future is dropped (the
/// supervisor's stop) — the shape a supervised job has.
pub async fn run_local(ctx: IngestContext, spec: LocalFolderSpec) {
    let stop = Arc::new(AtomicBool::new(false));
    let guard = StopOnDrop(stop.clone());
    let handle = tokio::task::spawn_blocking(move || watch_local_blocking(ctx, spec, stop));
    if let Err(e) = handle.await {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
    }
    drop(guard);
}
