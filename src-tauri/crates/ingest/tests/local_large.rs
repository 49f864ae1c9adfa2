//! Files above the upload size limit (the limit lowered by setting to 1,000 bytes) dropped into
//! a watched folder while `pd-ingest-run` is SIGKILLed mid-intake and started again: each file
//! is queued once for the S3 upload queue in the transaction of its ledger row (upload id =
//! the ledger's document id), read from where it is (no copy in the spool); then the queue
//! (`pd-transfer`'s `Uploader`, against a real `s3s-fs`) uploads each and records each document
//! once on its case, also when run again. With no bucket set up, a large file is not taken: it
//! stays in the folder, no ledger row, the reason in words.
//!
//! `PD_REQUIRE_TEST_PEERS=1 PD_S3S_FS=...` makes a missing `s3s-fs` a failure instead of a skip.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pd_connectors::{ConnectorOptions, S3Client};
use pd_domain::S3Settings;
use pd_s3test::{S3Peer, ACCESS_KEY, REGION, SECRET_KEY};
use pd_store::{Store, UploadState};
use pd_transfer::{Finished, Uploader};
use sha2::{Digest, Sha256};

const BUCKET: &str = "drops";

fn start(db: &Path, folder: &Path, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_pd-ingest-run"))
        .arg("--db")
        .arg(db)
        .arg("--folder")
        .arg(folder)
        .args(["--settle-ms", "150", "--partner", "acme"])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .expect("pd-ingest-run starts")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn body(k: usize, i: usize) -> Vec<u8> {
    format!("large file {k} {i} of the burst\n")
        .repeat(40 + (k * 7 + i) % 60)
        .into_bytes()
}

/// (path, ledger document id, outcome) per ledger row.
fn ledger(db: &Path) -> Vec<(String, Option<String>, String)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT path, document_id, outcome FROM ingest_ledger ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn large_files_are_queued_once_across_kills_and_each_becomes_one_s3_document() {
    let Some(peer) = S3Peer::s3s_fs(&[BUCKET]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("drop");
    std::fs::create_dir(&folder).unwrap();
    let db = dir.path().join("cache.db");
    let large = ["--large-over", "1000", "--bucket", BUCKET];
    let mut expected: HashMap<String, String> = HashMap::new();
    let per_burst = 80;
    for k in 0..3 {
        let mut child = Some(start(&db, &folder, &large));
        let before = support::ledger_count(&db);
        // Killed while this burst is still arriving: after a varying part of it was taken.
        let target = before + 5 + (k as i64 * 13) % 30;
        for i in 0..per_burst {
            let name = format!("scan-{k}-{i:03}.pdf");
            let bytes = body(k, i);
            assert!(bytes.len() > 1000);
            std::fs::write(folder.join(&name), &bytes).unwrap();
            expected.insert(name, hex(&Sha256::digest(&bytes)));
            if i % 8 == 7 {
                // Arriving over about a second, so they settle (and are taken) batch by batch.
                std::thread::sleep(Duration::from_millis(60));
            }
            if child.is_some() && support::ledger_count(&db) >= target {
                let mut running = child.take().unwrap();
                running.kill().expect("SIGKILL");
                running.wait().unwrap();
                eprintln!(
                    "burst {k}: killed at {} taken, file {i} of {per_burst} written",
                    support::ledger_count(&db)
                );
            }
        }
        assert!(
            child.is_none(),
            "burst {k}: nothing was taken while it arrived"
        );
    }
    let last = start(
        &db,
        &folder,
        &[&large[..], &["--exit-when-idle-ms", "1500"]].concat(),
    );
    assert!(last.wait_with_output().unwrap().status.success());

    // Each file once in the ledger, each with one queued upload of its own bytes, read from
    // the folder (nothing kept in the spool), no document yet.
    let rows = ledger(&db);
    assert_eq!(rows.len(), expected.len(), "every file taken, none lost");
    let store = Store::open(&db).unwrap();
    let queued = store.uploads_in(&[UploadState::Queued]).unwrap();
    assert_eq!(queued.len(), expected.len(), "one upload per file");
    let by_id: HashMap<&str, &pd_store::UploadRecord> =
        queued.iter().map(|u| (u.upload.id.as_str(), u)).collect();
    let mut seen = std::collections::HashSet::new();
    for (path, document_id, outcome) in &rows {
        assert_eq!(outcome, "taken", "{path}");
        assert!(seen.insert(path.clone()), "{path} twice in the ledger");
        let id = document_id.as_deref().expect("the upload's id");
        let upload = by_id
            .get(id)
            .unwrap_or_else(|| panic!("{path}: no upload {id}"));
        assert_eq!(
            upload.upload.path,
            folder.join(path),
            "read from where it is"
        );
        assert_eq!(&upload.upload.sha256, &expected[path], "{path}");
        assert_eq!(upload.upload.bucket, BUCKET);
        assert!(store.document_delivery(id).is_ok());
    }
    let spool = dir.path().join("cache.db.spool");
    let kept = std::fs::read_dir(&spool).map_or(0, |d| d.count());
    assert_eq!(kept, 0, "no copies of large files in the spool");

    // The queue uploads each (a real S3 server) and records each document once.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let s3 = S3Client::new(
        &S3Settings {
            endpoint: Some(peer.endpoint()),
            region: REGION.into(),
            bucket: BUCKET.into(),
            access_key_id: ACCESS_KEY.into(),
        },
        Some(SECRET_KEY),
        &ConnectorOptions::default(),
    )
    .unwrap();
    let uploader = Uploader::new(store.clone(), s3.clone());
    let progress: pd_transfer::Progress = std::sync::Arc::new(|_| {});
    runtime.block_on(async {
        // Four at a time, as the app's queue may; then once more, which records nothing new.
        for round in 0..2 {
            let mut running = tokio::task::JoinSet::new();
            for upload in queued.clone() {
                if running.len() >= 4 {
                    running.join_next().await.unwrap().unwrap();
                }
                let (uploader, progress) = (uploader.clone(), progress.clone());
                running.spawn(async move {
                    let (_tx, mut rx) = tokio::sync::watch::channel(None);
                    let done = uploader
                        .run(&upload.upload.id, &mut rx, &progress)
                        .await
                        .unwrap_or_else(|e| panic!("round {round}: {}: {e}", upload.upload.name));
                    assert_eq!(done, Finished::Done);
                });
            }
            while let Some(joined) = running.join_next().await {
                joined.unwrap();
            }
        }
        for upload in queued.iter().take(3) {
            let head = s3
                .head_object(&upload.upload.object_key)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(head.size, upload.upload.size);
        }
    });
    let conn = rusqlite::Connection::open(&db).unwrap();
    for (path, document_id, _) in &rows {
        let id = document_id.as_deref().unwrap();
        let (sha, location): (String, String) = conn
            .query_row(
                "SELECT sha256, location_json FROM documents WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap_or_else(|e| panic!("{path}: no document {id}: {e}"));
        assert_eq!(&sha, &expected[path]);
        assert!(location.contains(BUCKET), "{location}");
        let entries: i64 = conn
            .query_row("SELECT count(*) FROM outbox WHERE op_id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(entries, 1, "{path}: its record queued once");
    }
    let documents: i64 = conn
        .query_row("SELECT count(*) FROM documents", [], |r| r.get(0))
        .unwrap();
    assert_eq!(documents as usize, expected.len(), "one document per file");
}

#[test]
fn with_no_bucket_a_large_file_stays_in_the_folder_untaken_said_in_words_then_taken_once_set_up() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("drop");
    std::fs::create_dir(&folder).unwrap();
    let db = dir.path().join("cache.db");
    std::fs::write(folder.join("small.pdf"), b"%PDF-1.4 small").unwrap();
    std::fs::write(folder.join("camera.mp4"), vec![7u8; 4000]).unwrap();
    let bucket_set_up = Arc::new(AtomicBool::new(false));
    let woken = Arc::new(AtomicBool::new(false));
    let large = {
        let (set_up, woken) = (bucket_set_up.clone(), woken.clone());
        pd_ingest::LargeFiles::new(
            move || pd_ingest::LargeFileRoute {
                threshold_bytes: 1000,
                target: if set_up.load(Ordering::Relaxed) {
                    Ok(pd_ingest::S3Target {
                        bucket: BUCKET.into(),
                        connector_id: None,
                        part_size: 5 * 1024 * 1024,
                    })
                } else {
                    Err("no S3 connector is set up for documents".into())
                },
            },
            move || woken.store(true, Ordering::Relaxed),
        )
    };
    let board = pd_ingest::StatusBoard::default();
    let ctx = pd_ingest::IngestContext {
        store: Store::open(&db).unwrap(),
        router: Arc::new(pd_ingest::Router::v1()),
        spool_dir: dir.path().join("spool"),
        uploaded_by: "drop folder".into(),
        status: board.clone(),
        large,
    };
    let spec = pd_ingest::LocalFolderSpec {
        defaults: pd_ingest::FolderDefaults {
            folder_id: "f1".into(),
            folder_name: "Camera exports".into(),
            partner_id: "acme".into(),
            case_kind: pd_domain::CaseKind::Other,
            owner: None,
        },
        path: folder.clone(),
        subfolders: false,
        mode: pd_ingest::WatchMode::Events,
        poll_interval: Duration::from_millis(200),
        settle: Duration::from_millis(200),
        rescan_every: Duration::from_secs(300),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let stop = stop.clone();
        std::thread::spawn(move || pd_ingest::watch_local_blocking(ctx, spec, stop))
    };
    let wait = |what: &str, check: &dyn Fn() -> bool| {
        let started = Instant::now();
        while !check() {
            assert!(
                started.elapsed() < Duration::from_secs(40),
                "waited for {what}: {:?}",
                board.get("f1")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait("the reason in words", &|| {
        board
            .get("f1")
            .and_then(|s| s.reason)
            .is_some_and(|r| r.contains("camera.mp4"))
    });
    let status = board.get("f1").unwrap();
    assert_eq!(status.state, pd_ingest::FolderState::Error);
    let words = status.reason.unwrap();
    assert!(
        words.contains("camera.mp4 is 3.9 KiB, above the 1000 bytes the case server takes")
            && words.contains("no S3 connector is set up for documents")
            && words.contains("stays where it is"),
        "{words}"
    );
    let rows = ledger(&db);
    assert_eq!(rows.len(), 1, "only the small file is taken: {rows:?}");
    assert_eq!(rows[0].0, "small.pdf");
    assert_eq!(
        std::fs::read(folder.join("camera.mp4")).unwrap(),
        vec![7u8; 4000]
    );
    assert!(!woken.load(Ordering::Relaxed));

    // A bucket is set up: the file is taken by itself, once, queued for S3.
    bucket_set_up.store(true, Ordering::Relaxed);
    wait("the large file queued", &|| ledger(&db).len() == 2);
    std::thread::sleep(Duration::from_millis(600));
    stop.store(true, Ordering::Relaxed);
    thread.join().unwrap();
    let rows = ledger(&db);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1].0, "camera.mp4");
    let store = Store::open(&db).unwrap();
    let queued = store.uploads_in(&[UploadState::Queued]).unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(Some(queued[0].upload.id.clone()), rows[1].1);
    assert!(woken.load(Ordering::Relaxed), "the upload queue was told");
}
