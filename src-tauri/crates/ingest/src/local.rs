//! Local and network folders: file-system events (`notify` with `notify-debouncer-full`, renames
//! stitched) or, per folder, a polling scan for shares where events do not arrive; a full rescan
//! at start and on a schedule so files that arrived while the app was closed (or events the OS
//! dropped) are found. A file is taken once it is complete: size and modification time unchanged
//! over the settle interval and not modified within it; temporary names are skipped until
//! renamed; symbolic links are never followed. Files stay where they are; the ledger remembers
//! them (folder, path, size, modification time), so a restart takes nothing twice.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use notify::RecursiveMode;
use notify_debouncer_full::{new_debouncer, DebounceEventResult};
use pd_store::{IngestFile, IngestOutcome};

use crate::error::IngestError;
use crate::names::{display_name, is_temporary};
use crate::routing::FolderDefaults;
use crate::status::FolderState;
use crate::take::{
    commit, hash_stream, media_type, no_bucket_words, spool_stream, upload_of, Prepared,
};
use crate::IngestContext;

/// How a local folder notices new files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchMode {
    /// File-system events (local disks).
    Events,
    /// A scan every poll interval (network shares where events do not arrive).
    Polling,
}

/// One watched local folder.
#[derive(Debug, Clone)]
pub struct LocalFolderSpec {
    /// Defaults of the cases its files open (and its id and name).
    pub defaults: FolderDefaults,
    /// The folder.
    pub path: PathBuf,
    /// Whether files in subfolders are taken too.
    pub subfolders: bool,
    /// Events or polling.
    pub mode: WatchMode,
    /// Polling: how often to scan.
    pub poll_interval: Duration,
    /// How long size and modification time must stay unchanged.
    pub settle: Duration,
    /// Events: a full rescan this often (events missed by the OS).
    pub rescan_every: Duration,
}

/// How many files one transaction takes at most.
const BATCH: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Stamp {
    size: u64,
    mtime_ns: i64,
}

#[derive(Debug)]
struct Pending {
    stamp: Stamp,
    since: Instant,
    not_before: Instant,
    failures: u32,
}

/// The settle tracker and taker of one folder (synchronous; the runner drives it).
struct Folder {
    ctx: IngestContext,
    spec: LocalFolderSpec,
    pending: HashMap<PathBuf, Pending>,
    done: HashSet<(PathBuf, Stamp)>,
}

fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

fn stamp(meta: &std::fs::Metadata) -> Stamp {
    Stamp {
        size: meta.len(),
        mtime_ns: mtime_ns(meta),
    }
}

