//! Offline-first local changes and the outbox the push worker drains. Every local change is one
//! IMMEDIATE transaction that changes the cached row and appends its outbox entry together.

use pd_domain::{
    Case, CaseBundle, CasePatch, CaseStatus, Comment, NewCase, NewComment, Priority, Timestamp,
    TransactionLink, Visibility,
};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::cases::{
    self, apply_op, read_base, read_case, rebase, refresh_fts, write_base, write_case,
    write_comment,
};
use crate::codec::{parse_ts, parse_ts_opt, ts, ts_opt};
use crate::error::{Result, StoreError};

/// Outbox kind: create a case (`POST .../cases`, payload [`NewCase`]).
pub const KIND_CREATE: &str = "create_case";
/// Outbox kind: add a comment (`POST .../comments`, payload [`NewComment`]).
pub const KIND_COMMENT: &str = "add_comment";
/// Outbox kind: change fields (`PATCH .../cases/{id}`, payload [`CasePatch`]).
pub const KIND_PATCH: &str = "patch_case";
/// Outbox kind: link a transaction (payload [`TransactionLink`]).
pub const KIND_LINK: &str = "link_transaction";
/// Outbox kind: unlink a transaction (payload [`TransactionLink`]).
pub const KIND_UNLINK: &str = "unlink_transaction";

/// Longest comment body accepted, in characters.
pub const MAX_COMMENT_CHARS: usize = 100_000;

pub use pd_domain::OutboxState;

fn state_str(state: OutboxState) -> &'static str {
    match state {
        OutboxState::Pending => "pending",
        OutboxState::InFlight => "in_flight",
        OutboxState::Failed => "failed",
    }
}

fn parse_state(s: &str) -> Result<OutboxState> {
    match s {
        "pending" => Ok(OutboxState::Pending),
        "in_flight" => Ok(OutboxState::InFlight),
        "failed" => Ok(OutboxState::Failed),
        other => Err(StoreError::Data(format!("unknown outbox state {other:?}"))),
    }
}

/// One queued local change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEntry {
    /// Queue order.
    pub seq: i64,
    /// Operation id, sent as the `Idempotency-Key`.
    pub op_id: String,
    /// The case it changes.
    pub case_id: String,
    /// One of the `KIND_*` constants.
    pub kind: String,
    /// The request body to send.
    pub payload: serde_json::Value,
    /// The server values the change was made against (for conflict display).
    pub base: Option<serde_json::Value>,
    /// Queued at.
    pub created_at: Timestamp,
    /// State.
    pub state: OutboxState,
    /// Send attempts so far.
    pub attempts: u32,
    /// Not before this instant.
    pub next_attempt_at: Option<Timestamp>,
    /// The last failure, in words.
    pub last_error: Option<String>,
}

/// What the server answered to a sent entry, stored in the same transaction that removes it.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerAnswer {
    /// The whole case with its thread.
    Bundle(CaseBundle),
    /// The case fields.
    Case(Case),
    /// The stored comment.
    Comment(Comment),
    /// An empty answer (204): the change is taken as accepted as sent.
    Nothing,
}

/// Which entries `outbox_retry` puts back in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryTarget {
    /// One entry.
    One(String),
    /// Every failed entry.
    All,
}

/// Counts for the status bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxSummary {
    /// Entries waiting or being sent.
    pub pending: u32,
    /// Entries the server refused.
    pub failed: u32,
    /// When the oldest entry was queued.
    pub oldest: Option<Timestamp>,
}

/// A local change that lost to a newer server value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conflict {
    /// Row id.
    pub id: i64,
    /// The case.
    pub case_id: String,
    /// The operation that lost.
    pub op_id: String,
    /// Field name (`status`, `owner`, ...) or the operation kind.
    pub field: String,
    /// What the analyst set (JSON).
    pub local_value: String,
    /// What the server kept (JSON).
    pub server_value: String,
    /// When it was noticed.
    pub detected_at: Timestamp,
}

