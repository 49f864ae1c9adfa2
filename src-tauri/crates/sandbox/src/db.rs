//! The sandbox's SQLite file: schema, and reading cases back as the `pd-domain` collab types.
//! Every request handler goes through these functions so the wire shapes have one source.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use pd_domain::{
    Case, CaseBundle, CaseKind, CaseReferences, CaseStatus, Comment, Document, DocumentLocation,
    Priority, Timestamp, Visibility,
};
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Result, SandboxError};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS company(id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS partners(
    id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, country TEXT,
    email TEXT, addresses TEXT NOT NULL, contact TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users(
    user_id TEXT PRIMARY KEY, login_id TEXT NOT NULL UNIQUE, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS user_roles(
    user_id TEXT NOT NULL, role TEXT NOT NULL, PRIMARY KEY(user_id, role));
CREATE TABLE IF NOT EXISTS transactions(id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cases(
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, reference TEXT NOT NULL, title TEXT NOT NULL,
    partner_id TEXT NOT NULL, partner_name TEXT NOT NULL, kind TEXT NOT NULL,
    status TEXT NOT NULL, priority TEXT NOT NULL, owner TEXT, sla_due TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, refs TEXT NOT NULL,
    version INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS cases_by_seq ON cases(seq);
CREATE TABLE IF NOT EXISTS case_links(
    case_id TEXT NOT NULL, transaction_id TEXT NOT NULL, pos INTEGER NOT NULL,
    PRIMARY KEY(case_id, transaction_id));
CREATE TABLE IF NOT EXISTS comments(
    id TEXT PRIMARY KEY, case_id TEXT NOT NULL, author TEXT NOT NULL,
    author_is_partner INTEGER NOT NULL, body TEXT NOT NULL, visibility TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS comments_by_case ON comments(case_id);
CREATE TABLE IF NOT EXISTS documents(
    id TEXT PRIMARY KEY, case_id TEXT NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL,
    sha256 TEXT NOT NULL, media_type TEXT NOT NULL, uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL, content BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS documents_by_case ON documents(case_id);
CREATE TABLE IF NOT EXISTS idempotency(
    key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, status INTEGER NOT NULL,
    content_type TEXT NOT NULL, body BLOB NOT NULL, created_at TEXT NOT NULL, etag INTEGER);
CREATE TABLE IF NOT EXISTS applied_ops(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, op_id TEXT NOT NULL, case_id TEXT NOT NULL,
    kind TEXT NOT NULL, at TEXT NOT NULL);
"#;

/// Opens (creating if needed) the data file with the house pragmas and the schema.
pub fn open(path: &std::path::Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch(SCHEMA)?;
    // Files written before answers carried an ETag: the column is added, old rows have none.
    let has_etag = conn
        .prepare("SELECT 1 FROM pragma_table_info('idempotency') WHERE name = 'etag'")?
        .exists([])?;
    if !has_etag {
        conn.execute_batch("ALTER TABLE idempotency ADD COLUMN etag INTEGER")?;
    }
    Ok(conn)
}

/// The wire spelling of an instant: RFC 3339, UTC, milliseconds.
pub fn ts(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Reads an instant written by [`ts`].
pub fn parse_ts(s: &str) -> rusqlite::Result<Timestamp> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}

fn bad_value(what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("unknown {what} {value:?}").into(),
    )
}

/// A meta value.
pub fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

/// The next global change sequence number.
pub fn next_seq(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM cases", [], |r| {
        r.get(0)
    })
}

const CASE_COLUMNS: &str =
    "id, reference, title, partner_id, partner_name, kind, status, priority, owner,
     sla_due, created_at, updated_at, refs, version";

/// One case row (links are filled in separately).
fn case_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Case> {
    let kind: String = r.get(5)?;
    let status: String = r.get(6)?;
    let priority: String = r.get(7)?;
    let sla: Option<String> = r.get(9)?;
    let refs: String = r.get(12)?;
    Ok(Case {
        id: r.get(0)?,
        reference: r.get(1)?,
        title: r.get(2)?,
        partner_id: r.get(3)?,
        partner_name: r.get(4)?,
        kind: CaseKind::parse(&kind).ok_or_else(|| bad_value("kind", &kind))?,
        status: CaseStatus::parse(&status).ok_or_else(|| bad_value("status", &status))?,
        priority: Priority::parse(&priority).ok_or_else(|| bad_value("priority", &priority))?,
        owner: r.get(8)?,
        sla_due: sla.as_deref().map(parse_ts).transpose()?,
        created_at: parse_ts(&r.get::<_, String>(10)?)?,
        updated_at: parse_ts(&r.get::<_, String>(11)?)?,
        linked_transactions: Vec::new(),
        references: serde_json::from_str::<CaseReferences>(&refs)
            .map_err(|_| bad_value("references", &refs))?,
        version: r.get(13)?,
    })
}

/// The case row (with links), if it exists.
pub fn load_case(conn: &Connection, id: &str) -> rusqlite::Result<Option<Case>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = ?1"))?;
    let Some(mut case) = stmt.query_row([id], case_from_row).optional()? else {
        return Ok(None);
    };
    let mut links = conn
        .prepare_cached("SELECT transaction_id FROM case_links WHERE case_id = ?1 ORDER BY pos")?;
    case.linked_transactions = links
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(Some(case))
}

/// One page of the change feed: the bundles of cases whose sequence is above `since`, in
/// sequence order, at most `limit`; plus the last sequence returned and whether more wait.
/// Four queries per page, however many cases it holds.
pub fn load_page(
    conn: &Connection,
    since: i64,
    limit: i64,
) -> rusqlite::Result<(Vec<CaseBundle>, Option<i64>, bool)> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CASE_COLUMNS}, seq FROM cases WHERE seq > ?1 ORDER BY seq LIMIT ?2"
    ))?;
    let mut rows: Vec<(Case, i64)> = stmt
        .query_map(params![since, limit + 1], |r| {
            Ok((case_from_row(r)?, r.get(14)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    let last = rows.last().map(|(_, seq)| *seq);
    let Some(last_seq) = last else {
        return Ok((Vec::new(), None, false));
    };
    let in_page = "SELECT id FROM cases WHERE seq > ?1 AND seq <= ?2";
    let mut links: HashMap<String, Vec<String>> = HashMap::new();
    for row in conn
        .prepare_cached(&format!(
            "SELECT case_id, transaction_id FROM case_links WHERE case_id IN ({in_page}) ORDER BY case_id, pos"
        ))?
        .query_map(params![since, last_seq], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
    {
        let (case_id, tx) = row?;
        links.entry(case_id).or_default().push(tx);
    }
    let mut comments: HashMap<String, Vec<Comment>> = HashMap::new();
    for comment in conn
        .prepare_cached(&format!(
            "SELECT id, case_id, author, author_is_partner, body, visibility, created_at
             FROM comments WHERE case_id IN ({in_page}) ORDER BY rowid"
        ))?
        .query_map(params![since, last_seq], comment_from_row)?
    {
        let comment = comment?;
        comments
            .entry(comment.case_id.clone())
            .or_default()
            .push(comment);
    }
    let mut documents: HashMap<String, Vec<Document>> = HashMap::new();
    for doc in conn
        .prepare_cached(&format!(
            "SELECT id, case_id, name, size, sha256, media_type, uploaded_by, uploaded_at
             FROM documents WHERE case_id IN ({in_page}) ORDER BY rowid"
        ))?
        .query_map(params![since, last_seq], document_from_row)?
    {
        let doc = doc?;
        documents.entry(doc.case_id.clone()).or_default().push(doc);
    }
    let bundles = rows
        .into_iter()
        .map(|(mut case, _)| {
            case.linked_transactions = links.remove(&case.id).unwrap_or_default();
            let comments = comments.remove(&case.id).unwrap_or_default();
            let documents = documents.remove(&case.id).unwrap_or_default();
            CaseBundle {
                case,
                comments,
                documents,
            }
        })
        .collect();
    Ok((bundles, last, has_more))
}

/// One comment row.
fn comment_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Comment> {
    let visibility: String = r.get(5)?;
    Ok(Comment {
        id: r.get(0)?,
        case_id: r.get(1)?,
        author: r.get(2)?,
        author_is_partner: r.get(3)?,
        body: r.get(4)?,
        visibility: Visibility::parse(&visibility)
            .ok_or_else(|| bad_value("visibility", &visibility))?,
        created_at: parse_ts(&r.get::<_, String>(6)?)?,
    })
}

/// One comment by id.
pub fn load_comment(conn: &Connection, id: &str) -> rusqlite::Result<Option<Comment>> {
    conn.prepare_cached(
        "SELECT id, case_id, author, author_is_partner, body, visibility, created_at
         FROM comments WHERE id = ?1",
    )?
    .query_row([id], comment_from_row)
    .optional()
}

fn document_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Document> {
    Ok(Document {
        id: r.get(0)?,
        case_id: r.get(1)?,
        name: r.get(2)?,
        size: r.get::<_, i64>(3)?.max(0) as u64,
        sha256: r.get(4)?,
        media_type: r.get(5)?,
        location: DocumentLocation::Collab,
        uploaded_by: r.get(6)?,
        uploaded_at: parse_ts(&r.get::<_, String>(7)?)?,
    })
}

/// One document's metadata, if it belongs to the case.
pub fn load_document(
    conn: &Connection,
    case_id: &str,
    id: &str,
) -> rusqlite::Result<Option<Document>> {
    conn.prepare_cached(
        "SELECT id, case_id, name, size, sha256, media_type, uploaded_by, uploaded_at
         FROM documents WHERE id = ?1 AND case_id = ?2",
    )?
    .query_row(params![id, case_id], document_from_row)
    .optional()
}

/// A case with its whole thread and documents.
pub fn load_bundle(conn: &Connection, id: &str) -> rusqlite::Result<Option<CaseBundle>> {
    let Some(case) = load_case(conn, id)? else {
        return Ok(None);
    };
    let comments = conn
        .prepare_cached(
            "SELECT id, case_id, author, author_is_partner, body, visibility, created_at
             FROM comments WHERE case_id = ?1 ORDER BY rowid",
        )?
        .query_map([id], comment_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let documents = conn
        .prepare_cached(
            "SELECT id, case_id, name, size, sha256, media_type, uploaded_by, uploaded_at
             FROM documents WHERE case_id = ?1 ORDER BY rowid",
        )?
        .query_map([id], document_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Some(CaseBundle {
        case,
        comments,
        documents,
    }))
}

/// Counts for `/__admin/stats`.
pub fn count(conn: &Connection, table: &str) -> rusqlite::Result<i64> {
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
}

/// Turns a corrupt-row conversion error into the crate error.
pub fn corrupt(err: impl std::fmt::Display) -> SandboxError {
    SandboxError::Corrupt(err.to_string())
}
