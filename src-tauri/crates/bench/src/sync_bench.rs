//! `sync-bench`: the first sync of a large tenant into an empty cache, the sync when nothing
//! changed, and case-list query latency over what was synced.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use pd_sync::{pull, PullOptions};

use crate::error::{BenchError, Result};
use crate::queries::{self, QueryTimings, Vocabulary};
use crate::stats::{ms, rate, secs, Percentiles};
use crate::world::{Server, Workspace};

/// What to run.
#[derive(Debug, Clone)]
pub struct SyncBenchConfig {
    /// Cases the sandbox seeds.
    pub cases: usize,
    /// Average comments per case.
    pub comments_per_case: usize,
    /// Case-list queries to time.
    pub queries: usize,
    /// Runs of the no-change sync.
    pub idle_runs: usize,
    /// Sandbox data file to reuse between runs (seeded on first use).
    pub data: Option<PathBuf>,
    /// Keep the synced cache at this path (it must not exist yet) instead of a temp file.
    pub keep_cache: Option<PathBuf>,
    /// A cache already synced from `data` (kept by an earlier run's `keep_cache`): the first
    /// sync is skipped and every other figure measured on it (for iterating fast).
    pub synced_cache: Option<PathBuf>,
    /// Compute the list's SLA marks with the app's default policy (on in the app unless the
    /// analyst turns it off) instead of the cache's default (the server's due dates).
    pub sla_policy: bool,
}

impl Default for SyncBenchConfig {
    fn default() -> Self {
        Self {
            cases: 100_000,
            comments_per_case: 5,
            queries: 1000,
            idle_runs: 20,
            data: None,
            keep_cache: None,
            synced_cache: None,
            sla_policy: false,
        }
    }
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct SyncBenchReport {
    /// The config it ran with.
    pub config: SyncBenchConfig,
    /// Sandbox start-up (seeding included unless the data file was reused).
    pub sandbox_start: Duration,
    /// Whether the sandbox data file was reused.
    pub reused_data: bool,
    /// Cases and comments in the cache after the first sync.
    pub cases: u64,
    /// Comments in the cache after the first sync.
    pub comments: u64,
    /// First sync into an empty cache.
    pub first_sync: Duration,
    /// CPU time the process (sandbox and app side together) used during the first sync.
    pub first_sync_cpu: Duration,
    /// Load average when the first sync ended.
    pub first_sync_load: String,
    /// Requests the first sync made.
    pub first_sync_requests: usize,
    /// `Store::optimize` after the first sync.
    pub optimize: Duration,
    /// The no-change sync, each run.
    pub idle_sync: Percentiles,
    /// Requests one no-change sync made (as the sandbox counted them).
    pub idle_sync_requests: u64,
    /// Case-list queries.
    pub queries: QueryTimings,
    /// List + status counts right after one case changed (the in-memory filter columns are
    /// brought up to date), over [`AFTER_CHANGE_RUNS`] changes.
    pub after_change: Percentiles,
}

/// Times `queries` case-list queries against an existing cache (no sandbox, no sync): for
/// iterating on query plans with a cache kept by `--keep-cache`.
pub fn run_queries_on(path: &std::path::Path, queries: usize) -> Result<QueryTimings> {
    if !path.exists() {
        return Err(BenchError::Check(format!(
            "{} does not exist",
            path.display()
        )));
    }
    let store = pd_store::Store::open(path)?;
    let now = chrono::Utc::now();
    let vocab = Vocabulary::learn(&store, now)?;
    let plan = vocab.plan(queries, 0x5EED);
    queries::run(&store, &plan, now)
}

impl QueryTimings {
    /// The overall and per-kind figures as Markdown.
    pub fn to_markdown(&self) -> String {
        let q = &self.overall;
        let mut out = format!(
            "{} queries: p50 {} / p95 {} / p99 {} / max {}\n\n",
            q.samples,
            ms(q.p50),
            ms(q.p95),
            ms(q.p99),
            ms(q.max)
        );
        out.push_str("| search text | queries | p50 | p95 | max |\n|---|---|---|---|---|\n");
        for (kind, p) in &self.by_kind {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                kind.label(),
                p.samples,
                ms(p.p50),
                ms(p.p95),
                ms(p.max)
            ));
        }
        for (label, p) in [
            (
                "a word new to this run (read from the full-text index)",
                &self.new_words,
            ),
            ("every word searched before in this run", &self.seen_words),
        ] {
            out.push_str(&format!(
                "\nsearches with {label}: {} queries, p50 {} / p95 {} / max {}",
                p.samples,
                ms(p.p50),
                ms(p.p95),
                ms(p.max)
            ));
        }
        out.push('\n');
        if let Some((d, q)) = &self.slowest {
            out.push_str(&format!("\nslowest query ({}): {q:?}\n", ms(*d)));
        }
        out
    }
}

