//! Large pulls written fast: several change-feed pages in one transaction with a larger page
//! cache, and for the first sync the full-text index built once at the end instead of case by
//! case. Profiling the first sync of 100,000 cases showed the cache's writes, not the server or
//! JSON, taking 85 % of the time: rewriting the same index pages in 100 small commits, and FTS5
//! flushing and merging a segment per page. After that, most of what was left was SQLite
//! keeping the case table's secondary indexes up to date row by row, in random key order: a
//! first sync now drops them while it loads and creates each once at the end (a sort instead of
//! 100,000 b-tree descents).

use pd_domain::CasePage;
use rusqlite::{Connection, OptionalExtension};

use crate::cases::{apply_bundle_with, SearchIndexing, CASE_INSERT_TRIGGERS};
use crate::error::Result;

/// `sync_state` key present while some cases have no full-text document yet (a first sync
/// under way or interrupted); [`build_search_index`] removes it.
pub(crate) const DEFERRED_KEY: &str = "search_index.deferred";

/// `sync_state` key holding the secondary indexes a first sync dropped (JSON `[[name, sql]]`)
/// until [`finish_first_sync`] creates them again. Written in the transaction that drops them,
/// so a sync killed at any point leaves either the indexes or this list of them.
pub(crate) const DROPPED_INDEXES_KEY: &str = "bulk.dropped_indexes";

/// The tables whose secondary indexes a first sync drops while it loads: `cases` alone (17
/// indexes, most of the load's index work). Queries on it without them are single scans of
/// one table. The indexes of its child tables (comments, status history, documents, links,
/// reference numbers) stay: they answer per-case lookups that run once per case of a list or
/// of the SLA watcher, where a scan each time would cost minutes. Primary keys and `UNIQUE`
/// constraints stay everywhere (upserts and every lookup by id use them).
const BULK_TABLES: &str = "'cases'";

/// FTS5's in-memory buffer while the whole index is built (its default is 1 MB). At 128 MB the
/// index of 100,000 cases and 500,000 comments is written as one segment, so the `optimize`
/// after a large pull (`Store::optimize`) has nothing to merge: measured on that cache, the
/// build 3.4 to 3.9 s and the merge 0 s, against 4.0 to 4.5 s and 1.0 to 1.4 s with 32 MB (peak
/// memory of the build 274 MB against 190 MB, only while it runs). Larger tenants flush more
/// than one segment, which the merge then joins as before.
const BUILD_HASH_BYTES: i64 = 128 * 1024 * 1024;
/// FTS5's default buffer, restored after the build.
const DEFAULT_HASH_BYTES: i64 = 1024 * 1024;

/// Stores `pages` in order inside the caller's transaction, the last page's cursor with them.
pub(crate) fn apply_pages(
    conn: &Connection,
    pages: &[CasePage],
    cursor_key: &str,
    search: SearchIndexing,
) -> Result<()> {
    let mut counters = Vec::new();
    if search == SearchIndexing::Deferred {
        crate::set_cursor_in(conn, DEFERRED_KEY, "1")?;
        drop_indexes(conn)?;
        counters = take_triggers(conn, COUNTER_TRIGGERS)?;
        // The new cases' status history and reference numbers are written with each row
        // (`cases::insert_new_case`), without a trigger program and statement journal per row.
        counters.extend(take_triggers(conn, CASE_INSERT_TRIGGERS)?);
    }
    for page in pages {
        for bundle in &page.cases {
            apply_bundle_with(conn, bundle, search)?;
        }
    }
    if search == SearchIndexing::Deferred {
        // Back before the commit (no other write ever runs without them), and the one move of
        // the list's counter that the rows of this transaction stand for.
        for sql in &counters {
            conn.execute_batch(sql)?;
        }
        conn.prepare_cached("UPDATE case_list_version SET n = n + 1 WHERE id = 1")?
            .execute([])?;
    }
    if let Some(last) = pages.last() {
        crate::set_cursor_in(conn, cursor_key, &last.next_cursor)?;
    }
    Ok(())
}

/// The triggers that move `case_list_version` once per case or comment row written: a first
/// sync's bulk transaction drops them while it writes and creates them again before it commits,
/// moving the counter once itself (the case list re-reads its filter columns after such a
/// write anyway), instead of running a trigger and an update per row for 600,000 rows.
const COUNTER_TRIGGERS: &[&str] = &[
    "cases_version_insert",
    "cases_version_update",
    "cases_version_delete",
    "comments_version_insert",
    "comments_version_update",
    "comments_version_delete",
];

/// Drops the triggers named in `names` that exist; answers the SQL that creates each again.
fn take_triggers(conn: &Connection, names: &[&str]) -> Result<Vec<String>> {
    let mut taken = Vec::with_capacity(names.len());
    for name in names {
        let sql: Option<String> = conn
            .prepare_cached(
                "SELECT sql FROM main.sqlite_schema WHERE type = 'trigger' AND name = ?1",
            )?
            .query_row([name], |r| r.get(0))
            .optional()?;
        if let Some(sql) = sql {
            conn.execute_batch(&format!("DROP TRIGGER main.\"{name}\""))?;
            taken.push(sql);
        }
    }
    Ok(taken)
}

