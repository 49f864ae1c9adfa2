//! Retention exports in the cache (issue 15): the audit trail of each case (status, owner,
//! priority and SLA changes, legal holds), the exports — one per case and closure, each with
//! its progress kept step by step so a killed export resumes and finishes once — and the legal
//! holds placed from the UI.

use pd_domain::{
    AuditEntry, AuditField, Case, CaseKind, ExportQuery, ExportState, ExportView, HoldScope,
    LockMode,
};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::codec::{parse_ts, parse_ts_opt, ts, ts_opt};
use crate::error::{Result, StoreError};
use pd_domain::Timestamp;

/// Records in the audit trail each change `case` makes to the cached row (none for a case the
/// cache does not hold yet). Written as seen from the server; a local change claims its rows
/// with [`claim_local`].
pub(crate) fn record_changes(conn: &Connection, case: &Case) -> Result<()> {
    let old: Option<(String, Option<String>, String, Option<String>)> = conn
        .prepare_cached("SELECT status, owner, priority, sla_due FROM cases WHERE id = ?1")?
        .query_row([&case.id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let Some((status, owner, priority, sla_due)) = old else {
        return Ok(());
    };
    let new_sla = ts_opt(case.sla_due);
    let changes = [
        (
            AuditField::Status,
            Some(status),
            Some(case.status.as_str().to_owned()),
        ),
        (AuditField::Owner, owner, case.owner.clone()),
        (
            AuditField::Priority,
            Some(priority),
            Some(case.priority.as_str().to_owned()),
        ),
        (AuditField::SlaDue, sla_due, new_sla),
    ];
    for (field, from, to) in changes {
        if from != to {
            insert_audit(
                conn,
                &case.id,
                case.updated_at,
                None,
                field,
                from,
                to,
                "server",
            )?;
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn insert_audit(
    conn: &Connection,
    case_id: &str,
    at: Timestamp,
    actor: Option<&str>,
    field: AuditField,
    from: Option<String>,
    to: Option<String>,
    source: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO case_audit (case_id, at, actor, field, old_value, new_value, source) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        case_id,
        ts(at),
        actor,
        field.as_str(),
        from,
        to,
        source
    ])?;
    Ok(())
}

/// The newest audit row id (rows after it were written by the current change).
pub(crate) fn last_audit_id(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM case_audit")?
        .query_row([], |r| r.get(0))?)
}

/// Marks the audit rows after `since` as the analyst's own change.
pub(crate) fn claim_local(conn: &Connection, case_id: &str, since: i64, actor: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE case_audit SET actor = ?1, source = 'local' WHERE case_id = ?2 AND id > ?3",
    )?
    .execute(params![actor, case_id, since])?;
    Ok(())
}

/// A case's audit trail, oldest first.
pub(crate) fn case_audit(conn: &Connection, case_id: &str) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, actor, field, old_value, new_value, source FROM case_audit \
         WHERE case_id = ?1 ORDER BY at, id",
    )?;
    let mut rows = stmt.query([case_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let field: String = r.get(2)?;
        out.push(AuditEntry {
            at: parse_ts(&r.get::<_, String>(0)?)?,
            actor: r.get(1)?,
            field: AuditField::parse(&field)
                .ok_or_else(|| StoreError::Invalid(format!("unknown audit field {field}")))?,
            from: r.get(3)?,
            to: r.get(4)?,
            source: r.get(5)?,
        });
    }
    Ok(out)
}

