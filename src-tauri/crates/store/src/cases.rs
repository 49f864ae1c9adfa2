//! Writing cases and their threads into the cache: the row the UI reads, its links, comments,
//! documents and full-text document, and the pull-side `apply_case_page` with its rebase of
//! pending local changes.

use std::collections::HashSet;

use pd_domain::{Case, CaseBundle, CasePatch, CaseStatus, Comment, Document, OutboxOp};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::codec::{
    parse_kind, parse_priority, parse_status, parse_ts, parse_ts_opt, parse_visibility,
    priority_rank, status_rank, ts, ts_opt,
};
use crate::error::{Result, StoreError};
use crate::outbox::{self, has_outbox};

/// The columns [`case_from_row`] reads, in order.
pub(crate) const CASE_COLUMNS: &str = "c.id, c.reference, c.title, c.partner_id, c.partner_name, \
    c.kind, c.status, c.priority, c.owner, c.sla_due, c.created_at, c.updated_at, \
    c.references_json, c.version, c.local_only";

/// Reads a case from a row selected with [`CASE_COLUMNS`] (links filled in separately).
pub(crate) fn case_from_row(row: &Row<'_>) -> Result<(Case, bool)> {
    let kind: String = row.get(5)?;
    let status: String = row.get(6)?;
    let priority: String = row.get(7)?;
    let created: String = row.get(10)?;
    let updated: String = row.get(11)?;
    let refs: String = row.get(12)?;
    let case = Case {
        id: row.get(0)?,
        reference: row.get(1)?,
        title: row.get(2)?,
        partner_id: row.get(3)?,
        partner_name: row.get(4)?,
        kind: parse_kind(&kind)?,
        status: parse_status(&status)?,
        priority: parse_priority(&priority)?,
        owner: row.get(8)?,
        sla_due: parse_ts_opt(row.get(9)?)?,
        created_at: parse_ts(&created)?,
        updated_at: parse_ts(&updated)?,
        linked_transactions: Vec::new(),
        references: serde_json::from_str(&refs)?,
        version: row.get(13)?,
    };
    Ok((case, row.get::<_, bool>(14)?))
}

/// The cached (effective) case and whether it exists only here.
pub(crate) fn read_case(conn: &Connection, id: &str) -> Result<Option<(Case, bool)>> {
    let sql = format!("SELECT {CASE_COLUMNS} FROM cases c WHERE c.id = ?1");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([id])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let (mut case, local_only) = case_from_row(row)?;
    case.linked_transactions = linked_ids(conn, id)?;
    Ok(Some((case, local_only)))
}

/// The case's linked transaction ids in link order.
pub(crate) fn linked_ids(conn: &Connection, case_id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT transaction_id FROM case_transactions WHERE case_id = ?1 ORDER BY position",
    )?;
    let ids = stmt
        .query_map([case_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(ids)
}

/// Upserts the case row and replaces its links. The FTS document is refreshed separately
/// (after the comments are written) with [`refresh_fts`].
pub(crate) fn write_case(conn: &Connection, case: &Case, local_only: bool) -> Result<()> {
    write_case_row(conn, case, local_only)?;
    let current = linked_ids(conn, &case.id)?;
    if current != case.linked_transactions {
        conn.prepare_cached("DELETE FROM case_transactions WHERE case_id = ?1")?
            .execute([&case.id])?;
        insert_links(conn, case)?;
    }
    Ok(())
}

/// Inserts the case's links in order (after any old ones were deleted).
fn insert_links(conn: &Connection, case: &Case) -> Result<()> {
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO case_transactions (case_id, transaction_id, position) \
         VALUES (?1, ?2, ?3)",
    )?;
    for (position, tx_id) in case.linked_transactions.iter().enumerate() {
        insert.execute(params![case.id, tx_id, position as i64])?;
    }
    Ok(())
}

/// Upserts the case row alone (its links are left as they are), recording its audited changes.
fn write_case_row(conn: &Connection, case: &Case, local_only: bool) -> Result<()> {
    crate::retention::record_changes(conn, case)?;
    upsert_case_row(conn, case, local_only)
}

