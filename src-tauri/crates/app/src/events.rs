//! Batches "something changed" reports from the services into one `pd://changed` event every
//! ~100 ms, so a sync that touches thousands of rows makes the UI refetch once, not thousands of times.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;

/// The event name the UI listens to.
pub const CHANGED_EVENT: &str = "pd://changed";

/// How long reports are collected before one event goes out.
pub const BATCH_WINDOW: Duration = Duration::from_millis(100);

/// The topics the UI knows how to refresh.
pub const TOPICS: &[&str] = &["cases", "exceptions", "partners", "sync", "outbox"];

/// Payload of `pd://changed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedPayload {
    /// Changed topics, sorted, each once.
    pub topics: Vec<String>,
}

/// Where services report changed topics; cheap to clone.
#[derive(Debug, Clone)]
pub struct ChangeReporter {
    sender: mpsc::UnboundedSender<String>,
}

impl ChangeReporter {
    /// Records that these topics changed; they go out with the next batch.
    pub fn report(&self, topics: &[&str]) {
        for topic in topics {
            // A closed channel means the app is shutting down: nobody is left to tell.
            let _ = self.sender.send((*topic).to_owned());
        }
    }
}

/// Starts the batching task on the current Tokio runtime; `emit` receives each coalesced batch.
pub fn start_batcher<F>(window: Duration, emit: F) -> ChangeReporter
where
    F: Fn(ChangedPayload) + Send + 'static,
{
    let (sender, mut receiver) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        while let Some(first) = receiver.recv().await {
            let mut topics = BTreeSet::from([first]);
            let deadline = tokio::time::Instant::now() + window;
            while let Ok(Some(topic)) = tokio::time::timeout_at(deadline, receiver.recv()).await {
                topics.insert(topic);
            }
            emit(ChangedPayload {
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

    fn collecting() -> (Batches, impl Fn(ChangedPayload) + Send) {
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
            reporter.report(&["cases", "sync"]);
        }
        reporter.report(&["exceptions"]);
        let first = batches_after(&batches, 1).await;
        tokio::time::sleep(BATCH_WINDOW * 3).await;
        let all = batches.lock().expect("test mutex").clone();
        assert_eq!(first.len(), 1);
        assert_eq!(
            all,
            vec![ChangedPayload {
                topics: vec!["cases".into(), "exceptions".into(), "sync".into()]
            }]
        );
    }

    #[tokio::test]
    async fn a_report_after_an_event_went_out_makes_a_second_event() {
        let (batches, sink) = collecting();
        let reporter = start_batcher(BATCH_WINDOW, sink);
        reporter.report(&["cases"]);
        assert_eq!(batches_after(&batches, 1).await.len(), 1);
        reporter.report(&["outbox"]);
        let topics: Vec<Vec<String>> = batches_after(&batches, 2)
            .await
            .iter()
            .map(|batch| batch.topics.clone())
            .collect();
        assert_eq!(
            topics,
            vec![vec!["cases".to_owned()], vec!["outbox".to_owned()]]
        );
    }

    #[tokio::test]
    async fn nothing_reported_means_no_event() {
        let (batches, sink) = collecting();
        let _reporter = start_batcher(BATCH_WINDOW, sink);
        tokio::time::sleep(BATCH_WINDOW * 3).await;
        assert!(batches.lock().expect("test mutex").is_empty());
    }
}
