//! SLA policies computed on this computer (also offline): targets per case kind and priority for
//! the first response and the resolution, counted in business time of a calendar with a time
//! zone (its DST rules from `jiff`'s bundled database), working hours per weekday and holidays;
//! the resolution clock pauses while the case waits on the partner. [`evaluate`] is a pure
//! function of the case's facts, the policy and "now", so tests drive it with a fake clock.

use chrono::{NaiveDate, TimeZone as _, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{CaseKind, CaseStatus, Priority, SlaState, Timestamp};

mod bounds;
pub use bounds::{SlaBounds, SlaBoundsPlan, SlaClockBounds, WideClockBounds};

/// A day of the week, as calendars name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl Weekday {
    fn of(day: jiff::civil::Weekday) -> Self {
        match day {
            jiff::civil::Weekday::Monday => Weekday::Monday,
            jiff::civil::Weekday::Tuesday => Weekday::Tuesday,
            jiff::civil::Weekday::Wednesday => Weekday::Wednesday,
            jiff::civil::Weekday::Thursday => Weekday::Thursday,
            jiff::civil::Weekday::Friday => Weekday::Friday,
            jiff::civil::Weekday::Saturday => Weekday::Saturday,
            jiff::civil::Weekday::Sunday => Weekday::Sunday,
        }
    }
}

/// Working hours of one weekday, in the calendar's local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BusinessDay {
    /// Which day.
    pub weekday: Weekday,
    /// Minutes after midnight when work starts (540 = 09:00).
    pub start_minute: u16,
    /// Minutes after midnight when work ends (1020 = 17:00; at most 1440).
    pub end_minute: u16,
}

/// Business hours: a time zone, working hours per weekday, holidays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BusinessCalendar {
    /// IANA time zone ("Europe/Berlin", "America/New_York").
    pub time_zone: String,
    /// Working hours; a weekday not listed is a day off.
    pub days: Vec<BusinessDay>,
    /// Days off (local dates).
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
}

impl Default for BusinessCalendar {
    fn default() -> Self {
        let day = |weekday| BusinessDay {
            weekday,
            start_minute: 9 * 60,
            end_minute: 17 * 60,
        };
        Self {
            time_zone: "America/New_York".to_owned(),
            days: vec![
                day(Weekday::Monday),
                day(Weekday::Tuesday),
                day(Weekday::Wednesday),
                day(Weekday::Thursday),
                day(Weekday::Friday),
            ],
            holidays: Vec::new(),
        }
    }
}

/// Targets for cases of one priority (and one kind, or every kind), in business minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SlaTarget {
    /// Only this kind; none: every kind without a target of its own.
    pub kind: Option<CaseKind>,
    /// The priority.
    pub priority: Priority,
    /// First response within (business minutes).
    pub first_response_minutes: u32,
    /// Resolution within (business minutes, pauses not counted).
    pub resolution_minutes: u32,
}

/// The SLA policy of this computer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct SlaPolicy {
    /// Off: the server's due date alone marks cases (at risk during its last 24 hours).
    pub enabled: bool,
    /// Targets; the one for the case's kind wins over the one for every kind.
    pub targets: Vec<SlaTarget>,
    /// Business hours.
    pub calendar: BusinessCalendar,
    /// A clock is at risk once this share (percent) of its target is used.
    pub at_risk_percent: u8,
}

impl Default for SlaPolicy {
    fn default() -> Self {
        let target = |priority, first_response_minutes, resolution_minutes| SlaTarget {
            kind: None,
            priority,
            first_response_minutes,
            resolution_minutes,
        };
        Self {
            enabled: true,
            targets: vec![
                target(Priority::Urgent, 60, 8 * 60),
                target(Priority::High, 2 * 60, 2 * 8 * 60),
                target(Priority::Normal, 4 * 60, 5 * 8 * 60),
                target(Priority::Low, 8 * 60, 10 * 8 * 60),
            ],
            calendar: BusinessCalendar::default(),
            at_risk_percent: 75,
        }
    }
}

impl SlaPolicy {
    /// The target for a case of this kind and priority.
    pub fn target(&self, kind: CaseKind, priority: Priority) -> Option<&SlaTarget> {
        self.targets
            .iter()
            .find(|t| t.kind == Some(kind) && t.priority == priority)
            .or_else(|| {
                self.targets
                    .iter()
                    .find(|t| t.kind.is_none() && t.priority == priority)
            })
    }