/// The `INSERT` of a case row, without a conflict clause.
macro_rules! case_insert_sql {
    () => {
        "INSERT INTO cases (id, reference, title, partner_id, partner_name, kind, status, \
            status_rank, priority, priority_rank, owner, sla_due, created_at, updated_at, \
            references_json, version, local_only) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
    };
}

/// [`write_case_row`] without the audit: for a case known to be new, which has nothing to
/// compare with (saves a lookup per case in a first sync).
fn upsert_case_row(conn: &Connection, case: &Case, local_only: bool) -> Result<()> {
    execute_case_row(
        conn,
        concat!(
            case_insert_sql!(),
            " ON CONFLICT(id) DO UPDATE SET reference = excluded.reference, title = excluded.title, \
            partner_id = excluded.partner_id, partner_name = excluded.partner_name, \
            kind = excluded.kind, status = excluded.status, status_rank = excluded.status_rank, \
            priority = excluded.priority, priority_rank = excluded.priority_rank, \
            owner = excluded.owner, sla_due = excluded.sla_due, created_at = excluded.created_at, \
            updated_at = excluded.updated_at, references_json = excluded.references_json, \
            version = excluded.version, local_only = excluded.local_only"
        ),
        case,
        local_only,
    )
}

/// Runs `sql` (an insert of a case row) with the case's columns.
fn execute_case_row(conn: &Connection, sql: &str, case: &Case, local_only: bool) -> Result<()> {
    let refs = serde_json::to_string(&case.references)?;
    conn.prepare_cached(sql)?.execute(params![
        case.id,
        case.reference,
        case.title,
        case.partner_id,
        case.partner_name,
        case.kind.as_str(),
        case.status.as_str(),
        status_rank(case.status),
        case.priority.as_str(),
        priority_rank(case.priority),
        case.owner,
        ts_opt(case.sla_due),
        ts(case.created_at),
        ts(case.updated_at),
        refs,
        case.version,
        local_only,
    ])?;
    Ok(())
}

/// The `AFTER INSERT ON cases` triggers a first sync's bulk transaction takes while it writes
/// (`bulk.rs`), and what each would have written for a new case, written by
/// [`record_new_case`] instead. A statement that fires triggers keeps a statement journal of
/// every page it changes; without them a case row is a plain single-row insert.
pub(crate) const CASE_INSERT_TRIGGERS: &[&str] =
    &["case_status_log_insert", "cases_reference_index_insert"];

/// What [`CASE_INSERT_TRIGGERS`] write for a newly inserted case: its status history begins
/// (`new` when it was created, then its status when it last changed if that is another), and
/// its reference numbers are indexed (migrations 0013 and 0008 hold the triggers' SQL).
fn record_new_case(conn: &Connection, case: &Case) -> Result<()> {
    let mut log = conn
        .prepare_cached("INSERT INTO case_status_log (case_id, status, at) VALUES (?1, ?2, ?3)")?;
    log.execute(params![
        case.id,
        CaseStatus::New.as_str(),
        ts(case.created_at)
    ])?;
    if case.status != CaseStatus::New {
        log.execute(params![case.id, case.status.as_str(), ts(case.updated_at)])?;
    }
    let mut index = conn.prepare_cached(
        "INSERT INTO case_reference_index (case_id, kind, value) VALUES (?1, ?2, ?3)",
    )?;
    let refs = &case.references;
    for (kind, values) in [
        ("po", &refs.po_numbers),
        ("invoice", &refs.invoice_numbers),
        ("shipment", &refs.shipment_numbers),
    ] {
        for value in values {
            index.execute(params![case.id, kind, value])?;
        }
    }
    Ok(())
}

