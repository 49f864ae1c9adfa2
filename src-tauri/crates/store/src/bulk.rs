//! Large pulls written fast: several change-feed pages in one transaction with a larger page
//! cache, and for the first sync the full-text index built once at the end instead of case by
//! case. Profiling the first sync of 100,000 cases showed the cache's writes, not the server or
//! JSON, taking 85 % of the time: rewriting the same index pages in 100 small commits, and FTS5
//! flushing and merging a segment per page.

use pd_domain::CasePage;
use rusqlite::{Connection, OptionalExtension};

use crate::cases::{apply_bundle_with, insert_search_document, search_document, SearchIndexing};
use crate::error::Result;

/// `sync_state` key present while some cases have no full-text document yet (a first sync
/// under way or interrupted); [`build_search_index`] removes it.
pub(crate) const DEFERRED_KEY: &str = "search_index.deferred";

/// FTS5's in-memory buffer while the whole index is built (its default is 1 MB): fewer, larger
/// segments to write and merge.
const BUILD_HASH_BYTES: i64 = 32 * 1024 * 1024;
/// FTS5's default buffer, restored after the build.
const DEFAULT_HASH_BYTES: i64 = 1024 * 1024;

/// Stores `pages` in order inside the caller's transaction, the last page's cursor with them.
pub(crate) fn apply_pages(
    conn: &Connection,
    pages: &[CasePage],
    cursor_key: &str,
    search: SearchIndexing,
) -> Result<()> {
    if search == SearchIndexing::Deferred {
        crate::set_cursor_in(conn, DEFERRED_KEY, "1")?;
    }
    for page in pages {
        for bundle in &page.cases {
            apply_bundle_with(conn, bundle, search)?;
        }
    }
    if let Some(last) = pages.last() {
        crate::set_cursor_in(conn, cursor_key, &last.next_cursor)?;
    }
    Ok(())
}

/// Whether some cases still wait for their full-text documents.
pub(crate) fn is_deferred(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM sync_state WHERE key = ?1")?
        .query_row([DEFERRED_KEY], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Rebuilds the whole full-text index from the cached cases and threads when it was deferred;
/// answers how many documents it wrote (0: nothing was deferred).
pub(crate) fn build_search_index(conn: &Connection) -> Result<u64> {
    if !is_deferred(conn)? {
        return Ok(0);
    }
    conn.execute_batch(&format!(
        "INSERT INTO case_fts(case_fts) VALUES ('delete-all'); \
         INSERT INTO case_fts(case_fts, rank) VALUES ('hashsize', {BUILD_HASH_BYTES});"
    ))?;
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM cases ORDER BY rid")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut written = 0u64;
    for id in &ids {
        if let Some(doc) = search_document(conn, id)? {
            insert_search_document(conn, &doc)?;
            written += 1;
        }
    }
    conn.execute_batch(&format!(
        "INSERT INTO case_fts(case_fts, rank) VALUES ('hashsize', {DEFAULT_HASH_BYTES});"
    ))?;
    conn.prepare_cached("DELETE FROM sync_state WHERE key = ?1")?
        .execute([DEFERRED_KEY])?;
    Ok(written)
}