    /// Why the policy cannot be used, in words; `None` when it can.
    pub fn problem(&self) -> Option<String> {
        if jiff::tz::TimeZone::get(&self.calendar.time_zone).is_err() {
            return Some(format!(
                "\"{}\" is not a time zone this app knows (use a name like Europe/Berlin).",
                self.calendar.time_zone
            ));
        }
        if !self
            .calendar
            .days
            .iter()
            .any(|d| d.start_minute < d.end_minute)
        {
            return Some("The business hours need at least one working day.".to_owned());
        }
        if let Some(day) = self
            .calendar
            .days
            .iter()
            .find(|d| d.start_minute >= d.end_minute || d.end_minute > 24 * 60)
        {
            return Some(format!(
                "The working hours of {:?} must start before they end, within the day.",
                day.weekday
            ));
        }
        if self.at_risk_percent == 0 || self.at_risk_percent >= 100 {
            return Some("At risk must be a share between 1 and 99 percent.".to_owned());
        }
        if self
            .targets
            .iter()
            .any(|t| t.first_response_minutes == 0 || t.resolution_minutes == 0)
        {
            return Some("Every SLA target needs a time above zero.".to_owned());
        }
        None
    }
}

/// A status the case entered, and when (kept by the cache for every case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    /// When.
    pub at: Timestamp,
    /// The new status.
    pub status: CaseStatus,
}

/// What the SLA of one case is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaFacts {
    /// Kind.
    pub kind: CaseKind,
    /// Priority.
    pub priority: Priority,
    /// Status now.
    pub status: CaseStatus,
    /// Opened at: both clocks start here.
    pub created_at: Timestamp,
    /// Our first partner-visible answer, if any.
    pub first_response_at: Option<Timestamp>,
    /// Status changes, oldest first.
    pub history: Vec<StatusChange>,
    /// The server's due date (used when the policy is off).
    pub server_due: Option<Timestamp>,
}

/// Which of a case's two clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SlaClockKind {
    /// Time to our first answer.
    FirstResponse,
    /// Time to resolution.
    Resolution,
}

/// One clock of a case at "now".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SlaClock {
    /// Which clock.
    pub clock: SlaClockKind,
    /// Target in business minutes.
    pub target_minutes: u32,
    /// Business minutes used so far (up to when it was met; at most the target).
    pub used_minutes: u32,
    /// When it became (or becomes) at risk; none while paused and not yet reached.
    pub at_risk_at: Option<Timestamp>,
    /// When it breached (or breaches); none while paused and not yet reached.
    pub due_at: Option<Timestamp>,
    /// When it was met (answered, resolved).
    pub met_at: Option<Timestamp>,
    /// Stopped now (waiting on partner).
    pub paused: bool,
    /// Its mark now (`none` once met).
    pub state: SlaState,
}

/// What happened (or will happen) to a case's SLA, for the timeline on the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SlaEventKind {
    /// The clocks started (case opened).
    Started,
    /// Paused: waiting on the partner.
    Paused,
    /// Running again.
    Resumed,
    /// The clock reached the at-risk share.
    AtRisk,
    /// The clock ran out.
    Breached,
    /// Met (answered or resolved).
    Met,
}

/// One line of the SLA timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SlaEvent {
    /// When.
    pub at: Timestamp,
    /// What.
    pub kind: SlaEventKind,
    /// Of which clock (none for pauses, which stop the resolution clock).
    pub clock: Option<SlaClockKind>,
    /// Still ahead of "now" (expected, if nothing changes).
    pub expected: bool,
}

/// A case's SLA at "now": its mark, its clocks and its timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SlaView {
    /// The worst mark of the clocks still running.
    pub state: SlaState,
    /// The clock that decides the mark (the next to run out); for sorting by urgency.
    pub next_due: Option<Timestamp>,
    /// Waiting on partner: the resolution clock is stopped.
    pub paused: bool,
    /// First response clock (none without a target).
    pub first_response: Option<SlaClock>,
    /// Resolution clock (none without a target).
    pub resolution: Option<SlaClock>,
    /// Started, pauses, at risk, breach and met, oldest first; future ones marked expected.
    pub timeline: Vec<SlaEvent>,
}