pub(crate) const ENTRY_COLUMNS: &str = "seq, op_id, case_id, kind, payload_json, base_json, \
    created_at, state, attempts, next_attempt_at, last_error";

pub(crate) fn entry_from_row(row: &Row<'_>) -> Result<OutboxEntry> {
    let payload: String = row.get(4)?;
    let base: Option<String> = row.get(5)?;
    let created: String = row.get(6)?;
    let state: String = row.get(7)?;
    Ok(OutboxEntry {
        seq: row.get(0)?,
        op_id: row.get(1)?,
        case_id: row.get(2)?,
        kind: row.get(3)?,
        payload: serde_json::from_str(&payload)?,
        base: base.as_deref().map(serde_json::from_str).transpose()?,
        created_at: parse_ts(&created)?,
        state: parse_state(&state)?,
        attempts: u32::try_from(row.get::<_, i64>(8)?).unwrap_or(0),
        next_attempt_at: parse_ts_opt(row.get(9)?)?,
        last_error: row.get(10)?,
    })
}

pub(crate) fn read_entry(conn: &Connection, op_id: &str) -> Result<OutboxEntry> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE op_id = ?1");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([op_id])?;
    match rows.next()? {
        Some(row) => entry_from_row(row),
        None => Err(StoreError::not_found("outbox entry", op_id)),
    }
}

fn append(
    conn: &Connection,
    case_id: &str,
    kind: &str,
    payload: &impl Serialize,
    base: Option<serde_json::Value>,
    now: Timestamp,
) -> Result<String> {
    let op_id = uuid::Uuid::new_v4().to_string();
    conn.prepare_cached(
        "INSERT INTO outbox (op_id, case_id, kind, payload_json, base_json, created_at, state) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending')",
    )?
    .execute(params![
        op_id,
        case_id,
        kind,
        serde_json::to_string(payload)?,
        base.map(|b| b.to_string()),
        ts(now)
    ])?;
    Ok(op_id)
}

/// The case as it is now, with its base snapshotted before the first local change.
fn case_for_change(conn: &Connection, case_id: &str) -> Result<Case> {
    let (case, _) =
        read_case(conn, case_id)?.ok_or_else(|| StoreError::not_found("case", case_id))?;
    if read_base(conn, case_id)?.is_none() {
        write_base(conn, &case)?;
    }
    Ok(case)
}

/// Applies a new entry to the visible row.
fn apply_new(
    conn: &Connection,
    case_id: &str,
    kind: &str,
    payload: &impl Serialize,
    now: Timestamp,
) -> Result<()> {
    let (mut case, local_only) =
        read_case(conn, case_id)?.ok_or_else(|| StoreError::not_found("case", case_id))?;
    apply_op(&mut case, kind, &serde_json::to_string(payload)?, now)?;
    write_case(conn, &case, local_only)?;
    refresh_fts(conn, case_id)
}

pub(crate) fn create_local_case(
    conn: &Connection,
    new: &NewCase,
    author: &str,
    now: Timestamp,
) -> Result<String> {
    if new.title.trim().is_empty() {
        return Err(StoreError::Invalid("a case needs a title".into()));
    }
    if new.partner_id.trim().is_empty() {
        return Err(StoreError::Invalid("a case needs a partner".into()));
    }
    let mut new = new.clone();
    if new.id.trim().is_empty() {
        new.id = uuid::Uuid::new_v4().to_string();
    }
    if read_case(conn, &new.id)?.is_some() {
        return Err(StoreError::Invalid(format!(
            "case {} already exists",
            new.id
        )));
    }
    let partner_name: Option<String> = conn
        .prepare_cached("SELECT name FROM partners WHERE id = ?1")?
        .query_row([&new.partner_id], |r| r.get(0))
        .optional()?;
    let short: String = new
        .id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(8)
        .collect();
    let case = Case {
        id: new.id.clone(),
        reference: format!("LOCAL-{}", short.to_uppercase()),
        title: new.title.clone(),
        partner_id: new.partner_id.clone(),
        partner_name: partner_name.unwrap_or_else(|| new.partner_id.clone()),
        kind: new.kind,
        status: CaseStatus::New,
        priority: new.priority.unwrap_or(Priority::Normal),
        owner: new.owner.clone(),
        sla_due: new.sla_due,
        created_at: now,
        updated_at: now,
        linked_transactions: new.linked_transactions.clone(),
        references: new.references.clone(),
        version: 0,
    };
    write_case(conn, &case, true)?;
    write_base(conn, &case)?;
    let op_id = append(conn, &case.id, KIND_CREATE, &new, None, now)?;
    if let Some(text) = new.description.as_deref().filter(|d| !d.trim().is_empty()) {
        let comment = Comment {
            id: format!("{}-description", case.id),
            case_id: case.id.clone(),
            author: author.to_string(),
            author_is_partner: false,
            body: text.to_string(),
            visibility: Visibility::Partner,
            created_at: now,
        };
        write_comment(conn, &comment, Some(&op_id))?;
    }
    refresh_fts(conn, &case.id)?;
    Ok(case.id)
}

