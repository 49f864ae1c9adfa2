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
            loop {
                match tokio::time::timeout_at(deadline, receiver.recv()).await {
                    Ok(Some(topic)) => {
                        topics.insert(topic);
                    }
                    Ok(None) | Err(_) => break,
                }
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

    fn collecting() -> (
        Arc<Mutex<Vec<ChangedPayload>>>,
        impl Fn(ChangedPayload) + Send,
    ) {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let sink = batches.clone();
        (batches, move |payload| {
            sink.lock().expect("test mutex").push(payload)
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_reports_becomes_one_event_with_each_topic_once() {
        let (batches, sink) = collecting();
        let reporter = start_batcher(BATCH_WINDOW, sink);
        for _ in 0..1000 {
            reporter.report(&["cases", "sync"]);
        }
        reporter.report(&["exceptions"]);
        tokio::time::sleep(Duration::from_millis(150)).await;
        let batches = batches.lock().expect("test mutex").clone();
        assert_eq!(
            batches,
            vec![ChangedPayload {
                topics: vec!["cases".into(), "exceptions".into(), "sync".into()]
            }]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn reports_after_the_window_go_out_in_a_second_event() {
        let (batches, sink) = collecting();
        let reporter = start_batcher(BATCH_WINDOW, sink);
        reporter.report(&["cases"]);
        tokio::time::sleep(Duration::from_millis(250)).await;
        reporter.report(&["outbox"]);
        tokio::time::sleep(Duration::from_millis(250)).await;
        let topics: Vec<Vec<String>> = batches
            .lock()
            .expect("test mutex")
            .iter()
            .map(|batch| batch.topics.clone())
            .collect();
        assert_eq!(
            topics,
            vec![vec!["cases".to_owned()], vec!["outbox".to_owned()]]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_reported_means_no_event() {
        let (batches, sink) = collecting();
        let _reporter = start_batcher(BATCH_WINDOW, sink);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(batches.lock().expect("test mutex").is_empty());
    }
}