/// Rebuilds the case's full-text document from its row and thread.
pub(crate) fn refresh_fts(conn: &Connection, case_id: &str) -> Result<()> {
    let Some(doc) = search_document(conn, case_id)? else {
        return Ok(());
    };
    conn.prepare_cached("DELETE FROM case_fts WHERE rowid = ?1")?
        .execute([doc.rid])?;
    insert_search_document(conn, &doc)
}

/// A case's full-text document: its title, partner name, reference numbers and comment bodies.
pub(crate) struct SearchText {
    /// The case's rid (the document's rowid).
    pub(crate) rid: i64,
    title: String,
    partner: String,
    refs: String,
    comments: String,
}

/// Adds a document (the case's old one, if any, must be gone).
pub(crate) fn insert_search_document(conn: &Connection, doc: &SearchText) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO case_fts (rowid, title, partner, refs, comments) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        doc.rid,
        doc.title,
        doc.partner,
        doc.refs,
        doc.comments
    ])?;
    Ok(())
}

/// The full-text document of the case, from its cached row and thread (`None`: no such case).
pub(crate) fn search_document(conn: &Connection, case_id: &str) -> Result<Option<SearchText>> {
    let found = conn
        .prepare_cached(
            "SELECT rid, title, partner_name, reference, references_json FROM cases WHERE id = ?1",
        )?
        .query_row([case_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .optional()?;
    let Some((rid, title, partner, reference, refs_json)) = found else {
        return Ok(None);
    };
    let refs: pd_domain::CaseReferences = serde_json::from_str(&refs_json)?;
    let mut ref_text = reference;
    for r in refs.all() {
        ref_text.push(' ');
        ref_text.push_str(r);
    }
    let mut bodies = String::new();
    let mut stmt = conn.prepare_cached("SELECT body FROM comments WHERE case_id = ?1")?;
    let mut rows = stmt.query([case_id])?;
    while let Some(row) = rows.next()? {
        bodies.push_str(row.get_ref(0)?.as_str().unwrap_or_default());
        bodies.push('\n');
    }
    Ok(Some(SearchText {
        rid,
        title,
        partner,
        refs: ref_text,
        comments: bodies,
    }))
}

/// Upserts one comment; `op_id` marks a comment written here and not yet on the server.
pub(crate) fn write_comment(conn: &Connection, c: &Comment, op_id: Option<&str>) -> Result<()> {
    put_comment(conn, c, op_id, OnConflict::Replace)?;
    Ok(())
}

/// What an insert does when the cache already holds a row with its id.
#[derive(Clone, Copy)]
enum OnConflict {
    /// The row takes the new values (an upsert).
    Replace,
    /// The row stays; the insert changes nothing (answers 0 rows).
    Keep,
}

/// Inserts a comment row; answers how many rows it wrote.
fn put_comment(
    conn: &Connection,
    c: &Comment,
    op_id: Option<&str>,
    on_conflict: OnConflict,
) -> Result<usize> {
    let sql = match on_conflict {
        OnConflict::Replace => {
            "INSERT INTO comments (id, case_id, author, author_is_partner, body, visibility, created_at, op_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
             ON CONFLICT(id) DO UPDATE SET case_id = excluded.case_id, author = excluded.author, \
                author_is_partner = excluded.author_is_partner, body = excluded.body, \
                visibility = excluded.visibility, created_at = excluded.created_at, op_id = excluded.op_id"
        }
        OnConflict::Keep => {
            "INSERT INTO comments (id, case_id, author, author_is_partner, body, visibility, created_at, op_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(id) DO NOTHING"
        }
    };
    Ok(conn.prepare_cached(sql)?.execute(params![
        c.id,
        c.case_id,
        c.author,
        c.author_is_partner,
        c.body,
        c.visibility.as_str(),
        ts(c.created_at),
        op_id
    ])?)
}

/// [`write_comment`] for a comment of a case new to the cache: a plain insert (an upsert's
/// update half makes SQLite keep a statement journal of every page it changes), the upsert
/// only when the id is cached already (a comment the server moved from another case).
fn insert_new_comment(conn: &Connection, c: &Comment) -> Result<()> {
    if put_comment(conn, c, None, OnConflict::Keep)? == 0 {
        put_comment(conn, c, None, OnConflict::Replace)?;
    }
    Ok(())
}

/// Reads one comment row: (comment, op_id).
pub(crate) fn comment_from_row(row: &Row<'_>) -> Result<(Comment, Option<String>)> {
    let vis: String = row.get(5)?;
    let created: String = row.get(6)?;
    Ok((
        Comment {
            id: row.get(0)?,
            case_id: row.get(1)?,
            author: row.get(2)?,
            author_is_partner: row.get(3)?,
            body: row.get(4)?,
            visibility: parse_visibility(&vis)?,
            created_at: parse_ts(&created)?,
        },
        row.get(7)?,
    ))
}

/// The columns [`comment_from_row`] reads.
pub(crate) const COMMENT_COLUMNS: &str =
    "id, case_id, author, author_is_partner, body, visibility, created_at, op_id";

/// Upserts one document.
pub(crate) fn write_document(conn: &Connection, d: &Document) -> Result<()> {
    put_document(conn, d, OnConflict::Replace)?;
    Ok(())
}

/// Inserts a document row; answers how many rows it wrote.
fn put_document(conn: &Connection, d: &Document, on_conflict: OnConflict) -> Result<usize> {
    let sql = match on_conflict {
        OnConflict::Replace => {
            "INSERT INTO documents (id, case_id, name, size, sha256, media_type, location_json, uploaded_by, uploaded_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
             ON CONFLICT(id) DO UPDATE SET case_id = excluded.case_id, name = excluded.name, \
                size = excluded.size, sha256 = excluded.sha256, media_type = excluded.media_type, \
                location_json = excluded.location_json, uploaded_by = excluded.uploaded_by, \
                uploaded_at = excluded.uploaded_at"
        }
        OnConflict::Keep => {
            "INSERT INTO documents (id, case_id, name, size, sha256, media_type, location_json, uploaded_by, uploaded_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(id) DO NOTHING"
        }
    };
    Ok(conn.prepare_cached(sql)?.execute(params![
        d.id,
        d.case_id,
        d.name,
        i64::try_from(d.size).unwrap_or(i64::MAX),
        d.sha256,
        d.media_type,
        serde_json::to_string(&d.location)?,
        d.uploaded_by,
        ts(d.uploaded_at)
    ])?)
}

/// [`write_document`] for a document of a case new to the cache (see [`insert_new_comment`]).
fn insert_new_document(conn: &Connection, d: &Document) -> Result<()> {
    if put_document(conn, d, OnConflict::Keep)? == 0 {
        put_document(conn, d, OnConflict::Replace)?;
    }
    Ok(())
}

/// Reads a document row.
pub(crate) fn document_from_row(row: &Row<'_>) -> Result<Document> {
    let location: String = row.get(6)?;
    let uploaded: String = row.get(8)?;
    Ok(Document {
        id: row.get(0)?,
        case_id: row.get(1)?,
        name: row.get(2)?,
        size: u64::try_from(row.get::<_, i64>(3)?).unwrap_or(0),
        sha256: row.get(4)?,
        media_type: row.get(5)?,
        location: serde_json::from_str(&location)?,
        uploaded_by: row.get(7)?,
        uploaded_at: parse_ts(&uploaded)?,
    })
}

/// The columns [`document_from_row`] reads.
pub(crate) const DOCUMENT_COLUMNS: &str =
    "id, case_id, name, size, sha256, media_type, location_json, uploaded_by, uploaded_at";

/// The stored server base of a case with pending changes.
pub(crate) fn read_base(conn: &Connection, case_id: &str) -> Result<Option<Case>> {
    let json: Option<String> = conn
        .prepare_cached("SELECT case_json FROM case_base WHERE case_id = ?1")?
        .query_row([case_id], |r| r.get(0))
        .optional()?;
    json.map(|j| serde_json::from_str(&j).map_err(StoreError::from))
        .transpose()
}

pub(crate) fn write_base(conn: &Connection, case: &Case) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO case_base (case_id, case_json) VALUES (?1, ?2) \
         ON CONFLICT(case_id) DO UPDATE SET case_json = excluded.case_json",
    )?
    .execute(params![case.id, serde_json::to_string(case)?])?;
    Ok(())
}

