//! The case list kept in step with each change (its filter columns and last search updated in
//! place) answers exactly what a freshly opened cache answers from the file, after local
//! changes, comments, server pages and outbox discards, also while a first sync loads; readers
//! asking at once (the app's start) share one reading of the columns.

mod common;

use chrono::Duration;
use common::*;
use pd_domain::*;
use pd_store::*;

/// The queries compared. The search for "zebra" (the word the changes bring) comes first and
/// last, so the first query after each change is the search the list remembered before it.
fn queries() -> Vec<CaseQuery> {
    let base = CaseQuery {
        limit: 500,
        ..CaseQuery::default()
    };
    let zebra = CaseQuery {
        search: Some("zebra".into()),
        ..base.clone()
    };
    vec![
        zebra.clone(),
        base.clone(),
        CaseQuery {
            search: Some("pallet".into()),
            ..base.clone()
        },
        CaseQuery {
            search: Some("zebra".into()),
            statuses: vec![CaseStatus::Open, CaseStatus::Resolved],
            ..base.clone()
        },
        CaseQuery {
            search: Some("ship".into()),
            owners: vec!["ann".into(), String::new()],
            ..base.clone()
        },
        CaseQuery {
            partner_ids: vec!["GC2".into()],
            kinds: vec![CaseKind::ALL[1]],
            sort: CaseSortField::Priority,
            ..base.clone()
        },
        CaseQuery {
            sla_breached: true,
            ..base
        },
        zebra,
    ]
}

/// What each query shows: the rows' ids and fields the list displays, the total and the
/// status counts.
fn answers(store: &Store) -> Vec<(Vec<String>, u32, Vec<StatusCount>)> {
    let now = t0();
    queries()
        .iter()
        .map(|q| {
            let page = store.list_cases(q, now).expect("list");
            let rows = page
                .rows
                .iter()
                .map(|r| format!("{} {:?} {:?} {:?}", r.id, r.status, r.priority, r.owner))
                .collect();
            let counts = store.status_counts(q, now).expect("counts");
            (rows, page.total, counts)
        })
        .collect()
}

#[test]
fn the_list_after_each_change_equals_a_fresh_reading_of_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("list.db");
    let store = Store::open(&path).expect("open");
    store
        .upsert_users(&[user("ann", "Ann", "Analyst"), user("bob", "Bob", "Buyer")])
        .expect("users");
    let mut cases = Vec::new();
    let mut bundles = Vec::new();
    for n in 0..120u32 {
        let (pid, pname) = if n % 3 == 0 {
            ("GC1", "Verona Vittles")
        } else {
            ("GC2", "Acme Anvils")
        };
        let mut c = case(n, pid, pname);
        c.status = CaseStatus::ALL[(n % 6) as usize];
        c.kind = CaseKind::ALL[(n % 4) as usize];
        c.owner = (n % 2 == 0).then(|| "ann".to_string());
        c.sla_due = Some(t0() + Duration::hours(i64::from(n) - 60));
        c.title = format!("Shipment {n} short");
        let comments = if n % 4 == 0 {
            vec![comment(
                &c.id,
                &format!("cm-{n}"),
                "The pallet was crushed",
                1,
            )]
        } else {
            vec![]
        };
        cases.push(c.clone());
        bundles.push(bundle(c, comments, vec![]));
    }
    store
        .apply_case_page(&page(bundles, "c1"), "cases")
        .expect("page");

    let fresh = || answers(&Store::open(&path).expect("a second handle reads the file"));
    // Warm the kept copy and its remembered search, then change things one at a time.
    assert_eq!(answers(&store), fresh());

    let now = t0();
    store
        .patch_local_case(
            &cases[1].id,
            &CasePatch {
                status: Some(CaseStatus::Closed),
                owner: Some(None),
                ..CasePatch::default()
            },
            now,
        )
        .expect("patch");
    assert_eq!(answers(&store), fresh(), "after a status and owner change");

    store
        .add_local_comment(
            &cases[2].id,
            "ann",
            "A zebra pallet arrived",
            Visibility::Internal,
            now,
        )
        .expect("comment");
    assert_eq!(answers(&store), fresh(), "after a comment with new words");

    let op = store
        .patch_local_case(
            &cases[4].id,
            &CasePatch {
                title: Some("Zebra crossing delays".into()),
                ..CasePatch::default()
            },
            now,
        )
        .expect("title")
        .expect("queued");
    assert_eq!(answers(&store), fresh(), "after a new title");
    store.outbox_discard(&op).expect("discard");
    assert_eq!(answers(&store), fresh(), "after the change was discarded");

    let created = store
        .create_local_case(
            &NewCase {
                id: String::new(),
                title: "Zebra pallet missing".into(),
                partner_id: "GC2".into(),
                partner_name: Some("Acme Anvils".into()),
                kind: CaseKind::ALL[1],
                priority: None,
                owner: Some("bob".into()),
                sla_due: None,
                description: None,
                linked_transactions: Vec::new(),
                references: CaseReferences::default(),
            },
            "ann",
            now,
        )
        .expect("create");
    assert!(!created.is_empty());
    assert_eq!(answers(&store), fresh(), "after a new case");

    let mut moved = cases[6].clone();
    moved.partner_id = "GC1".into();
    moved.partner_name = "Verona Vittles".into();
    moved.status = CaseStatus::Open;
    moved.version += 1;
    moved.title = "Zebra stripes on the invoice".into();
    store
        .apply_case_page(&page(vec![bundle(moved, vec![], vec![])], "c2"), "cases")
        .expect("server page");
    assert_eq!(answers(&store), fresh(), "after a server change");
}

