//! Runs `edi-bench`'s core on small files so it cannot rot: the generated files are valid and
//! every interchange is counted. Nothing about speed is asserted.

use pd_bench::edi_bench::{self, EdiBenchConfig};

#[test]
fn edi_bench_recognizes_every_generated_interchange() {
    let reports = edi_bench::run(&EdiBenchConfig {
        megabytes: 1,
        runs: 1,
    })
    .expect("edi bench");
    assert_eq!(reports.len(), 2);
    for r in &reports {
        assert!(r.bytes >= 1_000_000, "{}", r.standard);
        assert!(r.interchanges > 100, "{}: {}", r.standard, r.interchanges);
        assert_eq!(r.transactions, r.interchanges, "{}", r.standard);
    }
}
