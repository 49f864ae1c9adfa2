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
        sftp_files: 5,
        sftp_poll: Duration::from_millis(200),
        sftp_spacing: Duration::from_millis(20),
        sftp_burst: 20,
    })
    .expect("folder bench");
    assert_eq!(report.files, 5);
    assert_eq!(report.latency.samples, 5);
    assert_eq!(report.burst, 40);
    assert!(report.to_markdown().contains("burst of 40 files"));
    // The SFTP side (a real sshd) when OpenSSH is installed, as CI's test peers are.
    match &report.sftp {
        Some(sftp) => {
            assert_eq!(sftp.latency.samples, 5);
            assert_eq!(sftp.burst, 20);
            assert!(report
                .to_markdown()
                .contains("SFTP folder: burst of 20 files"));
        }
        None => assert!(
            std::env::var("PD_REQUIRE_TEST_PEERS").as_deref() != Ok("1"),
            "PD_REQUIRE_TEST_PEERS=1 but sshd is missing"
        ),
    }
}