#[cfg(unix)]
fn path_key(rel: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    rel.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn path_key(rel: &Path) -> Vec<u8> {
    rel.to_string_lossy().as_bytes().to_vec()
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    a.len() == b.len() && a.modified().ok() == b.modified().ok()
}

impl Folder {
    fn id(&self) -> &str {
        &self.spec.defaults.folder_id
    }

    /// Walks the folder (subfolders when asked; links never followed), noting every file.
    fn scan(&mut self) -> Result<(), IngestError> {
        let root = self.spec.path.clone();
        let meta = std::fs::metadata(&root).map_err(|e| IngestError::io(&root, e))?;
        if !meta.is_dir() {
            return Err(IngestError::Invalid(format!(
                "{} is not a folder",
                root.display()
            )));
        }
        let mut stack = vec![root.clone()];
        let mut seen = HashSet::new();
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if dir == root => return Err(IngestError::io(&root, e)),
                Err(e) => {
                    tracing::warn!(dir = %dir.display(), error = %e, "subfolder not readable");
                    continue;
                }
            };
            for entry in entries.flatten() {
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                let path = entry.path();
                if kind.is_dir() {
                    let hidden = entry.file_name().to_string_lossy().starts_with('.');
                    if self.spec.subfolders && !hidden {
                        stack.push(path);
                    }
                } else if kind.is_file() {
                    seen.insert(path.clone());
                    self.observe(&path);
                }
            }
        }
        // Files that disappeared before they settled are forgotten.
        self.pending.retain(|p, _| seen.contains(p));
        Ok(())
    }

    /// Notes one path (after an event or in a scan).
    fn observe(&mut self, path: &Path) {
        let Ok(rel) = path.strip_prefix(&self.spec.path) else {
            return;
        };
        if !self.spec.subfolders && rel.components().count() != 1 {
            return;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let meta = match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_file() => meta,
            Ok(meta) if meta.is_dir() && self.spec.subfolders => {
                // A folder moved in: its files are found by walking it.
                self.walk_into(path);
                return;
            }
            _ => {
                self.pending.remove(path);
                return;
            }
        };
        if is_temporary(&name) {
            self.pending.remove(path);
            return;
        }
        let stamp = stamp(&meta);
        if self.done.contains(&(path.to_path_buf(), stamp)) {
            return;
        }
        let key = path_key(rel);
        match self
            .ctx
            .store
            .ingest_seen(self.id(), &key, stamp.size, stamp.mtime_ns)
        {
            Ok(Some(_)) => {
                self.pending.remove(path);
                self.done.insert((path.to_path_buf(), stamp));
                return;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "ledger lookup failed"),
        }
        let now = Instant::now();
        match self.pending.get_mut(path) {
            Some(p) if p.stamp == stamp => {}
            Some(p) => {
                p.stamp = stamp;
                p.since = now;
            }
            None => {
                self.pending.insert(
                    path.to_path_buf(),
                    Pending {
                        stamp,
                        since: now,
                        not_before: now,
                        failures: 0,
                    },
                );
            }
        }
    }

    fn walk_into(&mut self, dir: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_file() || kind.is_dir() {
                self.observe(&entry.path());
            }
        }
    }

    /// Files whose size and modification time stayed unchanged over the settle interval.
    fn due(&self) -> Vec<PathBuf> {
        let now = Instant::now();
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        let settle = self.spec.settle;
        let settle_ns = i64::try_from(settle.as_nanos()).unwrap_or(i64::MAX);
        let mut due: Vec<PathBuf> = self
            .pending
            .iter()
            .filter(|(_, p)| {
                now.duration_since(p.since) >= settle
                    && now >= p.not_before
                    && wall.saturating_sub(p.stamp.mtime_ns) >= settle_ns
            })
            .map(|(path, _)| path.clone())
            .collect();
        due.sort();
        due.truncate(BATCH);
        due
    }

    /// Reads and keeps one due file; `None` when it changed, vanished or is not a plain file.
    fn prepare(&mut self, path: &Path) -> Result<Option<Prepared>, IngestError> {
        let Some(expected) = self.pending.get(path).map(|p| p.stamp) else {
            return Ok(None);
        };
        let before = match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_file() => meta,
            Ok(_) => {
                self.pending.remove(path);
                return Ok(None);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // Deleted between listing and reading: nothing to take.
                self.pending.remove(path);
                return Ok(None);
            }
            Err(e) => return Err(IngestError::io(path, e)),
        };
        if stamp(&before) != expected {
            self.observe(path);
            return Ok(None);
        }
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Above the upload size limit: uploaded to S3 from where it is, or, with no bucket set
        // up, left where it is (said in words) and tried again later, nothing read.
        let large = match self.ctx.large.for_size(expected.size) {
            None => None,
            Some(route) => match route.target {
                Ok(target) => Some(target),
                Err(why) => {
                    return Err(IngestError::NoBucket(no_bucket_words(
                        &file_name,
                        expected.size,
                        route.threshold_bytes,
                        &why,
                    )))
                }
            },
        };
        let mut file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.pending.remove(path);
                return Ok(None);
            }
            Err(e) => return Err(IngestError::io(path, e)),
        };
        // The path may have been swapped for a link between the check and the open.
        let opened = file.metadata().map_err(|e| IngestError::io(path, e))?;
        if !opened.is_file() || !same_file(&before, &opened) {
            self.pending.remove(path);
            return Ok(None);
        }
        let (sha256, size, head, spool, upload) = match &large {
            None => {
                let (sha256, size, head, spool) = spool_stream(&self.ctx.spool_dir, &mut file)?;
                (sha256, size, head, spool, None)
            }
            Some(target) => {
                // Hashed as it streams by; no copy (memory and disk stay flat).
                let (sha256, size, head) = hash_stream(&mut file)?;
                let upload = upload_of(path, expected.mtime_ns, target);
                (sha256, size, head, path.to_path_buf(), Some(upload))
            }
        };
        let after = file.metadata().map_err(|e| IngestError::io(path, e))?;
        if stamp(&after) != expected || size != expected.size {
            // Written to while read: settle again.
            self.observe(path);
            if let Some(p) = self.pending.get_mut(path) {
                p.since = Instant::now();
            }
            return Ok(None);
        }
        let rel = path.strip_prefix(&self.spec.path).unwrap_or(path);
        let media_type = media_type(&head, &file_name);
        Ok(Some(Prepared {
            file: IngestFile {
                folder_id: self.spec.defaults.folder_id.clone(),
                folder_name: self.spec.defaults.folder_name.clone(),
                path: rel.to_string_lossy().into_owned(),
                path_key: path_key(rel),
                size,
                mtime_ns: expected.mtime_ns,
                sha256,
                media_type,
                document_name: display_name(&file_name),
                spool_path: upload
                    .is_none()
                    .then(|| spool.to_string_lossy().into_owned()),
                uploaded_by: self.ctx.uploaded_by.clone(),
                remote: false,
                upload,
            },
            head,
            spool,
            file_name,
        }))
    }

    /// Takes every due file, a batch per transaction. Returns how many were taken; the last
    /// read error (permission denied, ...) is returned for the status, the file retried later.
    fn take_due(&mut self) -> (u64, Option<IngestError>) {
        let mut taken = 0;
        let mut last_error = None;
        loop {
            let due = self.due();
            if due.is_empty() {
                break;
            }
            let mut prepared = Vec::new();
            let mut paths = Vec::new();
            for path in &due {
                match self.prepare(path) {
                    Ok(Some(p)) => {
                        prepared.push(p);
                        paths.push(path.clone());
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(path = %path.display(), error = %e, "file not taken yet");
                        if let Some(p) = self.pending.get_mut(path) {
                            p.failures += 1;
                            let pause =
                                Duration::from_millis(500) * 2u32.saturating_pow(p.failures.min(6));
                            p.not_before = Instant::now() + pause;
                        }
                        last_error = Some(e);
                    }
                }
            }
            if prepared.is_empty() {
                if last_error.is_some() || due.len() < BATCH {
                    break;
                }
                continue;
            }
            match commit(
                &self.ctx.store,
                &self.ctx.router,
                &self.spec.defaults,
                &prepared,
            ) {
                Ok(outcomes) => {
                    let queued = prepared.iter().zip(&outcomes).any(|(p, outcome)| {
                        p.file.upload.is_some() && matches!(outcome, IngestOutcome::Taken { .. })
                    });
                    if queued {
                        self.ctx.large.queued();
                    }
                    for (path, (p, outcome)) in paths.iter().zip(prepared.iter().zip(outcomes)) {
                        if matches!(
                            outcome,
                            IngestOutcome::Taken { .. } | IngestOutcome::Duplicate { .. }
                        ) {
                            taken += 1;
                        }
                        self.pending.remove(path);
                        self.done.insert((
                            path.clone(),
                            Stamp {
                                size: p.file.size,
                                mtime_ns: p.file.mtime_ns,
                            },
                        ));
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "files could not be written to the cache");
                    for path in &paths {
                        if let Some(p) = self.pending.get_mut(path) {
                            p.failures += 1;
                            p.not_before = Instant::now() + Duration::from_secs(2);
                        }
                    }
                    last_error = Some(e);
                    break;
                }
            }
        }
        (taken, last_error)
    }
}

