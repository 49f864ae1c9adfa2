//! Runs each benchmark's core with tiny sizes so the benchmark code cannot rot. Asserts on what
//! the runs did (cases synced, queries run, outbox drained), never on how long they took.

use pd_bench::args::Flags;
use pd_bench::push_bench::{self, PushBenchConfig};
use pd_bench::stats::Percentiles;
use pd_bench::sync_bench::{self, SyncBenchConfig};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_bench_measures_again_on_a_kept_cache_without_a_first_sync() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("sandbox.db");
    let cache = dir.path().join("cache.db");
    let config = SyncBenchConfig {
        cases: 40,
        comments_per_case: 2,
        queries: 20,
        idle_runs: 2,
        data: Some(data),
        keep_cache: Some(cache.clone()),
        synced_cache: None,
        sla_policy: false,
    };
    let first = sync_bench::run(&config).await.expect("first run");
    assert_eq!(first.cases, 40);
    assert!(first.first_sync_requests > 0);
    let again = sync_bench::run(&SyncBenchConfig {
        keep_cache: None,
        synced_cache: Some(cache),
        ..config.clone()
    })
    .await
    .expect("second run on the kept cache");
    assert_eq!(again.cases, 40, "the kept cache still holds every case");
    assert_eq!(
        again.first_sync_requests, 0,
        "no first sync on a kept cache"
    );
    assert_eq!(again.idle_sync.samples, 2);
    assert_eq!(again.queries.overall.samples, 20);
    let missing = sync_bench::run(&SyncBenchConfig {
        keep_cache: None,
        synced_cache: Some(dir.path().join("nothing-here.db")),
        ..config
    })
    .await;
    assert!(missing.is_err(), "a missing kept cache is refused in words");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_bench_syncs_everything_and_runs_every_query() {
    let report = sync_bench::run(&SyncBenchConfig {
        cases: 80,
        comments_per_case: 3,
        queries: 60,
        idle_runs: 3,
        data: None,
        keep_cache: None,
        synced_cache: None,
        // The app's default: every query also runs with the SLA marks computed.
        sla_policy: true,
    })
    .await
    .expect("sync bench");
    assert_eq!(report.cases, 80, "every seeded case reaches the cache");
    assert!(report.comments > 0);
    assert_eq!(report.idle_sync.samples, 3);
    assert!(
        report.idle_sync_requests <= 3,
        "a sync with nothing changed made {} requests",
        report.idle_sync_requests
    );
    assert_eq!(report.queries.overall.samples, 60);
    assert!(
        report.queries.with_rows > 0,
        "queries drawn from the synced data find something"
    );
    let table = report.to_markdown();
    assert!(table.contains("first sync"), "{table}");
    assert!(
        table.contains("SLA policy for the list's marks: on"),
        "{table}"
    );
    assert!(table.contains("p95"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_bench_sends_every_action_and_drains_after_restart() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let config = PushBenchConfig {
        cases: 40,
        comments_per_case: 2,
        actions: 60,
        over_cases: 15,
        drain: 30,
        data: Some(data_dir.path().join("sandbox.db")),
    };
    let report = push_bench::run(&config).await.expect("push bench");
    assert!(
        report.applied > 0 && report.applied <= 60,
        "applied {}",
        report.applied
    );
    assert!(report.drain_rounds >= 1);
    // The data file was kept for reuse and a second run starts from it.
    assert!(data_dir.path().join("sandbox.db").exists());
    let again = push_bench::run(&config).await.expect("second run");
    assert!(again.applied > 0);
}

#[test]
fn flags_parse_and_refuse_nonsense() {
    let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let f = Flags::parse(
        args(&["--cases", "100_000", "--queries=50"]),
        &["cases", "queries"],
    )
    .expect("parse");
    assert_eq!(f.count("cases", 1).expect("cases"), 100_000);
    assert_eq!(f.count("queries", 1).expect("queries"), 50);
    assert_eq!(f.count("missing", 7).expect("default"), 7);
    assert!(Flags::parse(args(&["--bogus", "1"]), &["cases"]).is_err());
    assert!(Flags::parse(args(&["--cases"]), &["cases"]).is_err());
    assert!(Flags::parse(args(&["stray"]), &["cases"]).is_err());
    let f = Flags::parse(args(&["--cases", "lots"]), &["cases"]).expect("parse");
    assert_eq!(f.count("cases", 1).map_err(|e| e.code()), Err("bench.args"));
    let f = Flags::parse(args(&["--sla-policy", "on"]), &["sla-policy"]).expect("parse");
    assert!(f.switch("sla-policy", false).expect("on"));
    assert!(f.switch("missing", true).expect("default"));
    let f = Flags::parse(args(&["--sla-policy", "maybe"]), &["sla-policy"]).expect("parse");
    assert!(f.switch("sla-policy", false).is_err());
}

#[test]
fn percentiles_use_nearest_rank() {
    let times: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
    let p = Percentiles::of(&times);
    assert_eq!(p.samples, 100);
    assert_eq!(p.p50, Duration::from_millis(50));
    assert_eq!(p.p95, Duration::from_millis(95));
    assert_eq!(p.p99, Duration::from_millis(99));
    assert_eq!(p.max, Duration::from_millis(100));
    assert_eq!(Percentiles::of(&[]).max, Duration::ZERO);
}
