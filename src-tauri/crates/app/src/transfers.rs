//! The Transfers view's list (issue 10): every upload and download of this session with its
//! progress, speed and time left, streamed to whoever watches (the shell hands in a Tauri
//! channel as a [`TransferSink`]) at most every 200 ms per transfer and at once on a change of
//! state. Downloads register here directly; the controls (cancel, retry) of each transfer are
//! kept beside its view. A batch (transfers running together, from the first that starts until
//! none is queued or running) that took longer than [`LONG_BATCH`] is announced once when it
//! ends, through the hook the notifications install.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use pd_domain::{
    ErrorCode, ErrorInfo, TransferAction, TransferDirection, TransferState, TransferView,
    TransfersUpdate,
};

use crate::error::AppError;
use crate::stream::StreamSink;

/// Where the list goes: the window's channel (dropped once it answers `false`).
pub type TransferSink = dyn StreamSink<TransfersUpdate>;

/// How a transfer is acted on.
pub trait TransferControl: Send + Sync + 'static {
    /// Carries out `action`; an action that does not apply is refused in words.
    fn act(&self, action: TransferAction) -> Result<(), AppError>;
}

/// How often a running transfer's progress is sent.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);
/// Finished transfers kept in the list.
const KEEP_FINISHED: usize = 200;

struct Entry {
    view: TransferView,
    control: Option<Arc<dyn TransferControl>>,
    /// (when, bytes) samples of the last seconds, for the speed.
    samples: VecDeque<(Instant, u64)>,
    last_sent: Option<Instant>,
}

/// Told about each transfer that fails (issue 14: the analyst is notified).
pub type FailureHook = dyn Fn(&TransferView) + Send + Sync;

/// What is called when a long batch ends: the transfers that ended in it (done, failed, cancelled).
pub type BatchHook = dyn Fn(&[TransferView]) + Send + Sync;

/// A batch that ran at least this long is announced when it ends (an analyst who waits on a
/// few seconds' upload is looking at it already).
pub const LONG_BATCH: Duration = Duration::from_secs(10);

/// Transfers running together: when the first started, and what has ended since.
struct Batch {
    started: Instant,
    ended: Vec<TransferView>,
}

#[derive(Default)]
struct Inner {
    entries: Mutex<Vec<Entry>>,
    sinks: Mutex<Vec<Arc<TransferSink>>>,
    on_failure: Mutex<Option<Arc<FailureHook>>>,
    batch: Mutex<Option<Batch>>,
    on_batch_end: Mutex<Option<(Duration, Arc<BatchHook>)>>,
}

/// The list of transfers (cheap to clone; clones share it).
#[derive(Default, Clone)]
pub struct Transfers(Arc<Inner>);

impl std::fmt::Debug for Transfers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transfers").finish_non_exhaustive()
    }
}

/// A transfer as it is started.
#[derive(Debug, Clone)]
pub struct NewTransfer {
    /// Its id (a download's: the document id and a counter).
    pub id: String,
    /// Which way.
    pub direction: TransferDirection,
    /// Document name.
    pub name: String,
    /// The case.
    pub case_id: String,
    /// Bytes in all.
    pub total_bytes: u64,
}

impl Transfers {
    /// Adds a watcher; it gets the whole list at once.
    pub fn watch(&self, sink: Arc<TransferSink>) {
        let update = self.snapshot();
        if sink.send(update) {
            self.0
                .sinks
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(sink);
        }
    }

    /// Every transfer, newest first.
    pub fn snapshot(&self) -> TransfersUpdate {
        let entries = self
            .0
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        TransfersUpdate {
            transfers: entries.iter().rev().map(|e| e.view.clone()).collect(),
        }
    }

    fn publish(&self) {
        let update = self.snapshot();
        let mut sinks = self.0.sinks.lock().unwrap_or_else(PoisonError::into_inner);
        sinks.retain(|sink| sink.send(update.clone()));
    }

    /// Starts showing a transfer (queued), or puts an existing one with that id back to queued.
    pub fn begin(&self, new: NewTransfer, control: Option<Arc<dyn TransferControl>>) {
        {
            let mut entries = self
                .0
                .entries
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            entries.retain(|e| e.view.id != new.id);
            entries.push(Entry {
                view: TransferView {
                    id: new.id,
                    direction: new.direction,
                    name: new.name,
                    case_id: new.case_id,
                    state: TransferState::Queued,
                    done_bytes: 0,
                    total_bytes: new.total_bytes,
                    bytes_per_second: 0.0,
                    seconds_left: None,
                    error: None,
                    queued_at: chrono::Utc::now(),
                },
                control,
                samples: VecDeque::new(),
                last_sent: None,
            });
            self.batch_active();
            let finished = entries.iter().filter(|e| is_finished(e.view.state)).count();
            if finished > KEEP_FINISHED {
                let mut extra = finished - KEEP_FINISHED;
                entries.retain(|e| {
                    if extra > 0 && is_finished(e.view.state) {
                        extra -= 1;
                        false
                    } else {
                        true
                    }
                });
            }
        }
        self.publish();
    }

