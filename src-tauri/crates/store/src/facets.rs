//! An in-memory copy of the columns the case list filters and counts by (status, kind,
//! partner, owner, SLA due), indexed by case rid. Counting the cases a search matched then
//! costs one pass over the full-text index's rowids instead of one b-tree probe per match. The
//! copy follows the `case_list_version` counter (moved by triggers on every case and comment
//! write), so it is never stale: the store's writer records which cases each of its commits
//! touched ([`ChangeLog`], filled by temporary triggers on the writer connection), and a copy a
//! few commits behind re-reads just those rows instead of reloading 100,000 rows; a gap in the
//! log (another process wrote, a large pull) means a full reload. Kept the same way: each sort
//! column the list was sorted by ([`SortColumn`], so a page is cut in memory instead of reading
//! and sorting full rows), and the matches of the latest search words within a memory budget,
//! as bitmaps or rid lists (the common words of 100,000 cases match most of them, and reading
//! such a doclist from FTS5 row by row was most of a search's time); a remembered word checks
//! the cases written since, one probe each, when it is next used. The list's pass over its
//! matches counts them per status too, for the status counts asked beside it; and the SLA
//! bounds of the cases under the current policy ([`SlaColumn`]), for the lists ordered or
//! filtered by computed SLA marks.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use std::cmp::Ordering;

use pd_domain::{CaseKind, CaseQuery, CaseSortField, CaseStatus, SlaPolicy, SlaState, Timestamp};
use rusqlite::Connection;

use crate::codec::ts;
use crate::error::Result;
use crate::sla_column::{SlaColumn, READ_ALL_OVER};

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
    /// The server's due instant as [`instant_key`], [`NO_DUE`] when the case has none: eight
    /// bytes in the row instead of a 30-byte string on the heap per case.
    sla_due: i64,
}

/// `Facet::sla_due` of a case without a due date (no instant maps to it).
const NO_DUE: i64 = i64::MAX;

const EMPTY: Facet = Facet {
    status: ABSENT,
    kind: 0,
    partner: 0,
    owner: NO_OWNER,
    sla_due: NO_DUE,
};

/// An instant as nanoseconds since the epoch, ordered as the instants are; instants past the
/// range of 64-bit nanoseconds (before 1677, after 2262) take its ends, which still order them
/// correctly against any "now" inside it. Never [`NO_DUE`].
fn instant_key(t: Timestamp) -> i64 {
    let nanos = t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    });
    nanos.min(NO_DUE - 1)
}

/// The due column's text as [`instant_key`]; text that is not an instant (never written by
/// this cache) counts as no due date.
fn due_key(text: Option<&str>) -> i64 {
    text.and_then(|t| crate::codec::parse_ts(t).ok())
        .map_or(NO_DUE, instant_key)
}

/// How many rid slots the case table needs (its largest rid plus one), so the columns read
/// whole are allocated once at their size instead of grown by doubling.
pub(crate) fn rid_slots(conn: &Connection) -> Result<usize> {
    let max: Option<i64> = conn
        .prepare_cached("SELECT max(rid) FROM cases")?
        .query_row([], |r| r.get(0))?;
    Ok(max
        .and_then(|m| usize::try_from(m).ok())
        .map_or(0, |m| m.saturating_add(1)))
}

/// One case's status and computed SLA mark.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SlaMark {
    pub(crate) rid: i64,
    pub(crate) status: CaseStatus,
    pub(crate) state: SlaState,
    pub(crate) due: Option<Timestamp>,
    /// Waiting on the partner; `None` when only the case's whole history can tell.
    pub(crate) paused: Option<bool>,
}

