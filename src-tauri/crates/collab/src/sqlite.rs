//! The SQLite [`CollabStore`]: one file, for a single machine (and for the sandbox, which shares
//! its connection and adds its seeded directory tables beside these).
//!
//! How it meets the trait's obligations: every write is one `BEGIN IMMEDIATE` transaction, so
//! SQLite admits one writer at a time (across connections and processes on the file, waiting up
//! to the busy timeout). Inside it the idempotency key is looked up, the change applied, the
//! case given `MAX(seq) + 1` as its new sequence as the last change to the case row, the
//! operation logged and the answer stored; then commit. Because writers are serialized, no
//! transaction can commit a sequence lower than one already committed: commit order is
//! sequence order and the feed never skips a change.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use pd_domain::{
    Case, CaseBundle, CaseKind, CasePatch, CaseReferences, CaseStatus, Comment, Document,
    DocumentLocation, Priority, Timestamp, Visibility,
};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde::Serialize;

use crate::error::StoreError;
use crate::store::{
    CollabStore, DocumentBytes, FeedPage, NewCaseRecord, NewCommentRecord, NewDocumentRecord,
    OpKind, StoredAnswer, WriteContext, Written,
};

/// The collab tables, in order; `PRAGMA user_version` says how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: the tables as the sandbox first made them (IF NOT EXISTS: older sandbox files have them).
    r#"
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
    content_type TEXT NOT NULL, body BLOB NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS applied_ops(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, op_id TEXT NOT NULL, case_id TEXT NOT NULL,
    kind TEXT NOT NULL, at TEXT NOT NULL);
"#,
    // 2: companies, documents kept in object storage, the ETag of stored answers, expiry scans.
    r#"
ALTER TABLE cases ADD COLUMN company_id TEXT NOT NULL DEFAULT '';
CREATE INDEX cases_by_company_seq ON cases(company_id, seq);
ALTER TABLE documents ADD COLUMN object_key TEXT;
CREATE INDEX idempotency_by_age ON idempotency(created_at);
"#,
    // 3: documents whose bytes are an object in the team's S3 bucket (`document-links`).
    r#"
ALTER TABLE documents ADD COLUMN s3_bucket TEXT;
ALTER TABLE documents ADD COLUMN s3_key TEXT;
"#,
];

/// Columns added by a migration that some files already have (sandbox files written while the
/// sandbox kept its own schema): (migration number, table, column, type).
const ADDED_COLUMNS: &[(usize, &str, &str, &str)] = &[(2, "idempotency", "etag", "INTEGER")];

/// The schema version this build writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// The connection's page cache, in KiB (SQLite's default is 2 MB). Serving a first sync reads
/// every case's comments through the comments-by-case index in the feed's order, which is
/// random in that index: with 2 MB its pages were read from the file again for almost every
/// case of 100,000 (4 % of a first sync's samples). The cache only grows as pages are read.
const CACHE_KIB: i64 = 32 * 1024;

/// Opens (creating if needed) a file with WAL, a busy timeout and foreign keys on.
pub fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}

/// Runs the migrations this file has not seen, each in its own IMMEDIATE transaction.
pub fn migrate_connection(conn: &mut Connection) -> Result<(), StoreError> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let done: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let done = usize::try_from(done).unwrap_or(0);
        if done > MIGRATIONS.len() {
            return Err(StoreError::Backend(format!(
                "the database is at collab schema {done}, newer than this build ({SCHEMA_VERSION}); \
                 upgrade partnerdesk-server"
            )));
        }
        let Some(sql) = MIGRATIONS.get(done) else {
            return Ok(());
        };
        tx.execute_batch(sql)?;
        for (_, table, column, kind) in ADDED_COLUMNS.iter().filter(|(n, ..)| *n == done + 1) {
            let exists = tx
                .prepare(&format!(
                    "SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1"
                ))?
                .exists([column])?;
            if !exists {
                tx.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {kind}"))?;
            }
        }
        tx.pragma_update(None, "user_version", (done + 1) as i64)?;
        tx.commit()?;
    }
}

/// The wire spelling of an instant: RFC 3339, UTC, milliseconds (sorts as text).
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

/// The next feed sequence number. Correct only inside a write transaction (`BEGIN IMMEDIATE`),
/// which serializes writers.
pub fn next_seq(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM cases", [], |r| {
        r.get(0)
    })
}

