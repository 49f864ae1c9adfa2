//! An in-memory copy of the columns the case list filters and counts by (status, kind,
//! partner, owner, SLA due), indexed by case rid. Counting the cases a search matched then
//! costs one pass over the full-text index's rowids instead of one b-tree probe per match. The
//! copy is rebuilt when the `case_list_version` counter (moved by triggers on every case write)
//! differs from the one it was built at, so it is never stale.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use pd_domain::{CaseKind, CaseQuery, CaseStatus, Timestamp};
use rusqlite::Connection;

use crate::codec::ts;
use crate::error::Result;

/// No case at this rid.
const ABSENT: u8 = u8::MAX;
/// Owner id of an unassigned case.
const NO_OWNER: u32 = 0;

#[derive(Debug, Clone)]
struct Facet {
    status: u8,
    kind: u8,
    partner: u32,
    owner: u32,
    sla_due: Option<Box<str>>,
}

const EMPTY: Facet = Facet {
    status: ABSENT,
    kind: 0,
    partner: 0,
    owner: NO_OWNER,
    sla_due: None,
};

/// The filter columns of every case, as of one `case_list_version`.
#[derive(Debug)]
pub(crate) struct Facets {
    version: i64,
    by_rid: Vec<Facet>,
    partners: HashMap<String, u32>,
    owners: HashMap<String, u32>,
    /// The last search's rowids at this version (the list and its status counts ask together).
    last_search: Mutex<Option<(String, Arc<Vec<i64>>)>>,
}

/// Where a store keeps its current copy (shared by its read connections).
pub(crate) type FacetSlot = Mutex<Option<Arc<Facets>>>;

/// The copy matching the snapshot `conn` reads, rebuilt if the cases changed since.
pub(crate) fn current(conn: &Connection, slot: &FacetSlot) -> Result<Arc<Facets>> {
    let version: i64 = conn
        .prepare_cached("SELECT n FROM case_list_version WHERE id = 1")?
        .query_row([], |r| r.get(0))?;
    {
        let guard = slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = guard.as_ref().filter(|f| f.version == version) {
            return Ok(Arc::clone(f));
        }
    }
    let built = Arc::new(Facets::load(conn, version)?);
    *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&built));
    Ok(built)
}

impl Facets {
    fn load(conn: &Connection, version: i64) -> Result<Facets> {
        let mut facets = Facets {
            version,
            by_rid: Vec::new(),
            partners: HashMap::new(),
            owners: HashMap::new(),
            last_search: Mutex::new(None),
        };
        let mut stmt = conn.prepare_cached(
            "SELECT rid, status_rank, kind, partner_id, owner, sla_due \
             FROM cases INDEXED BY cases_facets",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let Ok(rid) = usize::try_from(r.get::<_, i64>(0)?) else {
                continue;
            };
            let status = u8::try_from(r.get::<_, i64>(1)?).unwrap_or(ABSENT - 1);
            let kind_text = r.get_ref(2)?.as_str().unwrap_or_default();
            let kind = CaseKind::parse(kind_text)
                .and_then(|k| CaseKind::ALL.iter().position(|x| *x == k))
                .and_then(|i| u8::try_from(i).ok())
                .unwrap_or(u8::MAX);
            let partner = intern(
                &mut facets.partners,
                r.get_ref(3)?.as_str().unwrap_or_default(),
            );
            let owner = match r.get_ref(4)?.as_str_or_null().ok().flatten() {
                Some(o) => intern(&mut facets.owners, o),
                None => NO_OWNER,
            };
            let sla_due = r.get_ref(5)?.as_str_or_null().ok().flatten().map(Box::from);
            if facets.by_rid.len() <= rid {
                facets.by_rid.resize(rid + 1, EMPTY);
            }
            facets.by_rid[rid] = Facet {
                status,
                kind,
                partner,
                owner,
                sla_due,
            };
        }
        Ok(facets)
    }