/// The filter columns of every case, as of one `case_list_version`.
#[derive(Debug, Default)]
pub(crate) struct Facets {
    version: i64,
    by_rid: Vec<Facet>,
    partners: HashMap<String, u32>,
    owners: HashMap<String, u32>,
    /// Search words' matches read lately, newest first, and the last search's answer and its
    /// counts.
    searches: Mutex<Searches>,
    /// Sort columns loaded so far (the first list sorted by a column loads it).
    sort_columns: Mutex<Vec<(CaseSortField, Arc<SortColumn>)>>,
    /// SLA bounds under the policy the list last computed marks with.
    sla: Mutex<Option<Arc<SlaColumn>>>,
    /// Held while every case's SLA bounds are read, so that a list needing them waits for a
    /// reading under way (the one started ahead after the first list) instead of doing it again.
    sla_reading: Mutex<()>,
}

/// Where a store keeps its current copy (shared by its read connections) and what its writer
/// changed since.
#[derive(Debug, Default)]
pub(crate) struct FacetSlot {
    current: Mutex<Option<Arc<Facets>>>,
    changes: Mutex<ChangeLog>,
    /// Held by the one reader reading the columns whole; the others wait for its copy (at the
    /// app's start the list, its counts and the status counts ask at once, and three loads of
    /// 100,000 rows on two cores made each slower).
    loading: Mutex<()>,
    /// How many times the columns were read whole.
    loads: std::sync::atomic::AtomicU64,
    /// The policy whose SLA bounds a background reading was started for, and how many whole
    /// readings of the columns there had been then (a new copy of the columns has no bounds).
    sla_prepared: Mutex<Option<(SlaPolicy, u64)>>,
}

impl FacetSlot {
    /// Whether a background reading of every case's SLA bounds under `policy` should start now:
    /// true once per policy and copy of the columns.
    pub(crate) fn claim_sla_preparation(&self, policy: &SlaPolicy) -> bool {
        let loads = self.loads();
        let mut prepared = self.sla_prepared.lock().unwrap_or_else(|p| p.into_inner());
        if prepared
            .as_ref()
            .is_some_and(|(p, at)| p == policy && *at == loads)
        {
            return false;
        }
        *prepared = Some((policy.clone(), loads));
        true
    }

