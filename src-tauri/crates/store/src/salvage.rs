//! Saving the analyst's unsent work from a damaged cache file before a new one starts: the
//! outbox (and the cases and comments made here that it carries) is read from the set-aside
//! file read-only, row by row, skipping rows on damaged pages, and queued again in the new
//! cache in its old order. What came back and what did not is reported, for the window to say.
//! Everything else (server data, cursors) is refilled by the next sync.

use std::collections::BTreeMap;
use std::path::Path;

use pd_domain::{CacheSalvage, Case, Comment, OutboxOp, Visibility};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Transaction};

use crate::cases::{rebase, write_base, write_case, write_comment};
use crate::codec::parse_ts;
use crate::error::Result;

/// Rowids probed one by one past a damaged stretch of the queue, at most.
const MAX_PROBES: i64 = 1_000_000;

/// One queue row as read from the damaged file.
struct Row {
    op_id: String,
    case_id: String,
    op_json: String,
    base_json: Option<String>,
    created_at: String,
    refused: bool,
    attempts: i64,
    last_error: Option<String>,
}

/// What was read from the damaged file, before it is written into the new cache.
#[derive(Default)]
struct Found {
    rows: Vec<Row>,
    /// The server base of each case with queued changes, where readable (`case_json`).
    bases: BTreeMap<String, String>,
    /// Authors of the opening comments of cases created here, where readable.
    authors: BTreeMap<String, String>,
    /// Cases kept on this computer only (their entries are never pushed), with when they were
    /// kept. A case whose mark cannot be read is kept too: nothing is sent without consent.
    kept: BTreeMap<String, String>,
    unreadable: u32,
    queue_unreadable: bool,
    /// What the drop folders remembered (see [`FOLDER_TABLES`]).
    folder_rows: Vec<TableRows>,
}

/// The drop folders' memory, copied into the new cache so a file taken before is never taken
/// again (the ledger), a taken SFTP file is still moved and not taken again (its listing
/// state), and a large file queued for S3 goes on (its upload and confirmed parts), in this
/// order (later tables refer to earlier ones). Where a table breaks off on a damaged page, the
/// rows before the break are kept; a file whose row is lost is recognised by its bytes on
/// its case instead (`ingest.rs`).
const FOLDER_TABLES: [(&str, &str); 4] = [
    ("ingest_ledger", ""),
    ("ingest_remote", ""),
    (
        "uploads",
        " WHERE state IN ('queued', 'paused', 'failed')",
    ),
    (
        "upload_parts",
        " WHERE upload_id IN (SELECT id FROM uploads WHERE state IN ('queued', 'paused', 'failed'))",
    ),
];

/// Rows of one table as read from the damaged file, by column name.
struct TableRows {
    table: &'static str,
    columns: Vec<String>,
    rows: Vec<Vec<rusqlite::types::Value>>,
}

/// Reads every row of `table` it can (in rowid order; up to a damaged page).
fn read_table(conn: &Connection, table: &'static str, filter: &str) -> Option<TableRows> {
    let columns: Vec<String> = conn
        .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .ok()
        .filter(|c| !c.is_empty())?;
    let list = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut found = TableRows {
        table,
        columns,
        rows: Vec::new(),
    };
    let read = (|| -> rusqlite::Result<()> {
        let mut stmt = conn.prepare(&format!("SELECT {list} FROM {table}{filter}"))?;
        let n = stmt.column_count();
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let row = (0..n)
                .map(|i| r.get::<_, rusqlite::types::Value>(i))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            found.rows.push(row);
        }
        Ok(())
    })();
    if let Err(error) = read {
        tracing::warn!(%error, table, kept = found.rows.len(), "a drop-folder table of the damaged cache breaks off");
    }
    Some(found)
}