/// Gives the case a new feed sequence number and version; the last change to the case row in a
/// write.
pub fn touch(tx: &Transaction<'_>, case_id: &str, at: &str) -> Result<i64, StoreError> {
    let seq = next_seq(tx)?;
    tx.execute(
        "UPDATE cases SET seq = ?2, version = version + 1, updated_at = ?3 WHERE id = ?1",
        params![case_id, seq, at],
    )?;
    Ok(
        tx.query_row("SELECT version FROM cases WHERE id = ?1", [case_id], |r| {
            r.get(0)
        })?,
    )
}

/// Records one applied write.
pub fn log_op(
    tx: &Transaction<'_>,
    op_id: &str,
    case_id: &str,
    kind: OpKind,
    at: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO applied_ops(op_id, case_id, kind, at) VALUES (?1, ?2, ?3, ?4)",
        params![op_id, case_id, kind.as_str(), at],
    )?;
    Ok(())
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

/// The case row (with links), if it exists in the company.
pub fn load_case(conn: &Connection, company: &str, id: &str) -> rusqlite::Result<Option<Case>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CASE_COLUMNS} FROM cases WHERE id = ?1 AND company_id = ?2"
    ))?;
    let Some(mut case) = stmt.query_row([id, company], case_from_row).optional()? else {
        return Ok(None);
    };
    let mut links = conn
        .prepare_cached("SELECT transaction_id FROM case_links WHERE case_id = ?1 ORDER BY pos")?;
    case.linked_transactions = links
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(Some(case))
}

/// One page of the change feed: the bundles of the company's cases whose sequence is above
/// `since`, in sequence order, at most `limit`. Four queries per page, however many cases.
pub fn load_page(
    conn: &Connection,
    company: &str,
    since: i64,
    limit: u32,
) -> rusqlite::Result<FeedPage> {
    let limit = i64::from(limit);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CASE_COLUMNS}, seq FROM cases WHERE company_id = ?3 AND seq > ?1
         ORDER BY seq LIMIT ?2"
    ))?;
    let mut rows: Vec<(Case, i64)> = stmt
        .query_map(params![since, limit + 1, company], |r| {
            Ok((case_from_row(r)?, r.get(14)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    let last = rows.last().map(|(_, seq)| *seq);
    let Some(last_seq) = last else {
        return Ok(FeedPage {
            cases: Vec::new(),
            last_seq: None,
            has_more: false,
        });
    };
    let in_page = "SELECT id FROM cases WHERE company_id = ?3 AND seq > ?1 AND seq <= ?2";
    let mut links: HashMap<String, Vec<String>> = HashMap::new();
    for row in conn
        .prepare_cached(&format!(
            "SELECT case_id, transaction_id FROM case_links WHERE case_id IN ({in_page})
             ORDER BY case_id, pos"
        ))?
        .query_map(params![since, last_seq, company], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
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
        .query_map(params![since, last_seq, company], comment_from_row)?
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
            "SELECT id, case_id, name, size, sha256, media_type, uploaded_by, uploaded_at,
                s3_bucket, s3_key
             FROM documents WHERE case_id IN ({in_page}) ORDER BY rowid"
        ))?
        .query_map(params![since, last_seq, company], document_from_row)?
    {
        let doc = doc?;
        documents.entry(doc.case_id.clone()).or_default().push(doc);
    }
    let cases = rows
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
    Ok(FeedPage {
        cases,
        last_seq: last,
        has_more,
    })
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
        location: match (
            r.get::<_, Option<String>>(8)?,
            r.get::<_, Option<String>>(9)?,
        ) {
            (Some(bucket), Some(key)) => DocumentLocation::S3 { bucket, key },
            _ => DocumentLocation::Collab,
        },
        uploaded_by: r.get(6)?,
        uploaded_at: parse_ts(&r.get::<_, String>(7)?)?,
    })
}

