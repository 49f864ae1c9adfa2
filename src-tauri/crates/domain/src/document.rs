//! Documents an analyst attaches to a case: what the outbox sends once the bytes are safe
//! ([`NewDocument`], queued as `OutboxOp::AttachDocument`), where those bytes come from
//! ([`DocumentSource`]), and how the case page shows a document that is not on the server yet
//! ([`DocumentView`]). One definition for the store, the push, the transfer queue and the UI.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Document, SendState};

/// Where the bytes of a document being attached are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DocumentSource {
    /// A copy kept in the cache's spool folder (`<cache file>.spool/<file>`), sent with the
    /// record to `collab/v1` `POST .../documents` (files up to the collab document limit).
    Spooled {
        /// File name inside the spool folder (no directories).
        file: String,
    },
    /// An object the transfer queue already uploaded to the S3 connector's bucket; only the
    /// record is sent (`collab/v1` `POST .../document-links`).
    S3 {
        /// Bucket name.
        bucket: String,
        /// Object key.
        key: String,
    },
}

/// A document to attach to a case, chosen and checked here: the id is made locally so the
/// case shows it at once and the server's record keeps that id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewDocument {
    /// Client-chosen id (a UUID).
    pub id: String,
    /// Sanitized display name.
    pub name: String,
    /// Size in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// Hex SHA-256 (lower case) of the content.
    pub sha256: String,
    /// Media type, e.g. `application/pdf`.
    pub media_type: String,
    /// Who attached it (display name).
    pub uploaded_by: String,
    /// Where the bytes are.
    pub source: DocumentSource,
}

/// The body of `collab/v1` `POST .../cases/{caseId}/document-links`: a document whose bytes are
/// an object in the team's S3 bucket (uploaded by the app, fetched through presigned links).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewDocumentLink {
    /// Client-chosen id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Size in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// Hex SHA-256 of the object's bytes.
    pub sha256: String,
    /// Media type.
    pub media_type: String,
    /// Uploader display name (a server that knows its callers uses its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uploaded_by: Option<String>,
    /// Bucket name.
    pub bucket: String,
    /// Object key.
    pub key: String,
}

/// A document as the case page shows it: on the server, or still on its way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentView {
    /// The document (a local one carries the location its bytes will have).
    #[serde(flatten)]
    pub document: Document,
    /// Sent (on the server), pending (queued or uploading) or failed (refused; see the outbox).
    pub send_state: SendState,
}