pub(crate) fn add_local_comment(
    conn: &Connection,
    case_id: &str,
    author: &str,
    body: &str,
    visibility: Visibility,
    now: Timestamp,
) -> Result<Comment> {
    if body.trim().is_empty() {
        return Err(StoreError::Invalid("a comment cannot be empty".into()));
    }
    if body.chars().count() > MAX_COMMENT_CHARS {
        return Err(StoreError::Invalid(format!(
            "a comment can have at most {MAX_COMMENT_CHARS} characters"
        )));
    }
    case_for_change(conn, case_id)?;
    let comment = Comment {
        id: uuid::Uuid::new_v4().to_string(),
        case_id: case_id.to_string(),
        author: author.to_string(),
        author_is_partner: false,
        body: body.to_string(),
        visibility,
        created_at: now,
    };
    let payload = NewComment {
        id: comment.id.clone(),
        author: comment.author.clone(),
        body: comment.body.clone(),
        visibility,
    };
    let op_id = append(conn, case_id, KIND_COMMENT, &payload, None, now)?;
    write_comment(conn, &comment, Some(&op_id))?;
    apply_new(conn, case_id, KIND_COMMENT, &payload, now)?;
    Ok(comment)
}

/// The current values of the fields a patch touches, shaped like the patch.
fn patch_base(case: &Case, patch: &CasePatch) -> CasePatch {
    CasePatch {
        status: patch.status.map(|_| case.status),
        priority: patch.priority.map(|_| case.priority),
        owner: patch.owner.as_ref().map(|_| case.owner.clone()),
        sla_due: patch.sla_due.map(|_| case.sla_due),
        title: patch.title.as_ref().map(|_| case.title.clone()),
    }
}

pub(crate) fn patch_local_case(
    conn: &Connection,
    case_id: &str,
    patch: &CasePatch,
    now: Timestamp,
) -> Result<Option<String>> {
    if patch.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(StoreError::Invalid("a case needs a title".into()));
    }
    let case = case_for_change(conn, case_id)?;
    let mut changed = case.clone();
    cases::apply_patch(&mut changed, patch);
    if changed == case {
        // Nothing would change: no entry, nothing to send.
        if !cases::has_outbox(conn, case_id)? {
            conn.prepare_cached("DELETE FROM case_base WHERE case_id = ?1")?
                .execute([case_id])?;
        }
        return Ok(None);
    }
    let base = serde_json::to_value(patch_base(&case, patch))?;
    let op_id = append(conn, case_id, KIND_PATCH, patch, Some(base), now)?;
    apply_new(conn, case_id, KIND_PATCH, patch, now)?;
    Ok(Some(op_id))
}

