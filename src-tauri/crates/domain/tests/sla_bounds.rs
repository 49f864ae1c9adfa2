//! The case list's SLA marks come from [`SlaBounds`] computed once per case; they must be the
//! marks [`evaluate`] gives at every instant, for any history, calendar and policy: generated
//! cases (pauses, reopenings, resolutions, answers before and after the clocks run out, zero
//! targets, at-risk shares over 100 %, unknown time zones, the policy off) checked at many
//! instants around their thresholds; and whether the clock is paused, wherever the bounds can
//! tell.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use pd_domain::{
    evaluate, BusinessCalendar, BusinessDay, CaseKind, CaseStatus, Priority, SlaBounds,
    SlaBoundsPlan, SlaFacts, SlaPolicy, SlaState, SlaTarget, StatusChange, Weekday,
};
use proptest::prelude::*;

const WEEK: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];
const ZONES: [&str; 5] = [
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "UTC",
    "Not/AZone",
];

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 20, 6, 30, 0)
        .single()
        .expect("valid instant")
}

fn policy() -> impl Strategy<Value = SlaPolicy> {
    (
        prop::bool::weighted(0.9),
        prop::sample::select(ZONES.to_vec()),
        prop::collection::vec((0usize..7, 0u16..1440, 1u16..=1440), 0..6),
        prop::collection::vec(0i64..40, 0..3),
        prop::collection::vec(
            (
                prop::option::of(0usize..6),
                0usize..4,
                0u32..3000,
                0u32..6000,
            ),
            0..6,
        ),
        prop::sample::select(vec![0u8, 50, 75, 100, 150]),
    )
        .prop_map(
            |(enabled, zone, days, holidays, targets, at_risk)| SlaPolicy {
                enabled,
                targets: targets
                    .into_iter()
                    .map(|(kind, priority, first, resolution)| SlaTarget {
                        kind: kind.map(|k| CaseKind::ALL[k]),
                        priority: Priority::ALL[priority],
                        first_response_minutes: first,
                        resolution_minutes: resolution,
                    })
                    .collect(),
                calendar: BusinessCalendar {
                    time_zone: zone.to_owned(),
                    days: days
                        .into_iter()
                        .map(|(day, start, end)| BusinessDay {
                            weekday: WEEK[day],
                            start_minute: start,
                            end_minute: end,
                        })
                        .collect(),
                    holidays: holidays
                        .into_iter()
                        .filter_map(|d| {
                            NaiveDate::from_ymd_opt(2026, 3, 20)
                                .and_then(|day| day.checked_add_days(chrono::Days::new(d as u64)))
                        })
                        .collect(),
                },
                at_risk_percent: at_risk,
            },
        )
}

fn facts() -> impl Strategy<Value = SlaFacts> {
    facts_from(base())
}

/// Cases opened up to 20 days after `base`.
fn facts_from(base: DateTime<Utc>) -> impl Strategy<Value = SlaFacts> {
    (
        0usize..6,
        0usize..4,
        0i64..(20 * 24 * 60),
        prop::option::of(-60i64..(30 * 24 * 60)),
        prop::collection::vec((0usize..6, 0i64..(10 * 24 * 60)), 0..8),
        prop::option::of(-(5 * 24 * 60)..(30 * 24 * 60i64)),
    )
        .prop_map(move |(kind, priority, opened, answer, moves, due)| {
            let created_at = base + Duration::minutes(opened);
            let mut at = created_at;
            let mut history = vec![StatusChange {
                at,
                status: CaseStatus::New,
            }];
            for (status, after) in moves {
                at += Duration::minutes(after);
                history.push(StatusChange {
                    at,
                    status: CaseStatus::ALL[status],
                });
            }
            SlaFacts {
                kind: CaseKind::ALL[kind],
                priority: Priority::ALL[priority],
                status: history.last().map_or(CaseStatus::New, |c| c.status),
                created_at,
                first_response_at: answer.map(|m| created_at + Duration::minutes(m)),
                history,
                server_due: due.map(|m| created_at + Duration::minutes(m)),
            }
        })
}