    /// Records progress; sent at most every 200 ms.
    pub fn progress(&self, id: &str, done_bytes: u64) {
        let now = Instant::now();
        let send = {
            let mut entries = self
                .0
                .entries
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let Some(entry) = entries.iter_mut().find(|e| e.view.id == id) else {
                return;
            };
            // A report from a run that was cancelled (or ended) meanwhile does not bring the
            // transfer back: only Retry or Resume (through `finish(Queued)`) does.
            if is_finished(entry.view.state) {
                return;
            }
            if entry.view.state != TransferState::Running {
                self.batch_active();
            }
            entry.view.state = TransferState::Running;
            entry.view.done_bytes = done_bytes;
            entry.samples.push_back((now, done_bytes));
            while entry
                .samples
                .front()
                .is_some_and(|(at, _)| now.duration_since(*at) > Duration::from_secs(5))
            {
                entry.samples.pop_front();
            }
            if let (Some((first_at, first)), Some((last_at, last))) =
                (entry.samples.front(), entry.samples.back())
            {
                let seconds = last_at.duration_since(*first_at).as_secs_f64();
                if seconds > 0.2 {
                    let speed = last.saturating_sub(*first) as f64 / seconds;
                    entry.view.bytes_per_second = speed;
                    entry.view.seconds_left = (speed > 0.0)
                        .then(|| entry.view.total_bytes.saturating_sub(done_bytes) as f64 / speed);
                }
            }
            let due = entry
                .last_sent
                .is_none_or(|at| now.duration_since(at) >= PROGRESS_EVERY);
            if due {
                entry.last_sent = Some(now);
            }
            due
        };
        if send {
            self.publish();
        }
    }

    /// Sets a transfer's state (and its error, for a failure).
    pub fn finish(&self, id: &str, state: TransferState, error: Option<ErrorInfo>) {
        let mut failed = None;
        let mut ended_batch = None;
        {
            let mut entries = self
                .0
                .entries
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let Some(entry) = entries.iter_mut().find(|e| e.view.id == id) else {
                return;
            };
            let newly_failed =
                state == TransferState::Failed && entry.view.state != TransferState::Failed;
            let newly_ended = is_finished(state) && !is_finished(entry.view.state);
            if matches!(state, TransferState::Queued | TransferState::Running) {
                self.batch_active();
            }
            entry.view.state = state;
            entry.view.error = error;
            entry.view.bytes_per_second = 0.0;
            entry.view.seconds_left = None;
            if state == TransferState::Done {
                entry.view.done_bytes = entry.view.total_bytes;
            }
            if newly_failed {
                failed = Some(entry.view.clone());
            }
            if newly_ended {
                let view = entry.view.clone();
                ended_batch = self.batch_ended(view, &entries);
            }
        }
        self.publish();
        if let Some(view) = failed {
            let hook = self
                .0
                .on_failure
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            if let Some(hook) = hook {
                hook(&view);
            }
        }
        if let Some((ended, hook)) = ended_batch {
            hook(&ended);
        }
    }

    /// A transfer is queued or running: a batch starts unless one is under way.
    fn batch_active(&self) {
        self.0
            .batch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert_with(|| Batch {
                started: Instant::now(),
                ended: Vec::new(),
            });
    }

    /// Records a transfer that ended; when none is left queued or running, the batch ends,
    /// and a long one is handed to the hook (with what ended in it).
    fn batch_ended(
        &self,
        view: TransferView,
        entries: &[Entry],
    ) -> Option<(Vec<TransferView>, Arc<BatchHook>)> {
        let mut slot = self.0.batch.lock().unwrap_or_else(PoisonError::into_inner);
        let batch = slot.as_mut()?;
        batch.ended.retain(|v| v.id != view.id);
        batch.ended.push(view);
        let busy = entries
            .iter()
            .any(|e| matches!(e.view.state, TransferState::Queued | TransferState::Running));
        if busy {
            return None;
        }
        let batch = slot.take()?;
        let (long, hook) = self
            .0
            .on_batch_end
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()?;
        (batch.started.elapsed() >= long).then_some((batch.ended, hook))
    }

    /// Calls `hook` once each time a batch that ran at least `long` ends (the app passes
    /// [`LONG_BATCH`]).
    pub fn on_batch_end(
        &self,
        long: Duration,
        hook: impl Fn(&[TransferView]) + Send + Sync + 'static,
    ) {
        *self
            .0
            .on_batch_end
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((long, Arc::new(hook)));
    }