/// Runs the sync benchmark.
pub async fn run(config: &SyncBenchConfig) -> Result<SyncBenchReport> {
    let ws = Workspace::new(config.data.clone())?;
    let server = Server::start(&ws.sandbox_data, config.cases, config.comments_per_case).await?;
    let client = server.client()?;
    let options = PullOptions::default();
    let (store, first, first_sync, first_sync_cpu, first_sync_load) = match &config.synced_cache {
        Some(path) => {
            if !path.exists() || !config.data.as_ref().is_some_and(|d| d.exists()) {
                return Err(BenchError::Check(format!(
                    "--synced-cache {} needs that cache and the --data file it was synced from",
                    path.display()
                )));
            }
            let store = pd_store::Store::open(path)?;
            (
                store,
                pd_sync::PullReport::default(),
                Duration::ZERO,
                Duration::ZERO,
                "- (first sync skipped: --synced-cache)".to_string(),
            )
        }
        None => {
            let store = match &config.keep_cache {
                Some(path) if path.exists() => {
                    return Err(BenchError::Check(format!(
                        "{} exists; the first sync needs an empty cache",
                        path.display()
                    )))
                }
                Some(path) => pd_store::Store::open(path)?,
                None => ws.empty_cache("cache.db")?,
            };
            let started = Instant::now();
            let cpu_before = crate::process_cpu_time();
            let first = pull(&store, &client, &options, chrono::Utc::now()).await?;
            let first_sync = started.elapsed();
            let first_sync_cpu = crate::process_cpu_time().saturating_sub(cpu_before);
            (store, first, first_sync, first_sync_cpu, crate::load_now())
        }
    };
    let counts = store.counts()?;
    let server_stats = server.handle()?.stats().await?;
    if counts.cases != u64::try_from(server_stats.cases).unwrap_or(0) {
        return Err(BenchError::Check(format!(
            "the cache holds {} cases, the sandbox {}",
            counts.cases, server_stats.cases
        )));
    }

    let started = Instant::now();
    store.optimize()?;
    let optimize = started.elapsed();

    let mut idle = Vec::with_capacity(config.idle_runs);
    let mut idle_requests = 0;
    for _ in 0..config.idle_runs.max(1) {
        let before = server.handle()?.stats().await?.requests;
        let started = Instant::now();
        let report = pull(&store, &client, &options, chrono::Utc::now()).await?;
        idle.push(started.elapsed());
        let after = server.handle()?.stats().await?.requests;
        idle_requests = after.saturating_sub(before);
        if report.cases != 0 {
            return Err(BenchError::Check(format!(
                "a sync with nothing changed brought {} cases",
                report.cases
            )));
        }
    }

    if config.sla_policy {
        store.set_sla_policy(pd_domain::SlaPolicy::default());
    }
    let now = chrono::Utc::now();
    let vocab = Vocabulary::learn(&store, now)?;
    let plan = vocab.plan(config.queries, 0x5EED);
    let timings = tokio::task::block_in_place(|| queries::run(&store, &plan, now))?;
    let after_change = tokio::task::block_in_place(|| first_query_after_a_change(&store))?;

    Ok(SyncBenchReport {
        config: config.clone(),
        sandbox_start: server.started_in,
        reused_data: server.reused_data,
        cases: counts.cases,
        comments: counts.comments,
        first_sync,
        first_sync_cpu,
        first_sync_load,
        first_sync_requests: first.requests,
        optimize,
        idle_sync: Percentiles::of(&idle),
        idle_sync_requests: idle_requests,
        queries: timings,
        after_change,
    })
}

