//! The app's view of synchronisation: one place that starts, asks and stops `pd-sync`, so
//! commands never care how the pull and push are scheduled. The loop runs as a supervised job:
//! should it panic, the supervisor starts it again and Settings shows the failure.

use std::sync::Arc;

use pd_domain::{SyncStatus, Topic};
use pd_store::Store;
use pd_sync::{SyncHandle, SyncOptions, SyncService};
use pd_tradinggrid::TradingGridClient;

use crate::state::Services;
use crate::supervisor::{JobId, Supervisor};
use crate::workspace::WorkspaceInfo;

/// Handle to the running sync.
pub struct SyncControl {
    handle: SyncHandle,
    job: JobId,
    supervisor: Supervisor,
}

impl std::fmt::Debug for SyncControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncControl")
            .field("job", &self.job)
            .finish_non_exhaustive()
    }
}

impl SyncControl {
    /// Starts syncing `store` with the workspace's server: at once, every 3 minutes, on demand.
    /// Must run inside the Tokio runtime. Changed topics go to the services' reporter.
    pub fn start(
        store: Store,
        client: TradingGridClient,
        workspace: &WorkspaceInfo,
        services: &Services,
    ) -> Self {
        let options = SyncOptions {
            workspace_name: workspace.name.clone(),
            is_demo: workspace.is_demo,
            ..SyncOptions::default()
        };
        let changes = services.changes.clone();
        let on_topics: pd_sync::Topics = Arc::new(move |topics: &[Topic]| changes.report(topics));
        let (handle, sync_loop) = SyncService::prepare(store, client, options, on_topics);
        let job = services
            .supervisor
            .spawn(format!("Sync: {}", workspace.name), move || sync_loop.run());
        SyncControl {
            handle,
            job,
            supervisor: services.supervisor.clone(),
        }
    }

    /// Where the sync stands now.
    pub async fn status(&self) -> SyncStatus {
        self.handle.status().await
    }

    /// Runs one sync now and returns the status after it (offline is a status, not an error).
    pub async fn sync_now(&self) -> SyncStatus {
        self.handle.sync_now().await
    }

    /// Asks for a push soon, after a local change.
    pub fn nudge(&self) {
        self.handle.nudge();
    }

    /// Stops the schedule; unfinished work stays in the cache for the next start.
    pub async fn shutdown(&self) {
        self.handle.shutdown();
        self.supervisor.stop(self.job).await;
    }
}
