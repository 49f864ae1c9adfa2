//! SLA marks computed by the cache with the app's policy, on a real SQLite file and a fake clock:
//! the case list and the case page show at risk and breached at the right minute, a case
//! waiting on the partner shows its clock paused and resumes when the partner answered (the
//! status history kept by triggers as pulls change the case), and with the policy off the
//! server's due date decides as before.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use common::*;
use pd_domain::*;
use pd_store::*;

fn utc(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    // November 2026 in New York is UTC-5.
    Utc.with_ymd_and_hms(2026, 11, d, h, m, 0)
        .single()
        .expect("valid instant")
}

/// Weekdays 09:00-17:00 New York; normal priority: 1 h first response, 4 h resolution.
fn policy() -> SlaPolicy {
    SlaPolicy {
        enabled: true,
        targets: vec![SlaTarget {
            kind: None,
            priority: Priority::Normal,
            first_response_minutes: 60,
            resolution_minutes: 240,
        }],
        calendar: BusinessCalendar {
            time_zone: "America/New_York".to_owned(),
            days: [
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Friday,
            ]
            .into_iter()
            .map(|weekday| BusinessDay {
                weekday,
                start_minute: 9 * 60,
                end_minute: 17 * 60,
            })
            .collect(),
            holidays: vec![],
        },
        at_risk_percent: 75,
    }
}

/// Our answer at 09:05 (the first response); a pull carries a case's whole thread.
fn answer() -> Comment {
    let mut answer = comment("case-00001", "cm-1", "Looking into it.", 0);
    answer.author_is_partner = false;
    answer.author = "Ann Analyst".into();
    answer.created_at = utc(30, 14, 5);
    answer
}

/// One case opened Monday 30 November 09:00 New York, answered at 09:05, due Friday on the server.
fn cache(dir: &tempfile::TempDir) -> Store {
    let store = Store::open(dir.path().join("cache.db")).expect("cache opens");
    let mut c = case(1, "GC1", "Verona Vittles");
    c.created_at = utc(30, 14, 0);
    c.updated_at = utc(30, 14, 0);
    c.sla_due = Some(
        Utc.with_ymd_and_hms(2026, 12, 4, 22, 0, 0)
            .single()
            .expect("due"),
    );
    store
        .apply_case_page(
            &page(vec![bundle(c, vec![answer()], vec![])], "c1"),
            "cases",
        )
        .expect("case cached");
    store
}

fn row(store: &Store, now: DateTime<Utc>) -> CaseRow {
    store
        .list_cases(&CaseQuery::default(), now)
        .expect("list")
        .rows
        .pop()
        .expect("the case")
}

#[test]
fn the_list_and_the_case_page_mark_at_risk_and_breached_at_the_right_minute() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = cache(&dir);
    // Until the app hands over its policy, the server's due date decides (days away: on track).
    assert_eq!(row(&store, utc(30, 19, 0)).sla_state, SlaState::OnTrack);
    store.set_sla_policy(policy());
    for (now, state) in [
        (utc(30, 16, 59), SlaState::OnTrack),
        (utc(30, 17, 0), SlaState::AtRisk),
        (utc(30, 17, 59), SlaState::AtRisk),
        (utc(30, 18, 0), SlaState::Breached),
    ] {
        let r = row(&store, now);
        assert_eq!(r.sla_state, state, "list at {now}");
        assert_eq!(r.sla_due, Some(utc(30, 18, 0)), "the computed due time");
        let detail = store.case_detail(&r.id, now).expect("case page");
        assert_eq!(detail.sla_state, state, "case page at {now}");
        assert_eq!(detail.sla.state, state);
    }
    let detail = store
        .case_detail("case-00001", utc(30, 18, 30))
        .expect("page");
    let kinds: Vec<SlaEventKind> = detail.sla.timeline.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![
            SlaEventKind::Started,
            SlaEventKind::Met,
            SlaEventKind::AtRisk,
            SlaEventKind::Breached
        ]
    );
}

#[test]
fn waiting_on_the_partner_pauses_the_clock_in_the_list_and_a_reply_resumes_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = cache(&dir);
    store.set_sla_policy(policy());
    // 10:00: the case waits on the partner (as pulled from the server).
    let mut asked = store.case("case-00001").expect("case").expect("cached");
    asked.status = CaseStatus::WaitingOnPartner;
    asked.updated_at = utc(30, 15, 0);
    asked.version = 2;
    store
        .apply_case_page(
            &page(vec![bundle(asked, vec![answer()], vec![])], "c2"),
            "cases",
        )
        .expect("pulled");
    let paused = row(&store, utc(30, 20, 0));
    assert!(paused.sla_paused);
    assert_eq!(paused.sla_state, SlaState::OnTrack, "1 h of 4 used");
    assert_eq!(paused.sla_due, None);
    // 13:00: the partner answered; the server says "waiting on us" (a pull).
    let mut back = store.case("case-00001").expect("case").expect("cached");
    back.status = CaseStatus::WaitingOnUs;
    back.updated_at = utc(30, 18, 0);
    back.version = 3;
    store
        .apply_case_page(
            &page(vec![bundle(back, vec![answer()], vec![])], "c3"),
            "cases",
        )
        .expect("pulled");
    let resumed = row(&store, utc(30, 18, 30));
    assert!(!resumed.sla_paused);
    // 1 h before the pause + 3 h after 13:00: due 16:00 New York = 21:00 UTC.
    assert_eq!(resumed.sla_due, Some(utc(30, 21, 0)));
}

