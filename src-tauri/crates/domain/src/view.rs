//! What the UI asks for and gets back over IPC. Defined here (not in the shell) so the store can
//! answer with them directly and the TypeScript bindings come from one place.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{
    Case, CaseKind, CaseStatus, Comment, DocumentView, Partner, Priority, SlaState, Timestamp,
    Transaction,
};

/// Columns the case list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CaseSortField {
    /// `CASE-2026-000123`.
    Reference,
    /// Summary, case-insensitive.
    Title,
    /// Partner name.
    Partner,
    /// Kind.
    Kind,
    /// Lifecycle order.
    Status,
    /// Urgent first when descending.
    Priority,
    /// Owner login id; unassigned last.
    Owner,
    /// SLA urgency: breached, at risk, on track, then the next due instant; cases without an
    /// SLA last (the clocks computed from the desktop's SLA policy when it is on).
    SlaDue,
    /// Last change (the default, newest first).
    #[default]
    Updated,
}

impl CaseSortField {
    /// Every column the list sorts by, in the list's column order.
    pub const ALL: [CaseSortField; 9] = [
        CaseSortField::Reference,
        CaseSortField::Title,
        CaseSortField::Partner,
        CaseSortField::Kind,
        CaseSortField::Status,
        CaseSortField::Priority,
        CaseSortField::Owner,
        CaseSortField::SlaDue,
        CaseSortField::Updated,
    ];
}

/// A case-list request: filters combine with AND, values within one filter with OR.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct CaseQuery {
    /// Full-text search over titles, comment bodies, partner names and reference numbers.
    pub search: Option<String>,
    /// Only these statuses (empty: all).
    pub statuses: Vec<CaseStatus>,
    /// Only these partners' company ids (empty: all).
    pub partner_ids: Vec<String>,
    /// Only these kinds (empty: all).
    pub kinds: Vec<CaseKind>,
    /// Only these owners' login ids; the empty string means "unassigned" (empty list: all).
    pub owners: Vec<String>,
    /// Only cases past their SLA (and not resolved or closed).
    pub sla_breached: bool,
    /// Only cases at risk of missing their SLA (with `sla_breached`: either).
    pub sla_at_risk: bool,
    /// Sort column.
    pub sort: CaseSortField,
    /// Descending order.
    pub descending: bool,
    /// First row (for windowed lists).
    pub offset: u32,
    /// Row count; 0 means the default (200).
    pub limit: u32,
}

/// One row of the case list: only what the columns show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CaseRow {
    /// Case id.
    pub id: String,
    /// Human reference.
    pub reference: String,
    /// Summary.
    pub title: String,
    /// Partner company id.
    pub partner_id: String,
    /// Partner name.
    pub partner_name: String,
    /// Kind.
    pub kind: CaseKind,
    /// Status.
    pub status: CaseStatus,
    /// Priority.
    pub priority: Priority,
    /// Owner login id.
    pub owner: Option<String>,
    /// Owner display name, when the owner is a known colleague.
    pub owner_name: Option<String>,
    /// When the SLA runs out: the next due instant of the clocks computed here (none while
    /// paused), or the server's due date when the SLA policy is off.
    pub sla_due: Option<Timestamp>,
    /// SLA mark at query time.
    pub sla_state: SlaState,
    /// The SLA clock is stopped (waiting on partner).
    #[serde(default)]
    pub sla_paused: bool,
    /// Last change.
    pub updated_at: Timestamp,
    /// Local changes not yet accepted by the server.
    pub pending_changes: u32,
    /// Local changes the server refused.
    pub failed_changes: u32,
    /// The case exists only here so far (created offline or a draft).
    pub local_only: bool,
    /// Kept on this computer only: opened in an account without a case server, never sent
    /// until the analyst shares it (its changes are not counted as pending).
    pub this_computer_only: bool,
}

/// A window of the case list plus the total it was cut from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CaseListPage {
    /// The rows from `offset`.
    pub rows: Vec<CaseRow>,
    /// How many cases match the query in all.
    pub total: u32,
    /// Echo of the request's offset.
    pub offset: u32,
}

/// How many cases match the query's other filters, per status (the tabs above the list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StatusCount {
    /// Status.
    pub status: CaseStatus,
    /// Count.
    pub count: u32,
}

/// Whether a change shown in the UI has reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SendState {
    /// Accepted by the server.
    Sent,
    /// Waiting in the outbox.
    Pending,
    /// Refused by the server; see the outbox for the reason.
    Failed,
}

/// A comment as the thread shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CommentView {
    /// The comment.
    #[serde(flatten)]
    pub comment: Comment,
    /// Sent, pending or failed.
    pub send_state: SendState,
}