pub(crate) fn link_local(
    conn: &Connection,
    case_id: &str,
    transaction_id: &str,
    link: bool,
    now: Timestamp,
) -> Result<Option<String>> {
    if transaction_id.trim().is_empty() {
        return Err(StoreError::Invalid(
            "a transaction id cannot be empty".into(),
        ));
    }
    let case = case_for_change(conn, case_id)?;
    let linked = case.linked_transactions.iter().any(|t| t == transaction_id);
    if linked == link {
        if !cases::has_outbox(conn, case_id)? {
            conn.prepare_cached("DELETE FROM case_base WHERE case_id = ?1")?
                .execute([case_id])?;
        }
        return Ok(None);
    }
    let kind = if link { KIND_LINK } else { KIND_UNLINK };
    let payload = TransactionLink {
        transaction_id: transaction_id.to_string(),
    };
    let op_id = append(conn, case_id, kind, &payload, None, now)?;
    apply_new(conn, case_id, kind, &payload, now)?;
    Ok(Some(op_id))
}

pub(crate) fn next(conn: &Connection, limit: u32, now: Timestamp) -> Result<Vec<OutboxEntry>> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM outbox WHERE seq IN \
            (SELECT min(seq) FROM outbox GROUP BY case_id) \
         AND state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?1) \
         ORDER BY seq LIMIT ?2"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![ts(now), limit])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(entry_from_row(row)?);
    }
    Ok(out)
}

pub(crate) fn set_state(
    conn: &Connection,
    op_id: &str,
    state: OutboxState,
    error: Option<&str>,
    next_at: Option<Timestamp>,
) -> Result<()> {
    let bump = i64::from(state == OutboxState::InFlight);
    let n = conn
        .prepare_cached(
            "UPDATE outbox SET state = ?2, attempts = attempts + ?3, \
                last_error = coalesce(?4, last_error), next_attempt_at = ?5 WHERE op_id = ?1",
        )?
        .execute(params![
            op_id,
            state_str(state),
            bump,
            error,
            ts_opt(next_at)
        ])?;
    if n == 0 {
        return Err(StoreError::not_found("outbox entry", op_id));
    }
    Ok(())
}

fn remove(conn: &Connection, op_id: &str) -> Result<OutboxEntry> {
    let entry = read_entry(conn, op_id)?;
    conn.prepare_cached("DELETE FROM outbox WHERE op_id = ?1")?
        .execute([op_id])?;
    Ok(entry)
}

pub(crate) fn mark_sent(
    conn: &Connection,
    op_id: &str,
    answer: &ServerAnswer,
    now: Timestamp,
) -> Result<()> {
    let entry = remove(conn, op_id)?;
    let case_id = entry.case_id.as_str();
    // The accepted change becomes part of the server base.
    if let Some(mut base) = read_base(conn, case_id)? {
        apply_op(
            &mut base,
            &entry.kind,
            &entry.payload.to_string(),
            entry.created_at,
        )?;
        write_base(conn, &base)?;
    }
    conn.prepare_cached("UPDATE comments SET op_id = NULL WHERE op_id = ?1 AND case_id = ?2")?
        .execute(params![op_id, case_id])?;
    match answer {
        ServerAnswer::Bundle(bundle) => {
            record_lost_fields(conn, &entry, &bundle.case, now)?;
            force_server_case(conn, &bundle.case)?;
            cases::apply_bundle(conn, bundle)?;
        }
        ServerAnswer::Case(server) => {
            record_lost_fields(conn, &entry, server, now)?;
            force_server_case(conn, server)?;
        }
        ServerAnswer::Comment(comment) => {
            write_comment(conn, comment, None)?;
            rebase(conn, case_id)?;
        }
        ServerAnswer::Nothing => rebase(conn, case_id)?,
    }
    refresh_fts(conn, case_id)
}

/// The server's answer is the new base even if its version number did not move.
fn force_server_case(conn: &Connection, server: &Case) -> Result<()> {
    let mut server = server.clone();
    if server.linked_transactions.is_empty() {
        // Some answers omit links; keep what we have rather than dropping them.
        if let Some(base) = read_base(conn, &server.id)? {
            server.linked_transactions = base.linked_transactions;
        }
    }
    if read_base(conn, &server.id)?.is_some() || cases::has_outbox(conn, &server.id)? {
        write_base(conn, &server)?;
        rebase(conn, &server.id)
    } else {
        write_case(conn, &server, false)?;
        refresh_fts(conn, &server.id)
    }
}

