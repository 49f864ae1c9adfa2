//! A case is the unit of work an analyst shares with a partner: a thread, evidence documents,
//! linked transactions, a status, an owner and an SLA.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Timestamp;

/// What the case is about; drives default SLA and which references matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    /// Short, late, damaged or missing shipments; ASN mismatches.
    Shipment,
    /// Invoice mismatches, pricing disputes, rejected 810s.
    Invoice,
    /// Purchase order problems: rejected 850s, acknowledgements missing.
    Order,
    /// Label, packaging or EDI compliance violations (chargebacks).
    Compliance,
    /// Bringing a new partner or a new document type live.
    Onboarding,
    /// Anything else.
    Other,
}

/// Where the case stands. The order is the case's natural lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Opened, nobody has looked yet.
    New,
    /// Being worked.
    Open,
    /// The ball is in the partner's court.
    WaitingOnPartner,
    /// The partner answered; the ball is in ours.
    WaitingOnUs,
    /// Fixed, awaiting confirmation.
    Resolved,
    /// Done; reopenable.
    Closed,
}

impl CaseStatus {
    /// Every status, in lifecycle order (for counts per status and filters).
    pub const ALL: [CaseStatus; 6] = [
        CaseStatus::New,
        CaseStatus::Open,
        CaseStatus::WaitingOnPartner,
        CaseStatus::WaitingOnUs,
        CaseStatus::Resolved,
        CaseStatus::Closed,
    ];

    /// The wire and database spelling (`waiting_on_partner`).
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::New => "new",
            CaseStatus::Open => "open",
            CaseStatus::WaitingOnPartner => "waiting_on_partner",
            CaseStatus::WaitingOnUs => "waiting_on_us",
            CaseStatus::Resolved => "resolved",
            CaseStatus::Closed => "closed",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Resolved and closed cases no longer run against their SLA.
    pub fn is_terminal(self) -> bool {
        matches!(self, CaseStatus::Resolved | CaseStatus::Closed)
    }
}

impl CaseKind {
    /// Every kind.
    pub const ALL: [CaseKind; 6] = [
        CaseKind::Shipment,
        CaseKind::Invoice,
        CaseKind::Order,
        CaseKind::Compliance,
        CaseKind::Onboarding,
        CaseKind::Other,
    ];

    /// The wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::Shipment => "shipment",
            CaseKind::Invoice => "invoice",
            CaseKind::Order => "order",
            CaseKind::Compliance => "compliance",
            CaseKind::Onboarding => "onboarding",
            CaseKind::Other => "other",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// How urgent the case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Can wait.
    Low,
    /// The default.
    Normal,
    /// Money or a shipment at stake.
    High,
    /// A production line or a store shelf at stake.
    Urgent,
}

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];

    /// The wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Business references that tie a case to documents in the partner's and our systems.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CaseReferences {
    /// Purchase order numbers.
    #[serde(default)]
    pub po_numbers: Vec<String>,
    /// Invoice numbers.
    #[serde(default)]
    pub invoice_numbers: Vec<String>,
    /// Shipment identifications (ASN / BOL numbers).
    #[serde(default)]
    pub shipment_numbers: Vec<String>,
}

impl CaseReferences {
    /// Every reference number, for search.
    pub fn all(&self) -> impl Iterator<Item = &str> {
        self.po_numbers
            .iter()
            .chain(&self.invoice_numbers)
            .chain(&self.shipment_numbers)
            .map(String::as_str)
    }
}