/// Runs one local folder until `stop` is set: scan at start, events or polling, rescans, settle,
/// take. Errors (folder removed, permission denied) are shown on the status board in words and
/// retried by themselves. Blocking: run it on its own thread (see [`crate::run_local`]).
pub fn watch_local_blocking(ctx: IngestContext, spec: LocalFolderSpec, stop: Arc<AtomicBool>) {
    let id = spec.defaults.folder_id.clone();
    let board = ctx.status.clone();
    let run = board.begin_run(&id);
    let mut folder = Folder {
        ctx,
        spec,
        pending: HashMap::new(),
        done: HashSet::new(),
    };
    let tick =
        (folder.spec.settle / 4).clamp(Duration::from_millis(20), Duration::from_millis(250));
    let mut retry_pause = Duration::from_millis(500);
    'outer: while !stop.load(Ordering::Relaxed) {
        // (Re)start: the watcher, then a full scan.
        let (tx, rx) = mpsc::channel::<DebounceEventResult>();
        let mut _debouncer = None;
        let mut polling_reason = None;
        if folder.spec.mode == WatchMode::Events {
            let mode = if folder.spec.subfolders {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            match new_debouncer(Duration::from_millis(100), None, move |res| {
                let _ = tx.send(res);
            })
            .and_then(|mut d| d.watch(&folder.spec.path, mode).map(|()| d))
            {
                Ok(d) => _debouncer = Some(d),
                Err(e) => {
                    polling_reason = Some(format!(
                        "file-system events are not available here ({e}); scanning every {} s instead",
                        folder.spec.poll_interval.as_secs().max(1)
                    ));
                }
            }
        }
        if let Err(e) = folder.scan() {
            let state = match &e {
                IngestError::Io { kind, .. } if *kind == std::io::ErrorKind::NotFound => {
                    FolderState::Offline
                }
                _ => FolderState::Error,
            };
            board.set(&id, state, Some(format!("{e}; trying again by itself")));
            sleep_unless_stopped(&stop, retry_pause);
            retry_pause = (retry_pause * 2).min(Duration::from_secs(30));
            continue 'outer;
        }
        retry_pause = Duration::from_millis(500);
        let polling = _debouncer.is_none();
        board.set(
            &id,
            if polling {
                FolderState::Polling
            } else {
                FolderState::Watching
            },
            polling_reason.clone(),
        );
        let mut last_scan = Instant::now();
        let every = if polling {
            folder.spec.poll_interval
        } else {
            folder.spec.rescan_every
        };
        let mut error_shown = false;
        while !stop.load(Ordering::Relaxed) {
            match rx.recv_timeout(tick) {
                Ok(Ok(events)) => {
                    let mut rescan = false;
                    for event in events {
                        if event.need_rescan() {
                            rescan = true;
                        }
                        for path in &event.paths {
                            if path == &folder.spec.path {
                                rescan = true;
                            } else {
                                folder.observe(path);
                            }
                        }
                    }
                    while let Ok(more) = rx.try_recv() {
                        match more {
                            Ok(events) => {
                                for event in events {
                                    rescan |= event.need_rescan();
                                    for path in &event.paths {
                                        folder.observe(path);
                                    }
                                }
                            }
                            Err(_) => rescan = true,
                        }
                    }
                    if rescan {
                        last_scan = Instant::now() - every;
                    }
                }
                Ok(Err(errors)) => {
                    tracing::warn!(?errors, "file-system watcher errors; rescanning");
                    last_scan = Instant::now() - every;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    if !polling {
                        continue 'outer;
                    }
                    std::thread::sleep(tick);
                }
            }
            if last_scan.elapsed() >= every || !folder.spec.path.is_dir() {
                last_scan = Instant::now();
                if let Err(e) = folder.scan() {
                    let state = match &e {
                        IngestError::Io { kind, .. } if *kind == std::io::ErrorKind::NotFound => {
                            FolderState::Offline
                        }
                        _ => FolderState::Error,
                    };
                    board.set(&id, state, Some(format!("{e}; trying again by itself")));
                    sleep_unless_stopped(&stop, retry_pause);
                    continue 'outer;
                }
            }
            let (taken, error) = folder.take_due();
            let waiting = folder.pending.len() as u64;
            board.update(&id, |s| {
                s.taken_now += taken;
                s.waiting = waiting;
            });
            match error {
                Some(e) => {
                    board.set(
                        &id,
                        FolderState::Error,
                        Some(format!("{e}; trying again by itself")),
                    );
                    error_shown = true;
                }
                None if error_shown && taken > 0 => {
                    board.set(
                        &id,
                        if polling {
                            FolderState::Polling
                        } else {
                            FolderState::Watching
                        },
                        polling_reason.clone(),
                    );
                    error_shown = false;
                }
                None => {}
            }
        }
    }
    board.end_run(&id, run);
}

