//! A burst of log lines as large as the log's queue ([`pd_app::logging::BUFFERED_LINES`], kept
//! small for the app's memory) all reach the log file: none is dropped while the writer thread
//! catches up.

use std::io::Write;

#[test]
fn a_burst_of_lines_as_large_as_the_queue_all_reach_the_file() {
    let root = tempfile::tempdir().expect("tempdir");
    let logs = root.path().join("logs");
    let (mut writer, guard) = pd_app::logging::file_writer(&logs).expect("log writer");
    let burst = pd_app::logging::BUFFERED_LINES;
    for n in 0..burst {
        writer
            .write_all(format!("burst line {n}\n").as_bytes())
            .expect("queued");
    }
    drop(guard);
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&logs).expect("logs") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("log");
        seen.extend(
            text.lines()
                .filter_map(|l| l.strip_prefix("burst line "))
                .map(str::to_string),
        );
    }
    assert_eq!(seen.len(), burst, "every line of the burst is in the log");
    let last = (burst - 1).to_string();
    assert_eq!(seen.last(), Some(&last), "in order, the last one too");
}
