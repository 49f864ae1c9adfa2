//! Local changes and how they settle: each change is one IMMEDIATE transaction that changes the
//! cached row and appends its typed outbox entry together; the push worker's outcomes (sent,
//! refused for a conflict, discarded, edited) then fold the entry into the server base or revert
//! it. Sits above `cases.rs` (rows, rebase) and `outbox.rs` (the queue table).

use pd_domain::{
    Case, CasePatch, CaseStatus, Comment, NewCase, NewComment, OutboxEdit, OutboxOp, Priority,
    Timestamp, TransactionLink, Visibility,
};
use rusqlite::{params, Connection, OptionalExtension};

use crate::cases::{
    self, apply_op, read_base, read_case, rebase, refresh_fts, write_base, write_case,
    write_comment,
};
use crate::codec::ts;
use crate::error::{Result, StoreError};
use crate::outbox::{
    append, has_outbox, read_entry, requeue_with, OutboxEntry, OutboxState, ServerAnswer,
    MAX_COMMENT_CHARS,
};

/// The case as it is now, with its base snapshotted before the first local change.
pub(crate) fn case_for_change(conn: &Connection, case_id: &str) -> Result<Case> {
    let (case, _) =
        read_case(conn, case_id)?.ok_or_else(|| StoreError::not_found("case", case_id))?;
    if read_base(conn, case_id)?.is_none() {
        write_base(conn, &case)?;
    }
    Ok(case)
}

/// Applies a new entry to the visible row.
pub(crate) fn apply_new(
    conn: &Connection,
    case_id: &str,
    op: &OutboxOp,
    now: Timestamp,
) -> Result<()> {
    let (mut case, local_only) =
        read_case(conn, case_id)?.ok_or_else(|| StoreError::not_found("case", case_id))?;
    apply_op(&mut case, op, now);
    write_case(conn, &case, local_only)?;
    refresh_fts(conn, case_id)
}

/// The case a creation shows before the server has it (also how a salvage rebuilds one).
pub(crate) fn case_from_new(new: &NewCase, partner_name: &str, now: Timestamp) -> Case {
    let short: String = new
        .id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(8)
        .collect();
    Case {
        id: new.id.clone(),
        reference: format!("LOCAL-{}", short.to_uppercase()),
        title: new.title.clone(),
        partner_id: new.partner_id.clone(),
        partner_name: partner_name.to_string(),
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
    }
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
    // The directory's name travels with the case, for a case server that has no directory.
    if new.partner_name.is_none() {
        new.partner_name = partner_name.clone();
    }
    let case = case_from_new(
        &new,
        partner_name.as_deref().unwrap_or(&new.partner_id),
        now,
    );
    write_case(conn, &case, true)?;
    write_base(conn, &case)?;
    let op_id = append(
        conn,
        &case.id,
        &OutboxOp::CreateCase(new.clone()),
        None,
        now,
    )?;
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
    let id = uuid::Uuid::new_v4().to_string();
    add_local_comment_as(conn, &id, None, case_id, author, body, visibility, now)
}

