//! The outbox table: queued local changes in order, each a typed [`OutboxOp`] decoded once when
//! its row is read ([`entry_from_row`]), with the state the push worker moves it through. The
//! local changes that append entries and settle them live in `local.rs`; this module knows
//! nothing of cases, so `cases.rs` (rebase) can read the queue without an import cycle.

use pd_domain::{Case, CaseBundle, Comment, OutboxOp, Timestamp, UnreadableOp};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::codec::{parse_ts, parse_ts_opt, ts, ts_opt};
use crate::error::{Result, StoreError};

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
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    /// Queue order.
    pub seq: i64,
    /// Operation id, sent as the `Idempotency-Key`.
    pub op_id: String,
    /// The case it changes.
    pub case_id: String,
    /// The operation and its body, or why its stored form could not be read (such an entry is
    /// never sent; it is marked failed with [`UnreadableOp::reason`]).
    pub op: std::result::Result<OutboxOp, UnreadableOp>,
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
    /// The recorded document.
    Document(pd_domain::Document),
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

pub(crate) const ENTRY_COLUMNS: &str = "seq, op_id, case_id, op_json, base_json, \
    created_at, state, attempts, next_attempt_at, last_error";

/// Reads one outbox row selected with [`ENTRY_COLUMNS`]: the one place a stored operation is
/// decoded. A row whose operation cannot be read is still returned (with `op` an error) so it
/// can be shown, failed and discarded; it never stops the other rows.
pub(crate) fn entry_from_row(row: &Row<'_>) -> Result<OutboxEntry> {
    let op: String = row.get(3)?;
    let base: Option<String> = row.get(4)?;
    let created: String = row.get(5)?;
    let state: String = row.get(6)?;
    Ok(OutboxEntry {
        seq: row.get(0)?,
        op_id: row.get(1)?,
        case_id: row.get(2)?,
        op: OutboxOp::decode(&op),
        base: base.as_deref().map(serde_json::from_str).transpose()?,
        created_at: parse_ts(&created)?,
        state: parse_state(&state)?,
        attempts: u32::try_from(row.get::<_, i64>(7)?).unwrap_or(0),
        next_attempt_at: parse_ts_opt(row.get(8)?)?,
        last_error: row.get(9)?,
    })
}

/// Appends an entry for `op` (state pending) and returns its new operation id.
pub(crate) fn append(
    conn: &Connection,
    case_id: &str,
    op: &OutboxOp,
    base: Option<serde_json::Value>,
    now: Timestamp,
) -> Result<String> {
    append_as(
        conn,
        &uuid::Uuid::new_v4().to_string(),
        case_id,
        op,
        base,
        now,
    )
}

/// [`append`] under an operation id the caller chose (a finished upload's id: its record is
/// queued once; a second append of the same id is refused by the table).
pub(crate) fn append_as(
    conn: &Connection,
    op_id: &str,
    case_id: &str,
    op: &OutboxOp,
    base: Option<serde_json::Value>,
    now: Timestamp,
) -> Result<String> {
    let op_id = op_id.to_owned();
    // A connector write goes to its connector's lane (see `outside.rs`).
    let target = match op {
        OutboxOp::Connector(write) => write.connector_id(),
        _ => "",
    };
    conn.prepare_cached(
        "INSERT INTO outbox (op_id, case_id, op_json, base_json, created_at, state, target) \
         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6)",
    )?
    .execute(params![
        op_id,
        case_id,
        op.encode(),
        base.map(|b| b.to_string()),
        ts(now),
        target
    ])?;
    Ok(op_id)
}

/// Rewrites an entry's operation and queues it again (an analyst's edit of a refused change).
pub(crate) fn requeue_with(conn: &Connection, op_id: &str, op: &OutboxOp) -> Result<()> {
    let n = conn
        .prepare_cached(
            "UPDATE outbox SET op_json = ?2, state = 'pending', next_attempt_at = NULL, \
             last_error = NULL WHERE op_id = ?1",
        )?
        .execute(params![op_id, op.encode()])?;
    if n == 0 {
        return Err(StoreError::not_found("outbox entry", op_id));
    }
    Ok(())
}

/// Whether the case has outbox entries in any state.
pub(crate) fn has_outbox(conn: &Connection, case_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM outbox WHERE case_id = ?1 LIMIT 1")?
        .exists([case_id])?)
}

/// Marks every waiting entry whose operation cannot be read as failed, with the reason, so the
/// analyst sees it in the outbox and its case's queue holds (other cases keep flowing). Run
/// when the cache opens: only an older build's rows or a damaged row can be unreadable.
pub(crate) fn fail_unreadable(conn: &Connection) -> Result<u32> {
    let mut failed = 0;
    for entry in entries(conn, None)? {
        if let (Err(unreadable), OutboxState::Pending | OutboxState::InFlight) =
            (&entry.op, entry.state)
        {
            set_state(
                conn,
                &entry.op_id,
                OutboxState::Failed,
                Some(&unreadable.reason()),
                None,
            )?;
            failed += 1;
        }
    }
    Ok(failed)
}

/// Whether [`fail_unreadable`] has anything to do (read only, so opening stays a read when the
/// queue is fine).
pub(crate) fn has_unreadable(conn: &Connection) -> Result<bool> {
    Ok(entries(conn, None)?
        .iter()
        .any(|e| e.op.is_err() && e.state != OutboxState::Failed))
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

pub(crate) fn next(conn: &Connection, limit: u32, now: Timestamp) -> Result<Vec<OutboxEntry>> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM outbox WHERE seq IN \
            (SELECT min(seq) FROM outbox WHERE target = '' GROUP BY case_id) \
         AND state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?1) \
         AND case_id NOT IN (SELECT case_id FROM kept_cases) \
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

