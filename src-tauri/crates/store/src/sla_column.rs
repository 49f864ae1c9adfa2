//! The SLA bounds of every case under the current policy, kept beside the list's filter columns
//! ([`crate::facets`]) so that the case list filtered on "SLA breached" or "at risk", or sorted
//! by SLA with the policy on, compares instants instead of reading each match's history and
//! walking its business calendar (seconds at 100,000 cases). A case's bounds are computed when
//! first asked and forgotten when a commit touches it (its status, its comments); another
//! policy starts the column again.

use std::collections::HashMap;

use pd_domain::{SlaBounds, SlaBoundsPlan, SlaPolicy};
use rusqlite::Connection;

use crate::error::Result;
use crate::sla;

/// More unknown bounds than this in one ask: every case's are read in one pass (two ordered
/// scans) rather than a case at a time (two index probes each).
pub(crate) const READ_ALL_OVER: usize = 2000;

/// Bounds by case rid: a map while only pages of rows asked (a page of the newest cases must
/// not allocate a slot for every case), a vector once every case's were read. A missing entry
/// is not computed yet (or forgotten).
#[derive(Debug, Clone)]
enum ByRid {
    Few(HashMap<i64, SlaBounds>),
    All(Vec<Option<SlaBounds>>),
}

/// The bounds of the cases under one policy.
#[derive(Debug, Clone)]
pub(crate) struct SlaColumn {
    policy: SlaPolicy,
    by_rid: ByRid,
}

impl SlaColumn {
    /// An empty column for `policy`.
    pub(crate) fn new(policy: &SlaPolicy) -> Self {
        Self {
            policy: policy.clone(),
            by_rid: ByRid::Few(HashMap::new()),
        }
    }

    /// Every case's bounds under `policy`, read in one pass (two ordered scans).
    pub(crate) fn read_all(conn: &Connection, policy: &SlaPolicy) -> Result<Self> {
        let plan = SlaBoundsPlan::new(policy);
        let mut slots: Vec<Option<SlaBounds>> = vec![None; crate::facets::rid_slots(conn)?];
        sla::facts_of_every_case(conn, |rid, facts| {
            if let Ok(i) = usize::try_from(rid) {
                if slots.len() <= i {
                    slots.resize(i + 1, None);
                }
                slots[i] = Some(plan.bounds(&facts));
            }
        })?;
        Ok(Self {
            policy: policy.clone(),
            by_rid: ByRid::All(slots),
        })
    }

    /// Whether every case's bounds were read (some may have been forgotten since).
    pub(crate) fn is_whole(&self) -> bool {
        matches!(self.by_rid, ByRid::All(_))
    }

    /// Whether the column was computed under `policy`.
    pub(crate) fn is_for(&self, policy: &SlaPolicy) -> bool {
        self.policy == *policy
    }

    /// Forgets the bounds of cases a commit wrote.
    pub(crate) fn forget(&mut self, rids: &[i64]) {
        for rid in rids {
            match &mut self.by_rid {
                ByRid::Few(map) => {
                    map.remove(rid);
                }
                ByRid::All(slots) => {
                    if let Some(slot) = usize::try_from(*rid).ok().and_then(|i| slots.get_mut(i)) {
                        *slot = None;
                    }
                }
            }
        }
    }

    /// Whether `rids` miss so many bounds that every case's are read rather than theirs.
    pub(crate) fn needs_whole_read(&self, rids: &[i64]) -> bool {
        rids.iter()
            .filter(|rid| self.by_rid.get(**rid).is_none())
            .count()
            > READ_ALL_OVER
    }

    /// The bounds of each case at `rids` ([`SlaBounds::Unmarked`] for a rid without a case),
    /// computing those not known yet.
    pub(crate) fn bounds(&mut self, conn: &Connection, rids: &[i64]) -> Result<Vec<SlaBounds>> {
        let unknown = rids
            .iter()
            .filter(|rid| self.by_rid.get(**rid).is_none())
            .count();
        let plan = SlaBoundsPlan::new(&self.policy);
        if unknown > READ_ALL_OVER {
            self.by_rid = SlaColumn::read_all(conn, &self.policy)?.by_rid;
        } else if unknown > 0 {
            for rid in rids {
                if self.by_rid.get(*rid).is_some() {
                    continue;
                }
                let bounds = match sla::facts_of_rid(conn, *rid)? {
                    Some(facts) => plan.bounds(&facts),
                    None => SlaBounds::Unmarked,
                };
                self.by_rid.set(*rid, bounds);
            }
        }
        Ok(rids
            .iter()
            .map(|rid| {
                self.by_rid
                    .get(*rid)
                    .cloned()
                    .unwrap_or(SlaBounds::Unmarked)
            })
            .collect())
    }
}

impl ByRid {
    fn get(&self, rid: i64) -> Option<&SlaBounds> {
        match self {
            ByRid::Few(map) => map.get(&rid),
            ByRid::All(slots) => usize::try_from(rid)
                .ok()
                .and_then(|i| slots.get(i))
                .and_then(Option::as_ref),
        }
    }

    fn set(&mut self, rid: i64, bounds: SlaBounds) {
        match self {
            ByRid::Few(map) => {
                map.insert(rid, bounds);
            }
            ByRid::All(slots) => {
                if let Ok(i) = usize::try_from(rid) {
                    if slots.len() <= i {
                        slots.resize(i + 1, None);
                    }
                    slots[i] = Some(bounds);
                }
            }
        }
    }
}
