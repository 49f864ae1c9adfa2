//! Open and save a case's documents (issue 10) against the demo workspace's real sandbox over
//! loopback: "Open" downloads the document, checks its SHA-256 and hands the right file to the
//! desktop's opener (a recorder here, as the shell's `tauri-plugin-opener`); the document then
//! opens with the server gone (kept offline) while one never downloaded says it is not available
//! offline; "Save as" copies it where the dialog says and a cancelled dialog saves nothing; a
//! full disk (a tiny tmpfs, as root) gives the words for it and leaves no partial file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use pd_app::commands as api;
use pd_app::desktop::Desktop;
use pd_app::state::AppState;
use pd_domain::{CaseQuery, Document, ErrorCode, TransferState, TransfersUpdate};

/// Records what the app asked of the desktop; answers the save dialog with `save_to`.
#[derive(Default)]
struct RecordingDesktop {
    opened: Mutex<Vec<PathBuf>>,
    save_to: Mutex<Option<PathBuf>>,
}

impl Desktop for RecordingDesktop {
    fn open_path(&self, path: &Path) -> Result<(), String> {
        self.opened.lock().unwrap().push(path.to_owned());
        Ok(())
    }
    fn choose_save_path(&self, _name: &str) -> Option<PathBuf> {
        self.save_to.lock().unwrap().clone()
    }
    fn choose_files(&self) -> Vec<PathBuf> {
        Vec::new()
    }
}

struct Collected(Arc<Mutex<Vec<TransfersUpdate>>>);

impl pd_app::stream::StreamSink<TransfersUpdate> for Collected {
    fn send(&self, message: TransfersUpdate) -> bool {
        self.0.lock().unwrap().push(message);
        true
    }
}

