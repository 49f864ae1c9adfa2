//! What the SLA clocks of cached cases are computed from (issue 14): each case's status history
//! (`case_status_log`, kept by triggers) and our first partner-visible answer; and the record of
//! escalation rules that fired, once per case, rule and breach.

use pd_domain::{Case, CaseStatus, SlaFacts, StatusChange, Timestamp};
use rusqlite::{params, Connection, OptionalExtension};

use crate::codec::{parse_kind, parse_priority, parse_status, parse_ts, ts};
use crate::error::{Result, StoreError};

/// The facts [`pd_domain::evaluate`] needs about `case`.
pub(crate) fn facts(conn: &Connection, case: &Case) -> Result<SlaFacts> {
    let first_response_at: Option<String> = conn
        .prepare_cached(
            "SELECT min(created_at) FROM comments \
             WHERE case_id = ?1 AND author_is_partner = 0 AND visibility = 'partner'",
        )?
        .query_row([&case.id], |r| r.get(0))
        .optional()?
        .flatten();
    let mut history = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT status, at FROM case_status_log WHERE case_id = ?1 ORDER BY at, rowid",
    )?;
    let mut rows = stmt.query([&case.id])?;
    while let Some(row) = rows.next()? {
        push_change(&mut history, text(row, 0)?, text(row, 1)?)?;
    }
    Ok(SlaFacts {
        kind: case.kind,
        priority: case.priority,
        status: case.status,
        created_at: case.created_at,
        first_response_at: first_response_at.as_deref().map(parse_ts).transpose()?,
        history,
        server_due: case.sla_due,
    })
}

/// A text column of `row`.
fn text<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<&'r str> {
    row.get_ref(i)?
        .as_str()
        .map_err(|e| StoreError::Data(format!("column {i}: {e}")))
}

/// One status change of the log, unless its status is one this build does not know (a newer
/// server's): that neither pauses nor resumes.
fn push_change(history: &mut Vec<StatusChange>, status: &str, at: &str) -> Result<()> {
    if let Some(status) = CaseStatus::parse(status) {
        history.push(StatusChange {
            at: parse_ts(at)?,
            status,
        });
    }
    Ok(())
}

/// The case columns and first partner-visible answer [`facts_of_every_case`] and
/// [`facts_of_rid`] read (the history comes apart).
const FACT_COLUMNS: &str = "c.rid, c.id, c.kind, c.priority, c.status, c.created_at, c.sla_due, \
    (SELECT min(m.created_at) FROM comments m \
     WHERE m.case_id = c.id AND m.author_is_partner = 0 AND m.visibility = 'partner')";

/// [`SlaFacts`] without history from a row of [`FACT_COLUMNS`], with its rid and case id.
fn facts_from_row(row: &rusqlite::Row<'_>) -> Result<(i64, String, SlaFacts)> {
    let created: String = row.get(5)?;
    let due: Option<String> = row.get(6)?;
    let answered: Option<String> = row.get(7)?;
    Ok((
        row.get(0)?,
        row.get(1)?,
        SlaFacts {
            kind: parse_kind(text(row, 2)?)?,
            priority: parse_priority(text(row, 3)?)?,
            status: parse_status(text(row, 4)?)?,
            created_at: parse_ts(&created)?,
            first_response_at: answered.as_deref().map(parse_ts).transpose()?,
            history: Vec::new(),
            server_due: due.as_deref().map(parse_ts).transpose()?,
        },
    ))
}

/// The facts of the case at `rid`, if there is one.
pub(crate) fn facts_of_rid(conn: &Connection, rid: i64) -> Result<Option<SlaFacts>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {FACT_COLUMNS} FROM cases c WHERE c.rid = ?1"
    ))?;
    let mut rows = stmt.query([rid])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let (_, id, mut facts) = facts_from_row(row)?;
    let mut stmt = conn.prepare_cached(
        "SELECT status, at FROM case_status_log WHERE case_id = ?1 ORDER BY at, rowid",
    )?;
    let mut rows = stmt.query([&id])?;
    while let Some(row) = rows.next()? {
        push_change(&mut facts.history, text(row, 0)?, text(row, 1)?)?;
    }
    Ok(Some(facts))
}

/// The facts of every case, handed to `visit` with its rid: two passes in case id order (the
/// cases, and their status log through its index) merged here, instead of two queries a case.
pub(crate) fn facts_of_every_case(
    conn: &Connection,
    mut visit: impl FnMut(i64, SlaFacts),
) -> Result<()> {
    let mut cases =
        conn.prepare_cached(&format!("SELECT {FACT_COLUMNS} FROM cases c ORDER BY c.id"))?;
    let mut log = conn.prepare_cached(
        "SELECT case_id, status, at FROM case_status_log ORDER BY case_id, at, rowid",
    )?;
    let mut cases = cases.query([])?;
    let mut log = log.query([])?;
    let mut next_change = log.next()?;
    while let Some(row) = cases.next()? {
        let (rid, id, mut facts) = facts_from_row(row)?;
        // Both passes are in byte order of the case id; a log row of a case no longer cached
        // is passed over.
        while let Some(change) = next_change {
            let of: &str = text(change, 0)?;
            match of.cmp(id.as_str()) {
                std::cmp::Ordering::Greater => break,
                std::cmp::Ordering::Equal => {
                    push_change(&mut facts.history, text(change, 1)?, text(change, 2)?)?
                }
                std::cmp::Ordering::Less => {}
            }
            next_change = log.next()?;
        }
        visit(rid, facts);
    }
    Ok(())
}

