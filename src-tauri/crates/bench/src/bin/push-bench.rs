//! `cargo run --release -p pd-bench --bin push-bench -- [--cases N] [--comments-per-case N]
//! [--actions N] [--over N] [--drain N] [--data FILE]`: push throughput and outbox drain.

use pd_bench::args::Flags;
use pd_bench::push_bench::{self, PushBenchConfig};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let outcome = async {
        let flags = Flags::parse(
            std::env::args().skip(1),
            &[
                "cases",
                "comments-per-case",
                "actions",
                "over",
                "drain",
                "data",
            ],
        )?;
        let d = PushBenchConfig::default();
        let config = PushBenchConfig {
            cases: flags.count("cases", d.cases)?,
            comments_per_case: flags.count("comments-per-case", d.comments_per_case)?,
            actions: flags.count("actions", d.actions)?,
            over_cases: flags.count("over", d.over_cases)?,
            drain: flags.count("drain", d.drain)?,
            data: flags.path("data"),
        };
        println!("push-bench on {}", pd_bench::machine_line());
        let report = push_bench::run(&config).await?;
        println!("\n{}", report.to_markdown());
        Ok::<(), pd_bench::BenchError>(())
    }
    .await;
    if let Err(e) = outcome {
        eprintln!("push-bench failed [{}]: {e}", e.code());
        std::process::exit(1);
    }
}