/// Everything the cache keeps about one export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRecord {
    /// Export id.
    pub id: String,
    /// Case id.
    pub case_id: String,
    /// Case reference.
    pub case_reference: String,
    /// Partner company id.
    pub partner_id: String,
    /// Partner name.
    pub partner_name: String,
    /// Case kind.
    pub kind: CaseKind,
    /// 1, 2, ...
    pub export_version: u32,
    /// The audit row of the closure archived (0: closed before the trail existed).
    pub closure_id: i64,
    /// When the case was closed.
    pub closed_at: Option<Timestamp>,
    /// Queued, uploading, done, failed.
    pub state: ExportState,
    /// `start`, `built`, `uploaded`, `done`.
    pub step: String,
    /// Bucket.
    pub bucket: Option<String>,
    /// Archive object key.
    pub object_key: Option<String>,
    /// Manifest object key.
    pub manifest_key: Option<String>,
    /// Archive size.
    pub size: Option<u64>,
    /// Archive SHA-256.
    pub sha256: Option<String>,
    /// The manifest (JSON) of the built archive.
    pub manifest_json: Option<String>,
    /// Multipart upload id while one is under way.
    pub upload_id: Option<String>,
    /// Parts confirmed: `[[number, etag], ...]` as JSON.
    pub parts_json: String,
    /// The archive object's version id.
    pub version_id: Option<String>,
    /// Object Lock mode.
    pub lock_mode: Option<LockMode>,
    /// Kept until.
    pub retain_until: Option<Timestamp>,
    /// Legal hold on.
    pub legal_hold: bool,
    /// Attempts so far.
    pub attempts: u32,
    /// Why it last failed.
    pub last_error: Option<String>,
    /// Queued at.
    pub created_at: Timestamp,
    /// Done at.
    pub completed_at: Option<Timestamp>,
    /// Last verified at.
    pub verified_at: Option<Timestamp>,
    /// What the last verify found.
    pub verified_ok: Option<bool>,
}

const EXPORT_COLUMNS: &str = "id, case_id, case_reference, partner_id, partner_name, kind, \
    export_version, closure_id, closed_at, state, step, bucket, object_key, manifest_key, size, \
    sha256, manifest_json, upload_id, parts_json, version_id, lock_mode, retain_until, legal_hold, \
    attempts, last_error, created_at, completed_at, verified_at, verified_ok";

fn export_from_row(r: &Row<'_>) -> Result<ExportRecord> {
    let kind: String = r.get(5)?;
    let state: String = r.get(9)?;
    let mode: Option<String> = r.get(20)?;
    Ok(ExportRecord {
        id: r.get(0)?,
        case_id: r.get(1)?,
        case_reference: r.get(2)?,
        partner_id: r.get(3)?,
        partner_name: r.get(4)?,
        kind: crate::codec::parse_kind(&kind)?,
        export_version: r.get(6)?,
        closure_id: r.get(7)?,
        closed_at: parse_ts_opt(r.get(8)?)?,
        state: ExportState::parse(&state)
            .ok_or_else(|| StoreError::Invalid(format!("unknown export state {state}")))?,
        step: r.get(10)?,
        bucket: r.get(11)?,
        object_key: r.get(12)?,
        manifest_key: r.get(13)?,
        size: r.get::<_, Option<i64>>(14)?.map(|s| s.max(0) as u64),
        sha256: r.get(15)?,
        manifest_json: r.get(16)?,
        upload_id: r.get(17)?,
        parts_json: r.get(18)?,
        version_id: r.get(19)?,
        lock_mode: mode.as_deref().and_then(LockMode::parse_s3),
        retain_until: parse_ts_opt(r.get(21)?)?,
        legal_hold: r.get(22)?,
        attempts: r.get(23)?,
        last_error: r.get(24)?,
        created_at: parse_ts(&r.get::<_, String>(25)?)?,
        completed_at: parse_ts_opt(r.get(26)?)?,
        verified_at: parse_ts_opt(r.get(27)?)?,
        verified_ok: r.get(28)?,
    })
}

impl ExportRecord {
    /// As the UI shows it.
    pub fn view(&self) -> ExportView {
        ExportView {
            id: self.id.clone(),
            case_id: self.case_id.clone(),
            case_reference: self.case_reference.clone(),
            partner_id: self.partner_id.clone(),
            partner_name: self.partner_name.clone(),
            version: self.export_version,
            state: self.state,
            bucket: self.bucket.clone(),
            object_key: self.object_key.clone(),
            size: self.size,
            sha256: self.sha256.clone(),
            mode: self.lock_mode,
            retain_until: self.retain_until,
            legal_hold: self.legal_hold,
            created_at: self.created_at,
            completed_at: self.completed_at,
            last_error: self.last_error.clone(),
            verified_at: self.verified_at,
            verified_ok: self.verified_ok,
        }
    }
}