    /// How many times the list's columns were read whole (not brought up to date in place).
    pub(crate) fn loads(&self) -> u64 {
        self.loads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether a copy of the columns is held (of any version); none before the first reading.
    pub(crate) fn is_loaded(&self) -> bool {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }
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
/// A remembered word is checked again for at most this many changed cases; beyond that it is
/// read again from the full-text index.
const MAX_RECHECKED: usize = 200;
/// Memory the remembered search words may take together: a word matching many cases is a
/// bitmap of one bit per case (12.5 KB at 100,000 cases), one matching few a list of its rids;
/// the least recently used words go first. 4 MB holds about 320 common words (or their typed
/// prefixes) at 100,000 cases, and many more rare ones.
const WORD_BUDGET_BYTES: usize = 4 << 20;

/// The cases one search word matches.
#[derive(Debug, Clone)]
enum Matches {
    /// One bit per rid.
    Bits(Vec<u64>),
    /// The rids, ascending (fewer than one case in 64 matched: smaller than the bitmap).
    Rids(Vec<i64>),
}

impl Matches {
    /// Bytes held.
    fn bytes(&self) -> usize {
        match self {
            Matches::Bits(b) => b.capacity() * 8,
            Matches::Rids(r) => r.capacity() * 8,
        }
    }

    fn contains(&self, rid: i64) -> bool {
        match self {
            Matches::Bits(bits) => usize::try_from(rid)
                .ok()
                .and_then(|r| bits.get(r / 64).map(|w| w & (1 << (r % 64)) != 0))
                .unwrap_or(false),
            Matches::Rids(rids) => rids.binary_search(&rid).is_ok(),
        }
    }

    /// These matches ANDed with `other`.
    fn and(self, other: &Matches) -> Matches {
        match (self, other) {
            (Matches::Bits(mut acc), Matches::Bits(bits)) => {
                acc.truncate(bits.len());
                for (a, b) in acc.iter_mut().zip(bits) {
                    *a &= *b;
                }
                Matches::Bits(acc)
            }
            (Matches::Bits(acc), Matches::Rids(rids)) => {
                let acc = Matches::Bits(acc);
                Matches::Rids(rids.iter().copied().filter(|r| acc.contains(*r)).collect())
            }
            (Matches::Rids(mut acc), other) => {
                acc.retain(|r| other.contains(*r));
                Matches::Rids(acc)
            }
        }
    }

    /// The rids, ascending.
    fn into_rids(self) -> Vec<i64> {
        match self {
            Matches::Rids(rids) => rids,
            Matches::Bits(bits) => {
                let mut rids = Vec::new();
                for (i, word) in bits.iter().enumerate() {
                    let mut bits = *word;
                    while bits != 0 {
                        let bit = bits.trailing_zeros() as usize;
                        bits &= bits - 1;
                        if let Ok(rid) = i64::try_from(i * 64 + bit) {
                            rids.push(rid);
                        }
                    }
                }
                rids
            }
        }
    }
}

/// One search word's matches (one FTS5 phrase, the last word of a search a prefix) by rid, and
/// the cases written since it was read, checked again the next time it is used.
#[derive(Debug, Clone)]
struct WordMatches {
    expr: String,
    matches: Matches,
    stale: Vec<i64>,
}

impl WordMatches {
    /// The matches of `expr`, from its rowids in ascending order, kept as the smaller of a
    /// bitmap over `slots` cases and a list.
    fn from_rids(expr: &str, rids: Vec<i64>, slots: usize) -> WordMatches {
        let matches = if rids.len().saturating_mul(64) < slots {
            Matches::Rids(rids)
        } else {
            let mut bits = vec![0u64; slots.div_ceil(64)];
            for rid in rids {
                if let Ok(r) = usize::try_from(rid) {
                    if bits.len() <= r / 64 {
                        bits.resize(r / 64 + 1, 0);
                    }
                    bits[r / 64] |= 1 << (r % 64);
                }
            }
            Matches::Bits(bits)
        };
        WordMatches {
            expr: expr.to_string(),
            matches,
            stale: Vec::new(),
        }
    }

    fn bytes(&self) -> usize {
        self.matches.bytes() + self.expr.len() + self.stale.capacity() * 8
    }

    fn set(&mut self, rid: i64, on: bool) {
        match &mut self.matches {
            Matches::Bits(bits) => {
                let Ok(rid) = usize::try_from(rid) else {
                    return;
                };
                let (word, bit) = (rid / 64, rid % 64);
                if bits.len() <= word {
                    if !on {
                        return;
                    }
                    bits.resize(word + 1, 0);
                }
                if on {
                    bits[word] |= 1 << bit;
                } else {
                    bits[word] &= !(1 << bit);
                }
            }
            Matches::Rids(rids) => match (rids.binary_search(&rid), on) {
                (Err(at), true) => rids.insert(at, rid),
                (Ok(at), false) => {
                    rids.remove(at);
                }
                _ => {}
            },
        }
    }
}

/// What the search layer remembers at one version.
#[derive(Debug, Default, Clone)]
struct Searches {
    /// Newest first, at most [`MAX_WORDS`].
    words: VecDeque<WordMatches>,
    /// The last search (its words) and its rowids (the list and its status counts ask
    /// together).
    last: Option<(Vec<String>, Arc<Vec<i64>>)>,
    /// The status counts the last list counted in its pass over the matches, and what they
    /// were counted for.
    counts: Option<(CountKey, Vec<i64>)>,
}

/// What a list's status counts depend on besides the copy they were counted on: the search text
/// and every filter but the status (the counts are per status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CountKey {
    search: Option<String>,
    partners: Vec<String>,
    kinds: Vec<CaseKind>,
    owners: Vec<String>,
    breached_at: Option<String>,
}

impl CountKey {
    /// The key of `q` asked at `now`.
    pub(crate) fn of(q: &CaseQuery, now: Timestamp) -> CountKey {
        CountKey {
            search: q.search.clone(),
            partners: q.partner_ids.clone(),
            kinds: q.kinds.clone(),
            owners: q.owners.clone(),
            breached_at: q.sla_breached.then(|| ts(now)),
        }
    }
}

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
    if let Some(found) = reuse(conn, slot, version)? {
        return Ok(found);
    }
    let _loading = slot.loading.lock().unwrap_or_else(|p| p.into_inner());
    // Another reader may have loaded it while this one waited.
    if let Some(found) = reuse(conn, slot, version)? {
        return Ok(found);
    }
    let built = Arc::new(Facets::load(conn, version)?);
    slot.loads
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    *slot.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&built));
    Ok(built)
}

