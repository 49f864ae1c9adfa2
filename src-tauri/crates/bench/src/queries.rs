//! The case-list workload: search terms drawn from what was actually synced (partner names, PO
//! numbers, common and rare words of titles and comments, prefixes as typed) combined with the
//! filters and sorts the list offers, and the timing of `list_cases` + `status_counts` issued
//! together as the UI does.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use pd_domain::{CaseKind, CaseQuery, CaseSortField, CaseStatus, Timestamp};
use pd_store::Store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::error::{BenchError, Result};
use crate::stats::Percentiles;

/// Every sort column the list offers.
pub const SORTS: [CaseSortField; 9] = CaseSortField::ALL;

/// Cases read in full to learn the vocabulary.
const SAMPLE_CASES: usize = 400;

/// What kind of search text a query carries (for the per-kind breakdown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SearchKind {
    /// No search text: filters only.
    None,
    /// A partner's name (one or two of its words).
    Partner,
    /// A PO number.
    PoNumber,
    /// One of the most frequent words.
    Common,
    /// A word seen in only a few of the sampled cases.
    Rare,
    /// The first 2 to 4 letters of a common word, as typed.
    Prefix,
    /// Two common words.
    TwoWords,
}

impl SearchKind {
    /// Label for tables.
    pub fn label(self) -> &'static str {
        match self {
            SearchKind::None => "filters only",
            SearchKind::Partner => "partner name",
            SearchKind::PoNumber => "PO number",
            SearchKind::Common => "common word",
            SearchKind::Rare => "rare word",
            SearchKind::Prefix => "prefix (2-4 letters)",
            SearchKind::TwoWords => "two common words",
        }
    }
}

/// One planned query.
#[derive(Debug, Clone)]
pub struct PlannedQuery {
    /// What its search text is.
    pub kind: SearchKind,
    /// The query.
    pub query: CaseQuery,
}

/// Words and values learned from the synced cache.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    /// Most frequent words first.
    pub common: Vec<String>,
    /// Words seen in at most two sampled cases.
    pub rare: Vec<String>,
    /// Partner names.
    pub partner_names: Vec<String>,
    /// Partner ids.
    pub partner_ids: Vec<String>,
    /// PO numbers.
    pub po_numbers: Vec<String>,
    /// Owner login ids.
    pub owners: Vec<String>,
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3 && w.chars().all(char::is_alphabetic))
        .map(str::to_lowercase)
}

impl Vocabulary {
    /// Reads a sample of cases (with their threads) from `store`.
    pub fn learn(store: &Store, now: Timestamp) -> Result<Vocabulary> {
        let page = store.list_cases(
            &CaseQuery {
                limit: 5000,
                ..CaseQuery::default()
            },
            now,
        )?;
        if page.rows.is_empty() {
            return Err(BenchError::Check("the cache holds no cases".into()));
        }
        let step = (page.rows.len() / SAMPLE_CASES).max(1);
        // Document frequency: in how many sampled cases a word appears.
        let mut df: HashMap<String, usize> = HashMap::new();
        let mut vocab = Vocabulary::default();
        let mut partners: HashMap<String, String> = HashMap::new();
        let mut owners: Vec<String> = Vec::new();
        for row in page.rows.iter().step_by(step) {
            let detail = store.case_detail(&row.id, now)?;
            let mut seen: Vec<String> = words(&detail.case.title).collect();
            for c in &detail.comments {
                seen.extend(words(&c.comment.body));
            }
            seen.sort();
            seen.dedup();
            for w in seen {
                *df.entry(w).or_default() += 1;
            }
            vocab
                .po_numbers
                .extend(detail.case.references.po_numbers.iter().cloned());
            partners.insert(row.partner_id.clone(), row.partner_name.clone());
            if let Some(o) = &row.owner {
                owners.push(o.clone());
            }
        }
        let mut by_freq: Vec<(String, usize)> = df.into_iter().collect();
        by_freq.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        vocab.common = by_freq.iter().take(25).map(|(w, _)| w.clone()).collect();
        vocab.rare = by_freq
            .iter()
            .filter(|(_, n)| *n <= 2)
            .map(|(w, _)| w.clone())
            .collect();
        if vocab.rare.is_empty() {
            vocab.rare = by_freq
                .iter()
                .rev()
                .take(10)
                .map(|(w, _)| w.clone())
                .collect();
        }
        let mut partners: Vec<(String, String)> = partners.into_iter().collect();
        partners.sort();
        vocab.partner_ids = partners.iter().map(|(id, _)| id.clone()).collect();
        vocab.partner_names = partners.into_iter().map(|(_, name)| name).collect();
        owners.sort();
        owners.dedup();
        vocab.owners = owners;
        vocab.po_numbers.sort();
        vocab.po_numbers.dedup();
        Ok(vocab)
    }

    fn pick<'a>(rng: &mut StdRng, from: &'a [String], fallback: &'a str) -> &'a str {
        if from.is_empty() {
            fallback
        } else {
            &from[rng.gen_range(0..from.len())]
        }
    }

    fn search_text(&self, kind: SearchKind, rng: &mut StdRng) -> Option<String> {
        let common = |rng: &mut StdRng| Self::pick(rng, &self.common, "pallet").to_string();
        match kind {
            SearchKind::None => None,
            SearchKind::Partner => {
                let name = Self::pick(rng, &self.partner_names, "partner");
                let parts: Vec<&str> = name.split_whitespace().collect();
                let take = rng.gen_range(1..=parts.len().clamp(1, 2));
                Some(
                    parts
                        .iter()
                        .take(take)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(" "),
                )
            }
            SearchKind::PoNumber => Some(Self::pick(rng, &self.po_numbers, "PO-1").to_string()),
            SearchKind::Common => Some(common(rng)),
            SearchKind::Rare => Some(Self::pick(rng, &self.rare, "zzz").to_string()),
            SearchKind::Prefix => {
                let word = common(rng);
                let n = rng.gen_range(2..=4).min(word.chars().count());
                Some(word.chars().take(n).collect())
            }
            SearchKind::TwoWords => Some(format!("{} {}", common(rng), common(rng))),
        }
    }