/// Applies one outbox operation's effect to a case (the rebase step). A creation or a comment
/// changes only the case's time here (their rows are written when they are queued).
pub(crate) fn apply_op(case: &mut Case, op: &OutboxOp, at: pd_domain::Timestamp) {
    match op {
        OutboxOp::PatchCase(patch) => apply_patch(case, patch),
        OutboxOp::LinkTransaction(link) => {
            if !case.linked_transactions.contains(&link.transaction_id) {
                case.linked_transactions.push(link.transaction_id.clone());
            }
        }
        OutboxOp::UnlinkTransaction(link) => {
            case.linked_transactions
                .retain(|t| *t != link.transaction_id);
        }
        OutboxOp::CreateCase(_) | OutboxOp::AddComment(_) | OutboxOp::AttachDocument(_) => {}
        // A write to an outside system changes nothing on the case itself.
        OutboxOp::Connector(_) => return,
    }
    if at > case.updated_at {
        case.updated_at = at;
    }
}

/// Field-by-field application of a PATCH body.
pub(crate) fn apply_patch(case: &mut Case, patch: &CasePatch) {
    if let Some(s) = patch.status {
        case.status = s;
    }
    if let Some(p) = patch.priority {
        case.priority = p;
    }
    if let Some(o) = &patch.owner {
        case.owner = o.clone();
    }
    if let Some(d) = patch.sla_due {
        case.sla_due = d;
    }
    if let Some(t) = &patch.title {
        case.title = t.clone();
    }
}