/// The current copy if it matches `version`, or brought up to it in place; `None` when only a
/// whole load will do.
fn reuse(conn: &Connection, slot: &FacetSlot, version: i64) -> Result<Option<Arc<Facets>>> {
    let mut guard = slot.current.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(f) = guard.as_ref().filter(|f| f.version == version) {
        return Ok(Some(Arc::clone(f)));
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
        return Ok(Some(updated));
    }
    Ok(None)
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
        facets.by_rid = vec![EMPTY; rid_slots(conn)?];
        let mut stmt = conn.prepare_cached(&format!("SELECT {FACET_COLUMNS} FROM {source}"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            facets.set_from_row(r)?;
        }
        Ok(facets)
    }

    /// A copy of the filter and sort columns and the remembered words.
    fn duplicate(&self) -> Facets {
        Facets {
            version: self.version,
            by_rid: self.by_rid.clone(),
            partners: self.partners.clone(),
            owners: self.owners.clone(),
            searches: Mutex::new(Searches {
                words: self
                    .searches
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .words
                    .clone(),
                last: None,
                counts: None,
            }),
            sort_columns: Mutex::new(
                self.sort_columns
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone(),
            ),
            sla: Mutex::new(self.sla.lock().unwrap_or_else(|p| p.into_inner()).clone()),
            sla_reading: Mutex::new(()),
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
        let columns = self
            .sort_columns
            .get_mut()
            .unwrap_or_else(|p| p.into_inner());
        for (field, column) in columns.iter_mut() {
            Arc::make_mut(column).update(conn, *field, rids)?;
        }
        if let Some(column) = self
            .sla
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
        {
            Arc::make_mut(column).forget(rids);
        }
        // Remembered words are checked again for these cases when next used.
        let searches = self.searches.get_mut().unwrap_or_else(|p| p.into_inner());
        searches.last = None;
        searches.words.retain_mut(|w| {
            w.stale.extend_from_slice(rids);
            w.stale.len() <= MAX_RECHECKED
        });
        searches.counts = None;
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
        let sla_due = due_key(r.get_ref(5)?.as_str_or_null().ok().flatten());
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

    /// The rowids (ascending) of the cases every word matches (`words`: FTS5 expressions, as
    /// [`crate::query::search_words`] makes them; their AND is the search). Each word's matches
    /// are remembered as a bitmap for the next searches at this version and kept in step after
    /// (the cases a commit wrote are checked again when the word is next used), so the analyst
    /// typing, paging, changing filters or going back to a search reads the full-text index
    /// only for words not seen lately.
    pub(crate) fn search(&self, conn: &Connection, words: &[String]) -> Result<Arc<Vec<i64>>> {
        let mut searches = self.searches.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((w, rids)) = &searches.last {
            if w.as_slice() == words {
                return Ok(Arc::clone(rids));
            }
        }
        let mut all: Option<Matches> = None;
        for expr in words {
            let word = remembered_word(conn, &mut searches.words, expr, self.by_rid.len())?;
            all = Some(match all {
                None => word.matches.clone(),
                Some(acc) => acc.and(&word.matches),
            });
        }
        let rids = Arc::new(all.map(Matches::into_rids).unwrap_or_default());
        searches.last = Some((words.to_vec(), Arc::clone(&rids)));
        Ok(rids)
    }

    /// The sort column `sort` reads, loaded once at this version (and kept in step after).
    pub(crate) fn sort_column(
        &self,
        conn: &Connection,
        sort: CaseSortField,
    ) -> Result<Arc<SortColumn>> {
        let mut columns = self.sort_columns.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, c)) = columns.iter().find(|(f, _)| *f == sort) {
            return Ok(Arc::clone(c));
        }
        let column = Arc::new(SortColumn::load(conn, sort, self.by_rid.len())?);
        columns.push((sort, Arc::clone(&column)));
        Ok(column)
    }

    /// Whether every case's SLA bounds under `policy` are kept.
    pub(crate) fn sla_column_is_whole(&self, policy: &SlaPolicy) -> bool {
        self.sla
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|c| c.is_for(policy) && c.is_whole())
    }

    /// Reads every case's SLA bounds under `policy` unless they are kept already, without
    /// holding the column while it reads (a list asked meanwhile reads its page's rows' bounds
    /// itself), then keeps them.
    pub(crate) fn prepare_sla_column(&self, conn: &Connection, policy: &SlaPolicy) -> Result<()> {
        let _reading = self.sla_reading.lock().unwrap_or_else(|p| p.into_inner());
        if self.sla_column_is_whole(policy) {
            return Ok(());
        }
        let column = SlaColumn::read_all(conn, policy)?;
        let mut kept = self.sla.lock().unwrap_or_else(|p| p.into_inner());
        if !kept
            .as_ref()
            .is_some_and(|c| c.is_for(policy) && c.is_whole())
        {
            *kept = Some(Arc::new(column));
        }
        Ok(())
    }

    /// Each case's status and SLA mark at `now` under `policy`, for the cases at `rids` (a rid
    /// without a case is left out), from the bounds kept at this version.
    pub(crate) fn sla_marks(
        &self,
        conn: &Connection,
        rids: &[i64],
        now: Timestamp,
        policy: &SlaPolicy,
    ) -> Result<Vec<SlaMark>> {
        let needs_whole = self
            .sla
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|c| c.is_for(policy))
            .map_or(rids.len() > READ_ALL_OVER, |c| c.needs_whole_read(rids));
        if needs_whole {
            self.prepare_sla_column(conn, policy)?;
        }
        let mut slot = self.sla.lock().unwrap_or_else(|p| p.into_inner());
        let column = match slot.as_mut() {
            Some(column) if column.is_for(policy) => column,
            _ => slot.insert(Arc::new(SlaColumn::new(policy))),
        };
        let bounds = Arc::make_mut(column).bounds(conn, rids)?;
        Ok(rids
            .iter()
            .zip(bounds)
            .filter_map(|(rid, bounds)| {
                let status = usize::try_from(*rid)
                    .ok()
                    .and_then(|i| self.by_rid.get(i))
                    .and_then(|f| CaseStatus::ALL.get(usize::from(f.status)))?;
                let (state, due) = bounds.mark(now);
                Some(SlaMark {
                    rid: *rid,
                    status: *status,
                    state,
                    due,
                    paused: bounds.paused(now),
                })
            })
            .collect())
    }

    /// The page `offset .. offset + window` of `rids` in the list's order for `sort`
    /// (`descending`): the sort key (NULLs last both ways), then the rid, as the SQL `ORDER BY`
    /// of [`crate::query`] orders them.
    pub(crate) fn page_in_order(
        column: &SortColumn,
        descending: bool,
        mut rids: Vec<i64>,
        offset: usize,
        window: usize,
    ) -> Vec<i64> {
        let compare = |a: &i64, b: &i64| column.compare(*a, *b, descending);
        let need = offset.saturating_add(window).min(rids.len());
        if need == 0 {
            return Vec::new();
        }
        if need < rids.len() {
            rids.select_nth_unstable_by(need - 1, compare);
            rids.truncate(need);
        }
        rids.sort_unstable_by(compare);
        rids.into_iter().skip(offset).take(window).collect()
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

    /// [`Facets::matching`], counting per status in the same pass the cases that pass `filter`
    /// whatever their status (what [`Facets::count_by_status`] answers), remembered under `key`
    /// for the status counts asked beside the list.
    pub(crate) fn matching_and_counting(
        &self,
        rids: Option<&[i64]>,
        filter: &FacetFilter,
        statuses: &[CaseStatus],
        key: CountKey,
    ) -> Vec<i64> {
        let mask = statuses
            .iter()
            .filter_map(|s| CaseStatus::ALL.iter().position(|x| x == s))
            .fold(0u64, |m, i| m | (1 << i));
        let mut counts = vec![0i64; CaseStatus::ALL.len()];
        let mut out = Vec::new();
        let mut visit = |rid: i64, f: &Facet| {
            if f.status == ABSENT || !filter.passes(f) {
                return;
            }
            if let Some(n) = counts.get_mut(usize::from(f.status)) {
                *n += 1;
            }
            if statuses.is_empty() || (f.status < 64 && mask & (1 << f.status) != 0) {
                out.push(rid);
            }
        };
        match rids {
            Some(rids) => {
                for rid in rids {
                    if let Some(f) = usize::try_from(*rid).ok().and_then(|i| self.by_rid.get(i)) {
                        visit(*rid, f);
                    }
                }
            }
            None => {
                for (i, f) in self.by_rid.iter().enumerate() {
                    if let Ok(rid) = i64::try_from(i) {
                        visit(rid, f);
                    }
                }
            }
        }
        self.searches
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .counts = Some((key, counts));
        out
    }

    /// The status counts the last list counted, when it was asked with `key`.
    pub(crate) fn counted(&self, key: &CountKey) -> Option<Vec<i64>> {
        let searches = self.searches.lock().unwrap_or_else(|p| p.into_inner());
        searches
            .counts
            .as_ref()
            .filter(|(k, _)| k == key)
            .map(|(_, c)| c.clone())
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
            breached_at: q.sla_breached.then(|| instant_key(now)),
            terminal: CaseStatus::ALL
                .iter()
                .enumerate()
                .filter(|(_, s)| s.is_terminal())
                .fold(0u64, |mask, (i, _)| mask | (1 << i)),
        }
    }
}

