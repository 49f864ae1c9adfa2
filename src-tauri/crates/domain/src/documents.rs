//! What the window sees of documents on this computer (issue 10): files dropped on the window or
//! picked in a dialog (named by a drop id, their paths stay in Rust), the drag under the pointer,
//! downloads and uploads in the Transfers view, and the documents kept for offline use.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{ErrorInfo, Timestamp};

/// One file of a drop, as the window may see it: a name and a size, never its path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DroppedFile {
    /// The file's name, sanitized for display.
    pub name: String,
    /// Size in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// The folder it came from, relative to what was dropped ("" for a file dropped itself).
    pub folder: String,
}

/// Files dropped on the window (or picked), kept in Rust under `id` until attached or dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DropView {
    /// Names the drop in `attach_drop` / `discard_drop`.
    pub id: String,
    /// The files, folders expanded into theirs.
    pub files: Vec<DroppedFile>,
    /// Total size in bytes.
    #[ts(type = "number")]
    pub total_size: u64,
    /// How many folders were expanded.
    pub folders: u32,
    /// Set when a folder brought more files than the window attaches without asking.
    pub needs_confirmation: bool,
    /// What could not be read (a vanished or unreadable file), one sentence each.
    pub skipped: Vec<String>,
}

/// The phase of a native drag over the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub enum DragPhase {
    /// Files entered the window.
    Enter,
    /// The pointer moved.
    Over,
    /// The files were dropped (`drop` names them).
    Drop,
    /// The drag left the window or was cancelled.
    Leave,
}

/// Payload of the `pd://drag` event: where the pointer is (CSS pixels of the window) and, on a
/// drop, what was dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DragPayload {
    /// Which phase.
    pub phase: DragPhase,
    /// Pointer x in CSS pixels.
    pub x: f64,
    /// Pointer y in CSS pixels.
    pub y: f64,
    /// How many paths are dragged (0 when unknown).
    pub count: u32,
    /// On a drop: the drop, to attach where the pointer is.
    pub dropped: Option<DropView>,
    /// On a drop that could not be read at all: why.
    pub error: Option<ErrorInfo>,
}

/// Which way a transfer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub enum TransferDirection {
    /// From this computer to the case server or S3.
    Upload,
    /// From the case server or S3 to this computer.
    Download,
}

/// Where a transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub enum TransferState {
    /// Waiting for its turn.
    Queued,
    /// Bytes are moving.
    Running,
    /// Paused by the analyst.
    Paused,
    /// Finished.
    Done,
    /// Stopped by an error (`error` says which); it can be retried.
    Failed,
    /// Cancelled by the analyst.
    Cancelled,
}

/// One upload or download as the Transfers view shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TransferView {
    /// Names it in pause / resume / cancel / retry.
    pub id: String,
    /// Upload or download.
    pub direction: TransferDirection,
    /// The document's name.
    pub name: String,
    /// The case it belongs to.
    pub case_id: String,
    /// Where it stands.
    pub state: TransferState,
    /// Bytes moved so far.
    #[ts(type = "number")]
    pub done_bytes: u64,
    /// Bytes in all.
    #[ts(type = "number")]
    pub total_bytes: u64,
    /// Bytes per second over the last seconds (0 when not moving).
    pub bytes_per_second: f64,
    /// Seconds left at that speed, when known.
    pub seconds_left: Option<f64>,
    /// Why it failed.
    pub error: Option<ErrorInfo>,
    /// When it was queued.
    pub queued_at: Timestamp,
}

/// What the transfers channel sends: every transfer of this session, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TransfersUpdate {
    /// The transfers.
    pub transfers: Vec<TransferView>,
}

/// What the analyst asks of a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub enum TransferAction {
    /// Pause it (an upload keeps its confirmed parts).
    Pause,
    /// Go on after a pause.
    Resume,
    /// Stop it for good.
    Cancel,
    /// Try a failed one again.
    Retry,
}

/// A case package shared with the partner: the zip in S3 and its link, posted on the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CasePackage {
    /// The bucket it is in.
    pub bucket: String,
    /// Its object key.
    pub key: String,
    /// The presigned download link posted on the case.
    pub link: String,
    /// Size of the zip in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// Hex SHA-256 of the zip.
    pub sha256: String,
    /// The partner-visible comment carrying the link.
    pub comment_id: String,
    /// When the link stops working.
    pub expires_at: Timestamp,
}

/// A document kept on this computer: opened, or saved somewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentFile {
    /// The document.
    pub document_id: String,
    /// Where the file is, for the analyst to read ("Saved to ...").
    pub path: String,
}
