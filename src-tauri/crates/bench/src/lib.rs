//! Benchmark programs for PartnerDesk's performance targets (DESIGN.md §5): first and no-change
//! sync, case-list query latency, push throughput and outbox drain, all against the in-process
//! sandbox on loopback. The binaries `sync-bench` and `push-bench` are thin wrappers over
//! [`sync_bench::run`] and [`push_bench::run`]; the smoke test runs both with tiny sizes.

pub mod args;
pub mod cluster;
pub mod edi_bench;
pub mod error;
pub mod folder_bench;
pub mod push_bench;
pub mod queries;
pub mod server_bench;
pub mod stats;
pub mod sync_bench;
pub mod world;

pub use error::{BenchError, Result};

/// CPU time this process has used so far (user + system, from `/proc/self/stat`): a figure
/// that other work on the machine changes far less than wall-clock time.
pub fn process_cpu_time() -> std::time::Duration {
    let ticks = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1.to_string();
            let fields: Vec<&str> = after.split_whitespace().collect();
            // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the name.
            let user: u64 = fields.get(11)?.parse().ok()?;
            let system: u64 = fields.get(12)?.parse().ok()?;
            Some(user + system)
        })
        .unwrap_or(0);
    // The kernel reports in USER_HZ, 100 on Linux.
    std::time::Duration::from_millis(ticks * 10)
}

/// The 1-minute load average now.
pub fn load_now() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// One line about the machine (cores and memory), for the report header.
pub fn machine_line() -> String {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| format!("{:.1} GiB RAM", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_else(|| "RAM unknown".into());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .map(|l| format!(", load average {l} at start"))
        .unwrap_or_default();
    format!(
        "{cores} cores, {mem}{load}, {} build",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    )
}