    /// The rowids the FTS expression `expr` matches, remembered for the next call at this
    /// version (comments and cases move the version, so the answer cannot be stale).
    pub(crate) fn search(&self, conn: &Connection, expr: &str) -> Result<Arc<Vec<i64>>> {
        {
            let last = self.last_search.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((e, rids)) = last.as_ref() {
                if e == expr {
                    return Ok(Arc::clone(rids));
                }
            }
        }
        let mut stmt = conn.prepare_cached("SELECT rowid FROM case_fts WHERE case_fts MATCH ?1")?;
        let rids = Arc::new(
            stmt.query_map([expr], |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?,
        );
        *self.last_search.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((expr.to_string(), Arc::clone(&rids)));
        Ok(rids)
    }

    /// Cases per status rank among `rids` (every case when `None`) that pass `filter`.
    pub(crate) fn count_by_status(&self, rids: Option<&[i64]>, filter: &FacetFilter) -> Vec<i64> {
        let mut counts = vec![0i64; CaseStatus::ALL.len()];
        let mut tally = |f: &Facet| {
            if f.status != ABSENT && filter.passes(f) {
                if let Some(n) = counts.get_mut(usize::from(f.status)) {
                    *n += 1;
                }
            }
        };
        match rids {
            Some(rids) => {
                for rid in rids {
                    if let Some(f) = usize::try_from(*rid).ok().and_then(|i| self.by_rid.get(i)) {
                        tally(f);
                    }
                }
            }
            None => self.by_rid.iter().for_each(tally),
        }
        counts
    }

    /// The rids among `rids` (every case when `None`) that pass `filter` and have one of
    /// `statuses` (any when empty), in ascending rid order when `rids` is.
    pub(crate) fn matching(
        &self,
        rids: Option<&[i64]>,
        filter: &FacetFilter,
        statuses: &[CaseStatus],
    ) -> Vec<i64> {
        let mask = statuses
            .iter()
            .filter_map(|s| CaseStatus::ALL.iter().position(|x| x == s))
            .fold(0u64, |m, i| m | (1 << i));
        let keep = |f: &Facet| {
            f.status != ABSENT
                && (statuses.is_empty() || (f.status < 64 && mask & (1 << f.status) != 0))
                && filter.passes(f)
        };
        match rids {
            Some(rids) => rids
                .iter()
                .copied()
                .filter(|rid| {
                    usize::try_from(*rid)
                        .ok()
                        .and_then(|i| self.by_rid.get(i))
                        .is_some_and(keep)
                })
                .collect(),
            None => self
                .by_rid
                .iter()
                .enumerate()
                .filter(|(_, f)| keep(f))
                .filter_map(|(i, _)| i64::try_from(i).ok())
                .collect(),
        }
    }

    /// One more than the highest rid held.
    pub(crate) fn case_slots(&self) -> usize {
        self.by_rid.len()
    }

    /// A case query's filters other than status and search, in this copy's terms.
    pub(crate) fn filter(&self, q: &CaseQuery, now: Timestamp) -> FacetFilter {
        let partners = (!q.partner_ids.is_empty()).then(|| {
            q.partner_ids
                .iter()
                .filter_map(|p| self.partners.get(p).copied())
                .collect()
        });
        let kinds = (!q.kinds.is_empty()).then(|| {
            q.kinds
                .iter()
                .filter_map(|k| CaseKind::ALL.iter().position(|x| x == k))
                .fold(0u64, |mask, i| mask | (1 << i))
        });
        let owners = (!q.owners.is_empty()).then(|| {
            q.owners
                .iter()
                .filter_map(|o| {
                    if o.is_empty() {
                        Some(NO_OWNER)
                    } else {
                        self.owners.get(o).copied()
                    }
                })
                .collect()
        });
        FacetFilter {
            partners,
            kinds,
            owners,
            breached_at: q.sla_breached.then(|| ts(now)),
            terminal: CaseStatus::ALL
                .iter()
                .enumerate()
                .filter(|(_, s)| s.is_terminal())
                .fold(0u64, |mask, (i, _)| mask | (1 << i)),
        }
    }
}

fn intern(map: &mut HashMap<String, u32>, value: &str) -> u32 {
    if let Some(id) = map.get(value) {
        return *id;
    }
    // Ids start at 1: 0 is "no owner".
    let id = u32::try_from(map.len() + 1).unwrap_or(u32::MAX);
    map.insert(value.to_string(), id);
    id
}

/// Partner, kind, owner and SLA conditions, compiled against one [`Facets`].
#[derive(Debug, Clone)]
pub(crate) struct FacetFilter {
    partners: Option<Vec<u32>>,
    kinds: Option<u64>,
    owners: Option<Vec<u32>>,
    breached_at: Option<String>,
    terminal: u64,
}

impl FacetFilter {
    fn passes(&self, f: &Facet) -> bool {
        if let Some(p) = &self.partners {
            if !p.contains(&f.partner) {
                return false;
            }
        }
        if let Some(mask) = self.kinds {
            if f.kind >= 64 || mask & (1 << f.kind) == 0 {
                return false;
            }
        }
        if let Some(o) = &self.owners {
            if !o.contains(&f.owner) {
                return false;
            }
        }
        if let Some(now) = &self.breached_at {
            let due_passed = f.sla_due.as_deref().is_some_and(|d| d <= now.as_str());
            let terminal = f.status < 64 && self.terminal & (1 << f.status) != 0;
            if !due_passed || terminal {
                return false;
            }
        }
        true
    }
}