/// Instants worth checking: around every instant `evaluate` names for the case (each one
/// second before, at and after) and a spread from before the opening to weeks later.
fn instants(facts: &SlaFacts, policy: &SlaPolicy) -> Vec<DateTime<Utc>> {
    let view = evaluate(facts, policy, facts.created_at);
    let mut named: Vec<DateTime<Utc>> = view.timeline.iter().map(|e| e.at).collect();
    for clock in [&view.first_response, &view.resolution]
        .into_iter()
        .flatten()
    {
        named.extend(
            [clock.at_risk_at, clock.due_at, clock.met_at]
                .into_iter()
                .flatten(),
        );
    }
    named.extend(facts.server_due);
    named.extend(facts.server_due.map(|d| d - Duration::hours(24)));
    named.extend(facts.history.iter().map(|c| c.at));
    let mut out = Vec::new();
    for at in named {
        out.extend([at - Duration::seconds(1), at, at + Duration::seconds(1)]);
    }
    out.extend((-2..60).map(|h| facts.created_at + Duration::hours(h * 11)));
    out
}

/// Cases a server dated at the edges of the bounds' 32-bit seconds (1970 to 2106) and past them.
fn edge_facts() -> impl Strategy<Value = SlaFacts> {
    let at = |y, m, d, h| {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .expect("instant")
    };
    prop::sample::select(vec![
        at(1969, 12, 25, 0),
        at(1970, 1, 1, 0),
        at(2106, 1, 28, 0),
        at(2106, 2, 7, 6),
        at(2150, 6, 1, 9),
    ])
    .prop_flat_map(facts_from)
}