/// The matches of one word, remembered (and brought up to date) or read from the full-text
/// index; it becomes the newest remembered word.
fn remembered_word<'w>(
    conn: &Connection,
    words: &'w mut VecDeque<WordMatches>,
    expr: &str,
    slots: usize,
) -> Result<&'w WordMatches> {
    let mut word = match words.iter().position(|w| w.expr == expr) {
        Some(i) => words.remove(i),
        None => None,
    };
    if let Some(w) = word.as_mut().filter(|w| !w.stale.is_empty()) {
        let mut probe =
            conn.prepare_cached("SELECT 1 FROM case_fts WHERE case_fts MATCH ?1 AND rowid = ?2")?;
        let mut stale = std::mem::take(&mut w.stale);
        stale.sort_unstable();
        stale.dedup();
        for rid in stale {
            let on = probe.exists(rusqlite::params![expr, rid])?;
            w.set(rid, on);
        }
    }
    let word = match word {
        Some(w) => w,
        None => {
            let mut stmt =
                conn.prepare_cached("SELECT rowid FROM case_fts WHERE case_fts MATCH ?1")?;
            let mut rids = Vec::new();
            let mut rows = stmt.query([expr])?;
            while let Some(r) = rows.next()? {
                rids.push(r.get::<_, i64>(0)?);
            }
            // FTS5 answers in rowid order; sorted anyway, the lists rely on it.
            if !rids.is_sorted() {
                rids.sort_unstable();
            }
            WordMatches::from_rids(expr, rids, slots)
        }
    };
    words.push_front(word);
    // The least recently used words go while the rest is over the budget (the newest stays).
    let mut bytes: usize = words.iter().map(WordMatches::bytes).sum();
    while bytes > WORD_BUDGET_BYTES && words.len() > 1 {
        if let Some(old) = words.pop_back() {
            bytes = bytes.saturating_sub(old.bytes());
        }
    }
    Ok(&words[0])
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
    /// "SLA breached": [`instant_key`] of the moment asked about.
    breached_at: Option<i64>,
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
            let due_passed = f.sla_due != NO_DUE && f.sla_due <= *now;
            let terminal = f.status < 64 && self.terminal & (1 << f.status) != 0;
            if !due_passed || terminal {
                return false;
            }
        }
        true
    }
}