/// One escalation that fired on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiredEscalation {
    /// The rule's id.
    pub rule_id: String,
    /// The rule's name when it fired.
    pub rule_name: String,
    /// Which breach (clock and due instant).
    pub breach: String,
    /// When.
    pub fired_at: Timestamp,
    /// What it did, in words.
    pub actions: String,
}

/// Whether the rule already fired for this breach of the case.
pub(crate) fn has_fired(
    conn: &Connection,
    case_id: &str,
    rule_id: &str,
    breach: &str,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM escalation_fired WHERE case_id = ?1 AND rule_id = ?2 AND breach = ?3",
        )?
        .query_row(params![case_id, rule_id, breach], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Records that a rule fired (inside the transaction that queued its actions).
pub(crate) fn record_fired(
    conn: &Connection,
    case_id: &str,
    fired: &FiredEscalation,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO escalation_fired (case_id, rule_id, breach, rule_name, fired_at, actions) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        case_id,
        fired.rule_id,
        fired.breach,
        fired.rule_name,
        ts(fired.fired_at),
        fired.actions
    ])?;
    Ok(())
}

/// The escalations that fired on a case, oldest first.
pub(crate) fn fired(conn: &Connection, case_id: &str) -> Result<Vec<FiredEscalation>> {
    let mut stmt = conn.prepare_cached(
        "SELECT rule_id, rule_name, breach, fired_at, actions FROM escalation_fired \
         WHERE case_id = ?1 ORDER BY fired_at",
    )?;
    let mut rows = stmt.query([case_id])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let fired_at: String = row.get(3)?;
        out.push(FiredEscalation {
            rule_id: row.get(0)?,
            rule_name: row.get(1)?,
            breach: row.get(2)?,
            fired_at: parse_ts(&fired_at)?,
            actions: row.get(4)?,
        });
    }
    Ok(out)
}

/// What an escalation rule does to one case, planned by the app; applied in one transaction
/// with the record that it fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationPlan {
    /// The rule's id (or a `builtin:` watcher's).
    pub rule_id: String,
    /// The rule's name, for the case's activity.
    pub rule_name: String,
    /// Which breach (clock and due instant): the rule fires once per breach.
    pub breach: String,
    /// Field changes (priority, owner), queued as one patch.
    pub patch: Option<pd_domain::CasePatch>,
    /// An internal note: (author, text).
    pub note: Option<(String, String)>,
    /// What it does, in words.
    pub summary: String,
    /// Also sends an xConnector event about the firing (`CaseChange::Escalated`) to every
    /// xConnector with outbound events on, queued in the same transaction.
    pub event: bool,
}

/// Applies `plan` unless its rule already fired for this breach; answers whether it fired now.
pub(crate) fn escalate(
    conn: &Connection,
    case_id: &str,
    plan: &EscalationPlan,
    now: Timestamp,
) -> Result<bool> {
    if has_fired(conn, case_id, &plan.rule_id, &plan.breach)? {
        return Ok(false);
    }
    if let Some(patch) = &plan.patch {
        crate::local::patch_local_case(conn, case_id, patch, now)?;
    }
    if let Some((author, text)) = &plan.note {
        crate::local::add_local_comment(
            conn,
            case_id,
            author,
            text,
            pd_domain::Visibility::Internal,
            now,
        )?;
    }
    if plan.event {
        let change = pd_domain::CaseChange::Escalated {
            rule_id: plan.rule_id.clone(),
            rule_name: plan.rule_name.clone(),
            breach: plan.breach.clone(),
            actions: plan.summary.clone(),
        };
        crate::outside::on_case_change(conn, case_id, &change, now)?;
    }
    record_fired(
        conn,
        case_id,
        &FiredEscalation {
            rule_id: plan.rule_id.clone(),
            rule_name: plan.rule_name.clone(),
            breach: plan.breach.clone(),
            fired_at: now,
            actions: plan.summary.clone(),
        },
    )?;
    Ok(true)
}