/// Writes every column of `record` (insert or replace by id).
pub(crate) fn save_export(conn: &Connection, e: &ExportRecord) -> Result<()> {
    conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO case_exports ({EXPORT_COLUMNS}) VALUES \
         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, \
          ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)"
    ))?
    .execute(params![
        e.id,
        e.case_id,
        e.case_reference,
        e.partner_id,
        e.partner_name,
        e.kind.as_str(),
        e.export_version,
        e.closure_id,
        ts_opt(e.closed_at),
        e.state.as_str(),
        e.step,
        e.bucket,
        e.object_key,
        e.manifest_key,
        e.size.map(|s| s as i64),
        e.sha256,
        e.manifest_json,
        e.upload_id,
        e.parts_json,
        e.version_id,
        e.lock_mode.map(LockMode::as_s3),
        ts_opt(e.retain_until),
        e.legal_hold,
        e.attempts,
        e.last_error,
        ts(e.created_at),
        ts_opt(e.completed_at),
        ts_opt(e.verified_at),
        e.verified_ok,
    ])?;
    Ok(())
}

/// One export.
pub(crate) fn export(conn: &Connection, id: &str) -> Result<Option<ExportRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {EXPORT_COLUMNS} FROM case_exports WHERE id = ?1"
    ))?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(r) => Ok(Some(export_from_row(r)?)),
        None => Ok(None),
    }
}

/// Exports matching `query`, newest first.
pub(crate) fn list_exports(conn: &Connection, query: &ExportQuery) -> Result<Vec<ExportRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {EXPORT_COLUMNS} FROM case_exports \
         WHERE (?1 IS NULL OR case_id = ?1) AND (?2 IS NULL OR partner_id = ?2) \
           AND (?3 IS NULL OR state = ?3) AND (?4 = 0 OR legal_hold = 1) \
           AND (?5 IS NULL OR case_reference LIKE '%' || ?5 || '%' OR partner_name LIKE '%' || ?5 || '%') \
         ORDER BY created_at DESC, case_reference, export_version DESC"
    ))?;
    let search = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let mut rows = stmt.query(params![
        query.case_id,
        query.partner_id,
        query.state.map(ExportState::as_str),
        query.held_only,
        search
    ])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(export_from_row(r)?);
    }
    Ok(out)
}

/// Exports the job still has to finish (queued or interrupted), oldest first.
pub(crate) fn unfinished_exports(conn: &Connection) -> Result<Vec<ExportRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {EXPORT_COLUMNS} FROM case_exports WHERE state IN ('queued', 'uploading') \
         ORDER BY created_at, id"
    ))?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(export_from_row(r)?);
    }
    Ok(out)
}

/// Queues an export for each closed case whose latest closure has none: closures recorded in
/// the audit trail (export on close: `closed_before` = `None`), and with `closed_before`, only
/// those closed before it, plus closed cases with no recorded closure and no export at all
/// (the schedule for cases closed more than N days ago). Answers the ids queued.
pub(crate) fn queue_closures(
    conn: &Connection,
    closed_before: Option<Timestamp>,
    only_case: Option<&str>,
    now: Timestamp,
) -> Result<Vec<String>> {
    let cutoff = closed_before.map(ts);
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, c.id, a.at FROM case_audit a JOIN cases c ON c.id = a.case_id \
         WHERE a.field = 'status' AND a.new_value = 'closed' AND c.status = 'closed' \
           AND a.id = (SELECT MAX(b.id) FROM case_audit b WHERE b.case_id = a.case_id \
                       AND b.field = 'status' AND b.new_value = 'closed') \
           AND NOT EXISTS (SELECT 1 FROM case_exports e WHERE e.case_id = c.id AND e.closure_id = a.id) \
           AND (?1 IS NULL OR a.at < ?1) AND (?2 IS NULL OR c.id = ?2) \
         UNION ALL \
         SELECT 0, c.id, c.updated_at FROM cases c WHERE c.status = 'closed' AND ?1 IS NOT NULL \
           AND c.updated_at < ?1 AND (?2 IS NULL OR c.id = ?2) \
           AND NOT EXISTS (SELECT 1 FROM case_audit b WHERE b.case_id = c.id \
                           AND b.field = 'status' AND b.new_value = 'closed') \
           AND NOT EXISTS (SELECT 1 FROM case_exports e WHERE e.case_id = c.id) \
         ORDER BY 3, 2",
    )?;
    let found: Vec<(i64, String, String)> = stmt
        .query_map(params![cutoff, only_case], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<std::result::Result<_, _>>()?;
    let mut queued = Vec::new();
    for (closure_id, case_id, closed_at) in found {
        let Some((case, _)) = crate::cases::read_case(conn, &case_id)? else {
            continue;
        };
        let version: u32 = conn
            .prepare_cached(
                "SELECT COALESCE(MAX(export_version), 0) + 1 FROM case_exports WHERE case_id = ?1",
            )?
            .query_row([&case_id], |r| r.get(0))?;
        let id = uuid::Uuid::new_v4().to_string();
        save_export(
            conn,
            &ExportRecord {
                id: id.clone(),
                case_id,
                case_reference: case.reference,
                partner_id: case.partner_id,
                partner_name: case.partner_name,
                kind: case.kind,
                export_version: version,
                closure_id,
                closed_at: Some(parse_ts(&closed_at)?),
                state: ExportState::Queued,
                step: "start".into(),
                bucket: None,
                object_key: None,
                manifest_key: None,
                size: None,
                sha256: None,
                manifest_json: None,
                upload_id: None,
                parts_json: "[]".into(),
                version_id: None,
                lock_mode: None,
                retain_until: None,
                legal_hold: false,
                attempts: 0,
                last_error: None,
                created_at: now,
                completed_at: None,
                verified_at: None,
                verified_ok: None,
            },
        )?;
        queued.push(id);
    }
    Ok(queued)
}