/// Writes the rows read into the same columns of the new cache (columns it no longer has are
/// left out); a row that does not fit (a reference to a row lost) is skipped. Answers how many
/// were copied.
fn write_table(tx: &Transaction<'_>, found: &TableRows) -> Result<u32> {
    let here: Vec<String> = tx
        .prepare(&format!(
            "SELECT name FROM pragma_table_info('{}')",
            found.table
        ))?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let keep: Vec<usize> = found
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| here.contains(c))
        .map(|(i, _)| i)
        .collect();
    if keep.is_empty() {
        return Ok(0);
    }
    let names = keep
        .iter()
        .map(|&i| format!("\"{}\"", found.columns[i]))
        .collect::<Vec<_>>()
        .join(", ");
    let marks = vec!["?"; keep.len()].join(", ");
    let mut insert = tx.prepare(&format!(
        "INSERT OR IGNORE INTO {} ({names}) VALUES ({marks})",
        found.table
    ))?;
    let mut copied = 0;
    for row in &found.rows {
        let values = keep.iter().filter_map(|&i| row.get(i));
        match insert.execute(rusqlite::params_from_iter(values)) {
            Ok(n) => copied += u32::try_from(n).unwrap_or(0),
            Err(error) => {
                tracing::warn!(%error, table = found.table, "a drop-folder row of the damaged cache was left out");
            }
        }
    }
    Ok(copied)
}

/// Reads what it can from `damaged` and queues it again in `tx` (the new, empty cache).
pub(crate) fn salvage_into(tx: &Transaction<'_>, damaged: &Path) -> Result<CacheSalvage> {
    let found = read_damaged(damaged);
    write_found(tx, found)
}

fn read_damaged(damaged: &Path) -> Found {
    let mut found = Found::default();
    let conn = match Connection::open_with_flags(
        damaged,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        Ok(conn) => conn,
        Err(error) => {
            tracing::warn!(%error, "the damaged cache cannot be opened to save its queue");
            found.queue_unreadable = true;
            return found;
        }
    };
    let _ = conn.busy_timeout(std::time::Duration::from_secs(2));
    // A truncated file's header promises more pages than there are; SQLite reads such a file
    // only with this set (on a read-only connection it writes nothing).
    let _ = conn.execute_batch("PRAGMA writable_schema = ON");
    found.folder_rows = FOLDER_TABLES
        .iter()
        .filter_map(|(table, filter)| read_table(&conn, table, filter))
        .collect();
    let Some(select) = row_select(&conn) else {
        found.queue_unreadable = true;
        return found;
    };
    read_rows(&conn, &select, &mut found);
    for row in &found.rows {
        if found.bases.contains_key(&row.case_id) {
            continue;
        }
        let base: rusqlite::Result<Option<String>> = conn
            .query_row(
                "SELECT case_json FROM case_base WHERE case_id = ?1",
                [&row.case_id],
                |r| r.get(0),
            )
            .optional();
        if let Ok(Some(json)) = base {
            found.bases.insert(row.case_id.clone(), json);
        }
        let kept: rusqlite::Result<Option<String>> = conn
            .query_row(
                "SELECT kept_at FROM kept_cases WHERE case_id = ?1",
                [&row.case_id],
                |r| r.get(0),
            )
            .optional();
        match kept {
            Ok(Some(at)) => {
                found.kept.insert(row.case_id.clone(), at);
            }
            Ok(None) => {}
            Err(error) if !error.to_string().contains("no such table") => {
                found
                    .kept
                    .insert(row.case_id.clone(), crate::codec::ts(chrono::Utc::now()));
            }
            Err(_) => {}
        }
        let description = format!("{}-description", row.case_id);
        let author: rusqlite::Result<Option<String>> = conn
            .query_row(
                "SELECT author FROM comments WHERE id = ?1",
                [&description],
                |r| r.get(0),
            )
            .optional();
        if let Ok(Some(author)) = author {
            found.authors.insert(description, author);
        }
    }
    found
}

/// The columns to read, after the damaged file's own schema: `op_json` since schema 5, `kind`
/// and `payload_json` before (turned into one value as migration 5 does). `None` when even the
/// schema cannot be read.
fn row_select(conn: &Connection) -> Option<String> {
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('outbox')")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .ok()?;
    let op = if columns.iter().any(|c| c == "op_json") {
        "op_json"
    } else if columns.iter().any(|c| c == "payload_json") && columns.iter().any(|c| c == "kind") {
        "CASE WHEN json_valid(payload_json) AND json_type(payload_json) = 'object' \
         THEN json_set(payload_json, '$.op', kind) ELSE payload_json END"
    } else {
        return None;
    };
    Some(format!(
        "op_id, case_id, {op}, base_json, created_at, state, attempts, last_error"
    ))
}