/// Column `i` of `r` as text, or `None` for NULL.
fn text_or_null<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> Result<Option<&'r str>> {
    let value = r.get_ref(i)?;
    match value {
        rusqlite::types::ValueRef::Null => Ok(None),
        v => Ok(Some(v.as_str().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, v.data_type(), Box::new(e))
        })?)),
    }
}

/// How a text sort column compares, as SQLite's collation of the list's `ORDER BY` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Collation {
    /// `BINARY`: bytes, a shorter prefix first.
    Binary,
    /// `NOCASE`: bytes with ASCII letters folded to lower case, a shorter prefix first.
    NoCase,
}

impl Collation {
    /// The text a value is kept as, whose bytes order as the collation orders the value.
    fn key(self, text: &str) -> std::borrow::Cow<'_, str> {
        match self {
            Collation::NoCase if text.bytes().any(|b| b.is_ascii_uppercase()) => {
                std::borrow::Cow::Owned(text.to_ascii_lowercase())
            }
            _ => std::borrow::Cow::Borrowed(text),
        }
    }
}

/// One sort column of every case, by rid (a missing case reads as NULL / 0; it never matches).
#[derive(Debug, Clone)]
pub(crate) enum SortColumn {
    /// `status_rank`, `priority_rank` (never NULL).
    Ints(Vec<i64>),
    /// A text column (NULL for an unassigned owner or no SLA due); equal values share one copy.
    /// A `NOCASE` column is kept folded to lower case (ASCII, as SQLite folds it), so comparing
    /// is comparing bytes; the column only orders, the rows shown are read from the file.
    Texts(Vec<Option<Arc<str>>>, Collation),
}