impl Default for SlaView {
    fn default() -> Self {
        Self::none()
    }
}

impl SlaView {
    /// No SLA (no target, policy off without a due date).
    pub fn none() -> Self {
        Self {
            state: SlaState::None,
            next_due: None,
            paused: false,
            first_response: None,
            resolution: None,
            timeline: Vec::new(),
        }
    }
}

/// How far ahead a due date is looked for (a calendar with few working days and a long target).
const HORIZON_DAYS: i32 = 3 * 366;

fn from_chrono(t: Timestamp) -> i64 {
    t.timestamp()
}

fn to_chrono(seconds: i64) -> Timestamp {
    Utc.timestamp_opt(seconds, 0)
        .single()
        .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC)
}

/// Business intervals (seconds since the epoch, half-open) from `from` onwards, in order.
struct Business<'a> {
    calendar: &'a BusinessCalendar,
    tz: jiff::tz::TimeZone,
    date: jiff::civil::Date,
    days_left: i32,
    pending: Vec<(i64, i64)>,
}

impl<'a> Business<'a> {
    fn new(calendar: &'a BusinessCalendar, tz: jiff::tz::TimeZone, from: i64) -> Option<Self> {
        let start = jiff::Timestamp::from_second(from)
            .ok()?
            .to_zoned(tz.clone());
        Some(Self {
            calendar,
            tz,
            date: start.date().yesterday().ok()?,
            days_left: HORIZON_DAYS,
            pending: Vec::new(),
        })
    }

    fn instant(&self, date: jiff::civil::Date, minute: u16) -> Option<i64> {
        let (date, minute) = if minute >= 24 * 60 {
            (date.tomorrow().ok()?, minute - 24 * 60)
        } else {
            (date, minute)
        };
        let civil = date.at(
            i8::try_from(minute / 60).ok()?,
            i8::try_from(minute % 60).ok()?,
            0,
            0,
        );
        // A time the DST change skips counts from the first valid instant after it.
        Some(
            civil
                .to_zoned(self.tz.clone())
                .ok()?
                .timestamp()
                .as_second(),
        )
    }
}

impl Iterator for Business<'_> {
    type Item = (i64, i64);

    fn next(&mut self) -> Option<(i64, i64)> {
        loop {
            if let Some(interval) = self.pending.pop() {
                return Some(interval);
            }
            if self.days_left <= 0 {
                return None;
            }
            self.days_left -= 1;
            let date = self.date;
            self.date = date.tomorrow().ok()?;
            let civil = NaiveDate::from_ymd_opt(
                i32::from(date.year()),
                u32::try_from(date.month()).ok()?,
                u32::try_from(date.day()).ok()?,
            )?;
            let holiday = self.calendar.holidays.contains(&civil);
            if holiday {
                continue;
            }
            let weekday = Weekday::of(date.weekday());
            let mut windows: Vec<(i64, i64)> = self
                .calendar
                .days
                .iter()
                .filter(|d| d.weekday == weekday && d.start_minute < d.end_minute)
                .filter_map(|d| {
                    Some((
                        self.instant(date, d.start_minute)?,
                        self.instant(date, d.end_minute)?,
                    ))
                })
                .filter(|(a, b)| a < b)
                .collect();
            windows.sort_unstable();
            // Overlapping hours of one day count once.
            let mut merged: Vec<(i64, i64)> = Vec::with_capacity(windows.len());
            for (start, end) in windows {
                match merged.last_mut() {
                    Some(last) if start <= last.1 => last.1 = last.1.max(end),
                    _ => merged.push((start, end)),
                }
            }
            merged.reverse();
            self.pending = merged;
        }
    }
}

/// Intervals where the resolution clock is stopped (waiting on partner), oldest first; the last
/// may be open (`i64::MAX`).
fn pauses(facts: &SlaFacts) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut open: Option<i64> = None;
    for change in &facts.history {
        let at = from_chrono(change.at);
        match (change.status == CaseStatus::WaitingOnPartner, open) {
            (true, None) => open = Some(at),
            (false, Some(start)) => {
                out.push((start, at));
                open = None;
            }
            _ => {}
        }
    }
    if let Some(start) = open {
        out.push((start, i64::MAX));
    }
    out
}

