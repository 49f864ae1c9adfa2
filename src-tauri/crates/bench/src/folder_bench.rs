//! `folder-bench`: drop folders (issue 11) — how long a complete file takes to become a document
//! on a case, and how many files a burst is taken at. A local folder is watched by `pd-ingest`'s
//! real watcher (file-system events, the settle interval, the EDI routing rules) into a real
//! cache file. Latency: files are completed (renamed from `.part`) one every `spacing`; each
//! file's time is from its rename to its ledger row (written in the transaction that makes the
//! document), less the settle interval, as p50/p95/max. Burst: `burst` files written at once,
//! from the first write until the last is in the ledger.
//!
//! SFTP (when `/usr/sbin/sshd` is there): a real OpenSSH server started here (`pd-sshtest`),
//! polled by `pd-ingest`'s real SFTP job (`run_sftp`: two equal listings, download, take, move
//! to `processed/`). Latency: files completed on the server (renamed from `.part`) one every
//! `spacing`, each timed from its rename to its ledger row, the poll interval included (a file
//! is taken once two listings agree, so it waits one to two intervals). Burst: `sftp_burst`
//! files written at once until each is taken.

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
    /// SFTP: files timed one by one (0: no SFTP part).
    pub sftp_files: usize,
    /// SFTP: the folder's poll interval.
    pub sftp_poll: Duration,
    /// SFTP: time between two completed files (each file is downloaded, taken in its own
    /// transaction and moved, so a stream faster than that throughput measures a queue).
    pub sftp_spacing: Duration,
    /// SFTP: files written at once for the burst.
    pub sftp_burst: usize,
}

