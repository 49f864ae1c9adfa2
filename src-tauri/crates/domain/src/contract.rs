//! The typed vocabulary of the app's IPC beyond its data: the topics of the `pd://changed` event
//! (what the UI refreshes) and the state of the background jobs, each one enum exported to
//! TypeScript so neither side ever matches on a string it wrote by hand.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Timestamp;

/// What changed, as the `pd://changed` event names it; the UI maps each to the queries it
/// refreshes (an exhaustive map, so a new topic fails the UI's type check until it is handled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub enum Topic {
    /// Cases: the list, counts, details.
    Cases,
    /// The exceptions inbox.
    Exceptions,
    /// The partner directory and colleagues.
    Partners,
    /// The sync status (last synced, offline, errors).
    Sync,
    /// The outbox of local changes.
    Outbox,
    /// Accounts and connectors in Settings.
    Settings,
    /// The background jobs.
    Jobs,
    /// Retention exports and legal holds.
    Exports,
    /// Documents kept on this computer (downloaded, evicted).
    Documents,
    /// Drop folders: their states and the ingest ledger.
    Folders,
}

impl Topic {
    /// Every topic (a workspace switch makes all of them stale).
    pub const ALL: [Topic; 10] = [
        Topic::Cases,
        Topic::Exceptions,
        Topic::Partners,
        Topic::Sync,
        Topic::Outbox,
        Topic::Settings,
        Topic::Jobs,
        Topic::Exports,
        Topic::Documents,
        Topic::Folders,
    ];
}

/// Payload of `pd://changed`: the topics that changed in the last ~100 ms, sorted, each once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ChangedPayload {
    /// Changed topics.
    pub topics: Vec<Topic>,
}

/// What a background job is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub enum JobState {
    /// Working or waiting for its next turn.
    Running,
    /// It panicked; it starts again after a pause.
    Restarting,
    /// It ended (its workspace closed, or the app is stopping).
    Stopped,
}

/// One background job as Settings shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    /// What the job does, e.g. "Sync: Demo workspace".
    pub name: String,
    /// What it is doing now.
    pub state: JobState,
    /// How many times it was restarted after a panic.
    pub restarts: u32,
    /// The last panic's message, if it ever failed.
    pub last_failure: Option<String>,
    /// When it last (re)started.
    pub started_at: Timestamp,
}