/// How many changes the first-query-after-a-change figure is measured over.
pub const AFTER_CHANGE_RUNS: usize = 20;

/// Changes one case's priority here, then times the next list + status counts; as many times
/// as [`AFTER_CHANGE_RUNS`], each time another case.
fn first_query_after_a_change(store: &pd_store::Store) -> Result<Percentiles> {
    let now = chrono::Utc::now();
    let query = pd_domain::CaseQuery {
        search: Some("invoice".into()),
        descending: true,
        ..pd_domain::CaseQuery::default()
    };
    let ids: Vec<String> = store
        .list_cases(&query, now)?
        .rows
        .into_iter()
        .map(|r| r.id)
        .take(AFTER_CHANGE_RUNS)
        .collect();
    let mut times = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let priority = pd_domain::Priority::ALL[i % pd_domain::Priority::ALL.len()];
        store.patch_local_case(
            id,
            &pd_domain::CasePatch {
                priority: Some(priority),
                ..pd_domain::CasePatch::default()
            },
            now,
        )?;
        let started = Instant::now();
        store.list_cases(&query, now)?;
        store.status_counts(&query, now)?;
        times.push(started.elapsed());
    }
    Ok(Percentiles::of(&times))
}

impl SyncBenchReport {
    /// The figures as a Markdown table (plus a per-search-kind breakdown).
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let seeding = if self.reused_data {
            format!(
                "{} (data file reused, not seeded)",
                secs(self.sandbox_start)
            )
        } else {
            secs(self.sandbox_start)
        };
        let q = &self.queries.overall;
        out.push_str(&format!(
            "SLA policy for the list's marks: {}\n\n",
            if self.config.sla_policy {
                "on (the app's default policy: each row's SLA computed from its history; the SLA filter and sort compute every match's)"
            } else {
                "off (the server's due dates; --sla-policy on for the app's default)"
            }
        ));
        out.push_str("| what | result | target |\n|---|---|---|\n");
        out.push_str(&format!(
            "| sandbox seeding ({} cases, {} comments/case avg) | {seeding} | - |\n",
            self.config.cases, self.config.comments_per_case
        ));
        if self.config.synced_cache.is_some() {
            out.push_str(&format!(
                "| first sync into an empty cache | skipped (--synced-cache: {} cases, {} comments already cached) | < 15 s |\n",
                self.cases, self.comments
            ));
        } else {
            out.push_str(&format!(
                "| first sync into an empty cache ({} cases, {} comments, {} requests) | {} ({} cases; CPU {}, load {} at the end) | < 15 s |\n",
                self.cases,
                self.comments,
                self.first_sync_requests,
                secs(self.first_sync),
                rate(usize::try_from(self.cases).unwrap_or(0), self.first_sync),
                secs(self.first_sync_cpu),
                self.first_sync_load
            ));
        }
        out.push_str(&format!(
            "| `Store::optimize` after the first sync (or on the kept cache) | {} | - |\n",
            secs(self.optimize)
        ));
        out.push_str(&format!(
            "| sync with nothing changed (median of {}, {} requests) | {} (max {}) | < 10 ms |\n",
            self.idle_sync.samples,
            self.idle_sync_requests,
            ms(self.idle_sync.p50),
            ms(self.idle_sync.max)
        ));
        out.push_str(&format!(
            "| case list + status counts, {} filtered searches: p50 / p95 / p99 / max | {} / {} / {} / {} | p95 < 10 ms |\n",
            q.samples,
            ms(q.p50),
            ms(q.p95),
            ms(q.p99),
            ms(q.max)
        ));
        out.push_str(&format!(
            "| the same, first query after one case changed (filter columns updated in place), median of {} changes | {} (max {}) | < 10 ms |\n",
            self.after_change.samples,
            ms(self.after_change.p50),
            ms(self.after_change.max)
        ));
        out.push('\n');
        out.push_str(&self.queries.to_markdown());
        out
    }
}