impl SortColumn {
    /// The column a sort reads: its name and how it compares (`None`: an integer column).
    fn source(sort: CaseSortField) -> (&'static str, Option<Collation>) {
        match sort {
            CaseSortField::Reference => ("reference", Some(Collation::Binary)),
            CaseSortField::Title => ("title", Some(Collation::NoCase)),
            CaseSortField::Partner => ("partner_name", Some(Collation::NoCase)),
            CaseSortField::Kind => ("kind", Some(Collation::Binary)),
            CaseSortField::Status => ("status_rank", None),
            CaseSortField::Priority => ("priority_rank", None),
            CaseSortField::Owner => ("owner", Some(Collation::Binary)),
            CaseSortField::SlaDue => ("sla_due", Some(Collation::Binary)),
            CaseSortField::Updated => ("updated_at", Some(Collation::Binary)),
        }
    }

    /// Whether the sort compares text (slower to sort in memory than integers).
    pub(crate) fn is_text(sort: CaseSortField) -> bool {
        Self::source(sort).1.is_some()
    }

    /// Reads the column of every case (a covering index when SQLite finds one).
    fn load(conn: &Connection, sort: CaseSortField, slots: usize) -> Result<SortColumn> {
        let (name, collation) = Self::source(sort);
        let mut stmt = conn.prepare_cached(&format!("SELECT rid, {name} FROM cases"))?;
        let mut rows = stmt.query([])?;
        match collation {
            None => {
                let mut values = vec![0i64; slots];
                while let Some(r) = rows.next()? {
                    let Ok(rid) = usize::try_from(r.get::<_, i64>(0)?) else {
                        continue;
                    };
                    if values.len() <= rid {
                        values.resize(rid + 1, 0);
                    }
                    values[rid] = r.get(1)?;
                }
                Ok(SortColumn::Ints(values))
            }
            Some(collation) => {
                let mut values: Vec<Option<Arc<str>>> = vec![None; slots];
                let mut shared: std::collections::HashSet<Arc<str>> = Default::default();
                while let Some(r) = rows.next()? {
                    let Ok(rid) = usize::try_from(r.get::<_, i64>(0)?) else {
                        continue;
                    };
                    let value = text_or_null(r, 1)?.map(|text| {
                        let text = collation.key(text);
                        match shared.get(text.as_ref()) {
                            Some(v) => Arc::clone(v),
                            None => {
                                let v: Arc<str> = Arc::from(text.as_ref());
                                shared.insert(Arc::clone(&v));
                                v
                            }
                        }
                    });
                    if values.len() <= rid {
                        values.resize(rid + 1, None);
                    }
                    values[rid] = value;
                }
                Ok(SortColumn::Texts(values, collation))
            }
        }
    }

