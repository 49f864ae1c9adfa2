//! Retention exports (issue 15): the types the archive, the S3 client, the cache and the UI
//! share to say how a closed case is kept for audit — the Object Lock mode, the policy an
//! analyst sets, each export and its state, legal holds and the audit trail of a case.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{CaseKind, Timestamp};

/// S3 Object Lock mode of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LockMode {
    /// Users with a special permission may shorten or remove the retention.
    Governance,
    /// Nobody, not even the bucket's root account, may delete the object before the date.
    Compliance,
}

impl LockMode {
    /// The S3 header spelling (`GOVERNANCE`, `COMPLIANCE`).
    pub fn as_s3(self) -> &'static str {
        match self {
            LockMode::Governance => "GOVERNANCE",
            LockMode::Compliance => "COMPLIANCE",
        }
    }

    /// Parses the S3 spelling (any case).
    pub fn parse_s3(text: &str) -> Option<Self> {
        match text.trim().to_ascii_uppercase().as_str() {
            "GOVERNANCE" => Some(LockMode::Governance),
            "COMPLIANCE" => Some(LockMode::Compliance),
            _ => None,
        }
    }
}

/// How long exports of one case kind are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RetentionPeriod {
    /// The case kind.
    pub kind: CaseKind,
    /// Days from the export until the object may be deleted.
    pub days: u32,
}

/// The retention policy an analyst sets in Settings → Retention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct RetentionPolicy {
    /// The S3 connector whose bucket receives the exports; `None`: exports are off.
    pub connector_id: Option<String>,
    /// Governance or compliance.
    pub mode: LockMode,
    /// Days kept when the case kind has no period of its own.
    pub default_days: u32,
    /// Periods per case kind.
    pub periods: Vec<RetentionPeriod>,
    /// Export a case when it is closed.
    pub export_on_close: bool,
    /// Also export, on a schedule, cases closed more than this many days ago that have no
    /// export of their current version (`None`: no schedule).
    pub export_closed_after_days: Option<u32>,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            connector_id: None,
            mode: LockMode::Governance,
            default_days: 7 * 365,
            periods: Vec::new(),
            export_on_close: true,
            export_closed_after_days: None,
        }
    }
}

impl RetentionPolicy {
    /// The retention period of `kind`, in days.
    pub fn days_for(&self, kind: CaseKind) -> u32 {
        self.periods
            .iter()
            .find(|period| period.kind == kind)
            .map_or(self.default_days, |period| period.days)
    }
}

/// Where an export stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportState {
    /// Waiting for the export job.
    Queued,
    /// Being built or uploaded (resumes after a restart).
    Uploading,
    /// In the bucket, under retention.
    Done,
    /// Stopped with a reason (retried by "Export again").
    Failed,
}

impl ExportState {
    /// The cache's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportState::Queued => "queued",
            ExportState::Uploading => "uploading",
            ExportState::Done => "done",
            ExportState::Failed => "failed",
        }
    }

    /// Parses the cache's spelling.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Queued, Self::Uploading, Self::Done, Self::Failed]
            .into_iter()
            .find(|state| state.as_str() == text)
    }
}

/// One export of one version of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportView {
    /// Export id.
    pub id: String,
    /// The case.
    pub case_id: String,
    /// Its reference.
    pub case_reference: String,
    /// The partner's company id.
    pub partner_id: String,
    /// The partner's name.
    pub partner_name: String,
    /// 1 for the first export of the case, 2 after it was reopened and closed again, ...
    pub version: u32,
    /// Where it stands.
    pub state: ExportState,
    /// The bucket.
    pub bucket: Option<String>,
    /// The archive's object key.
    pub object_key: Option<String>,
    /// Archive size in bytes.
    #[ts(type = "number | null")]
    pub size: Option<u64>,
    /// Hex SHA-256 of the archive.
    pub sha256: Option<String>,
    /// Object Lock mode.
    pub mode: Option<LockMode>,
    /// Kept until.
    pub retain_until: Option<Timestamp>,
    /// Under a legal hold now.
    pub legal_hold: bool,
    /// Queued at.
    pub created_at: Timestamp,
    /// In the bucket since.
    pub completed_at: Option<Timestamp>,
    /// Why it failed, in words.
    pub last_error: Option<String>,
    /// When "Verify" last ran.
    pub verified_at: Option<Timestamp>,
    /// What it found.
    pub verified_ok: Option<bool>,
}

/// Which exports a Retention view lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct ExportQuery {
    /// Only this case.
    pub case_id: Option<String>,
    /// Only this partner.
    pub partner_id: Option<String>,
    /// Only this state.
    pub state: Option<ExportState>,
    /// Only exports under a legal hold.
    pub held_only: bool,
    /// Reference or partner name contains.
    pub search: Option<String>,
}

/// What a legal hold covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HoldScope {
    /// Every export of one case.
    Case {
        /// The case id.
        case_id: String,
    },
    /// Every export of every case of one partner.
    Partner {
        /// The partner's company id.
        partner_id: String,
    },
}

/// What "Verify" found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    /// Every hash matched and the object is still under retention.
    pub ok: bool,
    /// Files checked against the manifest.
    pub files_checked: u32,
    /// The sentence to show.
    pub message: String,
    /// Each mismatch, in words.
    pub problems: Vec<String>,
}

/// Which field of a case an audit entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AuditField {
    /// Status.
    Status,
    /// Owner.
    Owner,
    /// Priority.
    Priority,
    /// SLA due.
    SlaDue,
    /// A legal hold placed or released.
    LegalHold,
}

impl AuditField {
    /// The cache's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditField::Status => "status",
            AuditField::Owner => "owner",
            AuditField::Priority => "priority",
            AuditField::SlaDue => "sla_due",
            AuditField::LegalHold => "legal_hold",
        }
    }

    /// Parses the cache's spelling.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Status,
            Self::Owner,
            Self::Priority,
            Self::SlaDue,
            Self::LegalHold,
        ]
        .into_iter()
        .find(|field| field.as_str() == text)
    }
}

/// One change of a case's status, owner, priority or SLA (or a legal hold), with who and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// When the change was made here, or when the server's version carrying it was written.
    pub at: Timestamp,
    /// Who: the analyst for a change made here; `None` for a change seen in the server's
    /// version (collab/v1 does not say who).
    pub actor: Option<String>,
    /// The field.
    pub field: AuditField,
    /// Value before.
    pub from: Option<String>,
    /// Value after.
    pub to: Option<String>,
    /// `local` (made here), `server` (seen in a pull) or `hold` (a legal hold action).
    pub source: String,
}