fn scope_parts(scope: &HoldScope) -> (&'static str, &str) {
    match scope {
        HoldScope::Case { case_id } => ("case", case_id.as_str()),
        HoldScope::Partner { partner_id } => ("partner", partner_id.as_str()),
    }
}

/// The cases a scope covers (those with exports, or the case itself).
fn scope_cases(conn: &Connection, scope: &HoldScope) -> Result<Vec<String>> {
    match scope {
        HoldScope::Case { case_id } => Ok(vec![case_id.clone()]),
        HoldScope::Partner { partner_id } => {
            let mut stmt = conn.prepare_cached(
                "SELECT DISTINCT case_id FROM case_exports WHERE partner_id = ?1 ORDER BY case_id",
            )?;
            let ids = stmt
                .query_map([partner_id], |r| r.get(0))?
                .collect::<std::result::Result<_, _>>()?;
            Ok(ids)
        }
    }
}

/// Places a legal hold (recorded on every case it covers); answers the cases covered.
pub(crate) fn place_hold(
    conn: &Connection,
    scope: &HoldScope,
    by: &str,
    reason: &str,
    now: Timestamp,
) -> Result<Vec<String>> {
    let (kind, target) = scope_parts(scope);
    conn.prepare_cached(
        "INSERT INTO legal_holds (scope, target_id, placed_at, placed_by, reason) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![kind, target, ts(now), by, reason])?;
    let cases = scope_cases(conn, scope)?;
    for case_id in &cases {
        insert_audit(
            conn,
            case_id,
            now,
            Some(by),
            AuditField::LegalHold,
            None,
            Some(format!("placed ({kind} hold): {reason}")),
            "hold",
        )?;
    }
    Ok(cases)
}

/// Releases the active holds of `scope` (an explicit action with a reason, recorded on every
/// case covered); answers the cases covered, or `NotFound` when no hold was active.
pub(crate) fn release_hold(
    conn: &Connection,
    scope: &HoldScope,
    by: &str,
    reason: &str,
    now: Timestamp,
) -> Result<Vec<String>> {
    let (kind, target) = scope_parts(scope);
    let released = conn
        .prepare_cached(
            "UPDATE legal_holds SET released_at = ?1, released_by = ?2, release_reason = ?3 \
             WHERE scope = ?4 AND target_id = ?5 AND released_at IS NULL",
        )?
        .execute(params![ts(now), by, reason, kind, target])?;
    if released == 0 {
        return Err(StoreError::not_found("legal hold", target));
    }
    let cases = scope_cases(conn, scope)?;
    for case_id in &cases {
        insert_audit(
            conn,
            case_id,
            now,
            Some(by),
            AuditField::LegalHold,
            Some(format!("{kind} hold")),
            Some(format!("released: {reason}")),
            "hold",
        )?;
    }
    Ok(cases)
}

/// Whether an active hold covers the case (its own, or its partner's).
pub(crate) fn held(conn: &Connection, case_id: &str, partner_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM legal_holds WHERE released_at IS NULL AND \
             ((scope = 'case' AND target_id = ?1) OR (scope = 'partner' AND target_id = ?2)))",
        )?
        .query_row([case_id, partner_id], |r| r.get(0))?)
}
