//! The app's view of synchronisation: one place that starts, asks and stops `pd-sync`, so
//! commands never care how the pull and push are scheduled. The loop runs as a supervised job:
//! should it panic, the supervisor starts it again, Settings shows the failure and the status
//! bar says the sync stopped until a cycle after the restart succeeds.

use std::sync::Arc;

use pd_domain::{ErrorCode, ErrorInfo, JobState, JobView, SyncStatus, Topic};
use pd_store::Store;
use pd_sync::{SyncHandle, SyncOptions, SyncPeers, SyncService};

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
    /// Starts syncing `store` with the workspace's hosts (the case server only when it has
    /// one): at once, every 3 minutes, on demand. Must run inside the Tokio runtime. Changed
    /// topics go to the services' reporter.
    pub fn start(
        store: Store,
        peers: SyncPeers,
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
        let (handle, sync_loop) = SyncService::prepare(store, peers, options, on_topics);
        let job = services
            .supervisor
            .spawn(format!("Sync: {}", workspace.name), move || sync_loop.run());
        SyncControl {
            handle,
            job,
            supervisor: services.supervisor.clone(),
        }
    }

    /// Where the sync stands now; a loop that panicked shows as a sync error until a cycle
    /// after its restart succeeds.
    pub async fn status(&self) -> SyncStatus {
        let mut status = self.handle.status().await;
        if let Some(job) = self.supervisor.job(self.job) {
            if let Some(error) = panic_error(&job, &status) {
                status.last_error = Some(error);
            }
        }
        status
    }

    /// Test hook: makes the loop's cycles panic while `on` (see
    /// [`SyncHandle::set_panicking`]).
    #[doc(hidden)]
    pub fn set_panicking(&self, on: bool) {
        self.handle.set_panicking(on);
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

/// The status bar's words for a sync loop that panicked, while that is still the news: the loop
/// is waiting to restart, or restarted and has not completed a cycle since (an error of its own
/// since the restart is newer news and stays).
fn panic_error(job: &JobView, status: &SyncStatus) -> Option<ErrorInfo> {
    job.last_failure.as_ref()?;
    let restarting = job.state == JobState::Restarting;
    let synced_since = status.last_synced_at.is_some_and(|at| at >= job.started_at);
    if !restarting && (synced_since || status.last_error.is_some()) {
        return None;
    }
    let times = match job.restarts {
        1 => "once".to_owned(),
        n => format!("{n} times"),
    };
    Some(ErrorInfo {
        code: ErrorCode::SyncTask,
        message: format!(
            "The sync stopped unexpectedly ({times} so far) and restarts by itself; your changes are kept. Details are in Settings, Background jobs, and in the log file."
        ),
    })
}