/// For a sent patch, fields where the server kept another value than the one sent lost.
fn record_lost_fields(
    conn: &Connection,
    entry: &OutboxEntry,
    server: &Case,
    now: Timestamp,
) -> Result<()> {
    if entry.kind != KIND_PATCH {
        return Ok(());
    }
    let patch: CasePatch = serde_json::from_value(entry.payload.clone())?;
    let mut wanted = server.clone();
    cases::apply_patch(&mut wanted, &patch);
    let fields: [(&str, serde_json::Value, serde_json::Value); 5] = [
        (
            "status",
            serde_json::to_value(wanted.status)?,
            serde_json::to_value(server.status)?,
        ),
        (
            "priority",
            serde_json::to_value(wanted.priority)?,
            serde_json::to_value(server.priority)?,
        ),
        (
            "owner",
            serde_json::to_value(&wanted.owner)?,
            serde_json::to_value(&server.owner)?,
        ),
        (
            "slaDue",
            serde_json::to_value(wanted.sla_due)?,
            serde_json::to_value(server.sla_due)?,
        ),
        (
            "title",
            serde_json::to_value(&wanted.title)?,
            serde_json::to_value(&server.title)?,
        ),
    ];
    for (field, local, remote) in fields {
        if local != remote {
            insert_conflict(
                conn,
                entry,
                field,
                &local.to_string(),
                &remote.to_string(),
                now,
            )?;
        }
    }
    Ok(())
}

fn insert_conflict(
    conn: &Connection,
    entry: &OutboxEntry,
    field: &str,
    local: &str,
    server: &str,
    now: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO conflicts (case_id, op_id, field, local_value, server_value, detected_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        entry.case_id,
        entry.op_id,
        field,
        local,
        server,
        ts(now)
    ])?;
    Ok(())
}

pub(crate) fn mark_conflict(
    conn: &Connection,
    op_id: &str,
    server: &Case,
    now: Timestamp,
) -> Result<()> {
    let entry = remove(conn, op_id)?;
    if entry.kind == KIND_PATCH {
        record_lost_fields(conn, &entry, server, now)?;
    } else {
        insert_conflict(
            conn,
            &entry,
            &entry.kind,
            &entry.payload.to_string(),
            &serde_json::to_string(server)?,
            now,
        )?;
        if entry.kind == KIND_COMMENT {
            conn.prepare_cached("DELETE FROM comments WHERE op_id = ?1")?
                .execute([op_id])?;
        }
    }
    force_server_case(conn, server)
}

pub(crate) fn discard(conn: &Connection, op_id: &str) -> Result<()> {
    let entry = remove(conn, op_id)?;
    let case_id = entry.case_id.as_str();
    if entry.kind == KIND_CREATE {
        // The case never reached the server: it and everything queued on it go.
        conn.prepare_cached("DELETE FROM outbox WHERE case_id = ?1")?
            .execute([case_id])?;
        let rid: Option<i64> = conn
            .prepare_cached("SELECT rid FROM cases WHERE id = ?1")?
            .query_row([case_id], |r| r.get(0))
            .optional()?;
        if let Some(rid) = rid {
            conn.prepare_cached("DELETE FROM case_fts WHERE rowid = ?1")?
                .execute([rid])?;
        }
        conn.prepare_cached("DELETE FROM cases WHERE id = ?1")?
            .execute([case_id])?;
        return Ok(());
    }
    conn.prepare_cached("DELETE FROM comments WHERE op_id = ?1")?
        .execute([op_id])?;
    rebase(conn, case_id)
}