/// A first sync writes its pages in bulk transactions that drop the writer's tracking
/// triggers for their own duration; an analyst's change saved between two of them must still
/// show in the list at once, and so must the pages themselves.
#[test]
fn changes_saved_while_a_first_sync_loads_show_in_the_list_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("first.db");
    let store = Store::open(&path).expect("open");
    store
        .upsert_users(&[user("ann", "Ann", "Analyst")])
        .expect("users");
    let mut cases = Vec::new();
    let mut bundles = Vec::new();
    for n in 0..120u32 {
        let (pid, pname) = if n % 3 == 0 {
            ("GC1", "Verona Vittles")
        } else {
            ("GC2", "Acme Anvils")
        };
        let mut c = case(n, pid, pname);
        c.status = CaseStatus::ALL[(n % 6) as usize];
        c.owner = (n % 2 == 0).then(|| "ann".to_string());
        c.sla_due = Some(t0() + Duration::hours(i64::from(n) - 60));
        c.title = format!("Shipment {n} short");
        let note = comment(&c.id, &format!("cm-{n}"), "The pallet was crushed", 1);
        cases.push(c.clone());
        bundles.push(bundle(c, vec![note], vec![]));
    }
    let fresh = || answers(&Store::open(&path).expect("a second handle reads the file"));
    let load = |from: usize, to: usize, cursor: &str| {
        store
            .apply_case_pages(
                &[page(bundles[from..to].to_vec(), cursor)],
                "collab.cases",
                SearchIndexing::Deferred,
            )
            .expect("a first sync's page");
    };

    load(0, 40, "c1");
    assert!(store.search_index_deferred().expect("flag"));
    assert_eq!(answers(&store), fresh(), "the first page shows at once");

    let now = t0();
    store
        .patch_local_case(
            &cases[1].id,
            &CasePatch {
                status: Some(CaseStatus::Closed),
                owner: Some(None),
                ..CasePatch::default()
            },
            now,
        )
        .expect("patch");
    assert_eq!(
        answers(&store),
        fresh(),
        "a status and owner change between two pages of a first sync"
    );

    load(40, 80, "c2");
    assert_eq!(answers(&store), fresh(), "after the next pages");
    store
        .add_local_comment(
            &cases[45].id,
            "ann",
            "A zebra pallet arrived",
            Visibility::Internal,
            now,
        )
        .expect("comment");
    store
        .patch_local_case(
            &cases[46].id,
            &CasePatch {
                status: Some(CaseStatus::Resolved),
                ..CasePatch::default()
            },
            now,
        )
        .expect("patch");
    assert_eq!(
        answers(&store),
        fresh(),
        "a comment and a status change on cases the last bulk write brought"
    );

    load(80, 120, "c3");
    assert_eq!(store.build_deferred_search_index().expect("finish"), 120);
    assert!(!store.search_index_deferred().expect("flag"));
    assert_eq!(answers(&store), fresh(), "after the first sync ended");
    store
        .patch_local_case(
            &cases[100].id,
            &CasePatch {
                title: Some("Zebra crossing delays".into()),
                status: Some(CaseStatus::Closed),
                ..CasePatch::default()
            },
            now,
        )
        .expect("patch");
    assert_eq!(answers(&store), fresh(), "a change after the first sync");
}

const SORTS: [CaseSortField; 9] = CaseSortField::ALL;

