//! Owns the app's background jobs (today the sync of the open workspace; next transfers, folder
//! watchers, connectors and SLA timers): starts each on the Tokio runtime, starts it again after
//! a pause when it panics (a bug in one job must not silently end syncing for the session),
//! reports each job's state, and stops them on request or all at once at shutdown.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use pd_domain::{JobState, JobView, Topic};
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinHandle};

use crate::events::ChangeReporter;

/// The first pause before a panicked job starts again; it doubles with each panic in a row.
pub const FIRST_RESTART_PAUSE: Duration = Duration::from_millis(250);
/// The longest pause between restarts.
pub const LONGEST_RESTART_PAUSE: Duration = Duration::from_secs(30);

/// Names one job for [`Supervisor::stop`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(u64);

struct JobRecord {
    view: JobView,
    /// Set when the job is being stopped: a panic then is not followed by a restart.
    stop: watch::Sender<bool>,
    /// The attempt running now (aborted by a stop).
    attempt: Option<AbortHandle>,
    /// The task that runs attempts and restarts them.
    runner: Option<JoinHandle<()>>,
}

struct Shared {
    jobs: Mutex<BTreeMap<JobId, JobRecord>>,
    next_id: AtomicU64,
    changes: Option<ChangeReporter>,
    first_pause: Duration,
}

impl Shared {
    fn with_job<T>(&self, id: JobId, edit: impl FnOnce(&mut JobRecord) -> T) -> Option<T> {
        let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        jobs.get_mut(&id).map(edit)
    }

    fn changed(&self) {
        if let Some(changes) = &self.changes {
            changes.report(&[Topic::Jobs]);
        }
    }
}

/// The background jobs of the app; cheap to clone (clones share the jobs).
#[derive(Clone)]
pub struct Supervisor {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("jobs", &self.jobs())
            .finish()
    }
}

impl Supervisor {
    /// A supervisor reporting job changes (topic `jobs`) to `changes`.
    pub fn new(changes: Option<ChangeReporter>) -> Self {
        Self::with_first_pause(changes, FIRST_RESTART_PAUSE)
    }

    /// Same, with another first restart pause (tests).
    pub fn with_first_pause(changes: Option<ChangeReporter>, first_pause: Duration) -> Self {
        Supervisor {
            shared: Arc::new(Shared {
                jobs: Mutex::new(BTreeMap::new()),
                next_id: AtomicU64::new(1),
                changes,
                first_pause,
            }),
        }
    }

    /// Starts `job` (called again for each restart) on the current Tokio runtime.
    pub fn spawn<F, Fut>(&self, name: impl Into<String>, job: F) -> JobId
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let id = JobId(self.shared.next_id.fetch_add(1, Ordering::Relaxed));
        let (stop, stopped) = watch::channel(false);
        let name = name.into();
        tracing::info!(job = %name, "background job starting");
        self.shared
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                id,
                JobRecord {
                    view: JobView {
                        name,
                        state: JobState::Running,
                        restarts: 0,
                        last_failure: None,
                        started_at: Utc::now(),
                    },
                    stop,
                    attempt: None,
                    runner: None,
                },
            );
        let runner = tokio::spawn(run(self.shared.clone(), id, job, stopped));
        self.shared
            .with_job(id, |record| record.runner = Some(runner));
        self.shared.changed();
        id
    }

    /// Stops one job (its attempt is aborted; no restart follows) and forgets it.
    pub async fn stop(&self, id: JobId) {
        let runner = self.shared.with_job(id, |record| {
            let _ = record.stop.send(true);
            if let Some(attempt) = record.attempt.take() {
                attempt.abort();
            }
            record.runner.take()
        });
        if let Some(Some(runner)) = runner {
            let _ = runner.await;
        }
        self.shared
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
        self.shared.changed();
    }

    /// Stops every job (at shutdown).
    pub async fn stop_all(&self) {
        let ids: Vec<JobId> = self
            .shared
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .copied()
            .collect();
        for id in ids {
            self.stop(id).await;
        }
    }

    /// How one job is doing (`None` once it was stopped and forgotten).
    pub fn job(&self, id: JobId) -> Option<JobView> {
        self.shared.with_job(id, |record| record.view.clone())
    }

    /// Every job and how it is doing, in start order.
    pub fn jobs(&self) -> Vec<JobView> {
        self.shared
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|record| record.view.clone())
            .collect()
    }
}

