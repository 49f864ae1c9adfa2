//! An in-memory copy of the columns the case list filters and counts by (status, kind,
//! partner, owner, SLA due), indexed by case rid. Counting the cases a search matched then
//! costs one pass over the full-text index's rowids instead of one b-tree probe per match. The
//! copy follows the `case_list_version` counter (moved by triggers on every case and comment
//! write), so it is never stale: the store's writer records which cases each of its commits
//! touched ([`ChangeLog`], filled by temporary triggers on the writer connection), and a copy a
//! few commits behind re-reads just those rows (and re-checks them against the remembered
//! search) instead of reloading 100,000 rows; a gap in the log (another process wrote, a large
//! pull) means a full reload.

use std::collections::{HashMap, VecDeque};
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
#[derive(Debug, Default)]
pub(crate) struct Facets {
    version: i64,
    by_rid: Vec<Facet>,
    partners: HashMap<String, u32>,
    owners: HashMap<String, u32>,
    /// The last search's rowids at this version (the list and its status counts ask together).
    last_search: Mutex<Option<(String, Arc<Vec<i64>>)>>,
}

/// Where a store keeps its current copy (shared by its read connections) and what its writer
/// changed since.
#[derive(Debug, Default)]
pub(crate) struct FacetSlot {
    current: Mutex<Option<Arc<Facets>>>,
    changes: Mutex<ChangeLog>,
}

impl FacetSlot {
    /// Records one commit of this store's writer: `case_list_version` went from `before` to
    /// `after` and these case rids were written (`None`: not recorded, a reload is needed).
    pub(crate) fn record(&self, before: i64, after: i64, rids: Option<Vec<i64>>) {
        self.changes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Change {
                before,
                after,
                rids,
            });
    }
}

/// Commits recorded at most; an older copy reloads.
const LOG_LEN: usize = 256;
/// More changed rows than this in one commit are not recorded (a reload is as fast).
pub(crate) const MAX_TRACKED_ROWS: i64 = 2000;
/// A remembered search is re-checked row by row for at most this many changed cases.
const MAX_RECHECKED: usize = 200;

#[derive(Debug)]
struct Change {
    before: i64,
    after: i64,
    rids: Option<Vec<i64>>,
}

/// The writer's recent commits, oldest first.
#[derive(Debug, Default)]
struct ChangeLog {
    entries: VecDeque<Change>,
}

impl ChangeLog {
    fn push(&mut self, change: Change) {
        if change.after == change.before {
            return;
        }
        if self.entries.len() >= LOG_LEN {
            self.entries.pop_front();
        }
        self.entries.push_back(change);
    }

    /// The rids written between versions `from` and `to`, when every commit between them was
    /// recorded.
    fn between(&self, from: i64, to: i64) -> Option<Vec<i64>> {
        let mut at = from;
        let mut rids = Vec::new();
        while at != to {
            let step = self.entries.iter().rev().find(|c| c.before == at)?;
            if step.after <= at || step.after > to {
                return None;
            }
            rids.extend_from_slice(step.rids.as_deref()?);
            at = step.after;
        }
        rids.sort_unstable();
        rids.dedup();
        Some(rids)
    }
}

/// The temporary tables and triggers, on the writer connection only, that collect the rids each
/// write transaction touches (a comment touches its case: the case's search document changed);
/// `list_tracking.active = 0` turns them off for a large write, recorded as unknown. The table
/// has no key (a rid may repeat): a conflict policy inside a trigger would give way to the outer
/// statement's (an upsert's), so nothing here may conflict.
pub(crate) const TRACKING_SQL: &str = "
CREATE TEMP TABLE IF NOT EXISTS list_touched (rid INTEGER NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS list_tracking (id INTEGER PRIMARY KEY CHECK (id = 1), active INTEGER NOT NULL);
INSERT OR IGNORE INTO list_tracking (id, active) VALUES (1, 1);
CREATE TEMP TRIGGER IF NOT EXISTS list_touched_case_insert AFTER INSERT ON main.cases
WHEN (SELECT active FROM list_tracking WHERE id = 1)
BEGIN INSERT INTO list_touched (rid) VALUES (NEW.rid); END;
CREATE TEMP TRIGGER IF NOT EXISTS list_touched_case_update AFTER UPDATE ON main.cases
WHEN (SELECT active FROM list_tracking WHERE id = 1)
BEGIN INSERT INTO list_touched (rid) VALUES (OLD.rid), (NEW.rid); END;
CREATE TEMP TRIGGER IF NOT EXISTS list_touched_case_delete AFTER DELETE ON main.cases
WHEN (SELECT active FROM list_tracking WHERE id = 1)
BEGIN INSERT INTO list_touched (rid) VALUES (OLD.rid); END;
CREATE TEMP TRIGGER IF NOT EXISTS list_touched_comment_insert AFTER INSERT ON main.comments
WHEN (SELECT active FROM list_tracking WHERE id = 1)
BEGIN INSERT INTO list_touched (rid) SELECT rid FROM cases WHERE id = NEW.case_id; END;
CREATE TEMP TRIGGER IF NOT EXISTS list_touched_comment_update AFTER UPDATE ON main.comments
WHEN (SELECT active FROM list_tracking WHERE id = 1)
BEGIN INSERT INTO list_touched (rid)
    SELECT rid FROM cases WHERE id IN (OLD.case_id, NEW.case_id); END;
CREATE TEMP TRIGGER IF NOT EXISTS list_touched_comment_delete AFTER DELETE ON main.comments
WHEN (SELECT active FROM list_tracking WHERE id = 1)
BEGIN INSERT INTO list_touched (rid) SELECT rid FROM cases WHERE id = OLD.case_id; END;
";

/// Drops the triggers of [`TRACKING_SQL`] (inside a bulk write's transaction, which creates
/// them again before it commits).
pub(crate) const DROP_TRACKING_SQL: &str = "
DROP TRIGGER IF EXISTS temp.list_touched_case_insert;
DROP TRIGGER IF EXISTS temp.list_touched_case_update;
DROP TRIGGER IF EXISTS temp.list_touched_case_delete;
DROP TRIGGER IF EXISTS temp.list_touched_comment_insert;
DROP TRIGGER IF EXISTS temp.list_touched_comment_update;
DROP TRIGGER IF EXISTS temp.list_touched_comment_delete;
UPDATE temp.list_tracking SET active = 0;
";

/// The copy matching the snapshot `conn` reads: the current one, brought up to date in place
/// when the writer's log covers every commit since it was made, else reloaded.
pub(crate) fn current(conn: &Connection, slot: &FacetSlot) -> Result<Arc<Facets>> {
    let version: i64 = conn
        .prepare_cached("SELECT n FROM case_list_version WHERE id = 1")?
        .query_row([], |r| r.get(0))?;
    {
        let mut guard = slot.current.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = guard.as_ref().filter(|f| f.version == version) {
            return Ok(Arc::clone(f));
        }
        let changed = guard.as_ref().and_then(|f| {
            slot.changes
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .between(f.version, version)
        });
        if let (Some(rids), Some(old)) = (changed, guard.take()) {
            // Nobody else holds the copy (the usual case): no clone needed.
            let mut facets = Arc::try_unwrap(old).unwrap_or_else(|shared| shared.duplicate());
            facets.update(conn, &rids, version)?;
            let updated = Arc::new(facets);
            *guard = Some(Arc::clone(&updated));
            return Ok(updated);
        }
    }
    let built = Arc::new(Facets::load(conn, version)?);
    *slot.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&built));
    Ok(built)
}