/// The marks and pauses `bounds` gives are the ones `evaluate` gives at every instant worth
/// checking.
fn same_as_evaluate(
    bounds: &SlaBounds,
    facts: &SlaFacts,
    policy: &SlaPolicy,
    jitter: i64,
) -> Result<(), TestCaseError> {
    for at in instants(facts, policy) {
        // Sub-second instants too: the clocks count whole seconds.
        let now = at + Duration::nanoseconds(jitter);
        let view = evaluate(facts, policy, now);
        prop_assert_eq!(
            bounds.mark(now),
            (view.state, view.next_due),
            "at {} for {:?}",
            now,
            facts
        );
        if let Some(paused) = bounds.paused(now) {
            prop_assert_eq!(paused, view.paused, "paused at {} for {:?}", now, facts);
        } else {
            prop_assert!(facts.history.iter().any(|c| c.at > now));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn the_marks_from_the_bounds_are_the_marks_evaluate_gives(
        policy in policy(),
        facts in facts(),
        jitter in 0i64..1_000_000_000,
    ) {
        let bounds = SlaBoundsPlan::new(&policy).bounds(&facts);
        same_as_evaluate(&bounds, &facts, &policy, jitter)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn cases_dated_near_or_past_the_32_bit_years_get_the_same_marks(
        policy in policy(),
        facts in edge_facts(),
        jitter in 0i64..1_000_000_000,
    ) {
        let bounds = SlaBoundsPlan::new(&policy).bounds(&facts);
        same_as_evaluate(&bounds, &facts, &policy, jitter)?;
    }
}

#[test]
fn a_case_of_these_years_is_kept_in_48_bytes_and_one_of_2150_in_full() {
    assert!(std::mem::size_of::<Option<SlaBounds>>() <= 48);
    let policy = SlaPolicy::default();
    assert!(policy.enabled && !policy.targets.is_empty());
    let case = |created_at: DateTime<Utc>| SlaFacts {
        kind: CaseKind::Shipment,
        priority: Priority::Normal,
        status: CaseStatus::Open,
        created_at,
        first_response_at: None,
        history: vec![StatusChange {
            at: created_at,
            status: CaseStatus::Open,
        }],
        server_due: None,
    };
    let plan = SlaBoundsPlan::new(&policy);
    assert!(matches!(plan.bounds(&case(base())), SlaBounds::Clocks(_)));
    let far = Utc
        .with_ymd_and_hms(2150, 6, 1, 9, 0, 0)
        .single()
        .expect("instant");
    let wide = plan.bounds(&case(far));
    assert!(matches!(wide, SlaBounds::WideClocks(_)));
    for minutes in [1, 4 * 60, 5 * 24 * 60] {
        let now = far + Duration::minutes(minutes);
        let view = evaluate(&case(far), &policy, now);
        assert_eq!(wide.mark(now), (view.state, view.next_due));
    }
}

#[test]
fn a_waiting_case_is_breached_from_its_due_minute_until_it_waits_on_the_partner() {
    let policy = round_the_clock_policy();
    let opened = base();
    let mut facts = SlaFacts {
        kind: CaseKind::Shipment,
        priority: Priority::Normal,
        status: CaseStatus::Open,
        created_at: opened,
        first_response_at: Some(opened),
        history: vec![StatusChange {
            at: opened,
            status: CaseStatus::Open,
        }],
        server_due: None,
    };
    let bounds = SlaBoundsPlan::new(&policy).bounds(&facts);
    let due = opened + Duration::minutes(60);
    assert_eq!(
        bounds.mark(opened + Duration::minutes(29)),
        (SlaState::OnTrack, Some(due))
    );
    assert_eq!(
        bounds.mark(opened + Duration::minutes(30)),
        (SlaState::AtRisk, Some(due))
    );
    assert_eq!(bounds.mark(due), (SlaState::Breached, Some(due)));
    // Waiting on the partner from minute 40: the clock stops short of its due minute.
    facts.status = CaseStatus::WaitingOnPartner;
    facts.history.push(StatusChange {
        at: opened + Duration::minutes(40),
        status: CaseStatus::WaitingOnPartner,
    });
    let waiting = SlaBoundsPlan::new(&policy).bounds(&facts);
    assert_eq!(
        waiting.mark(opened + Duration::days(3)),
        (SlaState::AtRisk, None)
    );
    assert_eq!(waiting.paused(opened + Duration::days(3)), Some(true));
    assert_eq!(bounds.paused(opened + Duration::days(3)), Some(false));
}

/// A hand-made policy the generated ones stand beside: business hours all week in UTC,
/// resolution in 60 minutes, at risk at 50 %.
fn round_the_clock_policy() -> SlaPolicy {
    SlaPolicy {
        enabled: true,
        targets: vec![SlaTarget {
            kind: None,
            priority: Priority::Normal,
            first_response_minutes: 600,
            resolution_minutes: 60,
        }],
        calendar: BusinessCalendar {
            time_zone: "UTC".into(),
            days: WEEK
                .iter()
                .map(|&weekday| BusinessDay {
                    weekday,
                    start_minute: 0,
                    end_minute: 1440,
                })
                .collect(),
            holidays: Vec::new(),
        },
        at_risk_percent: 50,
    }
}

#[test]
fn instants_at_the_edges_of_the_32_bit_years_keep_their_meaning() {
    // Round the clock, first answer in 30 minutes, resolution in 60.
    let mut policy = round_the_clock_policy();
    policy.targets[0].first_response_minutes = 30;
    let at = |seconds: i64| Utc.timestamp_opt(seconds, 0).single().expect("instant");
    let case = |created_at: DateTime<Utc>, answered: bool| SlaFacts {
        kind: CaseKind::Shipment,
        priority: Priority::Normal,
        status: CaseStatus::Open,
        created_at,
        first_response_at: answered.then_some(created_at),
        history: vec![StatusChange {
            at: created_at,
            status: CaseStatus::Open,
        }],
        server_due: None,
    };
    // Resolution due at the last second 32 bits hold; a case opened at the epoch's first second,
    // unanswered: both are instants, not "never" and "always".
    let last = at(i64::from(u32::MAX));
    for facts in [case(last - Duration::minutes(60), true), case(at(0), false)] {
        let bounds = SlaBoundsPlan::new(&policy).bounds(&facts);
        for minutes in [0, 29, 30, 59, 60] {
            for now in [
                facts.created_at + Duration::minutes(minutes) - Duration::seconds(1),
                facts.created_at + Duration::minutes(minutes),
            ] {
                let view = evaluate(&facts, &policy, now);
                assert_eq!(bounds.mark(now), (view.state, view.next_due), "at {now}");
            }
        }
    }
}