fn sleep_unless_stopped(stop: &AtomicBool, pause: Duration) {
    let until = Instant::now() + pause;
    while !stop.load(Ordering::Relaxed) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    fn folder(dir: &Path) -> Folder {
        let root = dir.join("drop");
        std::fs::create_dir_all(&root).unwrap();
        Folder {
            ctx: IngestContext {
                store: pd_store::Store::open(dir.join("cache.db")).unwrap(),
                router: Arc::new(crate::Router::v1()),
                spool_dir: dir.join("spool"),
                uploaded_by: "drop folder".into(),
                status: crate::StatusBoard::default(),
                large: crate::LargeFiles::default(),
            },
            spec: LocalFolderSpec {
                defaults: FolderDefaults {
                    folder_id: "f1".into(),
                    folder_name: "Inbound".into(),
                    partner_id: "acme".into(),
                    case_kind: pd_domain::CaseKind::Other,
                    owner: None,
                },
                path: root,
                subfolders: false,
                mode: WatchMode::Polling,
                poll_interval: Duration::from_millis(100),
                settle: Duration::ZERO,
                rescan_every: Duration::from_secs(300),
            },
            pending: HashMap::new(),
            done: HashSet::new(),
        }
    }

    /// The exact window the watcher test cannot hit by timing: the file was listed and is due,
    /// then deleted before it is opened. Nothing is taken, nothing is an error, nothing waits.
    #[test]
    fn a_file_deleted_between_listing_and_reading_is_not_taken_and_is_no_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut folder = folder(dir.path());
        let path = folder.spec.path.join("gone.pdf");
        std::fs::write(&path, b"%PDF-1.4 gone").unwrap();
        let kept = folder.spec.path.join("kept.pdf");
        std::fs::write(&kept, b"%PDF-1.4 kept").unwrap();
        folder.scan().unwrap();
        let mut listed = vec![path.clone(), kept.clone()];
        listed.sort();
        assert_eq!(folder.due(), listed, "both listed and due");
        std::fs::remove_file(&path).unwrap();
        // Read directly: the file is gone, so nothing.
        assert!(folder.prepare(&path).unwrap().is_none());
        assert!(
            !folder.pending.contains_key(&path),
            "forgotten, not retried"
        );
        // Through the taker: the other file is taken, no error is reported.
        let (taken, error) = folder.take_due();
        assert_eq!(taken, 1);
        assert!(error.is_none(), "{error:?}");
        let rows = folder
            .ctx
            .store
            .ingest_ledger(&pd_store::LedgerFilter::default())
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].path, "kept.pdf");
        assert!(folder.pending.is_empty());
    }
}
