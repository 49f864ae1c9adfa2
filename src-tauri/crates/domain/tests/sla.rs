//! SLA clocks over business calendars with a fake clock ("now" is an argument): a weekend, a
//! holiday, the autumn DST change in two time zones and a spring night with a skipped hour,
//! pauses while waiting on the partner, and the at-risk and breached marks at the right minute.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use pd_domain::{
    evaluate, BusinessCalendar, BusinessDay, CaseKind, CaseStatus, Priority, SlaEventKind,
    SlaFacts, SlaPolicy, SlaState, SlaTarget, StatusChange, Weekday,
};

const WEEKDAYS: [Weekday; 5] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
];

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("valid instant")
}

/// Weekdays 09:00 to 17:00 in `zone`; first response 2 h, resolution 4 h (business), at risk at 75 %.
fn policy(zone: &str) -> SlaPolicy {
    SlaPolicy {
        enabled: true,
        targets: vec![SlaTarget {
            kind: None,
            priority: Priority::Normal,
            first_response_minutes: 120,
            resolution_minutes: 240,
        }],
        calendar: BusinessCalendar {
            time_zone: zone.to_owned(),
            days: WEEKDAYS
                .iter()
                .map(|&weekday| BusinessDay {
                    weekday,
                    start_minute: 9 * 60,
                    end_minute: 17 * 60,
                })
                .collect(),
            holidays: Vec::new(),
        },
        at_risk_percent: 75,
    }
}

fn case_opened(at: DateTime<Utc>) -> SlaFacts {
    SlaFacts {
        kind: CaseKind::Shipment,
        priority: Priority::Normal,
        status: CaseStatus::Open,
        created_at: at,
        first_response_at: Some(at),
        history: vec![StatusChange {
            at,
            status: CaseStatus::Open,
        }],
        server_due: None,
    }
}

fn resolution_state(facts: &SlaFacts, policy: &SlaPolicy, now: DateTime<Utc>) -> SlaState {
    evaluate(facts, policy, now)
        .resolution
        .expect("a resolution clock")
        .state
}

#[test]
fn a_weekend_does_not_count_and_the_marks_change_at_the_right_minute() {
    // Friday 27 November 2026, 15:00 in New York (EST, UTC-5): two business hours that day,
    // the other two on Monday 30 November 09:00-11:00.
    let policy = policy("America/New_York");
    let facts = case_opened(utc(2026, 11, 27, 20, 0));
    let view = evaluate(&facts, &policy, utc(2026, 11, 28, 12, 0));
    let resolution = view.resolution.clone().expect("clock");
    assert_eq!(
        resolution.used_minutes, 120,
        "Saturday: only Friday's two hours"
    );
    assert_eq!(resolution.state, SlaState::OnTrack);
    // At risk at 75 % (3 h): Monday 10:00 EST = 15:00 UTC; breached at 11:00 EST = 16:00 UTC.
    assert_eq!(resolution.at_risk_at, Some(utc(2026, 11, 30, 15, 0)));
    assert_eq!(resolution.due_at, Some(utc(2026, 11, 30, 16, 0)));
    assert_eq!(view.next_due, Some(utc(2026, 11, 30, 16, 0)));
    for (now, state) in [
        (utc(2026, 11, 30, 14, 59), SlaState::OnTrack),
        (utc(2026, 11, 30, 15, 0), SlaState::AtRisk),
        (utc(2026, 11, 30, 15, 59), SlaState::AtRisk),
        (utc(2026, 11, 30, 16, 0), SlaState::Breached),
    ] {
        assert_eq!(resolution_state(&facts, &policy, now), state, "at {now}");
        assert_eq!(evaluate(&facts, &policy, now).state, state, "case at {now}");
    }
    // The timeline shows the breach as expected before it happens, as past after.
    let before = evaluate(&facts, &policy, utc(2026, 11, 30, 14, 0));
    let breach = before
        .timeline
        .iter()
        .find(|e| e.kind == SlaEventKind::Breached)
        .expect("breach on the timeline");
    assert!(breach.expected);
    let after = evaluate(&facts, &policy, utc(2026, 11, 30, 16, 30));
    assert!(after
        .timeline
        .iter()
        .any(|e| e.kind == SlaEventKind::Breached && !e.expected));
}

#[test]
fn a_holiday_moves_the_due_date_to_the_next_working_day() {
    let mut policy = policy("America/New_York");
    policy.calendar.holidays = vec![NaiveDate::from_ymd_opt(2026, 11, 30).expect("date")];
    let facts = case_opened(utc(2026, 11, 27, 20, 0));
    let view = evaluate(&facts, &policy, utc(2026, 11, 30, 17, 0));
    let resolution = view.resolution.expect("clock");
    assert_eq!(resolution.state, SlaState::OnTrack, "Monday is a holiday");
    assert_eq!(resolution.used_minutes, 120);
    assert_eq!(resolution.due_at, Some(utc(2026, 12, 1, 16, 0)));
}

