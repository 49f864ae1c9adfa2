//! The case list picks its plan by how many cases match (sort a small match set directly, or
//! walk the sort column's index and keep matches until the page is full). Whatever the plan, the
//! page, the total and the status counts must equal a plain in-memory filter and sort.

mod common;

use std::cmp::Ordering;

use chrono::Duration;
use common::*;
use pd_domain::*;
use pd_store::*;

const CASES: u32 = 3000;
const PARTNERS: [(&str, &str); 5] = [
    ("GC1", "Verona Vittles"),
    ("GC2", "acme Anvils"),
    ("GC3", "Zephyr Zinc"),
    ("GC4", "Bolt Brothers"),
    ("GC5", "Mesa Markets"),
];

fn fixture() -> (tempfile::TempDir, Store, Vec<Case>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("plans.db")).expect("open");
    let mut cases = Vec::new();
    let mut bundles = Vec::new();
    for n in 0..CASES {
        let (pid, pname) = PARTNERS[(n % 5) as usize];
        let mut c = case(n, pid, pname);
        c.status = CaseStatus::ALL[((n / 7) % 6) as usize];
        c.kind = CaseKind::ALL[((n / 3) % 6) as usize];
        c.priority = Priority::ALL[((n / 11) % 4) as usize];
        c.owner = match n % 4 {
            0 => None,
            1 => Some("ann".into()),
            2 => Some("bob".into()),
            _ => Some("Cara".into()),
        };
        c.sla_due = (n % 9 != 0).then(|| t0() + Duration::hours(i64::from(n % 200) - 100));
        // Few distinct update times: many ties, broken by insertion order.
        c.updated_at = t0() + Duration::minutes(i64::from(n % 50));
        let medium = if n % 10 == 0 { " beacon" } else { "" };
        let rare = if n % 500 == 7 { " zebrafish" } else { "" };
        let lead = if n % 2 == 0 { "Shipment" } else { "shipment" };
        c.title = format!("{lead} {}{medium}{rare}", (n * 7919) % 1000);
        cases.push(c.clone());
        bundles.push(bundle(c, vec![], vec![]));
    }
    store
        .apply_case_page(&page(bundles, "c1"), "cases")
        .expect("page");
    store.optimize().expect("optimize");
    (dir, store, cases)
}

fn now() -> Timestamp {
    t0()
}

fn matches(c: &Case, q: &CaseQuery, with_status: bool) -> bool {
    let title = c.title.to_lowercase();
    let search_ok = match q.search.as_deref() {
        None => true,
        Some(s) => s.split_whitespace().enumerate().all(|(i, w)| {
            let w = w.to_lowercase();
            let last = i + 1 == s.split_whitespace().count();
            title
                .split_whitespace()
                .chain(c.partner_name.to_lowercase().split_whitespace())
                .any(|t| if last { t.starts_with(&w) } else { t == w })
        }),
    };
    let breached = c.sla_due.is_some_and(|d| d <= now()) && !c.status.is_terminal();
    search_ok
        && (!with_status || q.statuses.is_empty() || q.statuses.contains(&c.status))
        && (q.partner_ids.is_empty() || q.partner_ids.contains(&c.partner_id))
        && (q.kinds.is_empty() || q.kinds.contains(&c.kind))
        && (q.owners.is_empty()
            || q.owners.iter().any(|o| {
                c.owner.as_deref() == Some(o.as_str()) || (o.is_empty() && c.owner.is_none())
            }))
        && (!q.sla_breached || breached)
}

fn rank<T: PartialEq>(all: &[T], v: &T) -> usize {
    all.iter().position(|x| x == v).unwrap_or(0)
}

/// The list order: the sort key (NULLs last both ways), then insertion order, both reversed
/// when descending.
fn compare(a: &(usize, &Case), b: &(usize, &Case), sort: CaseSortField, desc: bool) -> Ordering {
    let nulls_last = |x: Option<String>, y: Option<String>| match (x, y) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => {
            if desc {
                y.cmp(&x)
            } else {
                x.cmp(&y)
            }
        }
    };
    let (x, y) = (a.1, b.1);
    let key = match sort {
        CaseSortField::Owner => nulls_last(x.owner.clone(), y.owner.clone()),
        CaseSortField::SlaDue => nulls_last(
            x.sla_due.map(|d| d.to_rfc3339()),
            y.sla_due.map(|d| d.to_rfc3339()),
        ),
        _ => {
            let k = |c: &Case| -> String {
                match sort {
                    CaseSortField::Reference => c.reference.clone(),
                    CaseSortField::Title => c.title.to_ascii_lowercase(),
                    CaseSortField::Partner => c.partner_name.to_ascii_lowercase(),
                    CaseSortField::Kind => c.kind.as_str().to_string(),
                    CaseSortField::Status => format!("{}", rank(&CaseStatus::ALL, &c.status)),
                    CaseSortField::Priority => format!("{}", rank(&Priority::ALL, &c.priority)),
                    _ => c.updated_at.to_rfc3339(),
                }
            };
            if desc {
                k(y).cmp(&k(x))
            } else {
                k(x).cmp(&k(y))
            }
        }
    };
    key.then(if desc { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) })
}