/// How long a claim lasts unless the push says otherwise. A live sender renews it while a send
/// runs (a third of the lease apart), so a slow send keeps its entry; a sender that died gives
/// its entries back within this time.
pub const DEFAULT_LEASE: std::time::Duration = std::time::Duration::from_secs(30);

/// Claims up to `limit` entries for `claimer` in one statement (one IMMEDIATE transaction, so two
/// senders on one file, in one process or two, never claim the same entry): the oldest entry of
/// each case when it is pending and due, or in flight under a lease that ran out (its sender
/// died). Each claimed entry is in flight until `now + lease` and counts an attempt.
pub(crate) fn claim(
    conn: &Connection,
    claimer: &str,
    limit: u32,
    now: Timestamp,
    lease: std::time::Duration,
) -> Result<Vec<OutboxEntry>> {
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
    let sql = format!(
        "UPDATE outbox SET state = 'in_flight', claimed_by = ?1, lease_until = ?2, \
            attempts = attempts + 1 \
         WHERE seq IN (SELECT seq FROM outbox WHERE seq IN \
                (SELECT min(seq) FROM outbox WHERE target = '' GROUP BY case_id) \
            AND ((state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?3)) \
              OR (state = 'in_flight' AND (lease_until IS NULL OR lease_until <= ?3))) \
            ORDER BY seq LIMIT ?4) \
         RETURNING {ENTRY_COLUMNS}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![claimer, ts(until), ts(now), limit])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(entry_from_row(row)?);
    }
    out.sort_by_key(|e| e.seq);
    Ok(out)
}

/// Extends `claimer`'s lease on an entry it is still sending; false when the claim is gone
/// (settled, or taken over after the lease ran out).
pub(crate) fn renew(
    conn: &Connection,
    op_id: &str,
    claimer: &str,
    until: Timestamp,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE outbox SET lease_until = ?3 \
             WHERE op_id = ?1 AND state = 'in_flight' AND claimed_by = ?2",
        )?
        .execute(params![op_id, claimer, ts(until)])?;
    Ok(n > 0)
}

/// The server accepted the entry but its answer could not be stored: back to pending, due at
/// `next_at`, or failed with the reason once this has happened `max` times.
pub(crate) fn answer_unapplied(
    conn: &Connection,
    op_id: &str,
    reason: &str,
    next_at: Timestamp,
    max: u32,
) -> Result<OutboxState> {
    let failures: i64 = conn
        .prepare_cached(
            "UPDATE outbox SET unapplied = unapplied + 1 WHERE op_id = ?1 RETURNING unapplied",
        )?
        .query_row([op_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::not_found("outbox entry", op_id))?;
    let state = if failures >= i64::from(max) {
        OutboxState::Failed
    } else {
        OutboxState::Pending
    };
    let next = (state == OutboxState::Pending).then_some(next_at);
    set_state(conn, op_id, state, Some(reason), next)?;
    Ok(state)
}

/// Refuses to touch an entry a live sender holds (discard while it is being sent).
pub(crate) fn check_not_in_flight(conn: &Connection, op_id: &str, now: Timestamp) -> Result<()> {
    let held: Option<bool> = conn
        .prepare_cached(
            "SELECT state = 'in_flight' AND lease_until IS NOT NULL AND lease_until > ?2 \
             FROM outbox WHERE op_id = ?1",
        )?
        .query_row(params![op_id, ts(now)], |r| r.get(0))
        .optional()?;
    match held {
        None => Err(StoreError::not_found("outbox entry", op_id)),
        Some(true) => Err(StoreError::InFlight {
            op_id: op_id.to_string(),
        }),
        Some(false) => Ok(()),
    }
}

pub(crate) fn set_state(
    conn: &Connection,
    op_id: &str,
    state: OutboxState,
    error: Option<&str>,
    next_at: Option<Timestamp>,
) -> Result<()> {
    let in_flight = state == OutboxState::InFlight;
    // Marked in flight by hand (not claimed): held for the default lease.
    let lease = in_flight.then(|| {
        ts(chrono::Utc::now() + chrono::Duration::from_std(DEFAULT_LEASE).unwrap_or_default())
    });
    let n = conn
        .prepare_cached(
            "UPDATE outbox SET state = ?2, attempts = attempts + ?3, \
                last_error = coalesce(?4, last_error), next_attempt_at = ?5, \
                lease_until = ?6, claimed_by = CASE WHEN ?3 THEN claimed_by END \
             WHERE op_id = ?1",
        )?
        .execute(params![
            op_id,
            state_str(state),
            i64::from(in_flight),
            error,
            ts_opt(next_at),
            lease
        ])?;
    if n == 0 {
        return Err(StoreError::not_found("outbox entry", op_id));
    }
    Ok(())
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

pub(crate) fn summary(conn: &Connection) -> Result<OutboxSummary> {
    let (pending, failed, oldest) = conn.query_row(
        "SELECT coalesce(sum(state <> 'failed'), 0), coalesce(sum(state = 'failed'), 0), \
         min(created_at) FROM outbox WHERE case_id NOT IN (SELECT case_id FROM kept_cases)",
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