/// Searches of one and several words (each word's matches remembered apart, their AND the
/// search), prefixes, and words the changes bring.
const SEARCHES: [Option<&str>; 14] = [
    None,
    Some("zebra"),
    Some("pallet"),
    Some("sh"),
    Some("short"),
    Some("z"),
    Some("acme"),
    Some("vitt"),
    Some("crushed"),
    Some("stripes"),
    Some("pallet crushed"),
    Some("shipment sh"),
    Some("acme an"),
    Some("zebra z"),
];

/// Each (search, sort, direction) query: small pages deep into the list, or whole lists.
fn sorted_queries() -> Vec<CaseQuery> {
    let mut out = Vec::new();
    for (i, search) in SEARCHES.iter().enumerate() {
        for sort in SORTS {
            for descending in [false, true] {
                out.push(CaseQuery {
                    search: search.map(str::to_string),
                    sort,
                    descending,
                    offset: if i % 2 == 0 { 0 } else { 7 },
                    limit: if i % 2 == 0 { 0 } else { 9 },
                    ..CaseQuery::default()
                });
            }
        }
    }
    out
}

/// What the list shows for each query, in order, with its total.
fn sorted_answers(store: &Store) -> Vec<(Vec<String>, u32)> {
    sorted_queries()
        .iter()
        .map(|q| {
            let page = store.list_cases(q, t0()).expect("list");
            (page.rows.iter().map(|r| r.id.clone()).collect(), page.total)
        })
        .collect()
}

/// The same answers read from the file by plain SQL: the list's `ORDER BY` (NULLs last both
/// ways, ties by rid) over the full-text index's matches.
fn sql_answers(path: &std::path::Path) -> Vec<(Vec<String>, u32)> {
    let conn = rusqlite::Connection::open(path).expect("open the file");
    sorted_queries()
        .iter()
        .map(|q| {
            let dir = if q.descending { "DESC" } else { "ASC" };
            let key = match (q.sort, q.descending) {
                (CaseSortField::Reference, _) => format!("reference {dir}"),
                (CaseSortField::Title, _) => format!("title COLLATE NOCASE {dir}"),
                (CaseSortField::Partner, _) => format!("partner_name COLLATE NOCASE {dir}"),
                (CaseSortField::Kind, _) => format!("kind {dir}"),
                (CaseSortField::Status, _) => format!("status_rank {dir}"),
                (CaseSortField::Priority, _) => format!("priority_rank {dir}"),
                (CaseSortField::Owner, false) => "owner IS NULL, owner".into(),
                (CaseSortField::Owner, true) => "owner DESC".into(),
                (CaseSortField::SlaDue, false) => "sla_due IS NULL, sla_due".into(),
                (CaseSortField::SlaDue, true) => "sla_due DESC".into(),
                (CaseSortField::Updated, _) => format!("updated_at {dir}"),
            };
            let expr = match search_filter(q.search.as_deref()) {
                SearchFilter::Fts(expr) => Some(expr),
                _ => None,
            };
            let filter = if expr.is_some() {
                "WHERE rid IN (SELECT rowid FROM case_fts WHERE case_fts MATCH ?1)"
            } else {
                "WHERE ?1 IS NULL"
            };
            let limit = if q.limit == 0 { 200 } else { q.limit };
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT id FROM cases {filter} ORDER BY {key}, rid {dir} LIMIT {limit} OFFSET {}",
                    q.offset
                ))
                .expect("prepare");
            let rows = stmt
                .query_map([&expr], |r| r.get::<_, String>(0))
                .expect("query")
                .collect::<Result<Vec<_>, _>>()
                .expect("rows");
            let total: u32 = conn
                .query_row(
                    &format!("SELECT count(*) FROM cases {filter}"),
                    [&expr],
                    |r| r.get(0),
                )
                .expect("count");
            (rows, total)
        })
        .collect()
}