/// One line of a case's activity timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ActivityEntry {
    /// When.
    pub at: Timestamp,
    /// Who, when known.
    pub actor: Option<String>,
    /// What happened, in words ("Status changed to Waiting on partner").
    pub summary: String,
}

/// Everything the case page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CaseDetail {
    /// Header fields.
    pub case: Case,
    /// Owner display name.
    pub owner_name: Option<String>,
    /// SLA mark now.
    pub sla_state: SlaState,
    /// The SLA's clocks and timeline now (computed on this computer).
    #[serde(default)]
    pub sla: crate::SlaView,
    /// Thread, oldest first.
    pub comments: Vec<CommentView>,
    /// Documents, those still on their way included (oldest first).
    pub documents: Vec<DocumentView>,
    /// Linked transactions found in the cache (ids not cached are in `case.linkedTransactions`).
    pub linked_transactions: Vec<Transaction>,
    /// Created, comments, documents and local changes, newest first.
    pub activity: Vec<ActivityEntry>,
    /// The case exists only here so far.
    pub local_only: bool,
    /// Kept on this computer only (no case server); shared only when the analyst shares it.
    pub this_computer_only: bool,
    /// Local changes that lost to newer server values.
    #[serde(default)]
    pub conflicts: Vec<crate::ConflictView>,
}

/// Exceptions-inbox request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct ExceptionQuery {
    /// Free text over partner names, error messages and PO / invoice / shipment numbers.
    pub search: Option<String>,
    /// Only transactions sent by or to this partner company id.
    pub partner_id: Option<String>,
    /// Only these EDI document types ("850", "INVOIC", ...).
    pub edi_types: Vec<String>,
    /// Only this error code.
    pub error_code: Option<String>,
    /// First row.
    pub offset: u32,
    /// Row count; 0 means the default (200).
    pub limit: u32,
}

/// One failed or undelivered transaction in the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionRow {
    /// The transaction.
    pub transaction: Transaction,
    /// The partner involved (sender or receiver that is not us), when known.
    pub partner_id: Option<String>,
    /// Its name.
    pub partner_name: Option<String>,
    /// PO number content key.
    pub po_number: Option<String>,
    /// Invoice number content key.
    pub invoice_number: Option<String>,
    /// Shipment identification content key.
    pub shipment_number: Option<String>,
    /// Cases this transaction is already linked to.
    pub case_ids: Vec<String>,
}

/// A window of the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionPage {
    /// Rows from `offset`.
    pub rows: Vec<ExceptionRow>,
    /// Matching total.
    pub total: u32,
    /// Echo.
    pub offset: u32,
}

/// Filter choices for the inbox: which document types and error codes exist in the cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionFacets {
    /// Distinct EDI types among exceptions.
    pub edi_types: Vec<String>,
    /// Distinct error codes among exceptions.
    pub error_codes: Vec<String>,
}

/// A partner in the directory list with its workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PartnerRow {
    /// The partner.
    pub partner: Partner,
    /// Cases not resolved or closed.
    pub open_cases: u32,
    /// Exceptions in the inbox.
    pub exceptions: u32,
}

/// Where the sync stands, for the status bar and the offline banner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Connectivity {
    /// The last contact with the server worked.
    Online,
    /// The server could not be reached; the cache is serving.
    Offline,
    /// Not yet tried.
    Unknown,
}

/// Sync state shown in the status bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    /// The workspace's display name ("Demo workspace", or the account name).
    pub workspace_name: String,
    /// True when the app is on the built-in sandbox.
    pub is_demo: bool,
    /// A sync is running now.
    pub syncing: bool,
    /// Reachability of the server.
    pub connectivity: Connectivity,
    /// When the last sync completed.
    pub last_synced_at: Option<Timestamp>,
    /// The last sync's error, in words for an analyst.
    pub last_error: Option<ErrorInfo>,
    /// Outbox entries waiting.
    pub pending_changes: u32,
    /// Outbox entries refused.
    pub failed_changes: u32,
    /// When the oldest waiting change was made.
    #[serde(default)]
    pub oldest_pending_at: Option<Timestamp>,
    /// The OS keychain could not be reached (secrets cannot be read or saved).
    #[serde(default)]
    pub keychain_unavailable: bool,
}

/// The `{code, message}` every command error becomes at the IPC boundary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ErrorInfo {
    /// Stable code: `net.offline`, `auth.unauthorized`, `keychain.unavailable`, ...
    pub code: crate::ErrorCode,
    /// What happened and what to do, for an analyst.
    pub message: String,
}