    /// Calls `hook` once each time a transfer fails (not again while it stays failed).
    pub fn on_failure(&self, hook: impl Fn(&TransferView) + Send + Sync + 'static) {
        *self
            .0
            .on_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(hook));
    }

    /// The analyst's pause / resume / cancel / retry.
    pub fn act(&self, id: &str, action: TransferAction) -> Result<(), AppError> {
        let control = {
            let entries = self
                .0
                .entries
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let entry = entries.iter().find(|e| e.view.id == id).ok_or_else(|| {
                AppError::reported(
                    ErrorCode::TransferUnknown,
                    ErrorCode::TransferUnknown.words(),
                )
            })?;
            entry.control.clone()
        };
        match control {
            Some(control) => control.act(action),
            None => Err(AppError::reported(
                ErrorCode::InputInvalid,
                "This transfer cannot be changed any more.",
            )),
        }
    }
}

fn is_finished(state: TransferState) -> bool {
    matches!(
        state,
        TransferState::Done | TransferState::Cancelled | TransferState::Failed
    )
}

/// Every transfer of this session, newest first (the channel sends the same as it changes).
pub async fn transfers_list(
    state: &crate::state::AppState,
) -> crate::CommandResult<TransfersUpdate> {
    Ok(state.transfers.snapshot())
}

/// Pauses, resumes, cancels or retries a transfer.
pub async fn transfer_action(
    state: &crate::state::AppState,
    transfer_id: String,
    action: TransferAction,
) -> crate::CommandResult<()> {
    state.transfers.act(&transfer_id, action)
}

/// Streams the transfers list to the window's channel until it closes.
pub async fn watch_transfers(
    state: &crate::state::AppState,
    sink: Box<TransferSink>,
) -> crate::CommandResult<()> {
    let sink: Arc<TransferSink> = Arc::from(sink);
    state.transfers.watch(sink);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(id: &str, case_id: &str) -> NewTransfer {
        NewTransfer {
            id: id.to_owned(),
            direction: TransferDirection::Upload,
            name: format!("{id}.pdf"),
            case_id: case_id.to_owned(),
            total_bytes: 10,
        }
    }

    fn recorder(transfers: &Transfers, long: Duration) -> Arc<Mutex<Vec<Vec<String>>>> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let into = seen.clone();
        transfers.on_batch_end(long, move |ended| {
            into.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(ended.iter().map(|v| v.id.clone()).collect());
        });
        seen
    }

    #[test]
    fn a_batch_ends_once_when_nothing_is_queued_or_running_any_more() {
        let transfers = Transfers::default();
        let seen = recorder(&transfers, Duration::ZERO);
        transfers.begin(upload("a", "c1"), None);
        transfers.begin(upload("b", "c1"), None);
        transfers.progress("a", 5);
        transfers.finish("a", TransferState::Done, None);
        assert!(seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty());
        // Paused waits for the analyst: the batch ends without it.
        transfers.begin(upload("p", "c1"), None);
        transfers.finish("p", TransferState::Paused, None);
        transfers.finish("b", TransferState::Failed, None);
        transfers.finish("b", TransferState::Failed, None);
        let batches = seen.lock().unwrap_or_else(PoisonError::into_inner).clone();
        assert_eq!(batches, vec![vec!["a".to_owned(), "b".to_owned()]]);
        // The paused one resumed and finished: a batch of its own.
        transfers.finish("p", TransferState::Queued, None);
        transfers.finish("p", TransferState::Done, None);
        let batches = seen.lock().unwrap_or_else(PoisonError::into_inner).clone();
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[1], vec!["p".to_owned()]);
    }

    #[test]
    fn a_late_progress_report_does_not_bring_a_cancelled_transfer_back() {
        let transfers = Transfers::default();
        transfers.begin(upload("a", "c1"), None);
        transfers.progress("a", 5);
        transfers.finish("a", TransferState::Cancelled, None);
        transfers.progress("a", 9);
        let state = |id: &str| {
            transfers
                .0
                .entries
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .find(|e| e.view.id == id)
                .map(|e| (e.view.state, e.view.done_bytes))
        };
        assert_eq!(state("a"), Some((TransferState::Cancelled, 5)));
        // Retried: it reports again.
        transfers.finish("a", TransferState::Queued, None);
        transfers.progress("a", 9);
        assert_eq!(state("a"), Some((TransferState::Running, 9)));
    }

    #[test]
    fn a_short_batch_is_not_announced() {
        let transfers = Transfers::default();
        let seen = recorder(&transfers, Duration::from_secs(3600));
        transfers.begin(upload("a", "c1"), None);
        transfers.finish("a", TransferState::Done, None);
        assert!(seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty());
    }
}