/// The open (not resolved or closed) cases of `owner`, with their SLA facts.
pub(crate) fn open_cases_of(conn: &Connection, owner: &str) -> Result<Vec<(Case, SlaFacts)>> {
    let sql = format!(
        "SELECT {} FROM cases c WHERE c.owner = ?1 AND c.status NOT IN ('resolved', 'closed')",
        crate::cases::CASE_COLUMNS
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([owner])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let (case, _) = crate::cases::case_from_row(row)?;
        let facts = facts(conn, &case)?;
        out.push((case, facts));
    }
    Ok(out)
}

/// A partner's comment on one of my cases, for a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerReply {
    /// Case id.
    pub case_id: String,
    /// Case reference.
    pub reference: String,
    /// Who wrote.
    pub author: String,
    /// The partner's name.
    pub partner_name: String,
    /// The comment.
    pub body: String,
}

/// A new exception of a partner I have open cases with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewException {
    /// Transaction id.
    pub transaction_id: String,
    /// The partner's name.
    pub partner_name: String,
    /// EDI document type.
    pub edi_type: Option<String>,
    /// The error in words.
    pub error: Option<String>,
}

/// The highest comment and transaction row numbers now (watermarks for the watcher's first run).
pub(crate) fn watermarks(conn: &Connection) -> Result<(i64, i64)> {
    let comments: i64 =
        conn.query_row("SELECT coalesce(max(rowid), 0) FROM comments", [], |r| {
            r.get(0)
        })?;
    let transactions: i64 = conn.query_row(
        "SELECT coalesce(max(rowid), 0) FROM transactions",
        [],
        |r| r.get(0),
    )?;
    Ok((comments, transactions))
}

/// Partner comments on `owner`'s cases after comment row `after`; with the new watermark.
pub(crate) fn partner_replies_since(
    conn: &Connection,
    owner: &str,
    after: i64,
) -> Result<(Vec<PartnerReply>, i64)> {
    let mut stmt = conn.prepare_cached(
        "SELECT cm.rowid, c.id, c.reference, cm.author, c.partner_name, cm.body \
         FROM comments cm JOIN cases c ON c.id = cm.case_id \
         WHERE cm.rowid > ?1 AND cm.author_is_partner = 1 AND c.owner = ?2 ORDER BY cm.rowid",
    )?;
    let mut rows = stmt.query(params![after, owner])?;
    let mut out = Vec::new();
    let mut last = after;
    while let Some(row) = rows.next()? {
        last = last.max(row.get::<_, i64>(0)?);
        out.push(PartnerReply {
            case_id: row.get(1)?,
            reference: row.get(2)?,
            author: row.get(3)?,
            partner_name: row.get(4)?,
            body: row.get(5)?,
        });
    }
    let (newest, _) = watermarks(conn)?;
    Ok((out, last.max(newest)))
}

/// New exceptions after transaction row `after` of partners with an open case of `owner`.
pub(crate) fn exceptions_since(
    conn: &Connection,
    owner: &str,
    after: i64,
) -> Result<(Vec<NewException>, i64)> {
    let mut stmt = conn.prepare_cached(
        "SELECT t.rowid, t.id, p.name, t.edi_type, coalesce(t.external_error_message, t.error_code) \
         FROM transactions t \
         JOIN partner_addresses pa ON pa.address IN (t.sender_address, t.receiver_address) \
         JOIN partners p ON p.id = pa.partner_id \
         WHERE t.rowid > ?1 AND t.is_exception = 1 AND EXISTS (SELECT 1 FROM cases c \
            WHERE c.partner_id = pa.partner_id AND c.owner = ?2 \
              AND c.status NOT IN ('resolved', 'closed')) \
         GROUP BY t.id ORDER BY t.rowid",
    )?;
    let mut rows = stmt.query(params![after, owner])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(NewException {
            transaction_id: row.get(1)?,
            partner_name: row.get(2)?,
            edi_type: row.get(3)?,
            error: row.get(4)?,
        });
    }
    let (_, newest) = watermarks(conn)?;
    Ok((out, newest.max(after)))
}

/// A queued change the server refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedEntry {
    /// Operation id.
    pub op_id: String,
    /// Case id.
    pub case_id: String,
    /// Case reference (when cached).
    pub reference: Option<String>,
    /// Why.
    pub reason: Option<String>,
}

/// Failed outbox entries not yet notified (`builtin:failed` not fired for their op id).
pub(crate) fn unnotified_failures(conn: &Connection) -> Result<Vec<FailedEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT o.op_id, o.case_id, c.reference, o.last_error FROM outbox o \
         LEFT JOIN cases c ON c.id = o.case_id \
         WHERE o.state = 'failed' AND NOT EXISTS (SELECT 1 FROM escalation_fired f \
            WHERE f.case_id = o.case_id AND f.rule_id = 'builtin:failed' AND f.breach = o.op_id) \
         ORDER BY o.seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(FailedEntry {
            op_id: row.get(0)?,
            case_id: row.get(1)?,
            reference: row.get(2)?,
            reason: row.get(3)?,
        });
    }
    Ok(out)
}