/// Runs attempts of `job` until one ends normally or the job is stopped; a panic is logged,
/// recorded, and followed by a restart after a pause that doubles with each panic in a row.
async fn run<F, Fut>(shared: Arc<Shared>, id: JobId, job: F, mut stopped: watch::Receiver<bool>)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut pause = shared.first_pause;
    loop {
        if *stopped.borrow() {
            return;
        }
        let attempt = tokio::spawn(job());
        shared.with_job(id, |record| {
            // Checked under the lock `stop` takes: a stop that came in since the check above
            // finds this attempt, or this attempt finds the stop.
            if *record.stop.borrow() {
                attempt.abort();
            } else {
                record.attempt = Some(attempt.abort_handle());
            }
        });
        let outcome = attempt.await;
        match outcome {
            Ok(()) => {
                shared.with_job(id, |record| record.view.state = JobState::Stopped);
                shared.changed();
                return;
            }
            Err(error) if error.is_panic() => {
                let message = panic_message(error.into_panic());
                let name = shared
                    .with_job(id, |record| {
                        record.view.state = JobState::Restarting;
                        record.view.restarts += 1;
                        record.view.last_failure = Some(message.clone());
                        record.view.name.clone()
                    })
                    .unwrap_or_default();
                tracing::error!(job = %name, panic = %message, pause_ms = pause.as_millis() as u64, "background job panicked; restarting");
                shared.changed();
            }
            // Aborted: the job is being stopped.
            Err(_) => return,
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stopped.changed() => return,
        }
        pause = (pause * 2).min(LONGEST_RESTART_PAUSE);
        shared.with_job(id, |record| {
            record.view.state = JobState::Running;
            record.view.started_at = Utc::now();
        });
        shared.changed();
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "the job panicked".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    async fn until(what: &str, check: impl Fn() -> bool) {
        for _ in 0..500 {
            if check() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("timed out waiting: {what}");
    }

    #[tokio::test]
    async fn a_job_that_panics_is_started_again_and_its_failure_is_shown() {
        let supervisor = Supervisor::with_first_pause(None, Duration::from_millis(5));
        let attempts = Arc::new(AtomicU32::new(0));
        let counter = attempts.clone();
        supervisor.spawn("flaky", move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 2 {
                    panic!("attempt {n} broke");
                }
                std::future::pending::<()>().await;
            }
        });
        until("third attempt", || attempts.load(Ordering::SeqCst) == 3).await;
        until("running again", || {
            supervisor.jobs()[0].state == JobState::Running
        })
        .await;
        let job = &supervisor.jobs()[0];
        assert_eq!(job.name, "flaky");
        assert_eq!(job.restarts, 2);
        assert_eq!(job.last_failure.as_deref(), Some("attempt 1 broke"));
    }

    #[tokio::test]
    async fn a_stopped_job_ends_and_is_not_restarted() {
        let supervisor = Supervisor::new(None);
        let attempts = Arc::new(AtomicU32::new(0));
        let counter = attempts.clone();
        let id = supervisor.spawn("forever", move || {
            counter.fetch_add(1, Ordering::SeqCst);
            std::future::pending::<()>()
        });
        until("started", || attempts.load(Ordering::SeqCst) == 1).await;
        supervisor.stop(id).await;
        assert!(supervisor.jobs().is_empty());
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(attempts.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_job_that_returns_shows_as_stopped_and_stop_all_ends_the_rest() {
        let supervisor = Supervisor::new(None);
        supervisor.spawn("once", || async {});
        supervisor.spawn("forever", std::future::pending::<()>);
        until("first ended", || {
            supervisor.jobs()[0].state == JobState::Stopped
        })
        .await;
        assert_eq!(supervisor.jobs()[1].state, JobState::Running);
        supervisor.stop_all().await;
        assert!(supervisor.jobs().is_empty());
    }
}
