//! Conversions between domain values and their column spellings, in one place so that sorting
//! and comparisons in SQL agree with the Rust side.

use chrono::{SecondsFormat, TimeZone, Utc};
use pd_domain::{CaseKind, CaseStatus, Priority, Timestamp, Visibility};

use crate::error::{Result, StoreError};

/// Fixed-width RFC 3339 (nanoseconds, `Z`): sorts lexicographically in time order.
pub(crate) fn ts(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// Optional instant to its column spelling.
pub(crate) fn ts_opt(t: Option<Timestamp>) -> Option<String> {
    t.map(ts)
}

/// Column spelling back to an instant.
pub(crate) fn parse_ts(s: &str) -> Result<Timestamp> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| StoreError::Data(format!("bad timestamp {s:?}: {e}")))
}

/// Optional column spelling back to an instant.
pub(crate) fn parse_ts_opt(s: Option<String>) -> Result<Option<Timestamp>> {
    s.as_deref().map(parse_ts).transpose()
}

/// The Unix epoch, for rows that somehow lack a time.
#[allow(dead_code)]
pub(crate) fn epoch() -> Timestamp {
    Utc.timestamp_opt(0, 0).single().unwrap_or_default()
}

/// Lifecycle order for sorting by status.
pub(crate) fn status_rank(s: CaseStatus) -> i64 {
    CaseStatus::ALL.iter().position(|v| *v == s).unwrap_or(0) as i64
}

/// Urgency order for sorting by priority.
pub(crate) fn priority_rank(p: Priority) -> i64 {
    Priority::ALL.iter().position(|v| *v == p).unwrap_or(0) as i64
}

pub(crate) fn parse_status(s: &str) -> Result<CaseStatus> {
    CaseStatus::parse(s).ok_or_else(|| StoreError::Data(format!("unknown status {s:?}")))
}

pub(crate) fn parse_kind(s: &str) -> Result<CaseKind> {
    CaseKind::parse(s).ok_or_else(|| StoreError::Data(format!("unknown kind {s:?}")))
}

pub(crate) fn parse_priority(s: &str) -> Result<Priority> {
    Priority::parse(s).ok_or_else(|| StoreError::Data(format!("unknown priority {s:?}")))
}

pub(crate) fn parse_visibility(s: &str) -> Result<Visibility> {
    Visibility::parse(s).ok_or_else(|| StoreError::Data(format!("unknown visibility {s:?}")))
}