fn row_from(r: &rusqlite::Row<'_>, offset: usize) -> rusqlite::Result<Row> {
    let state: String = r.get(offset + 5)?;
    Ok(Row {
        op_id: r.get(offset)?,
        case_id: r.get(offset + 1)?,
        op_json: r.get(offset + 2)?,
        base_json: r.get(offset + 3)?,
        created_at: r.get(offset + 4)?,
        refused: state == "failed",
        attempts: r.get(offset + 6)?,
        last_error: r.get(offset + 7)?,
    })
}

/// Scans the queue in order; where the scan breaks on a damaged page, looks the remaining
/// rowids up one by one (up to the highest the file handed out), counting those that fail.
fn read_rows(conn: &Connection, select: &str, found: &mut Found) {
    let mut last_good = 0i64;
    let scanned = (|| -> rusqlite::Result<()> {
        let mut statement = conn.prepare(&format!(
            "SELECT rowid, {select} FROM outbox ORDER BY rowid"
        ))?;
        let mut rows = statement.query([])?;
        while let Some(r) = rows.next()? {
            let rowid: i64 = r.get(0)?;
            match row_from(r, 1) {
                Ok(row) => found.rows.push(row),
                Err(_) => found.unreadable += 1,
            }
            last_good = rowid;
        }
        Ok(())
    })();
    let Err(error) = scanned else {
        return;
    };
    tracing::warn!(%error, after_rowid = last_good, "the damaged cache's queue breaks off; reading on row by row");
    let highest: Option<i64> = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'",
            [],
            |r| r.get(0),
        )
        .ok();
    let Some(highest) = highest else {
        // Nothing says how far the queue went: what followed the break is unknown.
        found.queue_unreadable = found.rows.is_empty();
        found.unreadable = found.unreadable.max(1);
        return;
    };
    let Ok(mut one) = conn.prepare(&format!("SELECT {select} FROM outbox WHERE rowid = ?1")) else {
        found.unreadable += 1;
        return;
    };
    let end = highest.min(last_good.saturating_add(MAX_PROBES));
    for rowid in last_good.saturating_add(1)..=end {
        match one.query_row([rowid], |r| row_from(r, 0)).optional() {
            Ok(Some(row)) => found.rows.push(row),
            Ok(None) => {}
            Err(_) => found.unreadable += 1,
        }
    }
}

