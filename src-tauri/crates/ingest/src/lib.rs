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
pub use take::no_bucket_words;

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
    /// Where files above the upload size limit go (none: every file through the spool).
    pub large: LargeFiles,
}

/// Where a file above the analyst's upload size limit goes: the S3 upload queue of a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Target {
    /// The bucket.
    pub bucket: String,
    /// The S3 connector chosen in the upload settings (none: found by bucket).
    pub connector_id: Option<String>,
    /// Bytes per part.
    pub part_size: u64,
}

/// The upload settings as a folder needs them when it takes a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LargeFileRoute {
    /// Files above this many bytes go to S3 (`UploadSettings.threshold_bytes`).
    pub threshold_bytes: u64,
    /// The bucket, or why there is none, in words (no S3 connector set up for documents).
    pub target: Result<S3Target, String>,
}

type RouteFn = dyn Fn() -> LargeFileRoute + Send + Sync;
type QueuedFn = dyn Fn() + Send + Sync;

/// Asked each time a file is taken, so an S3 connector the analyst adds while a folder is
/// watched is used for the next file; told when an upload was queued (to start it now).
/// The default sends every file through the spool (no size limit).
#[derive(Clone, Default)]
pub struct LargeFiles {
    route: Option<Arc<RouteFn>>,
    queued: Option<Arc<QueuedFn>>,
}

impl std::fmt::Debug for LargeFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LargeFiles")
            .field("route", &self.route.as_ref().map(|r| r()))
            .finish_non_exhaustive()
    }
}

impl LargeFiles {
    /// Routes by `route` (asked per file) and calls `queued` after an upload was queued.
    pub fn new(
        route: impl Fn() -> LargeFileRoute + Send + Sync + 'static,
        queued: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        LargeFiles {
            route: Some(Arc::new(route)),
            queued: Some(Arc::new(queued)),
        }
    }

    /// The same route for every file (tools and tests).
    pub fn fixed(route: LargeFileRoute) -> Self {
        LargeFiles {
            route: Some(Arc::new(move || route.clone())),
            queued: None,
        }
    }

    /// The route of a file of `size` bytes: `None` when it goes through the spool.
    pub fn for_size(&self, size: u64) -> Option<LargeFileRoute> {
        let route = self.route.as_ref()?();
        (size > route.threshold_bytes).then_some(route)
    }

    /// Tells whoever runs the upload queue that an upload was queued.
    pub fn queued(&self) {
        if let Some(queued) = &self.queued {
            queued();
        }
    }
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