#[test]
fn every_sort_and_remembered_search_after_each_change_equals_a_fresh_reading() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sorted.db");
    let store = Store::open(&path).expect("open");
    store
        .upsert_users(&[user("ann", "Ann", "Analyst"), user("Bob", "Bob", "Buyer")])
        .expect("users");
    let mut cases = Vec::new();
    let mut bundles = Vec::new();
    for n in 0..90u32 {
        let (pid, pname) = match n % 3 {
            0 => ("GC1", "Verona Vittles"),
            1 => ("GC2", "acme Anvils"),
            _ => ("GC3", "Acme anvils"),
        };
        let mut c = case(n, pid, pname);
        c.status = CaseStatus::ALL[(n % 6) as usize];
        c.kind = CaseKind::ALL[(n % 5) as usize];
        c.priority = Priority::ALL[(n % 4) as usize];
        c.owner = match n % 3 {
            0 => None,
            1 => Some("ann".into()),
            _ => Some("Bob".into()),
        };
        c.sla_due = (n % 4 != 0).then(|| t0() + Duration::hours(i64::from(n % 7) - 3));
        // Ties in every column, broken by the order the cases arrived in.
        c.updated_at = t0() + Duration::minutes(i64::from(n % 5));
        c.title = if n % 2 == 0 {
            format!("Shipment {} short", n % 10)
        } else {
            format!("shipment {} Short", n % 10)
        };
        let comments = if n % 4 == 0 {
            vec![comment(
                &c.id,
                &format!("cm-{n}"),
                "The pallet was crushed",
                1,
            )]
        } else {
            vec![]
        };
        cases.push(c.clone());
        bundles.push(bundle(c, comments, vec![]));
    }
    store
        .apply_case_page(&page(bundles, "c1"), "cases")
        .expect("page");
    let fresh = || sql_answers(&path);
    // Loads every sort column and fills the remembered searches.
    assert_eq!(sorted_answers(&store), fresh());

    let now = t0();
    store
        .patch_local_case(
            &cases[3].id,
            &CasePatch {
                status: Some(CaseStatus::Closed),
                priority: Some(Priority::ALL[0]),
                owner: Some(Some("ann".into())),
                sla_due: Some(None),
                title: Some("aardvark Zebra shipment".into()),
            },
            now,
        )
        .expect("patch");
    assert_eq!(
        sorted_answers(&store),
        fresh(),
        "after a change of every sorted field"
    );

    store
        .add_local_comment(
            &cases[10].id,
            "ann",
            "Zebra stripes",
            Visibility::Internal,
            now,
        )
        .expect("comment");
    assert_eq!(sorted_answers(&store), fresh(), "after a comment");

    let mut moved = cases[20].clone();
    moved.partner_id = "GC9".into();
    moved.partner_name = "ACME ANVILS".into();
    moved.kind = CaseKind::ALL[5];
    moved.updated_at = t0() - Duration::days(1);
    moved.version += 1;
    moved.title = "Zebra pallet".into();
    let mut newcomer = case(500, "GC1", "Verona Vittles");
    newcomer.title = "SHORT zebra".into();
    newcomer.owner = Some("Bob".into());
    store
        .apply_case_page(
            &page(
                vec![
                    bundle(moved, vec![], vec![]),
                    bundle(newcomer, vec![], vec![]),
                ],
                "c2",
            ),
            "cases",
        )
        .expect("server page");
    assert_eq!(sorted_answers(&store), fresh(), "after a server page");
}

#[test]
fn readers_asking_at_once_share_one_reading_of_the_list_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("start.db");
    {
        let store = Store::open(&path).expect("open");
        let bundles = (0..6_000u32)
            .map(|n| {
                let mut c = case(n, "GC1", "Verona Vittles");
                c.status = CaseStatus::ALL[(n % 6) as usize];
                bundle(c, vec![], vec![])
            })
            .collect();
        store
            .apply_case_page(&page(bundles, "c1"), "cases")
            .expect("page");
    }
    // As the app starts: a fresh store, and the list, its status counts and a second window
    // asked for at the same moment from three threads.
    let store = Store::open(&path).expect("reopen");
    let start = std::sync::Arc::new(std::sync::Barrier::new(3));
    let answers: Vec<(u32, u32)> = std::thread::scope(|scope| {
        let askers: Vec<_> = (0..3u32)
            .map(|i| {
                let (store, start) = (store.clone(), start.clone());
                scope.spawn(move || {
                    start.wait();
                    let query = CaseQuery {
                        offset: i * 100,
                        limit: 100,
                        ..CaseQuery::default()
                    };
                    let page = store.list_cases(&query, t0()).expect("list");
                    let counts = store.status_counts(&query, t0()).expect("counts");
                    (page.total, counts.iter().map(|c| c.count).sum::<u32>())
                })
            })
            .collect();
        askers
            .into_iter()
            .map(|asker| asker.join().expect("asker"))
            .collect()
    });
    assert_eq!(
        answers,
        vec![(6_000, 6_000); 3],
        "every reader sees every case"
    );
    assert_eq!(store.list_column_loads(), 1, "one reading, shared");
    // A change later is brought in place, not read whole again.
    store
        .apply_case_page(
            &page(
                vec![bundle(case(9_999, "GC2", "Acme Anvils"), vec![], vec![])],
                "c2",
            ),
            "cases",
        )
        .expect("one more");
    let after = store.list_cases(&CaseQuery::default(), t0()).expect("list");
    assert_eq!(after.total, 6_001);
    assert_eq!(store.list_column_loads(), 1);
}