/// Recomputes the visible case from its base plus every remaining outbox entry, in order.
/// With no entries left, the base becomes the plain cached row and is dropped.
pub(crate) fn rebase(conn: &Connection, case_id: &str) -> Result<()> {
    let Some(base) = read_base(conn, case_id)? else {
        return Ok(());
    };
    let entries = outbox::entries(conn, Some(case_id))?;
    let mut effective = base;
    let mut local_only = false;
    for entry in &entries {
        // An unreadable entry has no known effect; it waits, failed, for the analyst to discard.
        let Ok(op) = &entry.op else { continue };
        if let OutboxOp::CreateCase(_) = op {
            local_only = true;
        }
        apply_op(&mut effective, op, entry.created_at);
    }
    write_case(conn, &effective, local_only)?;
    if entries.is_empty() {
        conn.prepare_cached("DELETE FROM case_base WHERE case_id = ?1")?
            .execute([case_id])?;
    }
    refresh_fts(conn, case_id)?;
    Ok(())
}

/// Stores one server bundle. Older versions than the one cached are ignored (a replayed or
/// out-of-order page must not move a case back in time). Pending local changes survive: the
/// server case becomes their base and they are re-applied on top.
pub(crate) fn apply_bundle(conn: &Connection, bundle: &CaseBundle) -> Result<()> {
    apply_bundle_with(conn, bundle, SearchIndexing::Now)
}

/// When a stored server case's full-text document is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchIndexing {
    /// With the case (every pull but the first sync).
    Now,
    /// Later, for every case at once ([`crate::Store::build_deferred_search_index`]): the first
    /// sync, where writing the index case by case costs more than the rest of the sync.
    Deferred,
}

