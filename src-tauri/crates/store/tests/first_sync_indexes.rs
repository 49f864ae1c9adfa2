//! A first sync drops the cache's secondary indexes while it loads and creates them at the end.
//! Meanwhile the case list must answer exactly what a cache with its indexes answers (sorted by
//! any column, over more cases than it sorts directly), and afterwards every index is back.

mod common;

use chrono::Duration;
use common::*;
use pd_domain::*;
use pd_store::*;

const CASES: u32 = 2600;

/// Cases with every sortable column varied, in pages of 650, each case with a comment.
fn pages() -> Vec<CasePage> {
    let owners = [None, Some("ann"), Some("bob"), Some("cem")];
    let all: Vec<CaseBundle> = (0..CASES)
        .map(|n| {
            let (pid, pname) = [("GC1", "Acme Foods"), ("GC2", "Verona Parts")][n as usize % 2];
            let mut c = case(n, pid, pname);
            // Scrambled so no column's order is the insertion order.
            let k = (n * 7919) % CASES;
            c.title = format!("Shipment {k} short by {} pallets", k % 13);
            c.reference = format!("CASE-2026-{k:06}");
            c.kind = CaseKind::ALL[(k as usize) % CaseKind::ALL.len()];
            c.status = CaseStatus::ALL[(k as usize / 3) % CaseStatus::ALL.len()];
            c.priority = Priority::ALL[(k as usize / 5) % Priority::ALL.len()];
            c.owner = owners[(k as usize) % owners.len()].map(str::to_string);
            c.sla_due = (!k.is_multiple_of(3)).then(|| t0() + Duration::hours(i64::from(k % 97)));
            c.updated_at = t0() + Duration::minutes(i64::from(k));
            c.references.po_numbers = vec![format!("PO-{k}")];
            let note = comment(&c.id, &format!("cm-{n}"), &format!("pallet count {k}"), 3);
            bundle(c, vec![note], vec![])
        })
        .collect();
    all.chunks(650)
        .enumerate()
        .map(|(i, chunk)| page(chunk.to_vec(), &format!("p{i}")))
        .collect()
}

fn sorted_queries() -> Vec<CaseQuery> {
    let mut out = Vec::new();
    for sort in CaseSortField::ALL {
        for descending in [false, true] {
            out.push(CaseQuery {
                sort,
                descending,
                limit: 40,
                offset: 30,
                ..CaseQuery::default()
            });
        }
    }
    out.push(CaseQuery {
        owners: vec!["ann".into(), String::new()],
        sort: CaseSortField::Title,
        limit: 25,
        ..CaseQuery::default()
    });
    out
}

fn answers(store: &Store, queries: &[CaseQuery]) -> Vec<(Vec<String>, u32, Vec<StatusCount>)> {
    queries
        .iter()
        .map(|q| {
            let page = store.list_cases(q, t0()).expect("list");
            let ids = page.rows.iter().map(|r| r.id.clone()).collect();
            (
                ids,
                page.total,
                store.status_counts(q, t0()).expect("counts"),
            )
        })
        .collect()
}

/// Every index of the file: name and SQL.
fn indexes(store: &Store) -> Vec<(String, Option<String>)> {
    let conn = rusqlite::Connection::open(store.path()).expect("open");
    let mut stmt = conn
        .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'index' ORDER BY name")
        .expect("prepare");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows")
}

#[test]
fn the_list_answers_the_same_while_a_first_sync_has_dropped_its_indexes_and_all_come_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pages = pages();

    // The reference: every page written with the indexes kept and searchable at once.
    let reference = Store::open(dir.path().join("reference.db")).expect("open");
    let all_indexes = indexes(&reference);
    assert!(all_indexes.len() > 30, "indexes: {}", all_indexes.len());
    for p in &pages {
        reference
            .apply_case_pages(std::slice::from_ref(p), "collab.cases", SearchIndexing::Now)
            .expect("reference page");
    }

    let loading = Store::open(dir.path().join("loading.db")).expect("open");
    loading
        .apply_case_pages(&pages[..1], "collab.cases", SearchIndexing::Deferred)
        .expect("first page");
    let during = indexes(&loading);
    assert!(
        !during
            .iter()
            .any(|(n, _)| n == "cases_title" || n == "cases_facets"),
        "the first sync loads without the case table's secondary indexes"
    );
    for kept in ["comments_case", "case_status_log_case", "documents_case"] {
        assert!(
            during.iter().any(|(n, _)| n == kept),
            "per-case lookups (a thread, the status history) keep {kept}"
        );
    }
    assert!(
        during
            .iter()
            .any(|(n, _)| n.starts_with("sqlite_autoindex_cases")),
        "the unique case id stays"
    );
    assert!(loading.search_index_deferred().expect("flag"));
    loading
        .apply_case_pages(&pages[1..], "collab.cases", SearchIndexing::Deferred)
        .expect("the other pages");

    let queries = sorted_queries();
    assert_eq!(
        answers(&loading, &queries),
        answers(&reference, &queries),
        "the list while the indexes are gone"
    );

    let indexed = loading.build_deferred_search_index().expect("finish");
    assert_eq!(indexed, u64::from(CASES));
    assert!(!loading.search_index_deferred().expect("flag"));
    assert_eq!(indexes(&loading), all_indexes, "every index is back");
    let mut with_search = queries.clone();
    for text in ["pallets", "shipment 12", "PO-77", "pal"] {
        with_search.push(CaseQuery {
            search: Some(text.into()),
            limit: 30,
            ..CaseQuery::default()
        });
    }
    assert_eq!(
        answers(&loading, &with_search),
        answers(&reference, &with_search),
        "the list after the indexes came back"
    );
    // A second finish has nothing left to do.
    assert_eq!(loading.build_deferred_search_index().expect("again"), 0);
}

