//! Request and response bodies of `collab/v1`, the collaboration contract PartnerDesk defines
//! (OpenText publishes no API for cases). `src-tauri/crates/tradinggrid/collab-v1.openapi.yaml` is the normative text;
//! the client and the sandbox both use these types.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{
    Case, CaseKind, CaseReferences, CaseStatus, Comment, Document, Priority, Timestamp, Visibility,
};

/// A case with its whole thread, as the change feed and `GET /cases/{id}` return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CaseBundle {
    /// The case fields.
    pub case: Case,
    /// The thread, oldest first.
    pub comments: Vec<Comment>,
    /// Document metadata.
    pub documents: Vec<Document>,
}

/// One page of the change feed `GET /collab/v1/companies/{companyId}/cases?since=&limit=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CasePage {
    /// Cases changed after `since`, in change order.
    pub cases: Vec<CaseBundle>,
    /// Pass as `since` to continue; persisted by the client after the page is stored.
    pub next_cursor: String,
    /// More changes are waiting beyond this page.
    pub has_more: bool,
}

/// `POST /collab/v1/companies/{companyId}/cases`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewCase {
    /// Client-chosen id (a UUID) so an offline-created case keeps its id once shared.
    pub id: String,
    /// Summary.
    pub title: String,
    /// The partner's company id.
    pub partner_id: String,
    /// The partner's name as the app's directory knows it: a case server without a partner
    /// directory of its own (`partnerdesk-server`) shows it; one with a directory (the sandbox)
    /// uses its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub partner_name: Option<String>,
    /// What it is about.
    pub kind: CaseKind,
    /// Defaults to normal.
    pub priority: Option<Priority>,
    /// Owner's login id.
    pub owner: Option<String>,
    /// SLA due.
    pub sla_due: Option<Timestamp>,
    /// Lens transaction ids to link.
    #[serde(default)]
    pub linked_transactions: Vec<String>,
    /// PO, invoice and shipment numbers.
    #[serde(default)]
    pub references: CaseReferences,
    /// An opening comment, if any.
    pub description: Option<String>,
}

/// `POST /collab/v1/companies/{companyId}/cases/{caseId}/comments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewComment {
    /// Client-chosen id (a UUID).
    pub id: String,
    /// Author display name.
    pub author: String,
    /// Text.
    pub body: String,
    /// Partner-visible or internal.
    pub visibility: Visibility,
}

/// `PATCH /collab/v1/companies/{companyId}/cases/{caseId}`: only the fields present change.
/// `owner` and `slaDue` distinguish "absent" (unchanged) from `null` (cleared).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CasePatch {
    /// New status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CaseStatus>,
    /// New priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// New owner; `Some(None)` unassigns.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "double_option"
    )]
    #[ts(optional, type = "string | null")]
    pub owner: Option<Option<String>>,
    /// New SLA due; `Some(None)` clears it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "double_option"
    )]
    #[ts(optional, type = "string | null")]
    pub sla_due: Option<Option<Timestamp>>,
    /// New title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// `POST /collab/v1/companies/{companyId}/cases/{caseId}/transactions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TransactionLink {
    /// Lens transaction id.
    pub transaction_id: String,
}

/// The error body every non-2xx `collab/v1` answer carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ApiErrorBody {
    /// Stable machine code, e.g. `validation`, `not_found`, `conflict`, `unauthorized`.
    pub code: String,
    /// Human explanation.
    pub message: String,
}

mod double_option {
    //! `Option<Option<T>>` so a PATCH can tell "leave as is" from "set to null".
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_tells_absent_from_null() {
        let absent: CasePatch = serde_json::from_str(r#"{"status":"open"}"#).expect("parse");
        assert_eq!(absent.owner, None);
        assert_eq!(absent.status, Some(CaseStatus::Open));
        let cleared: CasePatch = serde_json::from_str(r#"{"owner":null}"#).expect("parse");
        assert_eq!(cleared.owner, Some(None));
        let set: CasePatch = serde_json::from_str(r#"{"owner":"ann@acme.com"}"#).expect("parse");
        assert_eq!(set.owner, Some(Some("ann@acme.com".into())));
        assert_eq!(
            serde_json::to_string(&cleared).expect("ser"),
            r#"{"owner":null}"#
        );
        assert_eq!(
            serde_json::to_string(&absent).expect("ser"),
            r#"{"status":"open"}"#
        );
    }

    #[test]
    fn status_spellings_round_trip() {
        for s in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(s.as_str()), Some(s));
            let json = serde_json::to_string(&s).expect("ser");
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
    }
}
