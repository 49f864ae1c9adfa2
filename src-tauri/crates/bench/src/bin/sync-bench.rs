//! `cargo run --release -p pd-bench --bin sync-bench -- [--cases N] [--comments-per-case N]
//! [--queries N] [--data FILE] [--keep-cache FILE] [--synced-cache FILE] [--sla-policy on|off]`:
//! first sync, no-change
//! sync and case-list query latency. `--cache FILE` only times the queries against an existing
//! cache; `--synced-cache FILE` (a cache kept by `--keep-cache` from the same `--data`) skips the
//! first sync and measures the rest.

use pd_bench::args::Flags;
use pd_bench::sync_bench::{self, SyncBenchConfig};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let outcome = async {
        let flags = Flags::parse(
            std::env::args().skip(1),
            &[
                "cases",
                "comments-per-case",
                "queries",
                "data",
                "idle-runs",
                "keep-cache",
                "cache",
                "synced-cache",
                "sla-policy",
            ],
        )?;
        let d = SyncBenchConfig::default();
        let config = SyncBenchConfig {
            cases: flags.count("cases", d.cases)?,
            comments_per_case: flags.count("comments-per-case", d.comments_per_case)?,
            queries: flags.count("queries", d.queries)?,
            idle_runs: flags.count("idle-runs", d.idle_runs)?,
            data: flags.path("data"),
            keep_cache: flags.path("keep-cache"),
            synced_cache: flags.path("synced-cache"),
            sla_policy: flags.switch("sla-policy", d.sla_policy)?,
        };
        println!("sync-bench on {}", pd_bench::machine_line());
        if let Some(cache) = flags.path("cache") {
            let timings =
                tokio::task::block_in_place(|| sync_bench::run_queries_on(&cache, config.queries))?;
            println!("\n{}", timings.to_markdown());
            return Ok(());
        }
        let report = sync_bench::run(&config).await?;
        println!("\n{}", report.to_markdown());
        Ok::<(), pd_bench::BenchError>(())
    }
    .await;
    if let Err(e) = outcome {
        eprintln!("sync-bench failed [{}]: {e}", e.code());
        std::process::exit(1);
    }
}