/// One document's metadata, if it belongs to the case of the company.
pub fn load_document(
    conn: &Connection,
    company: &str,
    case_id: &str,
    id: &str,
) -> rusqlite::Result<Option<Document>> {
    conn.prepare_cached(
        "SELECT d.id, d.case_id, d.name, d.size, d.sha256, d.media_type, d.uploaded_by,
                d.uploaded_at, d.s3_bucket, d.s3_key
         FROM documents d JOIN cases c ON c.id = d.case_id
         WHERE d.id = ?1 AND d.case_id = ?2 AND c.company_id = ?3",
    )?
    .query_row(params![id, case_id, company], document_from_row)
    .optional()
}

/// A case with its whole thread and documents.
pub fn load_bundle(
    conn: &Connection,
    company: &str,
    id: &str,
) -> rusqlite::Result<Option<CaseBundle>> {
    let Some(case) = load_case(conn, company, id)? else {
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
            "SELECT id, case_id, name, size, sha256, media_type, uploaded_by, uploaded_at,
                s3_bucket, s3_key
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

fn unknown_case(id: &str) -> StoreError {
    StoreError::NotFound(format!("unknown case {id}"))
}

fn require_case(tx: &Transaction<'_>, company: &str, case_id: &str) -> Result<Case, StoreError> {
    load_case(tx, company, case_id)?.ok_or_else(|| unknown_case(case_id))
}

/// The SQLite backend. Cheap to clone; clones share the connection.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the file and runs the migrations.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = open_connection(path)?;
        migrate_connection(&mut conn)?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// A store over a connection someone else also uses (the sandbox's); the caller has run
    /// [`migrate_connection`].
    pub fn shared(conn: Arc<Mutex<Connection>>) -> Self {
        SqliteStore { conn }
    }

    /// The connection, for callers that add their own tables (the sandbox).
    pub fn connection(&self) -> Arc<Mutex<Connection>> {
        Arc::clone(&self.conn)
    }

    /// Runs `work` on the connection off the async runtime.
    async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut conn = conn
                .lock()
                .map_err(|_| StoreError::Backend("database lock poisoned".into()))?;
            work(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("database task failed: {e}")))?
    }

    /// One write: the idempotency check, `apply`, the stored answer, in one IMMEDIATE transaction.
    async fn write<T, F>(
        &self,
        ctx: WriteContext,
        status: u16,
        apply: F,
    ) -> Result<Written<T>, StoreError>
    where
        T: Serialize + Send + 'static,
        F: FnOnce(&Transaction<'_>, &WriteContext) -> Result<(T, i64), StoreError> + Send + 'static,
    {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let Some(idem) = &ctx.idempotency {
                if let Some((fingerprint, created_at, answer)) = stored_answer(&tx, &idem.key)? {
                    let live = idem.not_before.is_none_or(|cut| created_at >= ts(cut));
                    if live {
                        if fingerprint != idem.fingerprint {
                            return Err(StoreError::KeyReused(idem.key.clone()));
                        }
                        return Ok(Written::Replayed(answer));
                    }
                    tx.execute("DELETE FROM idempotency WHERE key = ?1", [&idem.key])?;
                }
            }
            let (value, version) = apply(&tx, &ctx)?;
            if let Some(idem) = &ctx.idempotency {
                let answer = StoredAnswer::of(status, &value, Some(version))?;
                tx.execute(
                    "INSERT INTO idempotency(key, fingerprint, status, content_type, body, created_at, etag)
                     VALUES (?1, ?2, ?3, 'application/json', ?4, ?5, ?6)",
                    params![
                        idem.key,
                        idem.fingerprint,
                        i64::from(answer.status),
                        answer.body,
                        ts(ctx.now),
                        answer.etag
                    ],
                )?;
            }
            tx.commit()?;
            Ok(Written::Applied { value, version })
        })
        .await
    }
}

/// The answer stored under a key: its fingerprint, when it was stored, and the answer.
fn stored_answer(
    conn: &Connection,
    key: &str,
) -> Result<Option<(String, String, StoredAnswer)>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT fingerprint, created_at, status, body, etag FROM idempotency WHERE key = ?1",
            [key],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    StoredAnswer {
                        status: u16::try_from(r.get::<_, i64>(2)?).unwrap_or(200),
                        body: r.get(3)?,
                        etag: r.get(4)?,
                    },
                ))
            },
        )
        .optional()?)
}

