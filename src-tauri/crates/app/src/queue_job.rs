//! The skeleton the persisted-queue jobs share ("Deliveries", "Uploads"), written once: a
//! supervised loop that wakes, takes a turn over its queue and sleeps (short while work waits or
//! runs, long when idle, or until woken); the bookkeeping of a turn (items shown in the
//! Transfers view, items running with the handle that stops each, at most so many at once, and
//! the back-off of 2, 4 … 60 s after a transient failure, [`pd_domain::ErrorCode::is_transient`]);
//! and the context a job reaches the app through, holding the job and the open workspace
//! weakly (ARCHITECTURE invariant 13: a strong reference kept a closed app's cache lock). What a
//! job does with an item stays in its own module.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use crate::events::ChangeReporter;
use crate::keychain::Keychain;
use crate::state::{ActiveWorkspace, AppState};
use crate::transfers::Transfers;

/// A job's shared state that holds its queue's bookkeeping.
pub(crate) trait QueueJob: Send + Sync + 'static {
    /// What stops a running item (a cancel flag, a pause/cancel sender).
    type Handle: Clone + Send;

    /// The queue's bookkeeping.
    fn queue(&self) -> &JobQueue<Self::Handle>;
}

/// What a queue job knows of its items between turns.
pub(crate) struct JobQueue<H> {
    wake: tokio::sync::Notify,
    /// Items running now, with the handle that stops each.
    running: Mutex<HashMap<String, H>>,
    /// Items shown in the Transfers view.
    shown: Mutex<HashSet<String>>,
    /// Transient failures: when each item may run again, and how many in a row.
    later: Mutex<HashMap<String, (Instant, u32)>>,
}

impl<H> Default for JobQueue<H> {
    fn default() -> Self {
        Self {
            wake: tokio::sync::Notify::new(),
            running: Mutex::new(HashMap::new()),
            shown: Mutex::new(HashSet::new()),
            later: Mutex::new(HashMap::new()),
        }
    }
}

impl<H: Clone> JobQueue<H> {
    /// Asks the job to take a turn now.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Records `id` as shown in the Transfers view; answers whether it was not shown before.
    pub(crate) fn show(&self, id: &str) -> bool {
        self.shown
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned())
    }

    /// Records `id` as running with `handle` when it may start now: not running already, not
    /// waiting out a back-off at `now`, and fewer than `limit` running; answers whether it did.
    pub(crate) fn claim(&self, id: &str, now: Instant, limit: usize, handle: H) -> bool {
        let not_yet = self
            .later
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .is_some_and(|(at, _)| *at > now);
        if not_yet {
            return false;
        }
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        if running.contains_key(id) || running.len() >= limit {
            return false;
        }
        running.insert(id.to_owned(), handle);
        true
    }

    /// Whether any item is running.
    pub(crate) fn busy(&self) -> bool {
        !self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    /// The handle of `id` while it runs.
    pub(crate) fn running(&self, id: &str) -> Option<H> {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    /// Forgets `id` as running (its run ended, however).
    pub(crate) fn ended(&self, id: &str) {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }

    /// Forgets the back-off of `id` (it succeeded, or the analyst retries it now).
    pub(crate) fn clear_back_off(&self, id: &str) {
        self.later
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }

    /// After a transient failure of `id`: it may run again only after 2, 4 … 60 s (doubling
    /// with each failure in a row); answers that pause.
    pub(crate) fn back_off(&self, id: &str) -> Duration {
        let mut later = self.later.lock().unwrap_or_else(PoisonError::into_inner);
        let tries = later.get(id).map_or(0, |(_, n)| *n) + 1;
        let pause = Duration::from_secs(2u64.saturating_pow(tries).min(60));
        later.insert(id.to_owned(), (Instant::now() + pause, tries));
        pause
    }
}

/// What a queue job needs of the app, without keeping a closed app alive (invariant 13): its
/// own state `J` and the workspace slot are held weakly.
pub(crate) struct JobContext<J> {
    /// The job's shared state (gone: the app closed, the job ends).
    pub(crate) job: Weak<J>,
    current: Weak<RwLock<Arc<ActiveWorkspace>>>,
    /// The OS keychain (connector secrets).
    pub(crate) keychain: Keychain,
    /// The settings file (connectors, upload settings).
    pub(crate) settings_path: PathBuf,
    /// The Transfers view's list.
    pub(crate) transfers: Transfers,
    /// Change reports to the window.
    pub(crate) changes: ChangeReporter,
}

impl<J> Clone for JobContext<J> {
    fn clone(&self) -> Self {
        Self {
            job: self.job.clone(),
            current: self.current.clone(),
            keychain: self.keychain.clone(),
            settings_path: self.settings_path.clone(),
            transfers: self.transfers.clone(),
            changes: self.changes.clone(),
        }
    }
}

impl<J: QueueJob> JobContext<J> {
    /// The context of the job whose state is `job`, part of `state`.
    pub(crate) fn of(state: &AppState, job: &Arc<J>) -> Self {
        Self {
            job: Arc::downgrade(job),
            current: Arc::downgrade(&state.current_slot()),
            keychain: state.keychain.clone(),
            settings_path: state.settings_path.clone(),
            transfers: state.transfers.clone(),
            changes: state.changes.clone(),
        }
    }

    /// The open workspace, while the app runs.
    pub(crate) fn workspace(&self) -> Option<Arc<ActiveWorkspace>> {
        let slot = self.current.upgrade()?;
        let workspace = slot.read().unwrap_or_else(PoisonError::into_inner).clone();
        Some(workspace)
    }

    /// Asks the job to take a turn now.
    pub(crate) fn wake(&self) {
        if let Some(job) = self.job.upgrade() {
            job.queue().wake();
        }
    }

    /// Lets `id` run at the next turn (its back-off forgotten) and wakes the job.
    pub(crate) fn retry_now(&self, id: &str) {
        if let Some(job) = self.job.upgrade() {
            job.queue().clear_back_off(id);
            job.queue().wake();
        }
    }
}

/// How often a queue job looks at its queue.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pace {
    /// While items wait or run.
    pub(crate) busy: Duration,
    /// When nothing waits (a wake comes sooner).
    pub(crate) idle: Duration,
}

/// Starts the queue job whose state is `job` under the supervisor as `name`: each `turn`
/// answers whether work waits or runs; the job then looks again after `pace.busy` (else after
/// `pace.idle`), sooner when woken, and ends once its state is gone.
pub(crate) fn spawn<J, F, Fut>(state: &AppState, name: &str, job: &Arc<J>, pace: Pace, turn: F)
where
    J: QueueJob,
    F: Fn(JobContext<J>, Arc<J>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    let context = JobContext::of(state, job);
    state.supervisor.spawn(name, move || {
        let (context, turn) = (context.clone(), turn.clone());
        async move {
            loop {
                let Some(job) = context.job.upgrade() else {
                    return;
                };
                let busy = turn(context.clone(), job.clone()).await;
                let pause = if busy { pace.busy } else { pace.idle };
                let wake = async { job.queue().wake.notified().await };
                let _ = tokio::time::timeout(pause, wake).await;
            }
        }
    });
}
