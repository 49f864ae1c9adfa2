//! A case's SLA mark at any instant from a few instants computed once: a clock is at risk from
//! one instant and breached from another, both fixed by the case's history (an open pause makes
//! them "never" until the case moves, which changes the history). The case list filters and
//! sorts 100,000 cases by their marks; walking each one's business calendar per query took
//! seconds, comparing instants takes microseconds. [`SlaBounds::mark`] answers what
//! [`evaluate`](super::evaluate) answers for the state and next due instant (tested against it).
//! The list keeps one per case, so they are stored in 32-bit seconds (`Secs32`) when every
//! instant fits, which is 1970 to 2106: 48 bytes a case instead of 88.

use super::{from_chrono, instants_at, pauses, resolved_at, to_chrono, SlaFacts, SlaPolicy};
use crate::{SlaState, Timestamp};

/// An instant that never comes.
const NEVER: i64 = i64::MAX;
/// An instant that was always passed (a zero-minute target is breached from the start).
const ALWAYS: i64 = i64::MIN;

/// One clock's instants, in seconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ClockBounds {
    /// Met (answered or resolved) at; [`NEVER`] while not.
    met: i64,
    /// At risk from; [`NEVER`] when not reached (behind an open pause, past the horizon).
    at_risk_from: i64,
    /// Breached from.
    breached_from: i64,
    /// The due instant the list shows; [`NEVER`] for none.
    due_at: i64,
}

impl ClockBounds {
    fn new(met: Option<i64>, instants: &[Option<i64>], thresholds: [i64; 2]) -> Self {
        let from = |i: usize| match (thresholds[i], instants.get(i).copied().flatten()) {
            // Any counted time reaches a zero threshold, even none at all.
            (t, _) if t <= 0 => ALWAYS,
            (_, Some(at)) => at,
            (_, None) => NEVER,
        };
        Self {
            met: met.unwrap_or(NEVER),
            at_risk_from: from(0),
            breached_from: from(1),
            due_at: instants.get(1).copied().flatten().unwrap_or(NEVER),
        }
    }

    /// `None` once met, else the worst threshold passed.
    fn state(&self, now: i64) -> SlaState {
        if self.met <= now {
            SlaState::None
        } else if self.breached_from <= now {
            SlaState::Breached
        } else if self.at_risk_from <= now {
            SlaState::AtRisk
        } else {
            SlaState::OnTrack
        }
    }
}

/// What decides a case's SLA mark at any instant under one policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlaBounds {
    /// No mark ever (resolved without a server due date, no target and no due date).
    Unmarked,
    /// The server's due date alone (policy off or no target for the case).
    ServerDue(Timestamp),
    /// The policy's clocks, every instant between 1970 and 2106.
    Clocks(SlaClockBounds),
    /// The policy's clocks with an instant outside those years (a case dated so by its server).
    WideClocks(Box<WideClockBounds>),
}

/// The first-response and resolution clocks, and what says whether the resolution clock is
/// paused, in 32-bit seconds: [`SlaBounds::Clocks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaClockBounds {
    /// Per clock: met, at risk from, breached from, due at (as [`ClockBounds`]).
    clocks: [[Secs32; 4]; 2],
    paused_from: Secs32,
    history_until: Secs32,
}

/// The same in full 64-bit seconds: [`SlaBounds::WideClocks`], and what marks are computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WideClockBounds {
    clocks: [ClockBounds; 2],
    /// Waiting on the partner since (the open pause; [`NEVER`] for none, or once resolved).
    paused_from: i64,
    /// The last status change: from then on only the open pause can hold the clock.
    history_until: i64,
}

/// Seconds since the epoch in 32 bits: 0 is [`ALWAYS`], `u32::MAX` is [`NEVER`], anything else
/// the instant itself (so 1970-01-01T00:00:01 to 2106-02-07, exactly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Secs32(u32);

impl Secs32 {
    /// `None` when `seconds` is an instant outside what 32 bits hold.
    fn new(seconds: i64) -> Option<Self> {
        match seconds {
            NEVER => Some(Self(u32::MAX)),
            ALWAYS => Some(Self(0)),
            s => u32::try_from(s)
                .ok()
                .filter(|&s| s != 0 && s != u32::MAX)
                .map(Self),
        }
    }

    fn seconds(self) -> i64 {
        match self.0 {
            u32::MAX => NEVER,
            0 => ALWAYS,
            s => i64::from(s),
        }
    }
}

impl WideClockBounds {
    /// Kept in 32 bits when every instant fits, else as it is.
    fn into_bounds(self) -> SlaBounds {
        let clock = |c: &ClockBounds| -> Option<[Secs32; 4]> {
            Some([
                Secs32::new(c.met)?,
                Secs32::new(c.at_risk_from)?,
                Secs32::new(c.breached_from)?,
                Secs32::new(c.due_at)?,
            ])
        };
        let compact = || -> Option<SlaClockBounds> {
            Some(SlaClockBounds {
                clocks: [clock(&self.clocks[0])?, clock(&self.clocks[1])?],
                paused_from: Secs32::new(self.paused_from)?,
                history_until: Secs32::new(self.history_until)?,
            })
        };
        match compact() {
            Some(compact) => SlaBounds::Clocks(compact),
            None => SlaBounds::WideClocks(Box::new(self)),
        }
    }
}

