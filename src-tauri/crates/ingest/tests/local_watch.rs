//! Local folders watched in-process over real files: slow writes are not taken before they are
//! complete, `x.part` renamed to `x.pdf` is taken once as `x.pdf`, hostile names (unicode,
//! newlines, 255-byte names, links pointing outside, a file deleted before it was read) are
//! handled, polling works without events, and a removed folder shows as offline in words and
//! comes back by itself.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pd_domain::CaseKind;
use pd_ingest::{
    watch_local_blocking, FolderDefaults, FolderState, IngestContext, LocalFolderSpec, Router,
    StatusBoard, WatchMode,
};
use pd_store::Store;
use sha2::{Digest, Sha256};

struct Running {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    board: StatusBoard,
    db: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn watch(
    dir: &Path,
    folder: &Path,
    mode: WatchMode,
    settle: Duration,
    subfolders: bool,
) -> Running {
    let db = dir.join("cache.db");
    let board = StatusBoard::default();
    let ctx = IngestContext {
        store: Store::open(&db).unwrap(),
        router: Arc::new(Router::v1()),
        spool_dir: dir.join("spool"),
        uploaded_by: "drop folder".into(),
        status: board.clone(),
        large: pd_ingest::LargeFiles::default(),
    };
    let spec = LocalFolderSpec {
        defaults: FolderDefaults {
            folder_id: "f1".into(),
            folder_name: "Inbound".into(),
            partner_id: "acme".into(),
            case_kind: CaseKind::Other,
            owner: None,
        },
        path: folder.to_path_buf(),
        subfolders,
        mode,
        poll_interval: Duration::from_millis(200),
        settle,
        rescan_every: Duration::from_secs(300),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let stop = stop.clone();
        std::thread::spawn(move || watch_local_blocking(ctx, spec, stop))
    };
    Running {
        stop,
        thread: Some(thread),
        board,
        db,
    }
}

fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < limit, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn a_file_written_slowly_is_taken_only_once_complete() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("drop");
    std::fs::create_dir(&folder).unwrap();
    let run = watch(
        dir.path(),
        &folder,
        WatchMode::Events,
        Duration::from_secs(2),
        false,
    );
    // 1 KiB per second over 30 s.
    let mut file = std::fs::File::create(folder.join("slow.pdf")).unwrap();
    let mut written = Vec::new();
    for second in 0..30u8 {
        let chunk = vec![b'a' + (second % 26); 1024];
        file.write_all(&chunk).unwrap();
        file.flush().unwrap();
        written.extend_from_slice(&chunk);
        std::thread::sleep(Duration::from_secs(1));
        assert_eq!(
            support::ledger_count(&run.db),
            0,
            "taken while still being written ({} KiB)",
            second + 1
        );
    }
    drop(file);
    wait_for("the complete file", Duration::from_secs(20), || {
        support::ledger_count(&run.db) == 1
    });
    let rows = support::assert_each_once_on_a_case(&run.db);
    let row = &rows["slow.pdf"];
    assert_eq!(row.size, 30 * 1024);
    assert_eq!(row.sha256, sha(&written));
}

#[test]
fn a_part_file_renamed_to_pdf_is_taken_once_as_the_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("drop");
    std::fs::create_dir(&folder).unwrap();
    let settle = Duration::from_millis(300);
    let run = watch(dir.path(), &folder, WatchMode::Events, settle, false);
    std::fs::write(folder.join("x.part"), b"%PDF-1.7 invoice").unwrap();
    std::fs::write(folder.join("~$draft.docx"), b"lock").unwrap();
    std::fs::write(folder.join(".hidden"), b"dot").unwrap();
    std::thread::sleep(settle * 4);
    assert_eq!(
        support::ledger_count(&run.db),
        0,
        "temporary names are skipped"
    );
    std::fs::rename(folder.join("x.part"), folder.join("x.pdf")).unwrap();
    wait_for("x.pdf", Duration::from_secs(10), || {
        support::ledger_count(&run.db) == 1
    });
    std::thread::sleep(settle * 4);
    let rows = support::assert_each_once_on_a_case(&run.db);
    assert_eq!(rows.len(), 1);
    assert!(rows.contains_key("x.pdf"), "{rows:?}");
}

#[test]
fn hostile_names_links_and_vanishing_files() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("drop");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(folder.join("sub")).unwrap();
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), b"not for the folder").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(outside.join("secret.txt"), folder.join("link.txt")).unwrap();
        std::os::unix::fs::symlink(&outside, folder.join("linked-dir")).unwrap();
    }
    let unicode = "Überweisung 請求書 ✓.pdf";
    let newline = "line\nbreak.txt";
    let long = format!("{}.txt", "n".repeat(251));
    assert_eq!(long.len(), 255);
    std::fs::write(folder.join(unicode), b"u").unwrap();
    std::fs::write(folder.join(newline), b"n").unwrap();
    std::fs::write(folder.join(&long), b"l").unwrap();
    std::fs::write(folder.join("sub").join("nested.csv"), b"s").unwrap();
    let settle = Duration::from_millis(1500);
    let run = watch(dir.path(), &folder, WatchMode::Events, settle, true);
    // Seen, then deleted before it settled: never taken, no error.
    std::fs::write(folder.join("gone.pdf"), b"g").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    std::fs::remove_file(folder.join("gone.pdf")).unwrap();
    wait_for("the four files", Duration::from_secs(15), || {
        support::ledger_count(&run.db) == 4
    });
    std::thread::sleep(settle * 2);
    let rows = support::assert_each_once_on_a_case(&run.db);
    let mut paths: Vec<&str> = rows.keys().map(String::as_str).collect();
    paths.sort();
    let mut expected = vec![unicode, newline, long.as_str(), "sub/nested.csv"];
    expected.sort();
    assert_eq!(
        paths, expected,
        "links are not followed, the deleted file is not taken"
    );
    let conn = rusqlite::Connection::open(&run.db).unwrap();
    let name: String = conn
        .query_row(
            "SELECT name FROM documents WHERE id = ?1",
            [rows[newline].document_id.as_deref().unwrap()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(name, "line break.txt", "a document name is one line");
    let status = run.board.get("f1").unwrap();
    assert_eq!(status.state, FolderState::Watching, "{status:?}");
}

#[test]
fn a_polled_folder_takes_files_and_a_removed_folder_shows_offline_then_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("share");
    std::fs::create_dir(&folder).unwrap();
    let run = watch(
        dir.path(),
        &folder,
        WatchMode::Polling,
        Duration::from_millis(200),
        false,
    );
    std::fs::write(folder.join("one.csv"), b"1").unwrap();
    wait_for("one.csv", Duration::from_secs(10), || {
        support::ledger_count(&run.db) == 1
    });
    assert_eq!(run.board.get("f1").unwrap().state, FolderState::Polling);
    std::fs::remove_dir_all(&folder).unwrap();
    wait_for("offline", Duration::from_secs(10), || {
        run.board.get("f1").unwrap().state == FolderState::Offline
    });
    let reason = run.board.get("f1").unwrap().reason.unwrap();
    assert!(
        reason.contains("not found") && reason.contains("trying again"),
        "{reason}"
    );
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("two.csv"), b"2").unwrap();
    wait_for(
        "two.csv after the folder came back",
        Duration::from_secs(20),
        || support::ledger_count(&run.db) == 2,
    );
    assert_eq!(run.board.get("f1").unwrap().state, FolderState::Polling);
    support::assert_each_once_on_a_case(&run.db);
}
