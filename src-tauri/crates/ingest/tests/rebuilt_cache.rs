//! A damaged cache is rebuilt (set aside, a new one started with what could be read): the files
//! a folder took before must not become new documents again. The ledger (and a large file's
//! queued upload) is read back from the damaged file; where a ledger row is lost, the same
//! bytes already on a case (the server's documents, back after the next sync) are linked to
//! that document instead of opening a new case.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod support;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pd_domain::{CaseBundle, CaseKind, CasePage, Document, DocumentLocation};
use pd_ingest::{
    watch_local_blocking, FolderDefaults, IngestContext, LargeFileRoute, LargeFiles,
    LocalFolderSpec, Router, S3Target, StatusBoard, WatchMode,
};
use pd_store::{OpenOutcome, Store, UploadState};
use sha2::{Digest, Sha256};

const SETTLE: Duration = Duration::from_millis(200);

/// Watches `folder` into `store` until `done` says so (or 30 s), then stops.
fn watch_until(store: &Store, dir: &Path, folder: &Path, done: impl Fn() -> bool) {
    let ctx = IngestContext {
        store: store.clone(),
        router: Arc::new(Router::v1()),
        spool_dir: pd_store::spool_dir_for(store.path()),
        uploaded_by: "drop folder".into(),
        status: StatusBoard::default(),
        large: LargeFiles::fixed(LargeFileRoute {
            threshold_bytes: 4096,
            target: Ok(S3Target {
                bucket: "drops".into(),
                connector_id: None,
                part_size: 5 * 1024 * 1024,
            }),
        }),
    };
    let _ = dir;
    let spec = LocalFolderSpec {
        defaults: FolderDefaults {
            folder_id: "f1".into(),
            folder_name: "Inbound".into(),
            partner_id: "acme".into(),
            case_kind: CaseKind::Other,
            owner: None,
        },
        path: folder.to_path_buf(),
        subfolders: false,
        mode: WatchMode::Events,
        poll_interval: Duration::from_millis(200),
        settle: SETTLE,
        rescan_every: Duration::from_secs(300),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let stop = stop.clone();
        std::thread::spawn(move || watch_local_blocking(ctx, spec, stop))
    };
    let started = Instant::now();
    while !done() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed);
    thread.join().unwrap();
}

