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

// ---- Attaching dropped files to a case (issue 10, `attach_drop`) ----

/// Where a drop's files go: a case that exists, or a new case made for them (created through
/// the outbox like any case the analyst types, then the files attached to it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub enum AttachTarget {
    /// An existing case.
    #[serde(rename_all = "camelCase")]
    Case {
        /// The case's id.
        case_id: String,
    },
    /// A new case with the files on it.
    #[serde(rename_all = "camelCase")]
    NewCase {
        /// Its title.
        title: String,
        /// The partner's company id (a case needs one; `null` is refused in words).
        partner_id: Option<String>,
    },
}

/// Which way an attached file's bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub enum UploadRoute {
    /// With its record to the case server's document endpoint (up to the size threshold).
    Collab,
    /// By resumable multipart upload to the S3 connector's bucket, then its record.
    S3,
}

/// What happened to one file of a drop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "outcome", rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub enum AttachOutcome {
    /// Queued: it shows in the Transfers view under `transfer_id` until the server has it.
    #[serde(rename_all = "camelCase")]
    Queued {
        /// Its entry in the Transfers view.
        transfer_id: String,
        /// The document's id on the case.
        document_id: String,
        /// Which way its bytes go.
        route: UploadRoute,
    },
    /// The same content (SHA-256) is already on the case: not uploaded again.
    #[serde(rename_all = "camelCase")]
    Duplicate {
        /// The document already there.
        existing_document_id: String,
        /// Its name.
        existing_name: String,
    },
    /// Not attached, with the reason in words (vanished, unreadable, empty, not a file, ...).
    #[serde(rename_all = "camelCase")]
    Refused {
        /// Why.
        error: ErrorInfo,
    },
}

/// One file of a drop and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttachedFile {
    /// Its name as stored on the case (sanitized).
    pub name: String,
    /// Size in bytes when it was read.
    #[ts(type = "number")]
    pub size: u64,
    /// The folder it came from, relative to what was dropped ("" for a file dropped itself).
    pub folder: String,
    /// What happened.
    pub result: AttachOutcome,
}

/// The answer of `attach_drop`: the case the files went to and each file's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttachReport {
    /// The case (a new target's new id).
    pub case_id: String,
    /// Each file, in drop order.
    pub files: Vec<AttachedFile>,
}

/// How attached files are uploaded (Settings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct UploadSettings {
    /// Files up to this size go to the case server with their record; larger ones to the S3
    /// connector's bucket by multipart upload (default 20 MiB, the `collab/v1` limit).
    #[ts(type = "number")]
    pub threshold_bytes: u64,
    /// The S3 connector large files go to (`null`: the first S3 connector).
    pub connector_id: Option<String>,
    /// How many large files upload at once (1 to 8).
    pub concurrency: u32,
    /// Size of each multipart part in bytes (5 MiB to 512 MiB; default 16 MiB).
    #[ts(type = "number")]
    pub part_size: u64,
}

/// Default [`UploadSettings::threshold_bytes`]: the `collab/v1` document limit.
pub const DEFAULT_UPLOAD_THRESHOLD: u64 = 20 * 1024 * 1024;
/// Default [`UploadSettings::part_size`].
pub const DEFAULT_PART_SIZE: u64 = 16 * 1024 * 1024;

impl Default for UploadSettings {
    fn default() -> Self {
        Self {
            threshold_bytes: DEFAULT_UPLOAD_THRESHOLD,
            connector_id: None,
            concurrency: 2,
            part_size: DEFAULT_PART_SIZE,
        }
    }
}

impl UploadSettings {
    /// Checks the values; the sentence says what to change.
    pub fn validate(&self) -> Result<(), String> {
        if self.threshold_bytes == 0 || self.threshold_bytes > DEFAULT_UPLOAD_THRESHOLD {
            return Err(format!(
                "The size limit for the case server must be between 1 byte and {} MiB (the case server takes no larger documents).",
                DEFAULT_UPLOAD_THRESHOLD / (1024 * 1024)
            ));
        }
        if !(1..=8).contains(&self.concurrency) {
            return Err("Between 1 and 8 large files can upload at once.".into());
        }
        if !(5 * 1024 * 1024..=512 * 1024 * 1024).contains(&self.part_size) {
            return Err("The part size must be between 5 MiB and 512 MiB.".into());
        }
        Ok(())
    }
}