/// [`add_local_comment`] under a comment id (and, when given, an outbox operation id) the
/// caller chose, so a record written once per event (a delivery) is refused a second time by
/// the tables' keys.
#[allow(clippy::too_many_arguments)]
pub(crate) fn add_local_comment_as(
    conn: &Connection,
    comment_id: &str,
    op_id: Option<&str>,
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
        id: comment_id.to_owned(),
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
    let op = OutboxOp::AddComment(payload);
    let op_id = match op_id {
        Some(op_id) => crate::outbox::append_as(conn, op_id, case_id, &op, None, now)?,
        None => append(conn, case_id, &op, None, now)?,
    };
    write_comment(conn, &comment, Some(&op_id))?;
    apply_new(conn, case_id, &op, now)?;
    if visibility == Visibility::Partner {
        let change = pd_domain::CaseChange::CommentAdded {
            comment_id: comment.id.clone(),
            body: comment.body.clone(),
        };
        crate::outside::on_case_change(conn, case_id, &change, now)?;
    }
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
        if !has_outbox(conn, case_id)? {
            conn.prepare_cached("DELETE FROM case_base WHERE case_id = ?1")?
                .execute([case_id])?;
        }
        return Ok(None);
    }
    let base = serde_json::to_value(patch_base(&case, patch))?;
    let op = OutboxOp::PatchCase(patch.clone());
    let op_id = append(conn, case_id, &op, Some(base), now)?;
    apply_new(conn, case_id, &op, now)?;
    if changed.status != case.status {
        let change = pd_domain::CaseChange::StatusChanged {
            status: changed.status,
        };
        crate::outside::on_case_change(conn, case_id, &change, now)?;
    }
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
        if !has_outbox(conn, case_id)? {
            conn.prepare_cached("DELETE FROM case_base WHERE case_id = ?1")?
                .execute([case_id])?;
        }
        return Ok(None);
    }
    let payload = TransactionLink {
        transaction_id: transaction_id.to_string(),
    };
    let op = if link {
        OutboxOp::LinkTransaction(payload)
    } else {
        OutboxOp::UnlinkTransaction(payload)
    };
    let op_id = append(conn, case_id, &op, None, now)?;
    apply_new(conn, case_id, &op, now)?;
    Ok(Some(op_id))
}

/// Deletes an entry and returns what it was.
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
    conn.prepare_cached("UPDATE comments SET op_id = NULL WHERE op_id = ?1 AND case_id = ?2")?
        .execute(params![op_id, case_id])?;
    conn.prepare_cached("DELETE FROM pending_documents WHERE op_id = ?1")?
        .execute([op_id])?;
    if is_stale(conn, case_id, answer)? {
        // An idempotent replay of an older result: the cache already holds a newer server case
        // (a pull stored it), which includes this change. Nothing of the old answer is applied:
        // no field goes back, no comment absent from it goes.
        rebase(conn, case_id)?;
        return refresh_fts(conn, case_id);
    }
    // The accepted change becomes part of the server base.
    if let (Some(mut base), Ok(op)) = (read_base(conn, case_id)?, &entry.op) {
        apply_op(&mut base, op, entry.created_at);
        write_base(conn, &base)?;
    }
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
        ServerAnswer::Document(document) => {
            cases::write_document(conn, document)?;
            rebase(conn, case_id)?;
        }
        ServerAnswer::Nothing => rebase(conn, case_id)?,
    }
    refresh_fts(conn, case_id)
}