impl Default for FolderBenchConfig {
    fn default() -> Self {
        FolderBenchConfig {
            files: 1000,
            spacing: Duration::from_millis(20),
            settle: Duration::from_millis(500),
            burst: 10_000,
            sftp_files: 1000,
            sftp_poll: Duration::from_millis(500),
            sftp_spacing: Duration::from_millis(100),
            sftp_burst: 1000,
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
    /// The SFTP side (`None`: sshd is not installed here, or it was not asked for).
    pub sftp: Option<SftpReport>,
}

/// The SFTP side's figures.
#[derive(Debug, Clone)]
pub struct SftpReport {
    /// Files timed.
    pub files: usize,
    /// Complete file on the server to its ledger row and document, poll interval included.
    pub latency: Percentiles,
    /// The poll interval used.
    pub poll: Duration,
    /// Time between two completed files.
    pub spacing: Duration,
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
            large: pd_ingest::LargeFiles::default(),
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

    let sftp = if config.sftp_files == 0 {
        None
    } else {
        run_sftp(config)?
    };
    Ok(FolderBenchReport {
        files: config.files,
        latency: Percentiles::of(&times),
        settle: config.settle,
        burst: config.burst,
        burst_time,
        sftp,
    })
}

/// Seconds from `at` to a ledger row's `seen_at`.
fn took_since(seen_at: &str, at: SystemTime) -> Result<Duration> {
    let seen = chrono::DateTime::parse_from_rfc3339(seen_at)
        .map_err(|e| BenchError::Check(format!("ledger time {seen_at}: {e}")))?;
    let seen = SystemTime::from(seen.with_timezone(&chrono::Utc));
    Ok(seen.duration_since(at).unwrap_or_default())
}

/// The SFTP side: latency over `sftp_files`, then a burst of `sftp_burst`; `None` without sshd.
fn run_sftp(config: &FolderBenchConfig) -> Result<Option<SftpReport>> {
    // A real OpenSSH server, as the SFTP tests start one (`pd-sshtest`).
    let sshd = match pd_sshtest::SshServer::start("") {
        Ok(sshd) => sshd,
        Err(pd_sshtest::SshTestError::NotInstalled { binary }) => {
            eprintln!(
                "folder-bench: {binary} is not installed (apt openssh-server); no SFTP figures"
            );
            return Ok(None);
        }
        Err(error) => return Err(BenchError::Check(format!("sshd: {error}"))),
    };
    std::fs::create_dir_all(sshd.inbox().join("processed"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let settings = sshd.accepted();
    let inbound = sshd.inbox();
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path().join("cache.db"))?;
    let ctx = IngestContext {
        store: store.clone(),
        router: Arc::new(pd_ingest::edi::router(&RoutingRuleSetting::defaults())),
        spool_dir: dir.path().join("spool"),
        uploaded_by: "drop folder".into(),
        status: StatusBoard::default(),
        large: pd_ingest::LargeFiles::default(),
    };
    let spec = pd_ingest::SftpFolderSpec {
        defaults: FolderDefaults {
            folder_id: "bench".into(),
            folder_name: "Bench SFTP".into(),
            partner_id: "bench-partner".into(),
            case_kind: CaseKind::Other,
            owner: None,
        },
        settings,
        secret: None,
        remote_dir: inbound.to_string_lossy().into_owned(),
        processed_dir: "processed".into(),
        failed_dir: "failed".into(),
        poll_interval: config.sftp_poll,
        options: pd_connectors::ConnectorOptions::default(),
    };
    let job = runtime.spawn(pd_ingest::run_sftp(ctx, spec));
    let taken = |store: &Store| -> Result<u64> { Ok(store.ingest_folder_counts("bench")?.taken) };
    let wait_for = |n: u64, limit: Duration| -> Result<()> {
        let started = Instant::now();
        while taken(&store)? < n {
            if started.elapsed() > limit {
                return Err(BenchError::Check(format!(
                    "SFTP: only {} of {n} files taken after {limit:?}",
                    taken(&store)?
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    };
    // Latency, one file every `spacing`.
    let mut done_at = Vec::with_capacity(config.sftp_files);
    for i in 0..config.sftp_files {
        let name = format!("asn-{i:05}.pdf");
        done_at.push((
            name.clone(),
            complete(&inbound, &name, &body(2_000_000 + i))?,
        ));
        std::thread::sleep(config.sftp_spacing);
    }
    wait_for(
        config.sftp_files as u64,
        Duration::from_secs(300) + config.sftp_poll * 4,
    )?;
    let rows = store.ingest_ledger(&LedgerFilter {
        limit: u32::try_from(config.sftp_files + 10).unwrap_or(u32::MAX),
        ..LedgerFilter::default()
    })?;
    let mut times = Vec::with_capacity(config.sftp_files);
    for (name, at) in &done_at {
        let row = rows
            .iter()
            .find(|r| r.path.ends_with(&format!("/{name}")))
            .ok_or_else(|| BenchError::Check(format!("SFTP: {name} is not in the ledger")))?;
        if row.document_id.is_none() {
            return Err(BenchError::Check(format!("SFTP: {name} has no document")));
        }
        times.push(took_since(&row.seen_at, *at)?);
    }
    // Burst: every file at once.
    let before = taken(&store)?;
    let started = Instant::now();
    for i in 0..config.sftp_burst {
        let name = format!("burst-{i:06}.pdf");
        complete(&inbound, &name, &body(3_000_000 + i))?;
    }
    wait_for(before + config.sftp_burst as u64, Duration::from_secs(900))?;
    let burst_time = started.elapsed();
    job.abort();
    drop(runtime);
    let total = taken(&store)?;
    if total != (config.sftp_files + config.sftp_burst) as u64 {
        return Err(BenchError::Check(format!(
            "SFTP: {total} files taken, {} written",
            config.sftp_files + config.sftp_burst
        )));
    }
    Ok(Some(SftpReport {
        files: config.sftp_files,
        latency: Percentiles::of(&times),
        poll: config.sftp_poll,
        spacing: config.sftp_spacing,
        burst: config.sftp_burst,
        burst_time,
    }))
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
        ) + &self.sftp.as_ref().map_or(String::new(), |sftp| {
            format!(
                "\n| SFTP folder (OpenSSH on loopback): complete file on the server to document, polled every {}, {} files one every {} | p50 {} · p95 {} · max {} |\n\
                 | SFTP folder: burst of {} files written at once, each downloaded, taken and moved to processed/ | {} ({}) |",
                ms(sftp.poll),
                sftp.files,
                ms(sftp.spacing),
                ms(sftp.latency.p50),
                ms(sftp.latency.p95),
                ms(sftp.latency.max),
                sftp.burst,
                secs(sftp.burst_time),
                rate(sftp.burst, sftp.burst_time)
            )
        })
    }
}