/// Removes `pauses` from `interval`.
fn minus(interval: (i64, i64), pauses: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut pieces = vec![interval];
    for &(ps, pe) in pauses {
        let mut next = Vec::with_capacity(pieces.len() + 1);
        for (s, e) in pieces {
            if pe <= s || ps >= e {
                next.push((s, e));
                continue;
            }
            if s < ps {
                next.push((s, ps));
            }
            if pe < e {
                next.push((pe, e));
            }
        }
        pieces = next;
    }
    pieces
}

/// The instants (seconds) at which a clock from `start` has used `thresholds` seconds of
/// counted time, where counted time is business time minus `pauses`; `None` for a threshold
/// not reached within the horizon (or behind an open pause).
fn instants_at(
    calendar: &BusinessCalendar,
    tz: &jiff::tz::TimeZone,
    start: i64,
    pauses: &[(i64, i64)],
    thresholds: &[i64],
) -> Vec<Option<i64>> {
    let mut out = vec![None; thresholds.len()];
    let Some(business) = Business::new(calendar, tz.clone(), start) else {
        return out;
    };
    let open_pause = pauses.iter().find(|p| p.1 == i64::MAX).map(|p| p.0);
    let mut used = 0i64;
    for (s, e) in business {
        if e <= start {
            continue;
        }
        if open_pause.is_some_and(|p| s.max(start) >= p) {
            break;
        }
        for (ps, pe) in minus((s.max(start), e), pauses) {
            for (i, threshold) in thresholds.iter().enumerate() {
                if out[i].is_none() && used + (pe - ps) >= *threshold {
                    out[i] = Some(ps + (threshold - used));
                }
            }
            used += pe - ps;
        }
        if out.iter().all(Option::is_some) {
            break;
        }
    }
    out
}

/// Counted seconds between `start` and `end`, at most `cap` (a clock past its target is
/// breached whatever more it used; an old open case need not be walked day by day to today).
fn counted(
    calendar: &BusinessCalendar,
    tz: &jiff::tz::TimeZone,
    start: i64,
    end: i64,
    pauses: &[(i64, i64)],
    cap: i64,
) -> i64 {
    let Some(business) = Business::new(calendar, tz.clone(), start) else {
        return 0;
    };
    let mut used = 0;
    for (s, e) in business {
        if s >= end {
            break;
        }
        if e <= start {
            continue;
        }
        // Nothing counts before the clock starts ("now" a little behind a server's clock).
        for (ps, pe) in minus((s.max(start), e.min(end)), pauses) {
            used += (pe - ps).max(0);
        }
        if used >= cap {
            return cap;
        }
    }
    used
}

/// One clock at `now`.
#[allow(clippy::too_many_arguments)]
fn clock(
    kind: SlaClockKind,
    policy: &SlaPolicy,
    tz: &jiff::tz::TimeZone,
    start: i64,
    met: Option<i64>,
    pauses: &[(i64, i64)],
    target_minutes: u32,
    now: i64,
) -> SlaClock {
    let target = i64::from(target_minutes) * 60;
    let risk = target * i64::from(policy.at_risk_percent) / 100;
    let until = met.map_or(now, |m| m.min(now));
    let used = counted(&policy.calendar, tz, start, until, pauses, target);
    let instants = instants_at(&policy.calendar, tz, start, pauses, &[risk, target]);
    let (at_risk_at, due_at) = (instants[0], instants[1]);
    let paused_now = met.is_none() && pauses.iter().any(|&(s, e)| s <= now && now < e);
    let state = if met.is_some_and(|m| m <= now) {
        SlaState::None
    } else if used >= target {
        SlaState::Breached
    } else if used >= risk {
        SlaState::AtRisk
    } else {
        SlaState::OnTrack
    };
    SlaClock {
        clock: kind,
        target_minutes,
        used_minutes: u32::try_from(used / 60).unwrap_or(u32::MAX),
        at_risk_at: at_risk_at.map(to_chrono),
        due_at: due_at.map(to_chrono),
        met_at: met.map(to_chrono),
        paused: paused_now,
        state,
    }
}

fn rank(state: SlaState) -> u8 {
    match state {
        SlaState::None => 0,
        SlaState::OnTrack => 1,
        SlaState::AtRisk => 2,
        SlaState::Breached => 3,
    }
}

