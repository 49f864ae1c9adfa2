//! `cargo build --release -p partnerdesk-server && cargo run --release -p pd-bench --bin
//! server-bench -- [--actions N] [--writers N] [--cases N] [--samples N] [--server-bin PATH]`:
//! partnerdesk-server throughput with 1, 2 and 4 processes on one PostgreSQL (started here from
//! Debian's packages), and change-feed latency from one process to another.

use pd_bench::args::Flags;
use pd_bench::server_bench::{self, ServerBenchConfig};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let outcome = async {
        let flags = Flags::parse(
            std::env::args().skip(1),
            &["actions", "writers", "cases", "samples", "server-bin"],
        )?;
        let d = ServerBenchConfig::with_defaults();
        let config = ServerBenchConfig {
            server_bin: flags.path("server-bin").unwrap_or(d.server_bin.clone()),
            actions: flags.count("actions", d.actions)?,
            writers: flags.count("writers", d.writers)?.max(1),
            cases: flags.count("cases", d.cases)?.max(1),
            samples: flags.count("samples", d.samples)?,
            ..d
        };
        println!("server-bench on {}", pd_bench::machine_line());
        let report = server_bench::run(&config).await?;
        println!("\n{}", report.to_markdown());
        Ok::<(), pd_bench::BenchError>(())
    }
    .await;
    if let Err(e) = outcome {
        eprintln!("server-bench failed [{}]: {e}", e.code());
        std::process::exit(1);
    }
}
