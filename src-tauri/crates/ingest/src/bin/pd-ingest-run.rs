//! Watches one local folder into a cache file without the app: a support tool to drain a drop
//! folder, the process the crash tests kill at random points, and what `pd-bench` measures.
//!
//! `pd-ingest-run --db cache.db --folder DIR [--spool DIR] [--settle-ms 1000] [--poll-ms N]
//! [--subfolders] [--partner ID] [--kind other] [--owner LOGIN] [--exit-when-idle-ms N]
//! [--large-over BYTES --bucket NAME]`
//!
//! With `--large-over`, files above that many bytes are queued for the S3 upload queue of
//! `--bucket` (read from where they are; the app or `pd-upload-once` uploads them).
//!
//! `--poll-ms` switches the folder to polling (no file-system events). With
//! `--exit-when-idle-ms` it exits once nothing was waiting or taken for that long. It takes the
//! cache's lock first and refuses (exit status 3) while PartnerDesk has the workspace open.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pd_domain::CaseKind;
use pd_ingest::{
    watch_local_blocking, FolderDefaults, IngestContext, LocalFolderSpec, StatusBoard, WatchMode,
};
use pd_store::{CacheLock, Store};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn millis(args: &[String], name: &str) -> Result<Option<Duration>, String> {
    arg(args, name)
        .map(|v| {
            v.parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| format!("{name}: a whole number of milliseconds"))
        })
        .transpose()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(db), Some(folder)) = (arg(&args, "--db"), arg(&args, "--folder")) else {
        eprintln!("usage: pd-ingest-run --db FILE --folder DIR [--spool DIR] [--settle-ms N] [--poll-ms N] [--subfolders] [--partner ID] [--kind KIND] [--owner LOGIN] [--exit-when-idle-ms N]");
        return ExitCode::from(2);
    };
    let (settle, poll, idle) = match (
        millis(&args, "--settle-ms"),
        millis(&args, "--poll-ms"),
        millis(&args, "--exit-when-idle-ms"),
    ) {
        (Ok(s), Ok(p), Ok(i)) => (s.unwrap_or(Duration::from_secs(1)), p, i),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let kind = match arg(&args, "--kind") {
        None => CaseKind::Other,
        Some(k) => match CaseKind::parse(&k) {
            Some(k) => k,
            None => {
                eprintln!("--kind: one of shipment, invoice, order, compliance, onboarding, other");
                return ExitCode::from(2);
            }
        },
    };
    let db = PathBuf::from(db);
    let _lock = match CacheLock::try_acquire(&db, "pd-ingest-run") {
        Ok(lock) => lock,
        Err(e) => {
            eprintln!("{}: {e}", e.code());
            return ExitCode::from(3);
        }
    };
    let store = match Store::open(&db) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("{}: {e}", e.code());
            return ExitCode::from(1);
        }
    };
    let spool = arg(&args, "--spool").map_or_else(
        || {
            let mut s = db.as_os_str().to_owned();
            s.push(".spool");
            PathBuf::from(s)
        },
        PathBuf::from,
    );
    let folder = PathBuf::from(folder);
    let name = folder.file_name().map_or_else(
        || folder.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let status = StatusBoard::default();
    // The routing rules in the order saved in the cache (the default order when never saved).
    let rules = store.routing_rules().unwrap_or_else(|e| {
        eprintln!(
            "pd-ingest-run: the saved routing rules cannot be read ({e}); using the default order"
        );
        pd_domain::RoutingRuleSetting::defaults()
    });
    // Files above `--large-over` bytes are queued for the S3 upload queue of `--bucket`.
    let large = match (arg(&args, "--large-over"), arg(&args, "--bucket")) {
        (None, _) => pd_ingest::LargeFiles::default(),
        (Some(over), bucket) => {
            let Ok(threshold_bytes) = over.parse::<u64>() else {
                eprintln!("--large-over: a whole number of bytes");
                return ExitCode::from(2);
            };
            pd_ingest::LargeFiles::fixed(pd_ingest::LargeFileRoute {
                threshold_bytes,
                target: bucket
                    .map(|bucket| pd_ingest::S3Target {
                        bucket,
                        connector_id: None,
                        part_size: pd_connectors::MIN_PART_SIZE as u64,
                    })
                    .ok_or_else(|| "no S3 bucket was given (--bucket)".to_owned()),
            })
        }
    };
    let ctx = IngestContext {
        store,
        router: Arc::new(pd_ingest::edi::router(&rules)),
        spool_dir: spool,
        uploaded_by: "drop folder".to_string(),
        status: status.clone(),
        large,
    };
    let spec = LocalFolderSpec {
        defaults: FolderDefaults {
            folder_id: arg(&args, "--folder-id").unwrap_or_else(|| "folder".to_string()),
            folder_name: name,
            partner_id: arg(&args, "--partner").unwrap_or_else(|| "unassigned".to_string()),
            case_kind: kind,
            owner: arg(&args, "--owner"),
        },
        path: folder,
        subfolders: args.iter().any(|a| a == "--subfolders"),
        mode: if poll.is_some() {
            WatchMode::Polling
        } else {
            WatchMode::Events
        },
        poll_interval: poll.unwrap_or(Duration::from_secs(5)),
        settle,
        rescan_every: Duration::from_secs(300),
    };
    let id = spec.defaults.folder_id.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let stop = stop.clone();
        std::thread::spawn(move || watch_local_blocking(ctx, spec, stop))
    };
    let Some(idle) = idle else {
        let _ = worker.join();
        return ExitCode::SUCCESS;
    };
    let mut last = (u64::MAX, u64::MAX);
    let mut quiet_since = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(50));
        let s = status.get(&id).unwrap_or_default();
        let now = (s.taken_now, s.waiting);
        if now != last || s.waiting > 0 || matches!(s.state, pd_ingest::FolderState::Starting) {
            last = now;
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() >= idle {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = worker.join();
    let s = status.get(&id).unwrap_or_default();
    println!(
        "taken {} state {:?} {}",
        s.taken_now,
        s.state,
        s.reason.unwrap_or_default()
    );
    ExitCode::SUCCESS
}
