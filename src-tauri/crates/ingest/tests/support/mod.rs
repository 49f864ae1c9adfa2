//! Shared by the drop-folder tests: reading a cache file's ledger the way an analyst would see
//! it (every file once, each a document on an existing case).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::Path;

/// One ledger row, read back raw.
#[derive(Debug, Clone)]
pub struct Row {
    /// Path inside the folder.
    pub path: String,
    /// Size.
    pub size: i64,
    /// Hex SHA-256.
    pub sha256: String,
    /// taken / duplicate / failed.
    pub outcome: String,
    /// The case.
    pub case_id: Option<String>,
    /// The document.
    pub document_id: Option<String>,
    /// The rule that fired.
    pub rule: Option<String>,
}

/// Every ledger row, oldest first.
pub fn rows(db: &Path) -> Vec<Row> {
    let conn = rusqlite::Connection::open(db).expect("cache");
    let mut stmt = conn
        .prepare(
            "SELECT path, size, sha256, outcome, case_id, document_id, rule FROM ingest_ledger ORDER BY id",
        )
        .expect("ledger");
    stmt.query_map([], |r| {
        Ok(Row {
            path: r.get(0)?,
            size: r.get(1)?,
            sha256: r.get(2)?,
            outcome: r.get(3)?,
            case_id: r.get(4)?,
            document_id: r.get(5)?,
            rule: r.get(6)?,
        })
    })
    .expect("rows")
    .collect::<rusqlite::Result<Vec<_>>>()
    .expect("rows")
}

/// How many ledger rows (0 before the cache exists).
pub fn ledger_count(db: &Path) -> i64 {
    let Ok(conn) = rusqlite::Connection::open(db) else {
        return 0;
    };
    conn.query_row("SELECT count(*) FROM ingest_ledger", [], |r| r.get(0))
        .unwrap_or(0)
}

/// Asserts every row is a taken file with a document on an existing case, each path once, and
/// answers the rows by path.
pub fn assert_each_once_on_a_case(db: &Path) -> HashMap<String, Row> {
    let rows = rows(db);
    let conn = rusqlite::Connection::open(db).expect("cache");
    let mut by_path = HashMap::new();
    for row in rows {
        assert_eq!(row.outcome, "taken", "{row:?}");
        let doc = row.document_id.clone().expect("document");
        let case = row.case_id.clone().expect("case");
        let (doc_case, doc_sha): (String, String) = conn
            .query_row(
                "SELECT case_id, sha256 FROM documents WHERE id = ?1",
                [&doc],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("the document is on the case");
        assert_eq!(doc_case, case);
        assert_eq!(doc_sha, row.sha256);
        let cases: i64 = conn
            .query_row("SELECT count(*) FROM cases WHERE id = ?1", [&case], |r| {
                r.get(0)
            })
            .expect("case");
        assert_eq!(cases, 1, "the case exists");
        let previous = by_path.insert(row.path.clone(), row);
        assert!(previous.is_none(), "a file taken twice: {previous:?}");
    }
    let documents: i64 = conn
        .query_row("SELECT count(*) FROM documents", [], |r| r.get(0))
        .expect("documents");
    assert_eq!(documents as usize, by_path.len(), "one document per file");
    by_path
}
