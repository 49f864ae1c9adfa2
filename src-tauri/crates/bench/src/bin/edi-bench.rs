//! `cargo run --release -p pd-bench --bin edi-bench -- [--megabytes N] [--runs N]`: EDI
//! recognition throughput on a file of many interchanges (X12 and EDIFACT).

use pd_bench::args::Flags;
use pd_bench::edi_bench::{self, EdiBenchConfig};

fn main() {
    let outcome = (|| {
        let flags = Flags::parse(std::env::args().skip(1), &["megabytes", "runs"])?;
        let d = EdiBenchConfig::default();
        let config = EdiBenchConfig {
            megabytes: flags.count("megabytes", d.megabytes)?.max(1),
            runs: flags.count("runs", d.runs)?.max(1),
        };
        println!("edi-bench on {}", pd_bench::machine_line());
        let reports = edi_bench::run(&config)?;
        println!("\n| file | size | best | median |\n|---|---|---|---|");
        for r in &reports {
            println!("{}", r.to_markdown_row());
        }
        Ok::<(), pd_bench::BenchError>(())
    })();
    if let Err(err) = outcome {
        eprintln!("edi-bench: {err}");
        std::process::exit(1);
    }
}