impl SlaClockBounds {
    fn wide(&self) -> WideClockBounds {
        let clock = |c: &[Secs32; 4]| ClockBounds {
            met: c[0].seconds(),
            at_risk_from: c[1].seconds(),
            breached_from: c[2].seconds(),
            due_at: c[3].seconds(),
        };
        WideClockBounds {
            clocks: [clock(&self.clocks[0]), clock(&self.clocks[1])],
            paused_from: self.paused_from.seconds(),
            history_until: self.history_until.seconds(),
        }
    }
}

/// A policy made ready for computing many cases' bounds (its time zone looked up once).
#[derive(Debug, Clone)]
pub struct SlaBoundsPlan<'p> {
    policy: &'p SlaPolicy,
    tz: Option<jiff::tz::TimeZone>,
}

impl<'p> SlaBoundsPlan<'p> {
    /// The plan of `policy`.
    pub fn new(policy: &'p SlaPolicy) -> Self {
        Self {
            policy,
            tz: jiff::tz::TimeZone::get(&policy.calendar.time_zone).ok(),
        }
    }

    /// The bounds of the case with `facts`.
    pub fn bounds(&self, facts: &SlaFacts) -> SlaBounds {
        let policy = self.policy;
        let target = policy.target(facts.kind, facts.priority);
        let (Some(tz), Some(target), true) = (&self.tz, target, policy.enabled) else {
            return match facts.server_due {
                Some(due) if !facts.status.is_terminal() => SlaBounds::ServerDue(due),
                _ => SlaBounds::Unmarked,
            };
        };
        let start = from_chrono(facts.created_at);
        let pauses = pauses(facts);
        let resolved = resolved_at(facts);
        let thresholds = |minutes: u32| {
            let target = i64::from(minutes) * 60;
            [target * i64::from(policy.at_risk_percent) / 100, target]
        };
        let first = thresholds(target.first_response_minutes);
        let resolution = thresholds(target.resolution_minutes);
        let first = ClockBounds::new(
            facts.first_response_at.map(from_chrono).or(resolved),
            &instants_at(&policy.calendar, tz, start, &[], &first),
            first,
        );
        let resolution = ClockBounds::new(
            resolved,
            &instants_at(&policy.calendar, tz, start, &pauses, &resolution),
            resolution,
        );
        WideClockBounds {
            clocks: [first, resolution],
            paused_from: match (resolved, pauses.last()) {
                (None, Some(&(from, NEVER))) => from,
                _ => NEVER,
            },
            history_until: facts
                .history
                .iter()
                .map(|c| from_chrono(c.at))
                .max()
                .unwrap_or(ALWAYS),
        }
        .into_bounds()
    }
}

impl SlaBounds {
    /// The case's own clocks in full seconds, however they are kept; `None` for a case with no
    /// clocks (unmarked, or marked by the server's due date).
    fn clock_bounds(&self) -> Option<WideClockBounds> {
        match self {
            SlaBounds::Unmarked | SlaBounds::ServerDue(_) => None,
            SlaBounds::Clocks(compact) => Some(compact.wide()),
            SlaBounds::WideClocks(wide) => Some(**wide),
        }
    }

    /// The mark at `now` and the next due instant, as [`evaluate`](super::evaluate) gives them
    /// in `state` and `next_due`.
    pub fn mark(&self, now: Timestamp) -> (SlaState, Option<Timestamp>) {
        if let SlaBounds::ServerDue(due) = self {
            let state = if *due <= now {
                SlaState::Breached
            } else if *due - now < chrono::Duration::hours(24) {
                SlaState::AtRisk
            } else {
                SlaState::OnTrack
            };
            return (state, Some(*due));
        }
        let Some(clocks) = self.clock_bounds() else {
            return (SlaState::None, None);
        };
        let now = from_chrono(now);
        let mut state = SlaState::None;
        let mut due = NEVER;
        for clock in clocks.clocks {
            let s = clock.state(now);
            if s == SlaState::None {
                continue;
            }
            if s.urgency() > state.urgency() {
                state = s;
            }
            due = due.min(clock.due_at);
        }
        (state, (due != NEVER).then(|| to_chrono(due)))
    }

    /// Whether the resolution clock is paused at `now` (waiting on the partner), as
    /// [`evaluate`](super::evaluate) gives it in `paused`; `None` when `now` is before the case's
    /// last status change (a clock behind the server's), where only the whole history can tell.
    pub fn paused(&self, now: Timestamp) -> Option<bool> {
        let Some(c) = self.clock_bounds() else {
            return Some(false);
        };
        let now = from_chrono(now);
        (now >= c.history_until).then_some(c.paused_from <= now)
    }
}
