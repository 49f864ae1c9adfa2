//! The operations the outbox queues, typed: one variant per server call carrying its body. A
//! queued change is stored as this enum's JSON and decoded once when its row is read, so every
//! layer (store, push, UI) matches on variants instead of kind strings.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{CasePatch, NewCase, NewComment, NewDocument, TransactionLink};

/// One queued local change. Stored (and sent to the UI) as its body with an `op` tag, e.g.
/// `{"op":"patch_case","status":"resolved"}`. The tags are the outbox kinds earlier builds
/// wrote in their `kind` column, so migration 5 turns an old row into this shape without a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum OutboxOp {
    /// Create a case (`POST .../cases`).
    CreateCase(NewCase),
    /// Add a comment (`POST .../cases/{id}/comments`).
    AddComment(NewComment),
    /// Change fields (`PATCH .../cases/{id}`).
    PatchCase(CasePatch),
    /// Link a Lens transaction (`POST .../cases/{id}/transactions`).
    LinkTransaction(TransactionLink),
    /// Unlink a Lens transaction (`DELETE .../cases/{id}/transactions/{txId}`).
    UnlinkTransaction(TransactionLink),
    /// A write to an outside system (xConnector, Wix, Drupal), sent by the connector push;
    /// the case push never claims it (see `pd-bridge`).
    Connector(crate::ConnectorWrite),
    /// Record a document whose bytes are ready (`POST .../documents` with a spooled copy, or
    /// `POST .../document-links` for an object already in S3). Queued only once the bytes are
    /// confirmed, so the record is created exactly once.
    AttachDocument(NewDocument),
}

impl OutboxOp {
    /// The operation's tag as stored (`patch_case`, ...); names a lost non-field change in a
    /// conflict.
    pub fn name(&self) -> &'static str {
        match self {
            OutboxOp::CreateCase(_) => "create_case",
            OutboxOp::AddComment(_) => "add_comment",
            OutboxOp::PatchCase(_) => "patch_case",
            OutboxOp::LinkTransaction(_) => "link_transaction",
            OutboxOp::UnlinkTransaction(_) => "unlink_transaction",
            OutboxOp::Connector(_) => "connector",
            OutboxOp::AttachDocument(_) => "attach_document",
        }
    }

    /// The body alone as JSON (what is sent), e.g. to keep a lost change in a conflict.
    pub fn body_json(&self) -> String {
        let body = match self {
            OutboxOp::CreateCase(b) => serde_json::to_string(b),
            OutboxOp::AddComment(b) => serde_json::to_string(b),
            OutboxOp::PatchCase(b) => serde_json::to_string(b),
            OutboxOp::LinkTransaction(b) | OutboxOp::UnlinkTransaction(b) => {
                serde_json::to_string(b)
            }
            OutboxOp::Connector(b) => serde_json::to_string(b),
            OutboxOp::AttachDocument(b) => serde_json::to_string(b),
        };
        body.unwrap_or_default()
    }

    /// Reads a stored operation. An unknown tag or a body that does not fit its operation is an
    /// [`UnreadableOp`] naming what is wrong, for the analyst.
    pub fn decode(json: &str) -> Result<OutboxOp, UnreadableOp> {
        serde_json::from_str(json).map_err(|e| UnreadableOp {
            detail: e.to_string(),
        })
    }

    /// The stored form.
    pub fn encode(&self) -> String {
        // A derived Serialize over strings, numbers and timestamps cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A stored outbox operation that could not be read (unknown operation or a body that does not
/// fit it). Such an entry is never sent: it is marked failed with [`UnreadableOp::reason`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableOp {
    /// What the decoder said.
    pub detail: String,
}

impl UnreadableOp {
    /// The reason shown to the analyst.
    pub fn reason(&self) -> String {
        format!(
            "This queued change could not be read ({}); it was not sent. Discard it and make it again.",
            self.detail
        )
    }
}

impl std::fmt::Display for UnreadableOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CaseStatus, Visibility};

    #[test]
    fn an_operation_round_trips_with_its_tag_beside_the_body() {
        let ops = [
            OutboxOp::PatchCase(CasePatch {
                status: Some(CaseStatus::Resolved),
                owner: Some(None),
                ..Default::default()
            }),
            OutboxOp::AddComment(NewComment {
                id: "c1".into(),
                author: "Ann".into(),
                body: "Please resend".into(),
                visibility: Visibility::Partner,
            }),
            OutboxOp::LinkTransaction(TransactionLink {
                transaction_id: "TX-1".into(),
            }),
            OutboxOp::UnlinkTransaction(TransactionLink {
                transaction_id: "TX-1".into(),
            }),
            OutboxOp::AttachDocument(crate::NewDocument {
                id: "d1".into(),
                name: "invoice.pdf".into(),
                size: 12,
                sha256: "ab".repeat(32),
                media_type: "application/pdf".into(),
                uploaded_by: "Ann".into(),
                source: crate::DocumentSource::S3 {
                    bucket: "docs".into(),
                    key: "cases/c1/d1".into(),
                },
            }),
        ];
        for op in ops {
            let json = op.encode();
            let value: serde_json::Value = serde_json::from_str(&json).expect("json");
            assert_eq!(value["op"], serde_json::json!(op.name()), "{json}");
            assert_eq!(OutboxOp::decode(&json), Ok(op));
        }
        let patch = OutboxOp::decode(r#"{"owner":null,"op":"patch_case"}"#).expect("patch");
        assert_eq!(
            patch,
            OutboxOp::PatchCase(CasePatch {
                owner: Some(None),
                ..Default::default()
            }),
            "null still means 'clear', absent still means 'unchanged'"
        );
    }

    #[test]
    fn an_unknown_operation_or_a_body_that_does_not_fit_is_unreadable() {
        let unknown = OutboxOp::decode(r#"{"op":"frobnicate","x":1}"#).expect_err("unknown");
        assert!(
            unknown.reason().contains("frobnicate"),
            "{}",
            unknown.reason()
        );
        let missing = OutboxOp::decode(r#"{"op":"add_comment","id":"c1"}"#).expect_err("body");
        assert!(missing.reason().contains("could not be read"));
        assert!(OutboxOp::decode("not json").is_err());
    }
}