    /// Re-reads the rows at `rids` (a missing row reads as NULL / 0).
    fn update(&mut self, conn: &Connection, sort: CaseSortField, rids: &[i64]) -> Result<()> {
        let (name, _) = Self::source(sort);
        let mut stmt = conn.prepare_cached(&format!("SELECT {name} FROM cases WHERE rid = ?1"))?;
        for rid in rids {
            let Ok(slot) = usize::try_from(*rid) else {
                continue;
            };
            let mut rows = stmt.query([rid])?;
            let row = rows.next()?;
            match self {
                SortColumn::Ints(values) => {
                    let v = match row {
                        Some(r) => r.get(0)?,
                        None => 0,
                    };
                    if values.len() <= slot {
                        values.resize(slot + 1, 0);
                    }
                    values[slot] = v;
                }
                SortColumn::Texts(values, collation) => {
                    let v = match row {
                        Some(r) => {
                            text_or_null(r, 0)?.map(|t| Arc::from(collation.key(t).as_ref()))
                        }
                        None => None,
                    };
                    if values.len() <= slot {
                        values.resize(slot + 1, None);
                    }
                    values[slot] = v;
                }
            }
        }
        Ok(())
    }

    /// The list's order of the cases at rids `a` and `b`: the key (NULLs last both ways), then
    /// the rid, both reversed when `descending`.
    fn compare(&self, a: i64, b: i64, descending: bool) -> Ordering {
        let by_rid = if descending { b.cmp(&a) } else { a.cmp(&b) };
        let slot = |rid: i64| usize::try_from(rid).unwrap_or(usize::MAX);
        let key = match self {
            SortColumn::Ints(values) => {
                let get = |rid| values.get(slot(rid)).copied().unwrap_or(0);
                let o = get(a).cmp(&get(b));
                if descending {
                    o.reverse()
                } else {
                    o
                }
            }
            SortColumn::Texts(values, _) => {
                let get = |rid| values.get(slot(rid)).and_then(Option::as_deref);
                match (get(a), get(b)) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Greater,
                    (Some(_), None) => Ordering::Less,
                    (Some(x), Some(y)) => {
                        // Kept as their collation's key: bytes compare as the collation does.
                        let o = x.as_bytes().cmp(y.as_bytes());
                        if descending {
                            o.reverse()
                        } else {
                            o
                        }
                    }
                }
            }
        };
        key.then(by_rid)
    }
}