#[test]
fn the_autumn_dst_change_is_followed_in_berlin_and_in_new_york() {
    // Berlin leaves summer time on Sunday 25 October 2026: Friday 16:00 CEST is 14:00 UTC, and
    // one business hour is left that Friday, the other three fall on Monday in winter time.
    let berlin = policy("Europe/Berlin");
    let facts = case_opened(utc(2026, 10, 23, 14, 0));
    let view = evaluate(&facts, &berlin, utc(2026, 10, 24, 12, 0));
    let clock = view.resolution.expect("clock");
    assert_eq!(clock.used_minutes, 60);
    // 4 h: 1 h Friday, 3 h Monday 09:00-12:00 CET = 08:00-11:00 UTC.
    assert_eq!(clock.due_at, Some(utc(2026, 10, 26, 11, 0)));
    // New York leaves summer time a week later, on Sunday 1 November 2026: Friday 30 October
    // 16:00 EDT is 20:00 UTC; Monday 09:00-12:00 EST is 14:00-17:00 UTC.
    let new_york = policy("America/New_York");
    let facts = case_opened(utc(2026, 10, 30, 20, 0));
    let clock = evaluate(&facts, &new_york, utc(2026, 10, 31, 12, 0))
        .resolution
        .expect("clock");
    assert_eq!(clock.due_at, Some(utc(2026, 11, 2, 17, 0)));
    // The same Monday in Berlin's calendar (no change that week) keeps its UTC hours.
    let facts = case_opened(utc(2026, 10, 30, 15, 0));
    let clock = evaluate(&facts, &berlin, utc(2026, 10, 31, 12, 0))
        .resolution
        .expect("clock");
    assert_eq!(clock.due_at, Some(utc(2026, 11, 2, 11, 0)));
}

#[test]
fn a_night_shift_across_the_spring_change_counts_the_hours_that_exist() {
    // Sunday 29 March 2026 in Berlin: 02:00 becomes 03:00. A shift from 01:00 to 04:00 lasts
    // two hours that night (00:00-02:00 UTC), three on other Sundays. Target 2.5 h.
    let mut policy = policy("Europe/Berlin");
    policy.calendar.days = vec![BusinessDay {
        weekday: Weekday::Sunday,
        start_minute: 60,
        end_minute: 4 * 60,
    }];
    policy.targets[0].resolution_minutes = 150;
    let facts = case_opened(utc(2026, 3, 28, 12, 0));
    let clock = evaluate(&facts, &policy, utc(2026, 3, 29, 3, 0))
        .resolution
        .expect("clock");
    assert_eq!(clock.used_minutes, 120);
    assert_eq!(clock.state, SlaState::AtRisk);
    // The last half hour comes the next Sunday, 5 April, from 01:00 CEST = 23:00 UTC.
    assert_eq!(clock.due_at, Some(utc(2026, 4, 4, 23, 30)));
}

#[test]
fn waiting_on_the_partner_pauses_the_resolution_clock_but_not_the_first_response() {
    // Monday 30 November 2026 in New York: opened 09:00 EST (14:00 UTC), waiting on the
    // partner 10:00-13:00, back to us at 13:00.
    let policy = policy("America/New_York");
    let opened = utc(2026, 11, 30, 14, 0);
    let mut facts = case_opened(opened);
    facts.first_response_at = None;
    facts.status = CaseStatus::WaitingOnPartner;
    facts.history.push(StatusChange {
        at: utc(2026, 11, 30, 15, 0),
        status: CaseStatus::WaitingOnPartner,
    });
    // While paused: one hour used, no due date (it depends on when the partner answers).
    let paused = evaluate(&facts, &policy, utc(2026, 11, 30, 16, 0));
    let clock = paused.resolution.clone().expect("clock");
    assert!(paused.paused && clock.paused);
    assert_eq!(clock.used_minutes, 60);
    assert_eq!(clock.due_at, None);
    // The first response clock runs on: 2 h from 09:00, at risk at 10:30, breached at 11:00.
    let first = paused.first_response.expect("first response clock");
    assert_eq!(first.state, SlaState::Breached);
    assert_eq!(paused.state, SlaState::Breached);

    facts.status = CaseStatus::WaitingOnUs;
    facts.first_response_at = Some(utc(2026, 11, 30, 14, 30));
    facts.history.push(StatusChange {
        at: utc(2026, 11, 30, 18, 0),
        status: CaseStatus::WaitingOnUs,
    });
    let resumed = evaluate(&facts, &policy, utc(2026, 11, 30, 18, 30));
    let clock = resumed.resolution.clone().expect("clock");
    assert!(!clock.paused);
    assert_eq!(clock.used_minutes, 90);
    // 3 h at risk: 1 h before the pause + 2 h after 13:00 = 15:00 EST; 4 h due at 16:00 EST.
    assert_eq!(clock.at_risk_at, Some(utc(2026, 11, 30, 20, 0)));
    assert_eq!(clock.due_at, Some(utc(2026, 11, 30, 21, 0)));
    assert_eq!(resumed.state, SlaState::OnTrack);
    let kinds: Vec<SlaEventKind> = resumed.timeline.iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&SlaEventKind::Paused) && kinds.contains(&SlaEventKind::Resumed));
    assert_eq!(
        resolution_state(&facts, &policy, utc(2026, 11, 30, 20, 59)),
        SlaState::AtRisk
    );
    assert_eq!(
        resolution_state(&facts, &policy, utc(2026, 11, 30, 21, 0)),
        SlaState::Breached
    );
}