#[test]
fn with_the_policy_off_the_server_due_date_marks_the_list() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = cache(&dir);
    store.set_sla_policy(SlaPolicy {
        enabled: false,
        ..policy()
    });
    let due = Utc
        .with_ymd_and_hms(2026, 12, 4, 22, 0, 0)
        .single()
        .expect("due");
    let r = row(&store, utc(30, 20, 0));
    assert_eq!((r.sla_state, r.sla_due), (SlaState::OnTrack, Some(due)));
    let r = row(
        &store,
        Utc.with_ymd_and_hms(2026, 12, 4, 22, 0, 0)
            .single()
            .expect("due"),
    );
    assert_eq!(r.sla_state, SlaState::Breached);
}

/// Our answer on case `n` at `at`.
fn answered(n: u32, at: DateTime<Utc>) -> Comment {
    let mut answer = comment(&format!("case-{n:05}"), &format!("cm-{n}"), "On it.", 0);
    answer.author_is_partner = false;
    answer.author = "Ann Analyst".into();
    answer.created_at = at;
    answer
}

#[test]
fn the_list_sorts_by_sla_urgency_and_filters_breached_and_at_risk_on_the_computed_clocks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path().join("cache.db")).expect("cache opens");
    let opened = |n: u32, at: DateTime<Utc>, server_due: Option<DateTime<Utc>>| {
        let mut c = case(n, "GC1", "Verona Vittles");
        c.created_at = at;
        c.updated_at = at;
        c.sla_due = server_due;
        c
    };
    // Monday 30 November, now 17:30 UTC = 12:30 New York.
    let now = utc(30, 17, 30);
    // 1: opened Friday 09:00 NY, answered: breached Friday 13:00; no due date on the server.
    let friday = opened(1, utc(27, 14, 0), None);
    // 2: opened today 09:00 NY, answered: 3.5 of 4 hours used, at risk; the server says days.
    let at_risk = opened(
        2,
        utc(30, 14, 0),
        Some(utc(30, 23, 0) + chrono::Duration::days(4)),
    );
    // 3: opened 11:00 NY, answered: on track (due 20:00 UTC); the server's due has passed.
    let on_track = opened(3, utc(30, 16, 0), Some(utc(30, 15, 0)));
    // 4: opened 12:00 NY, not answered: first response due 18:00 UTC, on track.
    let unanswered = opened(4, utc(30, 17, 0), None);
    // 5: resolved: no mark.
    let mut resolved = opened(5, utc(27, 14, 0), Some(utc(27, 15, 0)));
    resolved.status = CaseStatus::Resolved;
    store
        .apply_case_page(
            &page(
                vec![
                    bundle(on_track, vec![answered(3, utc(30, 16, 5))], vec![]),
                    bundle(resolved, vec![], vec![]),
                    bundle(friday, vec![answered(1, utc(27, 14, 5))], vec![]),
                    bundle(unanswered, vec![], vec![]),
                    bundle(at_risk, vec![answered(2, utc(30, 14, 5))], vec![]),
                ],
                "c1",
            ),
            "cases",
        )
        .expect("cases cached");
    store.set_sla_policy(policy());
    let list = |q: CaseQuery| -> Vec<(String, SlaState)> {
        store
            .list_cases(&q, now)
            .expect("list")
            .rows
            .into_iter()
            .map(|r| (r.reference, r.sla_state))
            .collect()
    };
    let by_sla = CaseQuery {
        sort: CaseSortField::SlaDue,
        ..CaseQuery::default()
    };
    assert_eq!(
        list(by_sla.clone()),
        vec![
            ("CASE-2026-000001".to_owned(), SlaState::Breached),
            ("CASE-2026-000002".to_owned(), SlaState::AtRisk),
            ("CASE-2026-000004".to_owned(), SlaState::OnTrack),
            ("CASE-2026-000003".to_owned(), SlaState::OnTrack),
            ("CASE-2026-000005".to_owned(), SlaState::None),
        ],
        "most urgent first, by the computed clocks (not the server's due column)"
    );
    // A window of it keeps that order.
    let window = list(CaseQuery {
        offset: 1,
        limit: 2,
        ..by_sla.clone()
    });
    assert_eq!(
        window.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>(),
        vec!["CASE-2026-000002", "CASE-2026-000004"]
    );
    let descending = list(CaseQuery {
        descending: true,
        ..by_sla
    });
    assert_eq!(
        descending.first().map(|(r, _)| r.as_str()),
        Some("CASE-2026-000005")
    );

    let breached = CaseQuery {
        sla_breached: true,
        ..CaseQuery::default()
    };
    assert_eq!(
        list(breached.clone()),
        vec![("CASE-2026-000001".to_owned(), SlaState::Breached)],
        "the server's passed due date on case 3 does not count; case 1's computed breach does"
    );
    let page = store.list_cases(&breached, now).expect("list");
    assert_eq!(page.total, 1);
    let counts = store.status_counts(&breached, now).expect("counts");
    let open = counts
        .iter()
        .find(|c| c.status == CaseStatus::Open)
        .expect("open");
    assert_eq!(open.count, 1, "the tabs count what the list shows");
    assert_eq!(
        list(CaseQuery {
            sla_at_risk: true,
            ..CaseQuery::default()
        }),
        vec![("CASE-2026-000002".to_owned(), SlaState::AtRisk)]
    );
    let either: Vec<String> = list(CaseQuery {
        sla_breached: true,
        sla_at_risk: true,
        sort: CaseSortField::SlaDue,
        ..CaseQuery::default()
    })
    .into_iter()
    .map(|(r, _)| r)
    .collect();
    assert_eq!(either, vec!["CASE-2026-000001", "CASE-2026-000002"]);
}