/// Rows of the tables a new case's insert writes besides its own row, as text, in a fixed order.
fn side_rows(store: &Store) -> Vec<Vec<String>> {
    let conn = rusqlite::Connection::open(store.path()).expect("open");
    [
        "SELECT case_id || '|' || status || '|' || at FROM case_status_log \
            ORDER BY case_id, at, status",
        "SELECT case_id || '|' || kind || '|' || value FROM case_reference_index \
            ORDER BY case_id, kind, value",
        "SELECT id || '|' || case_id || '|' || body FROM comments ORDER BY id",
        "SELECT id || '|' || case_id || '|' || name FROM documents ORDER BY id",
        "SELECT name || '|' || sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY name",
    ]
    .iter()
    .map(|sql| {
        conn.prepare(sql)
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<Vec<String>>>()
            .expect("rows")
    })
    .collect()
}

#[test]
fn new_cases_written_in_bulk_hold_what_the_insert_triggers_write_page_by_page() {
    // A first sync's bulk write inserts new cases without the `AFTER INSERT` triggers (it writes
    // their status history and reference numbers itself) and their comments and documents
    // without upserts: the file must hold what a page-by-page write with every trigger holds,
    // also when the server moved a cached comment and document to a case new to the cache.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pages = pages();
    let mut moved = case(CASES, "GC1", "Acme Foods");
    moved.status = CaseStatus::WaitingOnPartner;
    moved.references.invoice_numbers = vec!["INV-1".into(), "INV-2".into()];
    moved.references.shipment_numbers = vec!["ASN-9".into()];
    let (comment_id, document_id) = ("cm-0", "doc-moved");
    let first_id = pages[0].cases[0].case.id.clone();
    pages[0].cases[0]
        .documents
        .push(document(&first_id, document_id, "bol.pdf"));
    let mut note = comment(&moved.id, comment_id, "moved here by the server", 9);
    note.author_is_partner = false;
    let moved = bundle(
        moved.clone(),
        vec![note],
        vec![document(&moved.id, document_id, "bol.pdf")],
    );
    pages.push(page(vec![moved], "p-moved"));

    let reference = Store::open(dir.path().join("reference.db")).expect("open");
    for p in &pages {
        reference
            .apply_case_pages(std::slice::from_ref(p), "collab.cases", SearchIndexing::Now)
            .expect("reference page");
    }
    let bulk = Store::open(dir.path().join("bulk.db")).expect("open");
    bulk.apply_case_pages(&pages[..2], "collab.cases", SearchIndexing::Deferred)
        .expect("bulk pages");
    bulk.apply_case_pages(&pages[2..], "collab.cases", SearchIndexing::Deferred)
        .expect("bulk pages");
    bulk.build_deferred_search_index().expect("finish");

    let (a, b) = (side_rows(&bulk), side_rows(&reference));
    assert_eq!(a, b);
    assert!(
        a[0].iter().any(|r| r.contains("|waiting_on_partner|")),
        "the status history holds statuses other than new"
    );
    assert!(a[1].iter().any(|r| r.contains("|invoice|INV-2")));
    let moved_id = format!("case-{CASES:05}");
    let detail = bulk
        .case_detail(&moved_id, t0())
        .expect("the moved-to case");
    assert!(detail.comments.iter().any(|c| c.comment.id == comment_id));
    assert!(detail
        .documents
        .iter()
        .any(|d| d.document.id == document_id));
    let first = bulk.case_detail(&first_id, t0()).expect("first case");
    assert!(first.comments.iter().all(|c| c.comment.id != comment_id));
    assert!(first.documents.iter().all(|d| d.document.id != document_id));
}