#[async_trait]
impl CollabStore for SqliteStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        self.run(migrate_connection).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.run(|conn| {
            let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if usize::try_from(version).ok() == Some(SCHEMA_VERSION) {
                Ok(())
            } else {
                Err(StoreError::Backend(format!(
                    "collab schema is at {version}, expected {SCHEMA_VERSION}: run migrate"
                )))
            }
        })
        .await
    }

    async fn list_changed(
        &self,
        company: &str,
        since: i64,
        limit: u32,
    ) -> Result<FeedPage, StoreError> {
        let company = company.to_string();
        self.run(move |conn| Ok(load_page(conn, &company, since, limit)?))
            .await
    }

    async fn get_case(
        &self,
        company: &str,
        case_id: &str,
    ) -> Result<Option<CaseBundle>, StoreError> {
        let (company, case_id) = (company.to_string(), case_id.to_string());
        self.run(move |conn| Ok(load_bundle(conn, &company, &case_id)?))
            .await
    }

    async fn get_document(
        &self,
        company: &str,
        case_id: &str,
        document_id: &str,
    ) -> Result<Option<Document>, StoreError> {
        let (company, case_id, document_id) = (
            company.to_string(),
            case_id.to_string(),
            document_id.to_string(),
        );
        self.run(move |conn| Ok(load_document(conn, &company, &case_id, &document_id)?))
            .await
    }

    async fn document_content(
        &self,
        company: &str,
        case_id: &str,
        document_id: &str,
    ) -> Result<Option<(String, DocumentBytes)>, StoreError> {
        let (company, case_id, document_id) = (
            company.to_string(),
            case_id.to_string(),
            document_id.to_string(),
        );
        self.run(move |conn| {
            type Row = (
                String,
                Vec<u8>,
                Option<String>,
                Option<String>,
                Option<String>,
            );
            let row: Option<Row> = conn
                .query_row(
                    "SELECT d.media_type, d.content, d.object_key, d.s3_bucket, d.s3_key
                     FROM documents d JOIN cases c ON c.id = d.case_id
                     WHERE d.id = ?1 AND d.case_id = ?2 AND c.company_id = ?3",
                    params![document_id, case_id, company],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?;
            Ok(row.map(|(media_type, content, key, s3_bucket, s3_key)| {
                let bytes = match (key, s3_bucket, s3_key) {
                    (_, Some(bucket), Some(key)) => DocumentBytes::Linked { bucket, key },
                    (Some(key), _, _) => DocumentBytes::Object { key },
                    _ => DocumentBytes::Inline(content),
                };
                (media_type, bytes)
            }))
        })
        .await
    }

    async fn find_answer(
        &self,
        key: &str,
        not_before: Option<Timestamp>,
    ) -> Result<Option<(String, StoredAnswer)>, StoreError> {
        let key = key.to_string();
        self.run(move |conn| {
            Ok(stored_answer(conn, &key)?
                .filter(|(_, created_at, _)| not_before.is_none_or(|cut| *created_at >= ts(cut)))
                .map(|(fingerprint, _, answer)| (fingerprint, answer)))
        })
        .await
    }

    async fn purge_answers(&self, before: Timestamp) -> Result<u64, StoreError> {
        self.run(move |conn| {
            let n = conn.execute(
                "DELETE FROM idempotency WHERE created_at < ?1",
                [ts(before)],
            )?;
            Ok(n as u64)
        })
        .await
    }

    async fn create_case(
        &self,
        ctx: WriteContext,
        record: NewCaseRecord,
    ) -> Result<Written<CaseBundle>, StoreError> {
        self.write(ctx, 201, move |tx, ctx| {
            let new = &record.case;
            let exists: Option<i64> = tx
                .query_row("SELECT 1 FROM cases WHERE id = ?1", [&new.id], |r| r.get(0))
                .optional()?;
            if exists.is_some() {
                return Err(StoreError::Conflict(format!("case {} already exists", new.id)));
            }
            let at = ts(ctx.now);
            let number: i64 = tx.query_row("SELECT COUNT(*) + 1 FROM cases", [], |r| r.get(0))?;
            let reference = format!("CASE-{}-{number:06}", ctx.now.format("%Y"));
            let refs = serde_json::to_string(&new.references)
                .map_err(|e| StoreError::Backend(e.to_string()))?;
            tx.execute(
                "INSERT INTO cases(id, seq, reference, title, partner_id, partner_name, kind, status,
                    priority, owner, sla_due, created_at, updated_at, refs, version, company_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13, 1, ?14)",
                params![
                    new.id,
                    next_seq(tx)?,
                    reference,
                    new.title.trim(),
                    new.partner_id,
                    record.partner_name,
                    new.kind.as_str(),
                    CaseStatus::New.as_str(),
                    new.priority.unwrap_or(Priority::Normal).as_str(),
                    new.owner,
                    new.sla_due.map(ts),
                    at,
                    refs,
                    ctx.company,
                ],
            )?;
            let mut seen = std::collections::HashSet::new();
            for (pos, id) in new
                .linked_transactions
                .iter()
                .filter(|id| seen.insert(id.as_str()))
                .enumerate()
            {
                tx.execute(
                    "INSERT INTO case_links(case_id, transaction_id, pos) VALUES (?1, ?2, ?3)",
                    params![new.id, id, pos as i64],
                )?;
            }
            if let Some(description) = new.description.as_deref().filter(|d| !d.trim().is_empty()) {
                tx.execute(
                    "INSERT INTO comments(id, case_id, author, author_is_partner, body, visibility, created_at)
                     VALUES (?1, ?2, ?3, 0, ?4, 'partner', ?5)",
                    params![
                        uuid::Uuid::new_v4().to_string(),
                        new.id,
                        record.description_author,
                        description,
                        at
                    ],
                )?;
            }
            log_op(tx, &ctx.op_id, &new.id, OpKind::CreateCase, &at)?;
            let bundle = load_bundle(tx, &ctx.company, &new.id)?
                .ok_or_else(|| StoreError::Backend("created case vanished".into()))?;
            let version = bundle.case.version;
            Ok((bundle, version))
        })
        .await
    }

    async fn patch_case(
        &self,
        ctx: WriteContext,
        case_id: &str,
        patch: CasePatch,
        expected_version: Option<i64>,
    ) -> Result<Written<Case>, StoreError> {
        let case_id = case_id.to_string();
        self.write(ctx, 200, move |tx, ctx| {
            let case = require_case(tx, &ctx.company, &case_id)?;
            if let Some(expected) = expected_version {
                if expected != case.version {
                    return Err(StoreError::VersionMismatch {
                        case_id: case_id.clone(),
                        current: case.version,
                        expected,
                    });
                }
            }
            let status = patch.status.unwrap_or(case.status);
            let priority = patch.priority.unwrap_or(case.priority);
            let owner = patch.owner.clone().unwrap_or(case.owner.clone());
            let sla_due = patch.sla_due.unwrap_or(case.sla_due);
            let title = patch
                .title
                .as_deref()
                .map(str::trim)
                .map(str::to_string)
                .unwrap_or(case.title.clone());
            let at = ts(ctx.now);
            let changed = status != case.status
                || priority != case.priority
                || owner != case.owner
                || sla_due != case.sla_due
                || title != case.title;
            if changed {
                tx.execute(
                    "UPDATE cases SET status = ?2, priority = ?3, owner = ?4, sla_due = ?5, title = ?6
                     WHERE id = ?1",
                    params![case_id, status.as_str(), priority.as_str(), owner, sla_due.map(ts), title],
                )?;
            }
            log_op(tx, &ctx.op_id, &case_id, OpKind::PatchCase, &at)?;
            if changed {
                touch(tx, &case_id, &at)?;
            }
            let case = require_case(tx, &ctx.company, &case_id)?;
            let version = case.version;
            Ok((case, version))
        })
        .await
    }

    async fn add_comment(
        &self,
        ctx: WriteContext,
        case_id: &str,
        comment: NewCommentRecord,
    ) -> Result<Written<Comment>, StoreError> {
        let case_id = case_id.to_string();
        self.write(ctx, 201, move |tx, ctx| {
            require_case(tx, &ctx.company, &case_id)?;
            if load_comment(tx, &comment.id)?.is_some() {
                return Err(StoreError::Conflict(format!(
                    "comment {} already exists",
                    comment.id
                )));
            }
            let at = ts(ctx.now);
            tx.execute(
                "INSERT INTO comments(id, case_id, author, author_is_partner, body, visibility, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    comment.id,
                    case_id,
                    comment.author,
                    comment.author_is_partner,
                    comment.body,
                    comment.visibility.as_str(),
                    at
                ],
            )?;
            log_op(tx, &ctx.op_id, &case_id, OpKind::AddComment, &at)?;
            let version = touch(tx, &case_id, &at)?;
            let stored = load_comment(tx, &comment.id)?
                .ok_or_else(|| StoreError::Backend("comment vanished".into()))?;
            Ok((stored, version))
        })
        .await
    }

    async fn link_transaction(
        &self,
        ctx: WriteContext,
        case_id: &str,
        transaction_id: &str,
    ) -> Result<Written<Case>, StoreError> {
        let (case_id, transaction_id) = (case_id.to_string(), transaction_id.to_string());
        self.write(ctx, 200, move |tx, ctx| {
            require_case(tx, &ctx.company, &case_id)?;
            let at = ts(ctx.now);
            let inserted = tx.execute(
                "INSERT OR IGNORE INTO case_links(case_id, transaction_id, pos)
                 VALUES (?1, ?2, (SELECT COALESCE(MAX(pos), -1) + 1 FROM case_links WHERE case_id = ?1))",
                params![case_id, transaction_id],
            )?;
            log_op(tx, &ctx.op_id, &case_id, OpKind::LinkTransaction, &at)?;
            if inserted > 0 {
                touch(tx, &case_id, &at)?;
            }
            let case = require_case(tx, &ctx.company, &case_id)?;
            let version = case.version;
            Ok((case, version))
        })
        .await
    }

    async fn unlink_transaction(
        &self,
        ctx: WriteContext,
        case_id: &str,
        transaction_id: &str,
    ) -> Result<Written<Case>, StoreError> {
        let (case_id, transaction_id) = (case_id.to_string(), transaction_id.to_string());
        self.write(ctx, 200, move |tx, ctx| {
            require_case(tx, &ctx.company, &case_id)?;
            let at = ts(ctx.now);
            let removed = tx.execute(
                "DELETE FROM case_links WHERE case_id = ?1 AND transaction_id = ?2",
                params![case_id, transaction_id],
            )?;
            log_op(tx, &ctx.op_id, &case_id, OpKind::UnlinkTransaction, &at)?;
            if removed > 0 {
                touch(tx, &case_id, &at)?;
            }
            let case = require_case(tx, &ctx.company, &case_id)?;
            let version = case.version;
            Ok((case, version))
        })
        .await
    }

    async fn put_document(
        &self,
        ctx: WriteContext,
        case_id: &str,
        document: NewDocumentRecord,
    ) -> Result<Written<Document>, StoreError> {
        let case_id = case_id.to_string();
        self.write(ctx, 201, move |tx, ctx| {
            require_case(tx, &ctx.company, &case_id)?;
            let taken = tx
                .prepare_cached("SELECT 1 FROM documents WHERE id = ?1")?
                .exists([&document.id])?;
            if taken {
                return Err(StoreError::Conflict(format!(
                    "document {} already exists",
                    document.id
                )));
            }
            let at = ts(ctx.now);
            let (content, key, s3_bucket, s3_key): (
                &[u8],
                Option<&str>,
                Option<&str>,
                Option<&str>,
            ) = match &document.bytes {
                DocumentBytes::Inline(bytes) => (bytes, None, None, None),
                DocumentBytes::Object { key } => (&[], Some(key), None, None),
                DocumentBytes::Linked { bucket, key } => (&[], None, Some(bucket), Some(key)),
            };
            tx.execute(
                "INSERT INTO documents(id, case_id, name, size, sha256, media_type, uploaded_by,
                    uploaded_at, content, object_key, s3_bucket, s3_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    document.id,
                    case_id,
                    document.name,
                    i64::try_from(document.size).unwrap_or(i64::MAX),
                    document.sha256,
                    document.media_type,
                    document.uploaded_by,
                    at,
                    content,
                    key,
                    s3_bucket,
                    s3_key
                ],
            )?;
            log_op(tx, &ctx.op_id, &case_id, OpKind::UploadDocument, &at)?;
            let version = touch(tx, &case_id, &at)?;
            let doc = load_document(tx, &ctx.company, &case_id, &document.id)?
                .ok_or_else(|| StoreError::Backend("document vanished".into()))?;
            Ok((doc, version))
        })
        .await
    }
}