/// Whether a first sync is unfinished: some cases still wait for their full-text documents,
/// or the indexes it dropped are not back yet.
pub(crate) fn is_deferred(conn: &Connection) -> Result<bool> {
    Ok(has_key(conn, DEFERRED_KEY)? || has_key(conn, DROPPED_INDEXES_KEY)?)
}

fn has_key(conn: &Connection, key: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM sync_state WHERE key = ?1")?
        .query_row([key], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Whether the index `name` exists (a first sync may have dropped it for a while).
pub(crate) fn index_exists(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = ?1")?
        .query_row([name], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Drops the secondary indexes of [`BULK_TABLES`], remembering each one's SQL under
/// [`DROPPED_INDEXES_KEY`] (added to what an interrupted first sync already dropped).
fn drop_indexes(conn: &Connection) -> Result<()> {
    let dropping: Vec<(String, String)> = conn
        .prepare(&format!(
            "SELECT s.name, s.sql FROM sqlite_schema s \
             WHERE s.type = 'index' AND s.sql IS NOT NULL AND s.tbl_name IN ({BULK_TABLES}) \
             AND NOT EXISTS (SELECT 1 FROM pragma_index_list(s.tbl_name) l \
                             WHERE l.name = s.name AND l.\"unique\") \
             ORDER BY s.name"
        ))?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if dropping.is_empty() {
        return Ok(());
    }
    let mut kept = dropped_indexes(conn)?;
    for (name, sql) in dropping {
        conn.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
        kept.retain(|(n, _)| *n != name);
        kept.push((name, sql));
    }
    crate::set_cursor_in(conn, DROPPED_INDEXES_KEY, &serde_json::to_string(&kept)?)
}

/// The indexes a first sync dropped and has not created again.
fn dropped_indexes(conn: &Connection) -> Result<Vec<(String, String)>> {
    let json: Option<String> = conn
        .prepare_cached("SELECT value FROM sync_state WHERE key = ?1")?
        .query_row([DROPPED_INDEXES_KEY], |r| r.get(0))
        .optional()?;
    Ok(match json {
        Some(json) => serde_json::from_str(&json)?,
        None => Vec::new(),
    })
}

/// Creates the indexes a first sync dropped (each one that a migration has not created in the
/// meantime); answers how many.
pub(crate) fn restore_indexes(conn: &Connection) -> Result<usize> {
    let dropped = dropped_indexes(conn)?;
    let mut created = 0;
    // The sorter may use a second thread for each index's sort.
    conn.execute_batch("PRAGMA threads = 2")?;
    for (name, sql) in &dropped {
        if !index_exists(conn, name)? {
            conn.execute_batch(sql)?;
            created += 1;
        }
    }
    conn.execute_batch("PRAGMA threads = 0")?;
    conn.prepare_cached("DELETE FROM sync_state WHERE key = ?1")?
        .execute([DROPPED_INDEXES_KEY])?;
    Ok(created)
}

/// Rebuilds the whole full-text index from the cached cases and threads when it was deferred;
/// answers how many documents it wrote (0: nothing was deferred).
pub(crate) fn build_search_index(conn: &Connection) -> Result<u64> {
    if !has_key(conn, DEFERRED_KEY)? {
        return Ok(0);
    }
    conn.execute_batch(&format!(
        "INSERT INTO case_fts(case_fts) VALUES ('delete-all'); \
         INSERT INTO case_fts(case_fts, rank) VALUES ('hashsize', {BUILD_HASH_BYTES});"
    ))?;
    // One statement, in SQLite: the same document per case as `cases::search_document` (title,
    // partner, the reference and every reference number, the comment bodies), without a round
    // trip through Rust for each of 100,000 cases.
    let written = conn.execute(
        "INSERT INTO case_fts (rowid, title, partner, refs, comments) \
         SELECT c.rid, c.title, c.partner_name, \
            c.reference || coalesce((SELECT group_concat(' ' || r.value, '') FROM ( \
                SELECT value FROM json_each(c.references_json, '$.poNumbers') \
                UNION ALL SELECT value FROM json_each(c.references_json, '$.invoiceNumbers') \
                UNION ALL SELECT value FROM json_each(c.references_json, '$.shipmentNumbers') \
            ) r), ''), \
            coalesce((SELECT group_concat(m.body, char(10)) FROM comments m \
                      WHERE m.case_id = c.id), '') \
         FROM cases c ORDER BY c.rid",
        [],
    )?;
    let written = u64::try_from(written).unwrap_or(0);
    conn.execute_batch(&format!(
        "INSERT INTO case_fts(case_fts, rank) VALUES ('hashsize', {DEFAULT_HASH_BYTES});"
    ))?;
    conn.prepare_cached("DELETE FROM sync_state WHERE key = ?1")?
        .execute([DEFERRED_KEY])?;
    Ok(written)
}
