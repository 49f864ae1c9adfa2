//! `cargo run --release -p pd-bench --bin folder-bench -- [--files N] [--burst N] [--sftp-files N]
//! [--sftp-burst N]`: drop folders, complete file to document (p50/p95 over N files) and burst
//! throughput, on a local folder and on an SFTP folder (a real sshd started here).

use pd_bench::args::Flags;
use pd_bench::folder_bench::{self, FolderBenchConfig};

fn main() {
    let outcome = (|| {
        let flags = Flags::parse(
            std::env::args().skip(1),
            &["files", "burst", "sftp-files", "sftp-burst"],
        )?;
        let d = FolderBenchConfig::default();
        let config = FolderBenchConfig {
            files: flags.count("files", d.files)?.max(1),
            burst: flags.count("burst", d.burst)?.max(1),
            sftp_files: flags.count("sftp-files", d.sftp_files)?,
            sftp_burst: flags.count("sftp-burst", d.sftp_burst)?.max(1),
            ..d
        };
        println!("folder-bench on {}", pd_bench::machine_line());
        let report = folder_bench::run(&config)?;
        println!("\n| what | figure |\n|---|---|\n{}", report.to_markdown());
        Ok::<(), pd_bench::BenchError>(())
    })();
    if let Err(err) = outcome {
        eprintln!("folder-bench: {err}");
        std::process::exit(1);
    }
}