#[test]
fn every_plan_gives_the_same_page_total_and_counts_as_a_plain_filter_and_sort() {
    let (_dir, store, cases) = fixture();
    let searches = [
        None,
        Some("shipment"),
        Some("beacon"),
        Some("zebrafish"),
        Some("verona sh"),
    ];
    let filters: Vec<CaseQuery> = vec![
        CaseQuery::default(),
        CaseQuery {
            statuses: vec![CaseStatus::Open, CaseStatus::New],
            ..CaseQuery::default()
        },
        CaseQuery {
            partner_ids: vec!["GC2".into()],
            kinds: vec![CaseKind::ALL[1]],
            ..CaseQuery::default()
        },
        CaseQuery {
            owners: vec!["ann".into(), String::new()],
            ..CaseQuery::default()
        },
        CaseQuery {
            sla_breached: true,
            ..CaseQuery::default()
        },
    ];
    let sorts = CaseSortField::ALL;
    let mut checked = 0;
    for search in searches {
        for filter in &filters {
            let base = CaseQuery {
                search: search.map(str::to_string),
                ..filter.clone()
            };
            let expected_counts: Vec<u32> = CaseStatus::ALL
                .iter()
                .map(|s| {
                    cases
                        .iter()
                        .filter(|c| c.status == *s && matches(c, &base, false))
                        .count() as u32
                })
                .collect();
            let counts = store.status_counts(&base, now()).expect("counts");
            assert_eq!(
                counts.iter().map(|c| c.count).collect::<Vec<_>>(),
                expected_counts,
                "status counts for {base:?}"
            );
            for sort in sorts {
                for descending in [false, true] {
                    for (offset, limit) in [(0, 50), (100, 50), (0, 0)] {
                        let q = CaseQuery {
                            sort,
                            descending,
                            offset,
                            limit,
                            ..base.clone()
                        };
                        let mut expected: Vec<(usize, &Case)> = cases
                            .iter()
                            .enumerate()
                            .filter(|(_, c)| matches(c, &q, true))
                            .collect();
                        expected.sort_by(|a, b| compare(a, b, sort, descending));
                        let take = if limit == 0 { 200 } else { limit as usize };
                        let want: Vec<&str> = expected
                            .iter()
                            .skip(offset as usize)
                            .take(take)
                            .map(|(_, c)| c.id.as_str())
                            .collect();
                        let page = store.list_cases(&q, now()).expect("list");
                        let got: Vec<&str> = page.rows.iter().map(|r| r.id.as_str()).collect();
                        assert_eq!(got, want, "page for {q:?}");
                        assert_eq!(page.total as usize, expected.len(), "total for {q:?}");
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 5 * 5 * 9 * 2 * 3);
}

#[test]
fn counts_and_totals_follow_every_change_to_the_cases() {
    let (_dir, store, cases) = fixture();
    let open_zebra = CaseQuery {
        search: Some("zebrafish".into()),
        ..CaseQuery::default()
    };
    let before = store.list_cases(&open_zebra, now()).expect("list");
    assert_eq!(before.total, 6);
    let count_of = |status: CaseStatus, q: &CaseQuery| {
        store
            .status_counts(q, now())
            .expect("counts")
            .into_iter()
            .find(|c| c.status == status)
            .map(|c| c.count)
            .expect("status present")
    };
    let target = &cases[7];
    let was = target.status;
    let new_status = if was == CaseStatus::Closed {
        CaseStatus::Open
    } else {
        CaseStatus::Closed
    };
    let closed_before = count_of(new_status, &open_zebra);
    let was_before = count_of(was, &open_zebra);
    // A local change moves the case between statuses at once.
    store
        .patch_local_case(
            &target.id,
            &CasePatch {
                status: Some(new_status),
                ..CasePatch::default()
            },
            now(),
        )
        .expect("patch");
    assert_eq!(count_of(new_status, &open_zebra), closed_before + 1);
    assert_eq!(count_of(was, &open_zebra), was_before - 1);
    // A comment written here is searchable at once, even right after the same search.
    let quokka = CaseQuery {
        search: Some("quokka".into()),
        ..CaseQuery::default()
    };
    assert_eq!(store.list_cases(&quokka, now()).expect("list").total, 0);
    store
        .add_local_comment(
            &cases[42].id,
            "Ann",
            "A quokka ate the label",
            Visibility::Internal,
            now(),
        )
        .expect("comment");
    let found = store.list_cases(&quokka, now()).expect("list");
    assert_eq!(found.total, 1);
    assert_eq!(found.rows[0].id, cases[42].id);
    assert_eq!(count_of(cases[42].status, &quokka), 1);
    // A pulled case appears in counts, totals and the page.
    let mut fresh = case(CASES + 1, "GC9", "Newcomer Goods");
    fresh.title = "zebrafish crate".into();
    store
        .apply_case_page(
            &page(vec![bundle(fresh.clone(), vec![], vec![])], "c2"),
            "cases",
        )
        .expect("page");
    let after = store.list_cases(&open_zebra, now()).expect("list");
    assert_eq!(after.total, 7);
    assert!(after.rows.iter().any(|r| r.id == fresh.id));
    let gc9 = CaseQuery {
        partner_ids: vec!["GC9".into()],
        ..CaseQuery::default()
    };
    assert_eq!(store.list_cases(&gc9, now()).expect("list").total, 1);
    let nobody = CaseQuery {
        partner_ids: vec!["GC-unknown".into()],
        owners: vec!["nobody-at-all".into()],
        ..CaseQuery::default()
    };
    assert_eq!(store.list_cases(&nobody, now()).expect("list").total, 0);
    assert!(store
        .status_counts(&nobody, now())
        .expect("counts")
        .iter()
        .all(|c| c.count == 0));
}

#[test]
fn the_breached_filter_compares_due_instants_to_the_nanosecond_and_at_the_ends_of_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("edges.db")).expect("open");
    let year = |y: i32| {
        chrono::NaiveDate::from_ymd_opt(y, 6, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("date")
            .and_utc()
    };
    let dues = [
        ("due-now", Some(now()), true),
        (
            "due-1ns-later",
            Some(now() + Duration::nanoseconds(1)),
            false,
        ),
        (
            "due-1ns-earlier",
            Some(now() - Duration::nanoseconds(1)),
            true,
        ),
        ("due-1500", Some(year(1500)), true),
        ("due-2400", Some(year(2400)), false),
        ("due-9999", Some(year(9999)), false),
        ("no-due", None, false),
    ];
    let mut bundles = Vec::new();
    for (n, (id, due, _)) in dues.iter().enumerate() {
        let mut c = case(n as u32, "GC1", "Verona Vittles");
        c.id = (*id).to_string();
        c.status = CaseStatus::Open;
        c.sla_due = *due;
        bundles.push(bundle(c, vec![], vec![]));
    }
    // A resolved case long past its due date is not breached.
    let mut done = case(99, "GC1", "Verona Vittles");
    done.id = "resolved-due-1500".into();
    done.status = CaseStatus::ALL
        .into_iter()
        .find(|s| s.is_terminal())
        .expect("a terminal status");
    done.sla_due = Some(year(1500));
    bundles.push(bundle(done, vec![], vec![]));
    store
        .apply_case_page(&page(bundles, "c1"), "cases")
        .expect("page");
    let breached = CaseQuery {
        sla_breached: true,
        ..CaseQuery::default()
    };
    let mut want: Vec<&str> = dues
        .iter()
        .filter(|(_, _, b)| *b)
        .map(|(id, _, _)| *id)
        .collect();
    want.sort_unstable();
    // Twice: the first list may answer before the filter columns are read, the second from them.
    for _ in 0..2 {
        let page = store.list_cases(&breached, now()).expect("list");
        let mut got: Vec<&str> = page.rows.iter().map(|r| r.id.as_str()).collect();
        got.sort_unstable();
        assert_eq!(got, want);
        assert_eq!(page.total as usize, want.len());
        let counts = store.status_counts(&breached, now()).expect("counts");
        let open = counts
            .iter()
            .find(|c| c.status == CaseStatus::Open)
            .expect("open count");
        assert_eq!(open.count as usize, want.len());
        assert_eq!(
            counts.iter().map(|c| c.count).sum::<u32>() as usize,
            want.len()
        );
    }
}