#[test]
fn a_resolved_case_has_no_mark_and_its_timeline_says_when_it_was_met() {
    let policy = policy("America/New_York");
    let mut facts = case_opened(utc(2026, 11, 30, 14, 0));
    facts.status = CaseStatus::Resolved;
    facts.history.push(StatusChange {
        at: utc(2026, 11, 30, 15, 0),
        status: CaseStatus::Resolved,
    });
    let view = evaluate(&facts, &policy, utc(2026, 12, 10, 12, 0));
    assert_eq!(view.state, SlaState::None);
    assert_eq!(view.next_due, None);
    assert!(view
        .timeline
        .iter()
        .any(|e| e.kind == SlaEventKind::Met && e.at == utc(2026, 11, 30, 15, 0)));
    assert!(!view
        .timeline
        .iter()
        .any(|e| e.kind == SlaEventKind::Breached));
}

#[test]
fn with_the_policy_off_the_server_due_date_decides_as_before() {
    let mut policy = policy("America/New_York");
    policy.enabled = false;
    let mut facts = case_opened(utc(2026, 11, 30, 14, 0));
    facts.server_due = Some(utc(2026, 12, 1, 12, 0));
    assert_eq!(
        evaluate(&facts, &policy, utc(2026, 11, 30, 10, 0)).state,
        SlaState::OnTrack
    );
    assert_eq!(
        evaluate(&facts, &policy, utc(2026, 11, 30, 13, 0)).state,
        SlaState::AtRisk
    );
    assert_eq!(
        evaluate(&facts, &policy, utc(2026, 12, 1, 12, 0)).state,
        SlaState::Breached
    );
}

#[test]
fn an_unknown_time_zone_or_a_calendar_without_hours_is_refused_in_words() {
    let mut bad = policy("Mars/Olympus_Mons");
    assert!(bad
        .problem()
        .is_some_and(|p| p.contains("Mars/Olympus_Mons")));
    bad = policy("Europe/Berlin");
    bad.calendar.days.clear();
    assert!(bad.problem().is_some_and(|p| p.contains("working day")));
    assert_eq!(policy("Asia/Kolkata").problem(), None);
}

#[test]
fn overlapping_working_hours_of_one_day_count_once() {
    // 09:00 to 13:00 and 11:00 to 17:00 are the same working day as 09:00 to 17:00: a 4 h
    // resolution target opened Monday 09:00 is due at 13:00, not at 12:00 (hours counted twice).
    let mut overlapping = policy("UTC");
    overlapping.calendar.days = WEEKDAYS
        .iter()
        .flat_map(|&weekday| {
            [(9, 13), (11, 17)].map(|(start, end)| BusinessDay {
                weekday,
                start_minute: start * 60,
                end_minute: end * 60,
            })
        })
        .collect();
    let opened = utc(2026, 3, 2, 9, 0);
    let facts = case_opened(opened);
    let due = evaluate(&facts, &overlapping, opened)
        .resolution
        .expect("a resolution clock")
        .due_at;
    assert_eq!(due, Some(utc(2026, 3, 2, 13, 0)));
    assert_eq!(
        resolution_state(&facts, &overlapping, utc(2026, 3, 2, 11, 30)),
        SlaState::OnTrack
    );
    assert_eq!(
        resolution_state(&facts, &overlapping, utc(2026, 3, 2, 13, 0)),
        SlaState::Breached
    );
}