/// What the SLA-computed lists show at `now`: each query's rows (reference and mark), total and
/// status counts.
type SlaAnswers = Vec<(
    Vec<(String, SlaState, Option<DateTime<Utc>>)>,
    u32,
    Vec<StatusCount>,
)>;

fn sla_answers(store: &Store, now: DateTime<Utc>) -> SlaAnswers {
    let base = CaseQuery {
        limit: 1000,
        ..CaseQuery::default()
    };
    let queries = [
        CaseQuery {
            sla_breached: true,
            ..base.clone()
        },
        CaseQuery {
            sla_at_risk: true,
            ..base.clone()
        },
        CaseQuery {
            sla_breached: true,
            sla_at_risk: true,
            statuses: vec![CaseStatus::Open, CaseStatus::WaitingOnPartner],
            ..base.clone()
        },
        CaseQuery {
            sort: CaseSortField::SlaDue,
            ..base.clone()
        },
        CaseQuery {
            sort: CaseSortField::SlaDue,
            descending: true,
            offset: 7,
            limit: 40,
            ..base
        },
    ];
    queries
        .iter()
        .map(|q| {
            let page = store.list_cases(q, now).expect("list");
            // The filter, the order and the rows' marks come from kept bounds; the case page
            // computes its mark from the case's whole history: they must agree (every 7th row,
            // to keep the test quick).
            for r in page.rows.iter().step_by(7) {
                let sla = store.case_sla(&r.id, now).expect("case sla");
                assert_eq!(
                    (r.sla_state, r.sla_due, r.sla_paused),
                    (sla.state, sla.next_due, sla.paused),
                    "{} in the list and on its page",
                    r.reference
                );
            }
            let rows: Vec<(String, SlaState, Option<DateTime<Utc>>)> = page
                .rows
                .into_iter()
                .map(|r| (r.reference, r.sla_state, r.sla_due))
                .collect();
            if q.sort == CaseSortField::SlaDue {
                let keys: Vec<_> = rows
                    .iter()
                    .map(|(_, state, due)| sla_urgency_key(*state, *due))
                    .collect();
                let mut sorted = keys.clone();
                sorted.sort();
                if q.descending {
                    sorted.reverse();
                }
                assert!(keys == sorted, "the rows of {q:?} are in SLA order");
            }
            for (reference, state, _) in &rows {
                let passes = match (q.sla_breached, q.sla_at_risk) {
                    (true, false) => *state == SlaState::Breached,
                    (false, true) => *state == SlaState::AtRisk,
                    (true, true) => matches!(state, SlaState::Breached | SlaState::AtRisk),
                    (false, false) => true,
                };
                assert!(passes, "{reference} shows {state:?} in a list of {q:?}");
            }
            (
                rows,
                page.total,
                store.status_counts(q, now).expect("counts"),
            )
        })
        .collect()
}

