//! The shell's view of synchronisation: one place that starts, asks and stops the sync service,
//! so commands never care how the pull and push are scheduled.
//!
//! Until `pd-sync` lands this only reports the cache's outbox state; `sync_now` does not reach the
//! server yet.

use pd_domain::{Connectivity, SyncStatus};
use pd_store::Store;

use crate::error::AppError;
use crate::workspace::WorkspaceInfo;

/// Handle to the running sync.
#[derive(Debug)]
pub struct SyncControl {
    store: Store,
    workspace: WorkspaceInfo,
}

impl SyncControl {
    /// Starts syncing `store` with the workspace's server: at once, every 3 minutes, on demand.
    pub fn start(store: Store, workspace: WorkspaceInfo) -> Self {
        SyncControl { store, workspace }
    }

    /// Where the sync stands now.
    pub async fn status(&self) -> Result<SyncStatus, AppError> {
        let store = self.store.clone();
        let summary = tokio::task::spawn_blocking(move || store.outbox_summary()).await??;
        Ok(SyncStatus {
            workspace_name: self.workspace.name.clone(),
            is_demo: self.workspace.is_demo,
            syncing: false,
            connectivity: Connectivity::Unknown,
            last_synced_at: None,
            last_error: None,
            pending_changes: summary.pending,
            failed_changes: summary.failed,
            oldest_pending_at: summary.oldest,
            keychain_unavailable: false,
        })
    }

    /// Runs one sync now and returns the status after it.
    pub async fn sync_now(&self) -> Result<SyncStatus, AppError> {
        self.status().await
    }

    /// Stops the schedule; in-flight work finishes or is left for the next start.
    pub async fn shutdown(&self) {}
}