/// A case as the server holds it and the cache mirrors it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Case {
    /// Server-assigned stable id.
    pub id: String,
    /// Human reference shown everywhere, e.g. `CASE-2026-000123`.
    pub reference: String,
    /// One-line summary.
    pub title: String,
    /// The partner's company id.
    pub partner_id: String,
    /// The partner's name at the time of the last change (denormalized for lists).
    pub partner_name: String,
    /// What it is about.
    pub kind: CaseKind,
    /// Where it stands.
    pub status: CaseStatus,
    /// How urgent.
    pub priority: Priority,
    /// Login id of the colleague who owns it; none while unassigned.
    pub owner: Option<String>,
    /// When the SLA runs out.
    pub sla_due: Option<Timestamp>,
    /// Opened at.
    pub created_at: Timestamp,
    /// Last change of any kind (field, comment, document).
    pub updated_at: Timestamp,
    /// Lens transaction ids linked to the case.
    #[serde(default)]
    pub linked_transactions: Vec<String>,
    /// PO, invoice and shipment numbers.
    #[serde(default)]
    pub references: CaseReferences,
    /// Server revision of the case row; bumps on every change.
    #[ts(type = "number")]
    pub version: i64,
}

/// How close a case is to missing its SLA, as the list marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    /// No SLA, or the case is resolved or closed.
    None,
    /// More than a day left.
    OnTrack,
    /// Less than 24 hours left.
    AtRisk,
    /// Past due.
    Breached,
}

impl SlaState {
    /// How urgent the mark is: breached 3, at risk 2, on track 1, none 0.
    pub fn urgency(self) -> u8 {
        match self {
            SlaState::Breached => 3,
            SlaState::AtRisk => 2,
            SlaState::OnTrack => 1,
            SlaState::None => 0,
        }
    }
}

/// The order "most urgent SLA first" sorts by, ascending: the worse mark first, then the next
/// due instant (none last). The case list's SLA sort and the Mine view both use it.
pub fn sla_urgency_key(
    state: SlaState,
    due: Option<Timestamp>,
) -> (std::cmp::Reverse<u8>, bool, Option<Timestamp>) {
    (std::cmp::Reverse(state.urgency()), due.is_none(), due)
}

impl Case {
    /// The SLA state at `now`.
    pub fn sla_state(&self, now: Timestamp) -> SlaState {
        match self.sla_due {
            _ if self.status.is_terminal() => SlaState::None,
            None => SlaState::None,
            Some(due) if due <= now => SlaState::Breached,
            Some(due) if due - now < chrono::Duration::hours(24) => SlaState::AtRisk,
            Some(_) => SlaState::OnTrack,
        }
    }
}

/// Who can see a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Shared with the trading partner.
    Partner,
    /// Only our own colleagues see it.
    Internal,
}

impl Visibility {
    /// The wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Partner => "partner",
            Visibility::Internal => "internal",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "partner" => Some(Visibility::Partner),
            "internal" => Some(Visibility::Internal),
            _ => None,
        }
    }
}

/// One entry in a case's thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    /// Server-assigned id.
    pub id: String,
    /// The case it belongs to.
    pub case_id: String,
    /// Display name of the author (a colleague or someone at the partner).
    pub author: String,
    /// Whether the author works for the partner rather than for us.
    pub author_is_partner: bool,
    /// Plain text body.
    pub body: String,
    /// Partner-visible or internal note.
    pub visibility: Visibility,
    /// Posted at.
    pub created_at: Timestamp,
}

/// Where a document's bytes are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DocumentLocation {
    /// Served by the collaboration API (`GET .../documents/{id}/content`).
    Collab,
    /// In an S3 bucket (large files, case packages).
    S3 {
        /// Bucket name.
        bucket: String,
        /// Object key.
        key: String,
    },
}

/// Evidence attached to a case. Metadata only: bytes are fetched on demand by path or URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    /// Server-assigned id.
    pub id: String,
    /// The case it belongs to.
    pub case_id: String,
    /// File name as uploaded (sanitized).
    pub name: String,
    /// Size in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// Media type, e.g. `application/pdf`, `application/edi-x12`.
    pub media_type: String,
    /// Where the bytes live.
    pub location: DocumentLocation,
    /// Who attached it.
    pub uploaded_by: String,
    /// When.
    pub uploaded_at: Timestamp,
}