#[test]
fn the_sla_computed_list_after_each_change_equals_a_fresh_reading_of_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cache.db");
    let store = Store::open(&path).expect("cache opens");
    // 2,100 cases opened over Friday to Monday, some answered, of every status and priority
    // (only normal priority has a target: the others are marked by the server's due date);
    // more than the list computes one at a time, so the first list reads all of them at once.
    let mut cases = Vec::new();
    let mut bundles = Vec::new();
    for n in 0..2100u32 {
        let mut c = case(n, "GC1", "Verona Vittles");
        c.created_at = utc(27, 12, 0) + chrono::Duration::minutes(i64::from(n) * 2);
        c.updated_at = c.created_at;
        c.status = [
            CaseStatus::New,
            CaseStatus::Open,
            CaseStatus::WaitingOnPartner,
        ][(n % 3) as usize];
        if n % 11 == 0 {
            c.status = CaseStatus::Resolved;
        }
        c.priority = if n % 5 == 0 {
            Priority::High
        } else {
            Priority::Normal
        };
        c.sla_due = (n % 2 == 0).then(|| c.created_at + chrono::Duration::hours(30));
        let thread = if n % 4 == 0 {
            vec![answered(n, c.created_at + chrono::Duration::minutes(50))]
        } else {
            vec![]
        };
        cases.push(c.clone());
        bundles.push(bundle(c, thread, vec![]));
    }
    store
        .apply_case_page(&page(bundles, "c1"), "cases")
        .expect("cases cached");
    store.set_sla_policy(policy());
    let fresh = |policy: SlaPolicy, now| {
        let other = Store::open(&path).expect("a second handle reads the file");
        other.set_sla_policy(policy);
        sla_answers(&other, now)
    };
    let now = utc(30, 17, 30);
    // Before any list, each row's bounds are read as its page asks for them; the first list
    // starts reading every case's bounds ahead on a thread of its own.
    let plain = store.list_cases(&CaseQuery::default(), now).expect("list");
    assert_eq!(plain.total, 2100);
    let started = std::time::Instant::now();
    while !store.list_sla_bounds_whole().expect("asked") {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the SLA bounds are read ahead after the first list"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let first = sla_answers(&store, now);
    assert_eq!(first, fresh(policy(), now));
    assert!(
        first[0].1 > 10 && first[1].1 > 0 && first[3].1 == 2100,
        "breached, at risk and all cases are listed: {:?}",
        first.iter().map(|a| a.1).collect::<Vec<_>>()
    );

    // Hours pass with nothing written: the kept bounds give the later marks.
    let later = utc(30, 21, 0);
    assert_ne!(
        sla_answers(&store, later),
        first,
        "marks move with the clock"
    );
    assert_eq!(sla_answers(&store, later), fresh(policy(), later));

    let breached = |store: &Store| -> Vec<String> {
        sla_answers(store, now)[0]
            .0
            .iter()
            .map(|(r, _, _)| r.clone())
            .collect()
    };
    let waiting = cases
        .iter()
        .find(|c| breached(&store).contains(&c.reference) && c.status == CaseStatus::Open)
        .expect("an open breached case");
    store
        .patch_local_case(
            &waiting.id,
            &CasePatch {
                status: Some(CaseStatus::WaitingOnPartner),
                ..CasePatch::default()
            },
            now,
        )
        .expect("patch");
    assert_eq!(
        sla_answers(&store, now),
        fresh(policy(), now),
        "after a pause"
    );

    let unanswered = cases
        .iter()
        .find(|c| c.status == CaseStatus::New && c.priority == Priority::Normal)
        .expect("a new case");
    store
        .add_local_comment(
            &unanswered.id,
            "ann",
            "Looking into it",
            Visibility::Partner,
            now,
        )
        .expect("answer");
    assert_eq!(
        sla_answers(&store, now),
        fresh(policy(), now),
        "after an answer"
    );

    store
        .patch_local_case(
            &cases[3].id,
            &CasePatch {
                priority: Some(Priority::High),
                ..CasePatch::default()
            },
            now,
        )
        .expect("priority");
    assert_eq!(
        sla_answers(&store, now),
        fresh(policy(), now),
        "after a priority change"
    );

    let mut resolved = cases[7].clone();
    resolved.status = CaseStatus::Resolved;
    resolved.version += 1;
    resolved.updated_at = now;
    store
        .apply_case_page(&page(vec![bundle(resolved, vec![], vec![])], "c2"), "cases")
        .expect("server change");
    assert_eq!(
        sla_answers(&store, now),
        fresh(policy(), now),
        "after a server change"
    );

    // Another policy: every mark is computed under it.
    let mut stricter = policy();
    stricter.targets[0].resolution_minutes = 90;
    stricter.targets.push(SlaTarget {
        kind: None,
        priority: Priority::High,
        first_response_minutes: 30,
        resolution_minutes: 120,
    });
    store.set_sla_policy(stricter.clone());
    let under_stricter = sla_answers(&store, now);
    assert_ne!(
        under_stricter,
        fresh(policy(), now),
        "the policy changes the marks"
    );
    assert_eq!(
        under_stricter,
        fresh(stricter, now),
        "after a policy change"
    );
}
