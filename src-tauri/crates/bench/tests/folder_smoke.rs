//! Runs `folder-bench`'s core with a few files so it cannot rot: every file timed and every
//! burst file taken, each once. Nothing about speed is asserted.

use std::time::Duration;

use pd_bench::folder_bench::{self, FolderBenchConfig};

#[test]
fn folder_bench_times_every_file_and_takes_the_whole_burst() {
    let report = folder_bench::run(&FolderBenchConfig {
        files: 5,
        spacing: Duration::from_millis(20),
        settle: Duration::from_millis(200),
        burst: 40,
    })
    .expect("folder bench");
    assert_eq!(report.files, 5);
    assert_eq!(report.latency.samples, 5);
    assert_eq!(report.burst, 40);
    assert!(report.to_markdown().contains("burst of 40 files"));
}
