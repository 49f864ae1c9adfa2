//! How each watched folder is doing, shared between its watcher and whoever shows it (the app's
//! Folders view, the test binary): watching, polling, offline or in error with the reason in
//! words, and what was taken this session.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;

/// A folder's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FolderState {
    /// Started, first scan running.
    Starting,
    /// File-system events arrive; rescans on a schedule.
    Watching,
    /// Scanned on an interval (network shares, SFTP).
    Polling,
    /// The folder or server cannot be reached now; retried by itself.
    Offline,
    /// Something failed (the reason says what); retried by itself.
    Error,
    /// Paused by the analyst.
    Paused,
}

/// One folder's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FolderStatus {
    /// State.
    pub state: FolderState,
    /// Why (offline, error), in words.
    pub reason: Option<String>,
    /// Files taken since the watcher started.
    pub taken_now: u64,
    /// Files waiting to settle.
    pub waiting: u64,
    /// Which run of the folder's watcher owns this status (a watcher being stopped must not
    /// overwrite what its successor, already started, shows).
    #[serde(skip)]
    pub run: u64,
}

impl Default for FolderStatus {
    fn default() -> Self {
        FolderStatus {
            state: FolderState::Starting,
            reason: None,
            taken_now: 0,
            waiting: 0,
            run: 0,
        }
    }
}

type Listener = Arc<dyn Fn() + Send + Sync>;

/// The statuses of all folders; cheap to clone.
#[derive(Clone, Default)]
pub struct StatusBoard {
    inner: Arc<Mutex<BTreeMap<String, FolderStatus>>>,
    listener: Option<Listener>,
}

impl std::fmt::Debug for StatusBoard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.all()).finish()
    }
}

impl StatusBoard {
    /// A board that calls `listener` after each change (the app reports a topic).
    pub fn with_listener(listener: impl Fn() + Send + Sync + 'static) -> Self {
        StatusBoard {
            inner: Arc::default(),
            listener: Some(Arc::new(listener)),
        }
    }

    /// Edits one folder's status; the listener hears of it when something changed.
    pub fn update(&self, folder_id: &str, edit: impl FnOnce(&mut FolderStatus)) {
        let changed = {
            let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            let status = map.entry(folder_id.to_string()).or_default();
            let before = status.clone();
            edit(status);
            *status != before
        };
        if changed {
            if let Some(listener) = &self.listener {
                listener();
            }
        }
    }

    /// A watcher starting on `folder_id`: answers its run number (see [`StatusBoard::end_run`]).
    pub fn begin_run(&self, folder_id: &str) -> u64 {
        let mut run = 0;
        self.update(folder_id, |s| {
            s.run += 1;
            run = s.run;
        });
        run
    }

    /// A watcher stopped: the folder shows "paused" unless a newer run of it has started since
    /// (a restart stops the old watcher, which may finish after the new one began).
    pub fn end_run(&self, folder_id: &str, run: u64) {
        self.update(folder_id, |s| {
            if s.run == run {
                s.state = FolderState::Paused;
                s.reason = None;
            }
        });
    }

    /// Sets state and reason.
    pub fn set(&self, folder_id: &str, state: FolderState, reason: Option<String>) {
        self.update(folder_id, |s| {
            s.state = state;
            s.reason = reason;
        });
    }

    /// One folder's status.
    pub fn get(&self, folder_id: &str) -> Option<FolderStatus> {
        let map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(folder_id).cloned()
    }

    /// Forgets a folder (removed).
    pub fn remove(&self, folder_id: &str) {
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        map.remove(folder_id);
    }

    /// Every folder's status.
    pub fn all(&self) -> Vec<(String, FolderStatus)> {
        let map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}