const FACET_COLUMNS: &str = "rid, status_rank, kind, partner_id, owner, sla_due";

impl Facets {
    fn load(conn: &Connection, version: i64) -> Result<Facets> {
        let mut facets = Facets {
            version,
            ..Facets::default()
        };
        // The narrow index, unless a first sync dropped it while it loads.
        let source = if crate::bulk::index_exists(conn, "cases_facets")? {
            "cases INDEXED BY cases_facets"
        } else {
            "cases"
        };
        let mut stmt = conn.prepare_cached(&format!("SELECT {FACET_COLUMNS} FROM {source}"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            facets.set_from_row(r)?;
        }
        Ok(facets)
    }

    /// A copy of the filter columns (the remembered search is left behind).
    fn duplicate(&self) -> Facets {
        Facets {
            version: self.version,
            by_rid: self.by_rid.clone(),
            partners: self.partners.clone(),
            owners: self.owners.clone(),
            last_search: Mutex::new(None),
        }
    }

    /// Re-reads the rows at `rids` (a missing row is a deleted case) and re-checks them
    /// against the remembered search, as of `version`.
    fn update(&mut self, conn: &Connection, rids: &[i64], version: i64) -> Result<()> {
        let mut stmt =
            conn.prepare_cached(&format!("SELECT {FACET_COLUMNS} FROM cases WHERE rid = ?1"))?;
        for rid in rids {
            let Ok(slot) = usize::try_from(*rid) else {
                continue;
            };
            let mut rows = stmt.query([rid])?;
            match rows.next()? {
                Some(r) => self.set_from_row(r)?,
                None => {
                    if let Some(f) = self.by_rid.get_mut(slot) {
                        *f = EMPTY;
                    }
                }
            }
        }
        let last = self
            .last_search
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some((expr, cached)) = last.filter(|_| rids.len() <= MAX_RECHECKED) {
            let mut probe = conn
                .prepare_cached("SELECT 1 FROM case_fts WHERE case_fts MATCH ?1 AND rowid = ?2")?;
            let mut kept: Vec<i64> = cached
                .iter()
                .copied()
                .filter(|r| rids.binary_search(r).is_err())
                .collect();
            for rid in rids {
                if probe.exists(rusqlite::params![expr, rid])? {
                    kept.push(*rid);
                }
            }
            kept.sort_unstable();
            *self
                .last_search
                .get_mut()
                .unwrap_or_else(|p| p.into_inner()) = Some((expr, Arc::new(kept)));
        }
        self.version = version;
        Ok(())
    }

    /// Stores one row selected with [`FACET_COLUMNS`].
    fn set_from_row(&mut self, r: &rusqlite::Row<'_>) -> Result<()> {
        let Ok(rid) = usize::try_from(r.get::<_, i64>(0)?) else {
            return Ok(());
        };
        let status = u8::try_from(r.get::<_, i64>(1)?).unwrap_or(ABSENT - 1);
        let kind_text = r.get_ref(2)?.as_str().unwrap_or_default();
        let kind = CaseKind::parse(kind_text)
            .and_then(|k| CaseKind::ALL.iter().position(|x| *x == k))
            .and_then(|i| u8::try_from(i).ok())
            .unwrap_or(u8::MAX);
        let partner = intern(
            &mut self.partners,
            r.get_ref(3)?.as_str().unwrap_or_default(),
        );
        let owner = match r.get_ref(4)?.as_str_or_null().ok().flatten() {
            Some(o) => intern(&mut self.owners, o),
            None => NO_OWNER,
        };
        let sla_due = r.get_ref(5)?.as_str_or_null().ok().flatten().map(Box::from);
        if self.by_rid.len() <= rid {
            self.by_rid.resize(rid + 1, EMPTY);
        }
        self.by_rid[rid] = Facet {
            status,
            kind,
            partner,
            owner,
            sla_due,
        };
        Ok(())
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
