//! The app's first case list, answered from the sort column's index before the list's filter
//! columns are read (the cold start of issue 16), shows exactly what the list shows once the
//! columns are in memory: the same rows in the same order and the same total, for every sort
//! both ways and a window deep in the list; a query that filters still reads the columns.

mod common;

use chrono::Duration;
use common::*;
use pd_domain::*;
use pd_store::*;

const SORTS: [CaseSortField; 9] = CaseSortField::ALL;

/// 3,000 cases with ties in every sorted field (the same change time for ten cases, repeated
/// titles, partners, owners and due dates, some of them empty).
fn filled(path: &std::path::Path) {
    let store = Store::open(path).expect("open");
    let partners = [
        ("GC1", "Verona Vittles"),
        ("GC2", "acme Anvils"),
        ("GC3", "Zebra Freight"),
    ];
    let owners = [None, Some("ann"), Some("bob")];
    let bundles = (0..3_000u32)
        .map(|n| {
            let (id, name) = partners[(n % 3) as usize];
            let mut c = case(n, id, name);
            c.title = format!("Pallet {} short", n % 97);
            c.kind = CaseKind::ALL[(n % 4) as usize];
            c.status = CaseStatus::ALL[(n % 6) as usize];
            c.priority = [
                Priority::Low,
                Priority::Normal,
                Priority::High,
                Priority::Urgent,
            ][(n % 4) as usize];
            c.owner = owners[(n % 3) as usize].map(str::to_string);
            c.sla_due = (n % 5 != 0).then(|| t0() + Duration::hours(i64::from(n % 40)));
            c.updated_at = t0() + Duration::minutes(i64::from(n / 10));
            bundle(c, vec![], vec![])
        })
        .collect();
    store
        .apply_case_page(&page(bundles, "c1"), "cases")
        .expect("page");
}

fn shown(page: &CaseListPage) -> (Vec<String>, u32) {
    (page.rows.iter().map(|r| r.id.clone()).collect(), page.total)
}

#[test]
fn the_first_list_before_the_columns_are_read_equals_the_list_after() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("first.db");
    filled(&path);
    let mut compared = 0;
    for sort in SORTS {
        for descending in [false, true] {
            for (offset, limit) in [(0, 100), (1_450, 100), (2_990, 100)] {
                let query = CaseQuery {
                    sort,
                    descending,
                    offset,
                    limit,
                    ..CaseQuery::default()
                };
                // As the app starts: a store that has not read the list's columns yet.
                let store = Store::open(&path).expect("reopen");
                let first = store.list_cases(&query, t0()).expect("first list");
                assert_eq!(
                    store.list_column_loads(),
                    0,
                    "{sort:?} answered without reading the columns"
                );
                // The status counts beside it read them; the same query then answers from them.
                store.status_counts(&query, t0()).expect("counts");
                assert_eq!(store.list_column_loads(), 1);
                let after = store.list_cases(&query, t0()).expect("list");
                assert_eq!(
                    shown(&first),
                    shown(&after),
                    "{sort:?} descending {descending} offset {offset}"
                );
                assert_eq!(first.total, 3_000);
                let want = 3_000_u32.saturating_sub(offset);
                assert_eq!(first.rows.len(), (want as usize).min(100));
                assert_eq!(first.rows, after.rows, "every field of every row the same");
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 54);
}

#[test]
fn a_first_list_that_filters_or_searches_reads_the_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("filtered.db");
    filled(&path);
    for query in [
        CaseQuery {
            statuses: vec![CaseStatus::Open],
            ..CaseQuery::default()
        },
        CaseQuery {
            search: Some("pallet".into()),
            ..CaseQuery::default()
        },
        CaseQuery {
            owners: vec![String::new()],
            ..CaseQuery::default()
        },
    ] {
        let store = Store::open(&path).expect("reopen");
        let page = store.list_cases(&query, t0()).expect("list");
        assert_eq!(store.list_column_loads(), 1, "{query:?}");
        assert!(page.total > 0 && page.total < 3_000 || query.search.is_some());
    }
}
