//! Case-list filters, sorting, paging and full-text search, including hostile search input.

mod common;

use chrono::Duration;
use common::*;
use pd_domain::*;
use pd_store::*;

/// 60 cases over two partners with varied fields; returns the store and the cases.
fn fixture() -> (tempfile::TempDir, Store, Vec<Case>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("q.db")).expect("open");
    store
        .upsert_users(&[user("ann", "Ann", "Analyst"), user("bob", "Bob", "Buyer")])
        .expect("users");
    let mut bundles = Vec::new();
    let mut cases = Vec::new();
    for n in 0..60u32 {
        let (pid, pname) = if n % 3 == 0 {
            ("GC1", "Verona Vittles")
        } else {
            ("GC2", "Acme Anvils")
        };
        let mut c = case(n, pid, pname);
        c.status = CaseStatus::ALL[(n % 6) as usize];
        c.kind = CaseKind::ALL[(n % 4) as usize];
        c.priority = Priority::ALL[(n % 4) as usize];
        c.owner = match n % 3 {
            0 => None,
            1 => Some("ann".into()),
            _ => Some("bob".into()),
        };
        c.sla_due = if n % 5 == 0 {
            None
        } else {
            Some(t0() + Duration::hours(i64::from(n) - 30))
        };
        c.title = format!(
            "{} shipment {n}",
            if n % 2 == 0 { "Damaged" } else { "Late" }
        );
        c.references.po_numbers = vec![format!("PO-{:04}", 1000 + n)];
        let comments = if n % 10 == 0 {
            vec![comment(
                &c.id,
                &format!("cm-{n}"),
                "The forklift crushed the pallet",
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
    (dir, store, cases)
}

fn ids(page: &CaseListPage) -> Vec<String> {
    page.rows.iter().map(|r| r.id.clone()).collect()
}

#[test]
fn filters_combine_and_totals_match() {
    let (_d, store, cases) = fixture();
    let now = t0();
    let q = CaseQuery {
        statuses: vec![CaseStatus::Open, CaseStatus::New],
        partner_ids: vec!["GC2".into()],
        ..Default::default()
    };
    let got = store.list_cases(&q, now).expect("list");
    let expected: Vec<&Case> = cases
        .iter()
        .filter(|c| matches!(c.status, CaseStatus::Open | CaseStatus::New) && c.partner_id == "GC2")
        .collect();
    assert_eq!(got.total as usize, expected.len());
    assert!(got
        .rows
        .iter()
        .all(|r| r.partner_id == "GC2" && matches!(r.status, CaseStatus::Open | CaseStatus::New)));

    let unassigned = store
        .list_cases(
            &CaseQuery {
                owners: vec![String::new()],
                ..Default::default()
            },
            now,
        )
        .expect("list");
    assert_eq!(unassigned.total, 20);
    assert!(unassigned.rows.iter().all(|r| r.owner.is_none()));
    let ann_or_none = store
        .list_cases(
            &CaseQuery {
                owners: vec![String::new(), "ann".into()],
                ..Default::default()
            },
            now,
        )
        .expect("list");
    assert_eq!(ann_or_none.total, 40);
    assert!(ann_or_none
        .rows
        .iter()
        .filter(|r| r.owner.is_some())
        .all(|r| r.owner_name.as_deref() == Some("Ann Analyst")));

    let kinds = store
        .list_cases(
            &CaseQuery {
                kinds: vec![CaseKind::Invoice],
                ..Default::default()
            },
            now,
        )
        .expect("list");
    assert_eq!(
        kinds.total as usize,
        cases.iter().filter(|c| c.kind == CaseKind::Invoice).count()
    );

    let breached = store
        .list_cases(
            &CaseQuery {
                sla_breached: true,
                ..Default::default()
            },
            now,
        )
        .expect("list");
    let expected = cases
        .iter()
        .filter(|c| c.sla_state(now) == SlaState::Breached)
        .count();
    assert!(expected > 0);
    assert_eq!(breached.total as usize, expected);
    assert!(breached
        .rows
        .iter()
        .all(|r| r.sla_state == SlaState::Breached));

    // Status counts ignore the status filter but keep the others.
    let counts = store
        .status_counts(
            &CaseQuery {
                statuses: vec![CaseStatus::Closed],
                partner_ids: vec!["GC1".into()],
                ..Default::default()
            },
            now,
        )
        .expect("counts");
    assert_eq!(counts.len(), 6);
    for sc in counts {
        let n = cases
            .iter()
            .filter(|c| c.partner_id == "GC1" && c.status == sc.status)
            .count();
        assert_eq!(sc.count as usize, n, "{:?}", sc.status);
    }
}

#[test]
fn every_sort_both_ways_and_paging() {
    let (_d, store, cases) = fixture();
    let now = t0();
    let sorts = CaseSortField::ALL;
    for sort in sorts {
        for descending in [false, true] {
            let all = store
                .list_cases(
                    &CaseQuery {
                        sort,
                        descending,
                        limit: 1000,
                        ..Default::default()
                    },
                    now,
                )
                .expect("list");
            assert_eq!(all.rows.len(), cases.len());
            for w in all.rows.windows(2) {
                let (a, b) = (&w[0], &w[1]);
                let ord = match sort {
                    CaseSortField::Reference => a.reference.cmp(&b.reference),
                    CaseSortField::Title => a.title.to_lowercase().cmp(&b.title.to_lowercase()),
                    CaseSortField::Partner => a
                        .partner_name
                        .to_lowercase()
                        .cmp(&b.partner_name.to_lowercase()),
                    CaseSortField::Kind => a.kind.as_str().cmp(b.kind.as_str()),
                    CaseSortField::Status => CaseStatus::ALL
                        .iter()
                        .position(|s| *s == a.status)
                        .cmp(&CaseStatus::ALL.iter().position(|s| *s == b.status)),
                    CaseSortField::Priority => a.priority.cmp(&b.priority),
                    CaseSortField::Owner => {
                        // unassigned last in both directions
                        if a.owner.is_some() && b.owner.is_none() {
                            continue;
                        }
                        assert!(
                            !(a.owner.is_none() && b.owner.is_some()),
                            "unassigned must come last ({descending})"
                        );
                        a.owner.cmp(&b.owner)
                    }
                    CaseSortField::SlaDue => {
                        if a.sla_due.is_some() && b.sla_due.is_none() {
                            continue;
                        }
                        assert!(
                            !(a.sla_due.is_none() && b.sla_due.is_some()),
                            "no SLA last ({descending})"
                        );
                        a.sla_due.cmp(&b.sla_due)
                    }
                    CaseSortField::Updated => a.updated_at.cmp(&b.updated_at),
                };
                let ord = if descending { ord.reverse() } else { ord };
                assert_ne!(
                    ord,
                    std::cmp::Ordering::Greater,
                    "{sort:?} desc={descending}: {} before {}",
                    a.id,
                    b.id
                );
            }
            // Pages cut from the same order, no overlap, no gap.
            let mut paged = Vec::new();
            for offset in (0..60).step_by(25) {
                let p = store
                    .list_cases(
                        &CaseQuery {
                            sort,
                            descending,
                            offset,
                            limit: 25,
                            ..Default::default()
                        },
                        now,
                    )
                    .expect("page");
                assert_eq!(p.total, 60);
                assert_eq!(p.offset, offset);
                paged.extend(ids(&p));
            }
            assert_eq!(paged, ids(&all));
        }
    }
    let default = store
        .list_cases(&CaseQuery::default(), now)
        .expect("default");
    assert_eq!(
        default.rows[0].id, "case-00000",
        "oldest first when ascending by updated (default is ascending flag false)"
    );
}

#[test]
fn full_text_search_finds_titles_comments_partners_and_references() {
    let (_d, store, cases) = fixture();
    let now = t0();
    let search = |s: &str| {
        store
            .list_cases(
                &CaseQuery {
                    search: Some(s.into()),
                    limit: 1000,
                    ..Default::default()
                },
                now,
            )
            .expect("search")
    };
    assert_eq!(search("damaged").total, 30);
    assert_eq!(search("forklift").total, 6, "comment bodies are indexed");
    assert_eq!(search("verona").total, 20, "partner names");
    let by_po = search("PO-1042");
    assert_eq!(ids(&by_po), vec!["case-00042".to_string()]);
    assert_eq!(search("CASE-2026-000007").total, 1, "case reference");
    assert_eq!(search("dam").total, 30, "prefix on the last word");
    assert_eq!(
        search("damaged verona").total,
        cases
            .iter()
            .filter(|c| c.title.starts_with("Damaged") && c.partner_id == "GC1")
            .count() as u32
    );
    assert_eq!(search("   ").total, 60, "blank means no filter");
    assert_eq!(search("zzzznotthere").total, 0);
    // Search combines with filters and the counts agree.
    let q = CaseQuery {
        search: Some("late".into()),
        statuses: vec![CaseStatus::Open],
        ..Default::default()
    };
    let page = store.list_cases(&q, now).expect("q");
    assert!(page
        .rows
        .iter()
        .all(|r| r.title.starts_with("Late") && r.status == CaseStatus::Open));
    let counts = store.status_counts(&q, now).expect("counts");
    assert_eq!(counts.iter().map(|c| c.count).sum::<u32>(), 30);
}

#[test]
fn hostile_search_never_errors() {
    let (_d, store, _) = fixture();
    let now = t0();
    let long = "a".repeat(10_000);
    let words = "word ".repeat(3_000);
    let hostile = [
        "\"",
        "\"\"",
        "AND OR NOT (",
        "*",
        "**",
        "(",
        ")",
        "NEAR(a b)",
        "title:damaged",
        "^damaged",
        "😀",
        "💥 damaged",
        "'; DROP TABLE cases; --",
        "\u{0}",
        "-",
        "+",
        "a\"b",
        "{col1 col2}: x",
        "damaged\"",
        "\"damaged",
        long.as_str(),
        words.as_str(),
        "ü",
        "Ελληνικά",
        "日本語",
    ];
    for h in hostile {
        let q = CaseQuery {
            search: Some(h.to_string()),
            ..Default::default()
        };
        let page = store
            .list_cases(&q, now)
            .unwrap_or_else(|e| panic!("search {:?} failed: {e}", &h[..h.len().min(40)]));
        store.status_counts(&q, now).expect("counts");
        assert!(page.total <= 60);
    }
    let q = |s: &str| {
        store
            .list_cases(
                &CaseQuery {
                    search: Some(s.into()),
                    ..Default::default()
                },
                now,
            )
            .expect("q")
            .total
    };
    assert_eq!(
        q("\"damaged"),
        30,
        "quotes are stripped, the word still searched"
    );
    assert_eq!(q("NOT damaged"), 0, "NOT is a word, not an operator");
    assert_eq!(q("😀"), 0, "nothing searchable matches nothing");
    assert_eq!(
        store.counts().expect("counts").cases,
        60,
        "nothing was dropped"
    );
}

#[test]
fn search_filter_quotes_every_word() {
    assert_eq!(search_filter(None), SearchFilter::Nothing);
    assert_eq!(search_filter(Some("  ")), SearchFilter::Nothing);
    assert_eq!(search_filter(Some("\" * (")), SearchFilter::MatchesNothing);
    assert_eq!(
        search_filter(Some("po-12 \"late")),
        SearchFilter::Fts("\"po-12\" \"late\"*".into())
    );
}