pub(crate) fn retry(conn: &Connection, target: &RetryTarget) -> Result<u32> {
    let n = match target {
        RetryTarget::One(op_id) => {
            let entry = read_entry(conn, op_id)?;
            if entry.state != OutboxState::Failed {
                return Ok(0);
            }
            conn.prepare_cached(
                "UPDATE outbox SET state = 'pending', next_attempt_at = NULL WHERE op_id = ?1",
            )?
            .execute([op_id])?
        }
        RetryTarget::All => conn
            .prepare_cached(
                "UPDATE outbox SET state = 'pending', next_attempt_at = NULL WHERE state = 'failed'",
            )?
            .execute([])?,
    };
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Rewrites a refused entry (a comment's text, a patch's fields) and queues it again; the local
/// effect follows the new content at once.
pub(crate) fn edit(conn: &Connection, op_id: &str, edit: &pd_domain::OutboxEdit) -> Result<()> {
    let entry = read_entry(conn, op_id)?;
    if entry.state != OutboxState::Failed {
        return Err(StoreError::Invalid(
            "only a change the server refused can be edited".into(),
        ));
    }
    let payload = match (entry.kind.as_str(), edit) {
        (
            KIND_COMMENT,
            pd_domain::OutboxEdit {
                body: Some(body), ..
            },
        ) => {
            if body.trim().is_empty() {
                return Err(StoreError::Invalid("a comment cannot be empty".into()));
            }
            if body.chars().count() > MAX_COMMENT_CHARS {
                return Err(StoreError::Invalid(format!(
                    "a comment can have at most {MAX_COMMENT_CHARS} characters"
                )));
            }
            let mut comment: NewComment = serde_json::from_value(entry.payload.clone())
                .map_err(|e| StoreError::Data(e.to_string()))?;
            comment.body = body.clone();
            conn.prepare_cached("UPDATE comments SET body = ?2 WHERE id = ?1")?
                .execute(rusqlite::params![comment.id, body])?;
            serde_json::to_string(&comment).map_err(|e| StoreError::Data(e.to_string()))?
        }
        (
            KIND_PATCH,
            pd_domain::OutboxEdit {
                patch: Some(patch), ..
            },
        ) => serde_json::to_string(patch).map_err(|e| StoreError::Data(e.to_string()))?,
        (kind, _) => {
            return Err(StoreError::Invalid(format!(
                "a {kind} change cannot be edited this way; retry or discard it"
            )))
        }
    };
    conn.prepare_cached(
        "UPDATE outbox SET payload_json = ?2, state = 'pending', next_attempt_at = NULL, \
         last_error = NULL WHERE op_id = ?1",
    )?
    .execute(rusqlite::params![op_id, payload])?;
    rebase(conn, &entry.case_id)
}

pub(crate) fn summary(conn: &Connection) -> Result<OutboxSummary> {
    let (pending, failed, oldest) = conn.query_row(
        "SELECT coalesce(sum(state <> 'failed'), 0), coalesce(sum(state = 'failed'), 0), \
         min(created_at) FROM outbox",
        [],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        },
    )?;
    Ok(OutboxSummary {
        pending: u32::try_from(pending).unwrap_or(0),
        failed: u32::try_from(failed).unwrap_or(0),
        oldest: parse_ts_opt(oldest)?,
    })
}

pub(crate) fn entries(conn: &Connection, case_id: Option<&str>) -> Result<Vec<OutboxEntry>> {
    let sql =
        format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE ?1 IS NULL OR case_id = ?1 ORDER BY seq");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([case_id])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(entry_from_row(row)?);
    }
    Ok(out)
}

pub(crate) fn conflicts(conn: &Connection, case_id: &str) -> Result<Vec<Conflict>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, case_id, op_id, field, local_value, server_value, detected_at FROM conflicts \
         WHERE case_id = ?1 ORDER BY id",
    )?;
    let mut rows = stmt.query([case_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let at: String = r.get(6)?;
        out.push(Conflict {
            id: r.get(0)?,
            case_id: r.get(1)?,
            op_id: r.get(2)?,
            field: r.get(3)?,
            local_value: r.get(4)?,
            server_value: r.get(5)?,
            detected_at: parse_ts(&at)?,
        });
    }
    Ok(out)
}