fn count(db: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

/// Server-looking cases, to grow the file past what the folder wrote.
fn filler(page: usize, n: usize) -> CasePage {
    let now = chrono::Utc::now();
    CasePage {
        cases: (page * n..(page + 1) * n)
            .map(|i| CaseBundle {
                case: case(&format!("filler-{i:05}"), &format!("CASE-{i:06}"), now),
                comments: vec![],
                documents: vec![],
            })
            .collect(),
        next_cursor: "filler".into(),
        has_more: false,
    }
}

fn case(id: &str, reference: &str, now: chrono::DateTime<chrono::Utc>) -> pd_domain::Case {
    pd_domain::Case {
        id: id.into(),
        reference: reference.into(),
        title: format!("Case {reference}"),
        partner_id: "acme".into(),
        partner_name: "Acme".into(),
        kind: CaseKind::Other,
        status: pd_domain::CaseStatus::Open,
        priority: pd_domain::Priority::Normal,
        owner: None,
        sla_due: None,
        created_at: now,
        updated_at: now,
        linked_transactions: vec![],
        references: Default::default(),
        version: 1,
    }
}

#[test]
fn a_rebuilt_cache_keeps_the_ledger_and_nothing_is_taken_again() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("drop");
    std::fs::create_dir(&folder).unwrap();
    let db = dir.path().join("cache.db");
    for i in 0..30 {
        std::fs::write(
            folder.join(format!("remit-{i:02}.csv")),
            format!("remittance {i}\n"),
        )
        .unwrap();
    }
    // Above the (lowered) limit: queued for S3, read from where it is.
    std::fs::write(folder.join("scan.pdf"), vec![b'%'; 9000]).unwrap();
    {
        let store = Store::open(&db).unwrap();
        watch_until(&store, dir.path(), &folder, || {
            support::ledger_count(&db) == 31
        });
    }
    assert_eq!(support::ledger_count(&db), 31);
    let cases_before = count(&db, "SELECT count(*) FROM cases");
    let taken_len = std::fs::metadata(&db).unwrap().len();
    let mut full_len = taken_len;
    let mut page = 0;
    while full_len <= taken_len * 2 {
        let store = Store::open(&db).unwrap();
        store.apply_case_page(&filler(page, 500), "filler").unwrap();
        drop(store);
        full_len = std::fs::metadata(&db).unwrap().len();
        page += 1;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .unwrap()
        .set_len((taken_len + full_len) / 2)
        .unwrap();

    let (store, outcome) = Store::open_or_rebuild(&db).unwrap();
    assert!(
        matches!(outcome, OpenOutcome::Rebuilt { .. }),
        "{outcome:?}"
    );
    assert_eq!(support::ledger_count(&db), 31, "the ledger was read back");
    let uploads = store.uploads_in(&[UploadState::Queued]).unwrap();
    assert_eq!(uploads.len(), 1, "the large file's upload goes on");
    assert_eq!(uploads[0].upload.path, folder.join("scan.pdf"));
    assert_eq!(
        count(&db, "SELECT count(*) FROM cases"),
        cases_before,
        "the cases opened here are back (from the saved queue)"
    );

    // The same folder watched again over the rebuilt cache: nothing is taken again.
    std::fs::write(folder.join("new.csv"), b"a new file\n").unwrap();
    watch_until(&store, dir.path(), &folder, || {
        support::ledger_count(&db) >= 32
    });
    std::thread::sleep(SETTLE * 4);
    assert_eq!(support::ledger_count(&db), 32, "only the new file");
    assert_eq!(count(&db, "SELECT count(*) FROM cases"), cases_before + 1);
    assert_eq!(store.uploads_in(&[UploadState::Queued]).unwrap().len(), 1);
}

#[test]
fn with_the_ledger_lost_bytes_already_on_a_case_are_linked_not_opened_as_new_cases() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("drop");
    std::fs::create_dir(&folder).unwrap();
    let db = dir.path().join("cache.db");
    let store = Store::open(&db).unwrap();
    // As after a rebuild and the next sync: the server's case has the document the folder took
    // before; the ledger has no row for it.
    let bytes = b"%PDF-1.4 proof of delivery 7781\n".to_vec();
    let sha: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let now = chrono::Utc::now();
    store
        .apply_case_page(
            &CasePage {
                cases: vec![CaseBundle {
                    case: case("srv-1", "CASE-7781", now),
                    comments: vec![],
                    documents: vec![Document {
                        id: "doc-srv-1".into(),
                        case_id: "srv-1".into(),
                        name: "pod.pdf".into(),
                        size: bytes.len() as u64,
                        sha256: sha.clone(),
                        media_type: "application/pdf".into(),
                        location: DocumentLocation::Collab,
                        uploaded_by: "drop folder".into(),
                        uploaded_at: now,
                    }],
                }],
                next_cursor: "c1".into(),
                has_more: false,
            },
            "collab",
        )
        .unwrap();
    std::fs::write(folder.join("pod.pdf"), &bytes).unwrap();
    std::fs::write(folder.join("other.csv"), b"something new\n").unwrap();
    watch_until(&store, dir.path(), &folder, || {
        support::ledger_count(&db) == 2
    });
    let rows = support::rows(&db);
    let pod = rows.iter().find(|r| r.path == "pod.pdf").unwrap();
    assert_eq!(pod.outcome, "duplicate", "{pod:?}");
    assert_eq!(pod.case_id.as_deref(), Some("srv-1"));
    assert_eq!(pod.document_id.as_deref(), Some("doc-srv-1"));
    let detail: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT detail FROM ingest_ledger WHERE path = 'pod.pdf'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        detail.contains("CASE-7781 already has these bytes as \"pod.pdf\""),
        "{detail}"
    );
    // Only the new file opened a case; the linked one added no document.
    assert_eq!(count(&db, "SELECT count(*) FROM cases"), 2);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM documents WHERE case_id = 'srv-1'"
        ),
        1
    );
    let other = rows.iter().find(|r| r.path == "other.csv").unwrap();
    assert_eq!(other.outcome, "taken");
}
