//! What every command reaches through `tauri::State`: the cache, the sync, the workspace and the
//! change reporter, created once at start-up.

use std::sync::Arc;

use partnerdesk_sandbox::SandboxHandle;
use pd_store::Store;
use tokio::sync::Mutex;

use crate::events::ChangeReporter;
use crate::sync::SyncControl;
use crate::workspace::WorkspaceInfo;

/// Shared application state.
#[derive(Debug)]
pub struct AppState {
    /// The SQLite cache (cheap to clone; clones share connections).
    pub store: Store,
    /// The sync service.
    pub sync: Arc<SyncControl>,
    /// The workspace shown in the UI.
    pub workspace: Arc<WorkspaceInfo>,
    /// Where commands report what they changed.
    pub changes: ChangeReporter,
    /// The built-in demo server, stopped on exit.
    pub sandbox: Mutex<Option<SandboxHandle>>,
}

impl AppState {
    /// Stops the sync, then the built-in sandbox.
    pub async fn shutdown(&self) {
        self.sync.shutdown().await;
        if let Some(sandbox) = self.sandbox.lock().await.take() {
            if let Err(error) = sandbox.shutdown().await {
                tracing::warn!(%error, "demo server did not stop cleanly");
            }
        }
    }
}