/// Whether the answer's case is older than the server case the cache already knows (the base
/// under pending changes, or the cached row).
fn is_stale(conn: &Connection, case_id: &str, answer: &ServerAnswer) -> Result<bool> {
    let answered = match answer {
        ServerAnswer::Bundle(bundle) => bundle.case.version,
        ServerAnswer::Case(case) => case.version,
        ServerAnswer::Comment(_) | ServerAnswer::Document(_) | ServerAnswer::Nothing => {
            return Ok(false)
        }
    };
    let known = match read_base(conn, case_id)? {
        Some(base) => Some(base.version),
        None => conn
            .prepare_cached("SELECT version FROM cases WHERE id = ?1 AND local_only = 0")?
            .query_row([case_id], |r| r.get::<_, i64>(0))
            .optional()?,
    };
    Ok(known.is_some_and(|known| answered < known))
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
    if read_base(conn, &server.id)?.is_some() || has_outbox(conn, &server.id)? {
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
    let Ok(OutboxOp::PatchCase(patch)) = &entry.op else {
        return Ok(());
    };
    let mut wanted = server.clone();
    cases::apply_patch(&mut wanted, patch);
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
    match &entry.op {
        Ok(OutboxOp::PatchCase(_)) => record_lost_fields(conn, &entry, server, now)?,
        Ok(op) => {
            insert_conflict(
                conn,
                &entry,
                op.name(),
                &op.body_json(),
                &serde_json::to_string(server)?,
                now,
            )?;
            if let OutboxOp::AddComment(_) = op {
                conn.prepare_cached("DELETE FROM comments WHERE op_id = ?1")?
                    .execute([op_id])?;
            }
            if let OutboxOp::AttachDocument(_) = op {
                crate::documents::drop_pending(conn, op_id)?;
            }
        }
        // Never sent, so the server cannot have answered it; nothing was lost.
        Err(_) => {}
    }
    force_server_case(conn, server)
}

pub(crate) fn discard(conn: &Connection, op_id: &str, now: Timestamp) -> Result<()> {
    crate::outbox::check_not_in_flight(conn, op_id, now)?;
    let entry = remove(conn, op_id)?;
    let case_id = entry.case_id.as_str();
    if let Ok(OutboxOp::CreateCase(_)) = entry.op {
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
    if let Ok(OutboxOp::Connector(write)) = &entry.op {
        crate::outside::on_discard(conn, case_id, write)?;
    }
    conn.prepare_cached("DELETE FROM comments WHERE op_id = ?1")?
        .execute([op_id])?;
    crate::documents::drop_pending(conn, op_id)?;
    rebase(conn, case_id)
}

/// Rewrites a refused entry (a comment's text, a patch's fields) and queues it again; the local
/// effect follows the new content at once.
pub(crate) fn edit(conn: &Connection, op_id: &str, edit: &OutboxEdit) -> Result<()> {
    let entry = read_entry(conn, op_id)?;
    if entry.state != OutboxState::Failed {
        return Err(StoreError::Invalid(
            "only a change the server refused can be edited".into(),
        ));
    }
    let op = match (&entry.op, edit) {
        (
            Ok(OutboxOp::AddComment(comment)),
            OutboxEdit {
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
            conn.prepare_cached("UPDATE comments SET body = ?2 WHERE id = ?1")?
                .execute(params![comment.id, body])?;
            OutboxOp::AddComment(NewComment {
                body: body.clone(),
                ..comment.clone()
            })
        }
        (
            Ok(OutboxOp::PatchCase(_)),
            OutboxEdit {
                patch: Some(patch), ..
            },
        ) => OutboxOp::PatchCase(patch.clone()),
        (Ok(op), _) => {
            return Err(StoreError::Invalid(format!(
                "a {} change cannot be edited this way; retry or discard it",
                op.name()
            )))
        }
        (Err(unreadable), _) => return Err(StoreError::Invalid(unreadable.reason())),
    };
    requeue_with(conn, op_id, &op)?;
    rebase(conn, &entry.case_id)
}

/// Whether the case is kept on this computer only (see `kept_cases`).
pub(crate) fn is_kept(conn: &Connection, case_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM kept_cases WHERE case_id = ?1")?
        .exists([case_id])?)
}

/// Creates a case like [`create_local_case`] and keeps it (and everything later queued on it)
/// on this computer: its entries are never handed to the push until [`share_kept`].
pub(crate) fn create_kept_case(
    conn: &Connection,
    new: &NewCase,
    author: &str,
    now: Timestamp,
) -> Result<String> {
    let id = create_local_case(conn, new, author, now)?;
    conn.prepare_cached("INSERT INTO kept_cases (case_id, kept_at) VALUES (?1, ?2)")?
        .execute(params![id, ts(now)])?;
    Ok(id)
}

/// Hands every kept case to the push (their entries keep their operation ids, so a repeat
/// after a crash is replayed by the server, not applied twice); returns how many.
pub(crate) fn share_kept(conn: &Connection) -> Result<u32> {
    let n = conn.execute("DELETE FROM kept_cases", [])?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// How many cases are kept on this computer only.
pub(crate) fn kept_count(conn: &Connection) -> Result<u32> {
    let n: i64 = conn.query_row("SELECT count(*) FROM kept_cases", [], |r| r.get(0))?;
    Ok(u32::try_from(n).unwrap_or(0))
}