/// [`apply_bundle`], with the case's full-text document written now or left to a later
/// rebuild of the whole index.
pub(crate) fn apply_bundle_with(
    conn: &Connection,
    bundle: &CaseBundle,
    search: SearchIndexing,
) -> Result<()> {
    let case = &bundle.case;
    if case.id.is_empty() {
        return Err(StoreError::Invalid(
            "a case from the server has an empty id".into(),
        ));
    }
    let pending = has_outbox(conn, &case.id)?;
    let (known_version, exists) = if pending {
        (read_base(conn, &case.id)?.map(|b| b.version), true)
    } else {
        let row = conn
            .prepare_cached("SELECT version, local_only FROM cases WHERE id = ?1")?
            .query_row([&case.id], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, bool>(1)?))
            })
            .optional()?;
        (
            row.and_then(|(version, local_only)| (!local_only).then_some(version)),
            row.is_some(),
        )
    };
    if known_version.is_some_and(|v| case.version < v) {
        return Ok(());
    }
    if pending {
        write_base(conn, case)?;
        rebase(conn, &case.id)?;
    } else if !exists {
        insert_new_case(conn, bundle, search)?;
        if search == SearchIndexing::Now {
            refresh_fts(conn, &case.id)?;
        }
        return Ok(());
    } else {
        write_case(conn, case, false)?;
    }

    let server_comments: HashSet<&str> = bundle.comments.iter().map(|c| c.id.as_str()).collect();
    for c in &bundle.comments {
        if c.case_id != case.id {
            return Err(StoreError::Invalid(format!(
                "comment {} of case {} claims case {}",
                c.id, case.id, c.case_id
            )));
        }
        write_comment(conn, c, None)?;
    }
    // Comments the server no longer has go, except the ones still waiting to be sent.
    let existing: Vec<(String, Option<String>)> = conn
        .prepare_cached("SELECT id, op_id FROM comments WHERE case_id = ?1")?
        .query_map([&case.id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, op_id) in existing {
        if server_comments.contains(id.as_str()) {
            continue;
        }
        let still_pending = match &op_id {
            Some(op) => conn
                .prepare_cached("SELECT 1 FROM outbox WHERE op_id = ?1")?
                .exists([op])?,
            None => false,
        };
        if !still_pending {
            conn.prepare_cached("DELETE FROM comments WHERE id = ?1")?
                .execute([&id])?;
        }
    }

    let server_docs: HashSet<&str> = bundle.documents.iter().map(|d| d.id.as_str()).collect();
    for d in &bundle.documents {
        write_document(conn, d)?;
    }
    // A document attached here whose record is still queued stays (like a pending comment).
    let doc_ids: Vec<String> = conn
        .prepare_cached(
            "SELECT id FROM documents d WHERE case_id = ?1 AND NOT EXISTS \
             (SELECT 1 FROM pending_documents p JOIN outbox o ON o.op_id = p.op_id \
              WHERE p.document_id = d.id)",
        )?
        .query_map([&case.id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in doc_ids {
        if !server_docs.contains(id.as_str()) {
            conn.prepare_cached("DELETE FROM documents WHERE id = ?1")?
                .execute([&id])?;
        }
    }
    if search == SearchIndexing::Now {
        refresh_fts(conn, &case.id)?;
    }
    Ok(())
}

/// A case the cache has never seen: its row, links, comments and documents are inserted
/// without looking for older ones to replace or remove (a case row that does not exist has
/// none: they reference it). In a first sync's bulk transaction ([`SearchIndexing::Deferred`])
/// the row goes in without the [`CASE_INSERT_TRIGGERS`], which that transaction has taken, and
/// what they would write is written here.
fn insert_new_case(conn: &Connection, bundle: &CaseBundle, search: SearchIndexing) -> Result<()> {
    let case = &bundle.case;
    match search {
        SearchIndexing::Now => upsert_case_row(conn, case, false)?,
        SearchIndexing::Deferred => {
            execute_case_row(conn, case_insert_sql!(), case, false)?;
            record_new_case(conn, case)?;
        }
    }
    insert_links(conn, case)?;
    for c in &bundle.comments {
        if c.case_id != case.id {
            return Err(StoreError::Invalid(format!(
                "comment {} of case {} claims case {}",
                c.id, case.id, c.case_id
            )));
        }
        insert_new_comment(conn, c)?;
    }
    for d in &bundle.documents {
        insert_new_document(conn, d)?;
    }
    Ok(())
}