/// Writes what was found into the new cache: the queue in its old order (in-flight entries
/// pending again, refused ones still refused), each case's base, the cases and comments made
/// here, then the visible cases recomputed from base plus queue.
fn write_found(tx: &Transaction<'_>, found: Found) -> Result<CacheSalvage> {
    let mut report = CacheSalvage {
        unreadable_changes: found.unreadable,
        queue_unreadable: found.queue_unreadable,
        ..CacheSalvage::default()
    };
    let mut cases_with_rows: BTreeMap<String, bool> = BTreeMap::new();
    let mut queued = Vec::new();
    for row in found.rows {
        let Ok(created_at) = parse_ts(&row.created_at) else {
            report.unreadable_changes += 1;
            continue;
        };
        if row.op_id.is_empty() || row.case_id.is_empty() {
            report.unreadable_changes += 1;
            continue;
        }
        let op = serde_json::from_str::<OutboxOp>(&row.op_json).ok();
        if !cases_with_rows.contains_key(&row.case_id) {
            // The case row must exist before its comments: from its readable base, or for a
            // case created here, from its creation.
            let base = found
                .bases
                .get(&row.case_id)
                .and_then(|json| serde_json::from_str::<Case>(json).ok())
                .or_else(|| match &op {
                    Some(OutboxOp::CreateCase(new)) => Some(crate::local::case_from_new(
                        new,
                        &new.partner_id,
                        created_at,
                    )),
                    _ => None,
                });
            let written = match base {
                Some(base) if base.id == row.case_id => {
                    let local_only = matches!(op, Some(OutboxOp::CreateCase(_)));
                    write_case(tx, &base, local_only)?;
                    write_base(tx, &base)?;
                    if let Some(at) = found.kept.get(&row.case_id) {
                        tx.prepare_cached(
                            "INSERT OR IGNORE INTO kept_cases (case_id, kept_at) VALUES (?1, ?2)",
                        )?
                        .execute(params![row.case_id, at])?;
                    }
                    report.local_cases += u32::from(local_only);
                    true
                }
                _ => false,
            };
            cases_with_rows.insert(row.case_id.clone(), written);
        }
        if found.kept.contains_key(&row.case_id)
            && cases_with_rows.get(&row.case_id) == Some(&false)
        {
            // A case kept on this computer whose case could not be rebuilt: its entries are
            // not queued, so nothing of it is sent without the analyst sharing it.
            report.unreadable_changes += 1;
            continue;
        }
        let inserted = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO outbox (op_id, case_id, op_json, base_json, created_at, \
                 state, attempts, next_attempt_at, last_error) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8)",
            )?
            .execute(params![
                row.op_id,
                row.case_id,
                row.op_json,
                row.base_json,
                row.created_at,
                if row.refused { "failed" } else { "pending" },
                row.attempts.max(0),
                row.last_error,
            ])?;
        if inserted == 0 {
            continue;
        }
        report.changes += 1;
        report.refused_changes += u32::from(row.refused);
        if cases_with_rows.get(&row.case_id) == Some(&true) {
            queued.push((row.op_id, row.case_id, op, created_at));
        }
    }
    let mut authors = found.authors;
    // Where an opening comment's author cannot be read, the analyst's name from their other
    // queued comments stands in (it is the same person).
    let analyst = queued
        .iter()
        .find_map(|(_, _, op, _)| match op {
            Some(OutboxOp::AddComment(new)) => Some(new.author.clone()),
            _ => None,
        })
        .unwrap_or_default();
    for (op_id, case_id, op, created_at) in queued {
        if let Some(OutboxOp::AttachDocument(doc)) = &op {
            let taken = tx
                .prepare_cached("SELECT 1 FROM documents WHERE id = ?1")?
                .exists([&doc.id])?;
            if !taken {
                crate::documents::write_local_document(tx, &case_id, doc, &op_id, created_at)?;
            }
        }
        let comment = match op {
            Some(OutboxOp::AddComment(new)) => Some(Comment {
                id: new.id,
                case_id,
                author: new.author,
                author_is_partner: false,
                body: new.body,
                visibility: new.visibility,
                created_at,
            }),
            Some(OutboxOp::CreateCase(new)) => new
                .description
                .filter(|d| !d.trim().is_empty())
                .map(|body| {
                    let id = format!("{}-description", new.id);
                    let author = authors.remove(&id).unwrap_or_else(|| analyst.clone());
                    (id, author, body)
                })
                .map(|(id, author, body)| Comment {
                    id,
                    case_id,
                    author,
                    author_is_partner: false,
                    body,
                    visibility: Visibility::Partner,
                    created_at,
                }),
            _ => None,
        };
        if let Some(comment) = comment {
            write_comment(tx, &comment, Some(&op_id))?;
            report.local_comments += 1;
        }
    }
    for (case_id, written) in &cases_with_rows {
        if *written {
            rebase(tx, case_id)?;
        }
    }
    for table in &found.folder_rows {
        let copied = write_table(tx, table)?;
        tracing::info!(
            table = table.table,
            copied,
            read = table.rows.len(),
            "drop-folder memory saved from the damaged cache"
        );
    }
    crate::outbox::fail_unreadable(tx)?;
    Ok(report)
}

/// The salvage in one log line.
pub(crate) fn describe(report: &CacheSalvage) -> String {
    format!(
        "{} changes saved ({} refused), {} local cases, {} local comments, {} queue rows unreadable{}",
        report.changes,
        report.refused_changes,
        report.local_cases,
        report.local_comments,
        report.unreadable_changes,
        if report.queue_unreadable {
            ", queue unreadable"
        } else {
            ""
        }
    )
}