    /// `n` queries, deterministic for a given `seed`: mostly searches, each combined with a
    /// random set of filters, cycling through every sort in both directions.
    pub fn plan(&self, n: usize, seed: u64) -> Vec<PlannedQuery> {
        let mut rng = StdRng::seed_from_u64(seed);
        let kinds = [
            (SearchKind::None, 15),
            (SearchKind::Partner, 10),
            (SearchKind::PoNumber, 10),
            (SearchKind::Common, 20),
            (SearchKind::Rare, 10),
            (SearchKind::Prefix, 20),
            (SearchKind::TwoWords, 15),
        ];
        let total: u32 = kinds.iter().map(|(_, w)| w).sum();
        (0..n)
            .map(|i| {
                let mut roll = rng.gen_range(0..total);
                let mut kind = SearchKind::None;
                for (k, w) in kinds {
                    if roll < w {
                        kind = k;
                        break;
                    }
                    roll -= w;
                }
                let mut q = CaseQuery {
                    search: self.search_text(kind, &mut rng),
                    sort: SORTS[i % SORTS.len()],
                    descending: (i / SORTS.len()).is_multiple_of(2),
                    ..CaseQuery::default()
                };
                if rng.gen_bool(0.4) {
                    let k = rng.gen_range(1..=2);
                    for _ in 0..k {
                        let s = CaseStatus::ALL[rng.gen_range(0..CaseStatus::ALL.len())];
                        if !q.statuses.contains(&s) {
                            q.statuses.push(s);
                        }
                    }
                }
                if rng.gen_bool(0.25) && !self.partner_ids.is_empty() {
                    q.partner_ids
                        .push(Self::pick(&mut rng, &self.partner_ids, "").to_string());
                }
                if rng.gen_bool(0.25) {
                    q.kinds
                        .push(CaseKind::ALL[rng.gen_range(0..CaseKind::ALL.len())]);
                }
                if rng.gen_bool(0.2) {
                    q.owners
                        .push(Self::pick(&mut rng, &self.owners, "").to_string());
                    if rng.gen_bool(0.3) {
                        q.owners.push(String::new());
                    }
                }
                if rng.gen_bool(0.2) {
                    q.sla_breached = true;
                }
                PlannedQuery { kind, query: q }
            })
            .collect()
    }
}

/// Timings of a query run.
#[derive(Debug, Clone, Default)]
pub struct QueryTimings {
    /// All queries.
    pub overall: Percentiles,
    /// Per kind of search text.
    pub by_kind: Vec<(SearchKind, Percentiles)>,
    /// The slowest query and its time.
    pub slowest: Option<(Duration, CaseQuery)>,
    /// Queries that returned at least one row.
    pub with_rows: usize,
    /// Searches with a word not searched before in this run (the store reads each new word
    /// from the full-text index).
    pub new_words: Percentiles,
    /// Searches whose every word was searched before in this run (the store may remember them).
    pub seen_words: Percentiles,
}

/// Runs each planned query as the UI does (`list_cases` then `status_counts`, same query) and
/// times the pair.
pub fn run(store: &Store, plan: &[PlannedQuery], now: Timestamp) -> Result<QueryTimings> {
    let mut all = Vec::with_capacity(plan.len());
    let mut per_kind: HashMap<SearchKind, Vec<Duration>> = HashMap::new();
    let mut slowest: Option<(Duration, CaseQuery)> = None;
    let mut with_rows = 0;
    let mut seen: std::collections::HashSet<String> = Default::default();
    let (mut new_words, mut seen_words) = (Vec::new(), Vec::new());
    for p in plan {
        let started = Instant::now();
        let page = store.list_cases(&p.query, now)?;
        let counts = store.status_counts(&p.query, now)?;
        let took = started.elapsed();
        if !page.rows.is_empty() {
            with_rows += 1;
        }
        // Cheap sanity: the counts cover at least the listed total when no status filter.
        if p.query.statuses.is_empty() {
            let sum: u64 = counts.iter().map(|c| u64::from(c.count)).sum();
            if sum != u64::from(page.total) {
                return Err(BenchError::Check(format!(
                    "status counts ({sum}) disagree with the total ({}) for {:?}",
                    page.total, p.query
                )));
            }
        }
        all.push(took);
        if let Some(search) = &p.query.search {
            let mut fresh = false;
            for word in search.split_whitespace() {
                fresh |= seen.insert(word.to_lowercase());
            }
            if fresh {
                new_words.push(took);
            } else {
                seen_words.push(took);
            }
        }
        per_kind.entry(p.kind).or_default().push(took);
        if slowest.as_ref().is_none_or(|(d, _)| took > *d) {
            slowest = Some((took, p.query.clone()));
        }
    }
    let mut by_kind: Vec<(SearchKind, Percentiles)> = per_kind
        .into_iter()
        .map(|(k, v)| (k, Percentiles::of(&v)))
        .collect();
    by_kind.sort_by_key(|(k, _)| *k);
    Ok(QueryTimings {
        overall: Percentiles::of(&all),
        by_kind,
        slowest,
        with_rows,
        new_words: Percentiles::of(&new_words),
        seen_words: Percentiles::of(&seen_words),
    })
}
