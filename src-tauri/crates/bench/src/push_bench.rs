//! `push-bench`: how fast queued actions reach the server with no faults, and how long 1,000
//! actions queued while the server was down take to drain once it is back.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use pd_domain::{CasePatch, CaseQuery, CaseStatus, ExceptionQuery, Priority, Visibility};
use pd_store::Store;
use pd_sync::{pull, push, PullOptions, PushOptions};
use pd_tradinggrid::TradingGridClient;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::error::{BenchError, Result};
use crate::stats::{rate, secs};
use crate::world::{Server, Workspace};

/// What to run.
#[derive(Debug, Clone)]
pub struct PushBenchConfig {
    /// Cases the sandbox seeds.
    pub cases: usize,
    /// Average comments per case.
    pub comments_per_case: usize,
    /// Actions pushed for the throughput figure.
    pub actions: usize,
    /// Cases those actions are spread over.
    pub over_cases: usize,
    /// Actions queued while the server is down.
    pub drain: usize,
    /// Sandbox data file to reuse between runs.
    pub data: Option<PathBuf>,
}

impl Default for PushBenchConfig {
    fn default() -> Self {
        Self {
            cases: 1000,
            comments_per_case: 4,
            actions: 2000,
            over_cases: 200,
            drain: 1000,
            data: None,
        }
    }
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct PushBenchReport {
    /// The config it ran with.
    pub config: PushBenchConfig,
    /// Time to push `actions` actions until the outbox was empty.
    pub push_time: Duration,
    /// Writes the server applied during that push.
    pub applied: i64,
    /// Time from the server's restart until the `drain` queued actions were all sent.
    pub drain_time: Duration,
    /// Push rounds the drain took.
    pub drain_rounds: usize,
}

/// Queues `n` mixed actions (55 % comments, 35 % status/priority/owner changes, 10 % link or
/// unlink) over `cases`, deterministic for `seed`.
pub fn queue_actions(store: &Store, cases: &[String], n: usize, seed: u64) -> Result<()> {
    let mut rng = StdRng::seed_from_u64(seed);
    let users: Vec<String> = store
        .list_users()?
        .into_iter()
        .map(|u| u.login_id)
        .collect();
    let transactions: Vec<String> = store
        .list_exceptions(&ExceptionQuery {
            limit: 500,
            ..ExceptionQuery::default()
        })?
        .rows
        .into_iter()
        .map(|r| r.transaction.transaction_id)
        .collect();
    if cases.is_empty() || users.is_empty() {
        return Err(BenchError::Check("no cases or users to act on".into()));
    }
    let now = chrono::Utc::now();
    let mut queued = 0;
    while queued < n {
        let case_id = &cases[rng.gen_range(0..cases.len())];
        let roll = rng.gen_range(0..100);
        let patch = |p: CasePatch| store.patch_local_case(case_id, &p, now);
        let op = if roll < 55 || (roll >= 90 && transactions.is_empty()) {
            let visibility = if rng.gen_bool(0.5) {
                Visibility::Partner
            } else {
                Visibility::Internal
            };
            store.add_local_comment(
                case_id,
                "Bench Analyst",
                &format!("Action {queued}: checking the ASN with the carrier"),
                visibility,
                now,
            )?;
            true
        } else if roll < 70 {
            let status = CaseStatus::ALL[rng.gen_range(0..CaseStatus::ALL.len())];
            patch(CasePatch {
                status: Some(status),
                ..CasePatch::default()
            })?
            .is_some()
        } else if roll < 80 {
            let priority = Priority::ALL[rng.gen_range(0..Priority::ALL.len())];
            patch(CasePatch {
                priority: Some(priority),
                ..CasePatch::default()
            })?
            .is_some()
        } else if roll < 90 {
            let owner = users[rng.gen_range(0..users.len())].clone();
            patch(CasePatch {
                owner: Some(Some(owner)),
                ..CasePatch::default()
            })?
            .is_some()
        } else {
            let tx = &transactions[rng.gen_range(0..transactions.len())];
            let linked = store
                .case(case_id)?
                .map(|c| c.linked_transactions)
                .unwrap_or_default();
            if linked.contains(tx) {
                store.unlink_local_transaction(case_id, tx, now)?.is_some()
            } else {
                store.link_local_transaction(case_id, tx, now)?.is_some()
            }
        };
        if op {
            queued += 1;
        }
    }
    Ok(())
}

/// Pushes until the outbox is empty; returns the rounds needed. Transient errors (the server
/// still coming up) are retried; a refused entry is an error.
async fn push_until_empty(store: &Store, client: &TradingGridClient) -> Result<usize> {
    let options = PushOptions::default();
    let mut rounds = 0;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        rounds += 1;
        let outcome = push(store, client, &options).await;
        let summary = store.outbox_summary()?;
        if summary.failed > 0 {
            return Err(BenchError::Check(format!(
                "{} actions were refused by the server",
                summary.failed
            )));
        }
        if summary.pending == 0 {
            return Ok(rounds);
        }
        if Instant::now() > deadline {
            return Err(BenchError::Check(format!(
                "{} actions still queued after 10 minutes (last push: {outcome:?})",
                summary.pending
            )));
        }
        // Entries waiting for a backoff: let their time come.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs the push benchmark.
pub async fn run(config: &PushBenchConfig) -> Result<PushBenchReport> {
    let ws = Workspace::new(config.data.clone())?;
    let mut server =
        Server::start(&ws.sandbox_data, config.cases, config.comments_per_case).await?;
    let client = server.client()?;
    let store = ws.empty_cache("cache.db")?;
    pull(&store, &client, &PullOptions::default(), chrono::Utc::now()).await?;
    let cases: Vec<String> = store
        .list_cases(
            &CaseQuery {
                limit: u32::try_from(config.over_cases).unwrap_or(u32::MAX),
                ..CaseQuery::default()
            },
            chrono::Utc::now(),
        )?
        .rows
        .into_iter()
        .map(|r| r.id)
        .collect();

    queue_actions(&store, &cases, config.actions, 7)?;
    let applied_before = server.handle()?.stats().await?.applied_ops;
    let started = Instant::now();
    push_until_empty(&store, &client).await?;
    let push_time = started.elapsed();
    let applied = server.handle()?.stats().await?.applied_ops - applied_before;

    server.stop().await?;
    queue_actions(&store, &cases, config.drain, 11)?;
    server.restart().await?;
    let started = Instant::now();
    let drain_rounds = push_until_empty(&store, &client).await?;
    let drain_time = started.elapsed();

    Ok(PushBenchReport {
        config: config.clone(),
        push_time,
        applied,
        drain_time,
        drain_rounds,
    })
}

impl PushBenchReport {
    /// The figures as a Markdown table.
    pub fn to_markdown(&self) -> String {
        let c = &self.config;
        let mut out = String::from("| what | result |\n|---|---|\n");
        out.push_str(&format!(
            "| push {} mixed actions over {} cases, no faults ({} writes applied) | {} ({}) |\n",
            c.actions,
            c.over_cases,
            self.applied,
            secs(self.push_time),
            rate(c.actions, self.push_time)
        ));
        out.push_str(&format!(
            "| drain {} actions queued while the server was down, after it is back | {} ({}, {} push rounds) |\n",
            c.drain,
            secs(self.drain_time),
            rate(c.drain, self.drain_time),
            self.drain_rounds
        ));
        out
    }
}
