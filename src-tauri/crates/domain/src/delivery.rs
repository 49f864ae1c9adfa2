//! Delivering a case's document to a partner's SFTP inbox (issue 11, point 6): the inboxes an
//! analyst may choose, and each delivery as the case's documents panel shows it. The queue and
//! its worker live in `pd-store` (`deliveries.rs`), `pd-transfer` (`deliver.rs`) and `pd-app`
//! (`deliveries.rs`).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{ErrorInfo, Timestamp};

/// An SFTP connector with a partner inbox set in its connector work: where "Send to partner…"
/// can send a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryTarget {
    /// The SFTP connector.
    pub connector_id: String,
    /// Its name in Settings.
    pub name: String,
    /// The remote folder documents are written into (e.g. `/inbound`).
    pub inbox: String,
    /// `user@host` as the analyst recognises the server.
    pub server: String,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub enum DeliveryState {
    /// Waiting for its turn, being written, or waiting to try again (a restart goes on).
    Queued,
    /// Under its final name in the inbox and recorded on the case.
    Sent,
    /// Stopped by an error the analyst has to look at (retry queues it again).
    Failed,
    /// Cancelled by the analyst (its temporary file removed from the server).
    Cancelled,
}

impl DeliveryState {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Queued => "queued",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
            DeliveryState::Cancelled => "cancelled",
        }
    }

    /// Reads the stored spelling.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "queued" => DeliveryState::Queued,
            "sent" => DeliveryState::Sent,
            "failed" => DeliveryState::Failed,
            "cancelled" => DeliveryState::Cancelled,
            _ => return None,
        })
    }
}

/// One delivery of a document to a partner inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    /// Its id: also its transfer id in the Transfers view.
    pub id: String,
    /// The case.
    pub case_id: String,
    /// The document sent.
    pub document_id: String,
    /// The document's name.
    pub document_name: String,
    /// The SFTP connector.
    pub connector_id: String,
    /// The connector's name when it was queued.
    pub connector_name: String,
    /// The inbox folder.
    pub inbox: String,
    /// The name it has (or will have) in the inbox: the document's, or `name (2).ext` when the
    /// partner already has a file of that name. `None` until the first attempt chose it.
    pub remote_name: Option<String>,
    /// Where it stands.
    pub state: DeliveryState,
    /// Why it failed, or why it waits to try again.
    pub error: Option<ErrorInfo>,
    /// Bytes in all.
    #[ts(type = "number")]
    pub size: u64,
    /// When it was queued.
    pub queued_at: Timestamp,
    /// When it was renamed to its final name in the inbox.
    pub sent_at: Option<Timestamp>,
}

impl DeliveryView {
    /// `<inbox>/<name>` as the analyst reads it (the document's name before one was chosen).
    pub fn remote_path(&self) -> String {
        let name = self.remote_name.as_deref().unwrap_or(&self.document_name);
        if self.inbox.ends_with('/') {
            format!("{}{name}", self.inbox)
        } else {
            format!("{}/{name}", self.inbox)
        }
    }
}
