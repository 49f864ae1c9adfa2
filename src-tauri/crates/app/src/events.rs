//! Batches "something changed" reports from the services into one `pd://changed` event every
//! ~100 ms, so a sync that touches thousands of rows makes the UI refetch once, not thousands of times.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

pub use pd_domain::{ChangedPayload, Topic};
use tokio::sync::mpsc;

/// The event name the UI listens to.
pub const CHANGED_EVENT: &str = "pd://changed";

/// How long reports are collected before one event goes out.
pub const BATCH_WINDOW: Duration = Duration::from_millis(100);

/// Where batched change events go: the shell implements it with a Tauri event, tests with a
/// vector or nothing.
pub trait ChangeSink: Send + Sync + 'static {
    /// Delivers one batch.
    fn emit(&self, payload: ChangedPayload);
}

impl<F> ChangeSink for F
where
    F: Fn(ChangedPayload) + Send + Sync + 'static,
{
    fn emit(&self, payload: ChangedPayload) {
        self(payload);
    }
}

/// Where services report changed topics; cheap to clone.
#[derive(Debug, Clone)]
pub struct ChangeReporter {
    sender: mpsc::UnboundedSender<Topic>,
}

impl ChangeReporter {
    /// Records that these topics changed; they go out with the next batch.
    pub fn report(&self, topics: &[Topic]) {
        for topic in topics {
            // A closed channel means the app is shutting down: nobody is left to tell.
            let _ = self.sender.send(*topic);
        }
    }
}

/// Starts the batching task on the current Tokio runtime; `sink` receives each coalesced batch.
pub fn start_batcher(window: Duration, sink: impl ChangeSink) -> ChangeReporter {
    let sink: Arc<dyn ChangeSink> = Arc::new(sink);
    let (sender, mut receiver) = mpsc::unbounded_channel::<Topic>();
    tokio::spawn(async move {
        while let Some(first) = receiver.recv().await {
            let mut topics = BTreeSet::from([first]);
            let deadline = tokio::time::Instant::now() + window;
            while let Ok(Some(topic)) = tokio::time::timeout_at(deadline, receiver.recv()).await {
                topics.insert(topic);
            }
            sink.emit(ChangedPayload {
                topics: topics.into_iter().collect(),
            });
        }
    });
    ChangeReporter { sender }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    type Batches = Arc<Mutex<Vec<ChangedPayload>>>;

    fn collecting() -> (Batches, impl Fn(ChangedPayload) + Send + Sync + 'static) {
        let batches = Batches::default();
        let sink = batches.clone();
        (batches, move |payload| {
            sink.lock().expect("test mutex").push(payload)
        })
    }

    /// Waits (bounded) until `count` batches went out; returns them.
    async fn batches_after(batches: &Batches, count: usize) -> Vec<ChangedPayload> {
        for _ in 0..500 {
            let seen = batches.lock().expect("test mutex").clone();
            if seen.len() >= count {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        batches.lock().expect("test mutex").clone()
    }

    #[tokio::test]
    async fn a_burst_of_reports_becomes_one_event_with_each_topic_once() {
        let (batches, sink) = collecting();
        let reporter = start_batcher(BATCH_WINDOW, sink);
        // All queued before the batching task runs: they must land in one batch.
        for _ in 0..1000 {
            reporter.report(&[Topic::Cases, Topic::Sync]);
        }
        reporter.report(&[Topic::Exceptions]);
        let first = batches_after(&batches, 1).await;
        tokio::time::sleep(BATCH_WINDOW * 3).await;
        let all = batches.lock().expect("test mutex").clone();
        assert_eq!(first.len(), 1);
        assert_eq!(
            all,
            vec![ChangedPayload {
                topics: vec![Topic::Cases, Topic::Exceptions, Topic::Sync]
            }]
        );
    }

    #[tokio::test]
    async fn a_report_after_an_event_went_out_makes_a_second_event() {
        let (batches, sink) = collecting();
        let reporter = start_batcher(BATCH_WINDOW, sink);
        reporter.report(&[Topic::Cases]);
        assert_eq!(batches_after(&batches, 1).await.len(), 1);
        reporter.report(&[Topic::Outbox]);
        let topics: Vec<Vec<Topic>> = batches_after(&batches, 2)
            .await
            .iter()
            .map(|batch| batch.topics.clone())
            .collect();
        assert_eq!(topics, vec![vec![Topic::Cases], vec![Topic::Outbox]]);
    }

    #[tokio::test]
    async fn nothing_reported_means_no_event() {
        let (batches, sink) = collecting();
        let _reporter = start_batcher(BATCH_WINDOW, sink);
        tokio::time::sleep(BATCH_WINDOW * 3).await;
        assert!(batches.lock().expect("test mutex").is_empty());
    }
}