/// When the case was last resolved or closed, if it is now.
fn resolved_at(facts: &SlaFacts) -> Option<i64> {
    if !facts.status.is_terminal() {
        return None;
    }
    let mut at = None;
    for change in &facts.history {
        match (change.status.is_terminal(), at) {
            (true, None) => at = Some(from_chrono(change.at)),
            (false, _) => at = None,
            _ => {}
        }
    }
    at.or(Some(from_chrono(facts.created_at)))
}

/// The SLA of a case at `now` under `policy`.
pub fn evaluate(facts: &SlaFacts, policy: &SlaPolicy, now: Timestamp) -> SlaView {
    let tz = jiff::tz::TimeZone::get(&policy.calendar.time_zone).ok();
    let target = policy.target(facts.kind, facts.priority);
    let (Some(tz), Some(target), true) = (tz, target, policy.enabled) else {
        return server_due_view(facts, now);
    };
    let now_s = from_chrono(now);
    let start = from_chrono(facts.created_at);
    let pauses = pauses(facts);
    let resolved = resolved_at(facts);
    let first = clock(
        SlaClockKind::FirstResponse,
        policy,
        &tz,
        start,
        facts.first_response_at.map(from_chrono).or(resolved),
        &[],
        target.first_response_minutes,
        now_s,
    );
    let resolution = clock(
        SlaClockKind::Resolution,
        policy,
        &tz,
        start,
        resolved,
        &pauses,
        target.resolution_minutes,
        now_s,
    );
    let mut timeline = vec![SlaEvent {
        at: facts.created_at,
        kind: SlaEventKind::Started,
        clock: None,
        expected: false,
    }];
    for &(s, e) in &pauses {
        if s > now_s || resolved.is_some_and(|r| s >= r) {
            continue;
        }
        timeline.push(SlaEvent {
            at: to_chrono(s),
            kind: SlaEventKind::Paused,
            clock: Some(SlaClockKind::Resolution),
            expected: false,
        });
        if e <= now_s {
            timeline.push(SlaEvent {
                at: to_chrono(e),
                kind: SlaEventKind::Resumed,
                clock: Some(SlaClockKind::Resolution),
                expected: false,
            });
        }
    }
    for c in [&first, &resolution] {
        let stop = c.met_at.map(from_chrono);
        for (at, kind) in [
            (c.at_risk_at, SlaEventKind::AtRisk),
            (c.due_at, SlaEventKind::Breached),
        ] {
            if let Some(at) = at {
                if stop.is_none_or(|m| from_chrono(at) < m) {
                    timeline.push(SlaEvent {
                        at,
                        kind,
                        clock: Some(c.clock),
                        expected: from_chrono(at) > now_s,
                    });
                }
            }
        }
        if let Some(met) = c.met_at {
            if from_chrono(met) <= now_s {
                timeline.push(SlaEvent {
                    at: met,
                    kind: SlaEventKind::Met,
                    clock: Some(c.clock),
                    expected: false,
                });
            }
        }
    }
    timeline.sort_by_key(|e| e.at);
    let running: Vec<&SlaClock> = [&first, &resolution]
        .into_iter()
        .filter(|c| c.state != SlaState::None)
        .collect();
    let state = running
        .iter()
        .map(|c| c.state)
        .max_by_key(|s| rank(*s))
        .unwrap_or(SlaState::None);
    let next_due = running.iter().filter_map(|c| c.due_at).min();
    SlaView {
        state,
        next_due,
        paused: resolution.paused,
        first_response: Some(first),
        resolution: Some(resolution),
        timeline,
    }
}

/// The mark from the server's due date alone (policy off or no target for the case).
fn server_due_view(facts: &SlaFacts, now: Timestamp) -> SlaView {
    let state = match facts.server_due {
        _ if facts.status.is_terminal() => SlaState::None,
        None => SlaState::None,
        Some(due) if due <= now => SlaState::Breached,
        Some(due) if due - now < chrono::Duration::hours(24) => SlaState::AtRisk,
        Some(_) => SlaState::OnTrack,
    };
    SlaView {
        state,
        next_due: facts.server_due.filter(|_| state != SlaState::None),
        ..SlaView::none()
    }
}
