//! `folder-bench`: drop folders (issue 11) — how long a complete file takes to become a document
//! on a case, and how many files a burst is taken at. A local folder is watched by `pd-ingest`'s
//! real watcher (file-system events, the settle interval, the EDI routing rules) into a real
//! cache file. Latency: files are completed (renamed from `.part`) one every `spacing`; each
//! file's time is from its rename to its ledger row (written in the transaction that makes the
//! document), less the settle interval, as p50/p95/max. Burst: `burst` files written at once,
//! from the first write until the last is in the ledger.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use pd_domain::{CaseKind, RoutingRuleSetting};
use pd_ingest::{
    watch_local_blocking, FolderDefaults, IngestContext, LocalFolderSpec, StatusBoard, WatchMode,
};
use pd_store::{LedgerFilter, Store};

use crate::error::{BenchError, Result};
use crate::stats::Percentiles;

/// What to run.
#[derive(Debug, Clone)]
pub struct FolderBenchConfig {
    /// Files timed one by one.
    pub files: usize,
    /// Time between two completed files.
    pub spacing: Duration,
    /// The folder's settle interval.
    pub settle: Duration,
    /// Files written at once for the burst.
    pub burst: usize,
}

impl Default for FolderBenchConfig {
    fn default() -> Self {
        FolderBenchConfig {
            files: 1000,
            spacing: Duration::from_millis(20),
            settle: Duration::from_millis(500),
            burst: 10_000,
        }
    }
}

/// The figures.
#[derive(Debug, Clone)]
pub struct FolderBenchReport {
    /// Files timed.
    pub files: usize,
    /// Complete file to document, less the settle interval.
    pub latency: Percentiles,
    /// The settle interval used.
    pub settle: Duration,
    /// Burst size.
    pub burst: usize,
    /// First write to the last file in the ledger.
    pub burst_time: Duration,
}

/// A watched folder over a fresh cache.
struct Watched {
    store: Store,
    folder: std::path::PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watched {
    fn start(dir: &Path, settle: Duration) -> Result<Watched> {
        let folder = dir.join("inbound");
        std::fs::create_dir_all(&folder)?;
        let store = Store::open(dir.join("cache.db"))?;
        let ctx = IngestContext {
            store: store.clone(),
            router: Arc::new(pd_ingest::edi::router(&RoutingRuleSetting::defaults())),
            spool_dir: dir.join("spool"),
            uploaded_by: "drop folder".into(),
            status: StatusBoard::default(),
        };
        let spec = LocalFolderSpec {
            defaults: FolderDefaults {
                folder_id: "bench".into(),
                folder_name: "Bench inbound".into(),
                partner_id: "bench-partner".into(),
                case_kind: CaseKind::Other,
                owner: None,
            },
            path: folder.clone(),
            subfolders: false,
            mode: WatchMode::Events,
            poll_interval: Duration::from_secs(1),
            settle,
            rescan_every: Duration::from_secs(300),
        };
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || watch_local_blocking(ctx, spec, stop))
        };
        Ok(Watched {
            store,
            folder,
            stop,
            thread: Some(thread),
        })
    }

    fn taken(&self) -> Result<u64> {
        Ok(self.store.ingest_folder_counts("bench")?.taken)
    }

    fn wait_for(&self, n: u64, limit: Duration) -> Result<()> {
        let started = Instant::now();
        while self.taken()? < n {
            if started.elapsed() > limit {
                return Err(BenchError::Check(format!(
                    "only {} of {n} files taken after {limit:?}",
                    self.taken()?
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A small PDF-like file, distinct bytes each (no duplicates).
fn body(i: usize) -> Vec<u8> {
    format!("%PDF-1.4 bench file {i}\n").into_bytes()
}

/// Writes under a temporary name and renames: the file is complete at the rename.
fn complete(folder: &Path, name: &str, bytes: &[u8]) -> Result<SystemTime> {
    let part = folder.join(format!("{name}.part"));
    std::fs::write(&part, bytes)?;
    std::fs::rename(&part, folder.join(name))?;
    Ok(SystemTime::now())
}

/// Runs both measurements.
pub fn run(config: &FolderBenchConfig) -> Result<FolderBenchReport> {
    // Latency, one file every `spacing`.
    let dir = tempfile::tempdir()?;
    let watched = Watched::start(dir.path(), config.settle)?;
    let mut done_at = Vec::with_capacity(config.files);
    for i in 0..config.files {
        let name = format!("doc-{i:05}.pdf");
        done_at.push((name.clone(), complete(&watched.folder, &name, &body(i))?));
        std::thread::sleep(config.spacing);
    }
    watched.wait_for(
        config.files as u64,
        Duration::from_secs(120) + config.settle * 4,
    )?;
    let rows = watched.store.ingest_ledger(&LedgerFilter {
        limit: u32::try_from(config.files + 10).unwrap_or(u32::MAX),
        ..LedgerFilter::default()
    })?;
    let mut times = Vec::with_capacity(config.files);
    for (name, at) in &done_at {
        let row = rows
            .iter()
            .find(|r| &r.path == name)
            .ok_or_else(|| BenchError::Check(format!("{name} is not in the ledger")))?;
        if row.document_id.is_none() {
            return Err(BenchError::Check(format!("{name} has no document")));
        }
        let seen = chrono::DateTime::parse_from_rfc3339(&row.seen_at)
            .map_err(|e| BenchError::Check(format!("ledger time {}: {e}", row.seen_at)))?;
        let seen = SystemTime::from(seen.with_timezone(&chrono::Utc));
        let took = seen.duration_since(*at).unwrap_or_default();
        times.push(took.saturating_sub(config.settle));
    }
    drop(watched);

    // Burst: every file at once.
    let dir = tempfile::tempdir()?;
    let watched = Watched::start(dir.path(), config.settle)?;
    let started = Instant::now();
    for i in 0..config.burst {
        let name = format!("burst-{i:06}.pdf");
        complete(&watched.folder, &name, &body(1_000_000 + i))?;
    }
    watched.wait_for(config.burst as u64, Duration::from_secs(600))?;
    let burst_time = started.elapsed();
    let taken = watched.taken()?;
    if taken != config.burst as u64 {
        return Err(BenchError::Check(format!(
            "{taken} of {} burst files taken",
            config.burst
        )));
    }
    drop(watched);

    Ok(FolderBenchReport {
        files: config.files,
        latency: Percentiles::of(&times),
        settle: config.settle,
        burst: config.burst,
        burst_time,
    })
}

impl FolderBenchReport {
    /// The README's table rows.
    pub fn to_markdown(&self) -> String {
        use crate::stats::{ms, rate, secs};
        format!(
            "| local folder: complete file to document, after the {} settle interval, {} files one every few ms | p50 {} · p95 {} · max {} |\n\
             | local folder: burst of {} files written at once, taken | {} ({}) |",
            ms(self.settle),
            self.files,
            ms(self.latency.p50),
            ms(self.latency.p95),
            ms(self.latency.max),
            self.burst,
            secs(self.burst_time),
            rate(self.burst, self.burst_time)
        )
    }
}