/// The demo workspace synced, with its desktop recorder, and every case document.
async fn demo_with_documents(
    dirs: &common::Dirs,
) -> (AppState, Arc<RecordingDesktop>, Vec<Document>) {
    let state = common::start(dirs).await;
    let desktop = Arc::new(RecordingDesktop::default());
    state.desktop.install(desktop.clone());
    let status = api::sync_now(&state).await.expect("sync");
    assert!(status.last_error.is_none(), "{:?}", status.last_error);
    let page = api::list_cases(
        &state,
        CaseQuery {
            limit: 500,
            ..CaseQuery::default()
        },
    )
    .await
    .expect("cases");
    let mut documents = Vec::new();
    for row in page.rows {
        let detail = api::get_case(&state, row.id).await.expect("case");
        documents.extend(detail.documents.into_iter().map(|d| d.document));
    }
    assert!(documents.len() >= 2, "the demo seeds documents");
    (state, desktop, documents)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_hands_the_checked_file_to_the_opener_and_it_stays_available_offline() {
    let Some(namespace) = common::keychain_namespace() else {
        return;
    };
    let dirs = common::Dirs::new(namespace);
    let (state, desktop, documents) = demo_with_documents(&dirs).await;
    let (first, second) = (&documents[0], &documents[1]);
    let updates = Arc::new(Mutex::new(Vec::new()));
    api::watch_transfers(&state, Box::new(Collected(updates.clone())))
        .await
        .unwrap();

    let opened = api::open_document(&state, first.case_id.clone(), first.id.clone())
        .await
        .expect("the document opens");
    let handed = desktop.opened.lock().unwrap().clone();
    assert_eq!(
        handed,
        vec![PathBuf::from(&opened.path)],
        "the opener got the file"
    );
    let bytes = std::fs::read(&handed[0]).unwrap();
    assert_eq!(bytes.len() as u64, first.size);
    assert_eq!(sha256_hex(&bytes), first.sha256.to_lowercase());
    assert_eq!(
        handed[0].file_name().unwrap().to_string_lossy(),
        pd_app::documents::file_name_for(&first.name),
        "the file carries the document's name, so the OS picks the right application"
    );
    assert!(handed[0].starts_with(dirs.data.join("documents")));
    let last = updates
        .lock()
        .unwrap()
        .last()
        .cloned()
        .expect("progress streamed");
    let download = last
        .transfers
        .iter()
        .find(|t| t.name == first.name)
        .expect("the download is in the Transfers list");
    assert_eq!(download.state, TransferState::Done);
    assert_eq!(download.done_bytes, first.size);
    let offline = api::offline_documents(&state, first.case_id.clone())
        .await
        .unwrap();
    assert!(offline.contains(&first.id));
    assert!(!offline.contains(&second.id) || second.case_id != first.case_id);

    // The server goes away: the kept document still opens, the other one says why not.
    state.current().close().await;
    api::open_document(&state, first.case_id.clone(), first.id.clone())
        .await
        .expect("a downloaded document opens offline");
    assert_eq!(desktop.opened.lock().unwrap().len(), 2);
    let refused = api::open_document(&state, second.case_id.clone(), second.id.clone())
        .await
        .expect_err("never downloaded and the server is gone");
    assert_eq!(refused.code(), ErrorCode::DocumentOffline, "{refused}");
    assert!(
        refused.to_string().contains(&second.name),
        "the message names the document: {refused}"
    );
    assert_eq!(
        desktop.opened.lock().unwrap().len(),
        2,
        "nothing else was opened"
    );
    state.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_as_writes_a_copy_where_the_dialog_says_and_a_cancel_writes_nothing() {
    let Some(namespace) = common::keychain_namespace() else {
        return;
    };
    let dirs = common::Dirs::new(namespace);
    let (state, desktop, documents) = demo_with_documents(&dirs).await;
    let document = &documents[0];
    let target = tempfile::tempdir().unwrap();

    let cancelled = api::save_document_as(&state, document.case_id.clone(), document.id.clone())
        .await
        .expect("a cancelled dialog is no error");
    assert!(cancelled.is_none());

    let dest = target.path().join("copy of the evidence.bin");
    *desktop.save_to.lock().unwrap() = Some(dest.clone());
    let saved = api::save_document_as(&state, document.case_id.clone(), document.id.clone())
        .await
        .expect("saved")
        .expect("the dialog chose a place");
    assert_eq!(PathBuf::from(saved.path), dest);
    let bytes = std::fs::read(&dest).unwrap();
    assert_eq!(sha256_hex(&bytes), document.sha256.to_lowercase());
    let names: Vec<_> = std::fs::read_dir(target.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names.len(),
        1,
        "only the saved file, no temporary: {names:?}"
    );
    state.shutdown().await;
}

/// A tmpfs of `kib` KiB mounted on `dir` (root only), unmounted on drop.
struct TinyDisk(PathBuf);

impl TinyDisk {
    fn mount(dir: &Path, kib: u32) -> Option<TinyDisk> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| TinyDisk(dir.to_owned()))
    }

    /// Fills the disk but for `leave` bytes.
    fn fill(&self, leave: usize) {
        let mut file = std::fs::File::create(self.0.join("filler")).unwrap();
        let chunk = vec![0_u8; 1024];
        use std::io::Write;
        while file.write_all(&chunk).is_ok() {}
        drop(file);
        let len = std::fs::metadata(self.0.join("filler")).unwrap().len();
        let keep = len.saturating_sub(leave as u64);
        std::fs::OpenOptions::new()
            .write(true)
            .open(self.0.join("filler"))
            .unwrap()
            .set_len(keep)
            .unwrap();
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_while_downloading_or_saving_says_so_and_leaves_nothing_half_written() {
    let Some(namespace) = common::keychain_namespace() else {
        return;
    };
    let dirs = common::Dirs::new(namespace);
    let (state, desktop, documents) = demo_with_documents(&dirs).await;
    let document = documents
        .iter()
        .max_by_key(|d| d.size)
        .expect("a document")
        .clone();
    let cache_dir = dirs.data.join("documents");
    let Some(disk) = TinyDisk::mount(&cache_dir, 64) else {
        assert!(
            std::env::var("PD_REQUIRE_TEST_PEERS").as_deref() != Ok("1"),
            "mounting a tmpfs needs root"
        );
        eprintln!("SKIPPED: mounting a tmpfs needs root");
        return;
    };
    disk.fill(0);
    let refused = api::open_document(&state, document.case_id.clone(), document.id.clone())
        .await
        .expect_err("the disk is full");
    assert_eq!(refused.code(), ErrorCode::IoDiskFull, "{refused}");
    assert!(refused.to_string().contains("disk is full"), "{refused}");
    assert!(
        desktop.opened.lock().unwrap().is_empty(),
        "nothing was opened"
    );
    let left: Vec<_> = files_under(&cache_dir)
        .into_iter()
        .filter(|p| !p.ends_with("filler"))
        .collect();
    assert!(left.is_empty(), "nothing half-written is kept: {left:?}");
    drop(disk);

    // Downloaded fine once there is room; then "Save as" onto a full disk.
    api::open_document(&state, document.case_id.clone(), document.id.clone())
        .await
        .expect("opens with room on the disk");
    let target = tempfile::tempdir().unwrap();
    let full = TinyDisk::mount(target.path(), 64).expect("mounted before");
    full.fill(0);
    *desktop.save_to.lock().unwrap() = Some(target.path().join("evidence.pdf"));
    let refused = api::save_document_as(&state, document.case_id.clone(), document.id.clone())
        .await
        .expect_err("the disk is full");
    assert_eq!(refused.code(), ErrorCode::IoDiskFull, "{refused}");
    let left: Vec<_> = files_under(target.path())
        .into_iter()
        .filter(|p| !p.ends_with("filler"))
        .collect();
    assert!(left.is_empty(), "nothing half-written is kept: {left:?}");
    drop(full);
    state.shutdown().await;
}