/// The status counts asked beside each list (counted in the list's own pass over its matches
/// and remembered for the count that follows) equal the counts a handle that never listed reads
/// from the file, after each change; a count asked for another query than the last list's is
/// counted for that query.
#[test]
fn status_counts_beside_the_list_equal_counts_read_alone_after_each_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("counts.db");
    let store = Store::open(&path).expect("open");
    store
        .upsert_users(&[user("ann", "Ann", "Analyst")])
        .expect("users");
    let mut cases = Vec::new();
    let mut bundles = Vec::new();
    for n in 0..150u32 {
        let mut c = case(n, if n % 3 == 0 { "GC1" } else { "GC2" }, "Acme Anvils");
        c.status = CaseStatus::ALL[(n % 6) as usize];
        c.kind = CaseKind::ALL[(n % 4) as usize];
        c.owner = (n % 2 == 0).then(|| "ann".to_string());
        c.sla_due = Some(t0() + Duration::hours(i64::from(n) - 75));
        c.title = if n % 50 == 0 {
            format!("Rare okapi {n}")
        } else {
            format!("Pallet {n} short")
        };
        cases.push(c.clone());
        bundles.push(bundle(c, vec![], vec![]));
    }
    store
        .apply_case_page(&page(bundles, "c1"), "cases")
        .expect("page");
    let now = t0();
    let beside = |store: &Store| -> Vec<Vec<StatusCount>> {
        queries()
            .iter()
            .chain(&[CaseQuery {
                search: Some("okapi".into()),
                statuses: vec![CaseStatus::New],
                ..CaseQuery::default()
            }])
            .map(|q| {
                store.list_cases(q, now).expect("list");
                store.status_counts(q, now).expect("counts")
            })
            .collect()
    };
    let alone = || -> Vec<Vec<StatusCount>> {
        let reader = Store::open(&path).expect("a second handle reads the file");
        queries()
            .iter()
            .chain(&[CaseQuery {
                search: Some("okapi".into()),
                statuses: vec![CaseStatus::New],
                ..CaseQuery::default()
            }])
            .map(|q| reader.status_counts(q, now).expect("counts"))
            .collect()
    };
    assert_eq!(beside(&store), alone());
    // Every case of the list counted: a status filter narrows the list, not its counts.
    let okapi = CaseQuery {
        search: Some("okapi".into()),
        statuses: vec![CaseStatus::New],
        ..CaseQuery::default()
    };
    assert_eq!(store.list_cases(&okapi, now).expect("list").total, 1);
    let counted: u32 = store
        .status_counts(&okapi, now)
        .expect("counts")
        .iter()
        .map(|c| c.count)
        .sum();
    assert_eq!(counted, 3, "the three okapi cases, whatever their status");

    // The last list's counts belong to its query only.
    store
        .list_cases(
            &CaseQuery {
                search: Some("pallet".into()),
                ..CaseQuery::default()
            },
            now,
        )
        .expect("list");
    let other: u32 = store
        .status_counts(&okapi, now)
        .expect("counts")
        .iter()
        .map(|c| c.count)
        .sum();
    assert_eq!(other, 3);

    // Counts asked after a change without a list in between are counted at the new version.
    store.list_cases(&okapi, now).expect("list");
    store
        .patch_local_case(
            &cases[50].id,
            &CasePatch {
                status: Some(CaseStatus::Closed),
                title: Some("No longer rare".into()),
                ..CasePatch::default()
            },
            now,
        )
        .expect("patch");
    let after: u32 = store
        .status_counts(&okapi, now)
        .expect("counts")
        .iter()
        .map(|c| c.count)
        .sum();
    assert_eq!(after, 2, "the retitled case no longer counted");
    assert_eq!(beside(&store), alone(), "after a status and title change");
    store
        .add_local_comment(
            &cases[7].id,
            "ann",
            "An okapi too",
            Visibility::Internal,
            now,
        )
        .expect("comment");
    assert_eq!(
        beside(&store),
        alone(),
        "after a comment with the rare word"
    );
}
