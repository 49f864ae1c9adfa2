//! SFTP folders against a real OpenSSH server started by the test (`pd-sshtest`: its own config,
//! keys and folders in a temp dir, `sshd -D`, stopped with every session process it started):
//! 1,000 files taken once and moved to `processed/`; the server
//! stopped mid-download and started again, the download resumed from its offset; the move
//! refused by the server (`internal-sftp -P rename`: permission denied), the file not taken twice
//! and the error shown; a file the server will not let us read (`internal-sftp -P read`) given up
//! after three polls, recorded as failed and moved to `failed/` beside a reason file; unknown and
//! changed host keys refused before anything is read.
//! `PD_SSHD` overrides `/usr/sbin/sshd`; without sshd the tests skip (fail with
//! `PD_REQUIRE_TEST_PEERS=1`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pd_connectors::ConnectorOptions;
use pd_domain::{CaseKind, SftpHostKey};
use pd_ingest::sftp::partial_path;
use pd_ingest::{
    run_sftp, FolderDefaults, FolderState, IngestContext, Router, SftpFolderSpec, SftpPoller,
    StatusBoard,
};
use pd_sshtest::SshServer;
use pd_store::{LedgerFilter, Store};
use sha2::{Digest, Sha256};

/// A server (`pd-sshtest`) with an `inbound/processed/` folder; `None` when the test is skipped.
fn start(sftp_flags: &str) -> Option<SshServer> {
    let sshd = SshServer::start_or_skip(sftp_flags)?;
    std::fs::create_dir_all(sshd.inbox().join("processed")).unwrap();
    Some(sshd)
}

/// The drop folder over the server's inbox, `host_key` pinned.
fn folder_spec(sshd: &SshServer, host_key: Option<SftpHostKey>) -> SftpFolderSpec {
    SftpFolderSpec {
        defaults: FolderDefaults {
            folder_id: "partner-sftp".into(),
            folder_name: "Partner SFTP".into(),
            partner_id: "acme".into(),
            case_kind: CaseKind::Shipment,
            owner: None,
        },
        settings: sshd.settings(host_key),
        secret: None,
        remote_dir: sshd.inbox().to_string_lossy().into_owned(),
        processed_dir: "processed".into(),
        failed_dir: "failed".into(),
        poll_interval: Duration::from_millis(100),
        options: ConnectorOptions {
            timeout: Duration::from_secs(10),
            ..ConnectorOptions::default()
        },
    }
}

fn context(dir: &Path, board: StatusBoard) -> IngestContext {
    IngestContext {
        store: Store::open(dir.join("cache.db")).unwrap(),
        router: Arc::new(Router::v1()),
        spool_dir: dir.join("spool"),
        uploaded_by: "drop folder".into(),
        status: board,
        large: pd_ingest::LargeFiles::default(),
    }
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_files_are_taken_once_and_moved_to_processed() {
    let Some(sshd) = start("") else { return };
    let mut expected = std::collections::HashMap::new();
    for i in 0..1000 {
        let name = format!("ASN-{i:04}.edi");
        let body = format!("shipment {i}\n").repeat(1 + i % 5);
        std::fs::write(sshd.inbox().join(&name), &body).unwrap();
        expected.insert(
            format!("{}/{name}", sshd.inbox().display()),
            sha(body.as_bytes()),
        );
    }
    // Still being uploaded under a temporary name: left alone.
    std::fs::write(sshd.inbox().join("late.edi.filepart"), "half").unwrap();
    let cache = tempfile::tempdir().unwrap();
    let ctx = context(cache.path(), StatusBoard::default());
    let spec = folder_spec(&sshd, Some(sshd.host_key()));
    let client = pd_connectors::SftpClient::connect(&spec.settings, None, &spec.options)
        .await
        .unwrap();
    let mut poller = SftpPoller::default();
    let first = poller.poll(&ctx, &spec, &client).await.unwrap();
    assert_eq!(first.taken, 0, "a file is taken once two listings agree");
    assert_eq!(first.waiting, 1000);
    let second = poller.poll(&ctx, &spec, &client).await.unwrap();
    assert_eq!((second.taken, second.moved), (1000, 1000));
    assert!(second.move_errors.is_empty(), "{:?}", second.move_errors);
    let third = poller.poll(&ctx, &spec, &client).await.unwrap();
    assert_eq!((third.taken, third.moved), (0, 0));

    let rows = support::assert_each_once_on_a_case(&cache.path().join("cache.db"));
    assert_eq!(rows.len(), 1000);
    for (path, digest) in &expected {
        assert_eq!(&rows[path].sha256, digest, "{path}");
    }
    assert_eq!(
        names_in(&sshd.inbox()),
        vec!["late.edi.filepart".to_string()]
    );
    assert_eq!(names_in(&sshd.inbox().join("processed")).len(), 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_cut_by_a_server_stop_resumes_from_its_offset() {
    let Some(mut sshd) = start("") else {
        return;
    };
    let body: Vec<u8> = (0..48 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(sshd.inbox().join("big.pdf"), &body).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let ctx = context(cache.path(), StatusBoard::default());
    let spec = folder_spec(&sshd, Some(sshd.host_key()));
    let remote = format!("{}/big.pdf", sshd.inbox().display());
    let partial = partial_path(&ctx.spool_dir, "partner-sftp", &remote);

    let mut poller = SftpPoller::default();
    let client = pd_connectors::SftpClient::connect(&spec.settings, None, &spec.options)
        .await
        .unwrap();
    assert_eq!(poller.poll(&ctx, &spec, &client).await.unwrap().waiting, 1);
    // The second poll downloads; the server is stopped once part of the file has arrived.
    let download = {
        let ctx = ctx.clone();
        let spec = spec.clone();
        tokio::spawn(async move {
            let result = poller.poll(&ctx, &spec, &client).await;
            (poller, result)
        })
    };
    let started = Instant::now();
    while std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0) < 2 * 1024 * 1024 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the download did not start"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sshd.stop();
    let (mut poller, result) = download.await.unwrap();
    let error = result.expect_err("the download was cut");
    let kept = std::fs::metadata(&partial).unwrap().len();
    assert!(
        kept > 0 && kept < body.len() as u64,
        "a partial copy stays ({kept} bytes): {error}"
    );
    assert_eq!(support::ledger_count(&cache.path().join("cache.db")), 0);

    sshd.run().unwrap();
    let client = pd_connectors::SftpClient::connect(&spec.settings, None, &spec.options)
        .await
        .unwrap();
    let report = poller.poll(&ctx, &spec, &client).await.unwrap();
    assert_eq!(report.taken, 1);
    assert_eq!(
        report.downloaded_bytes,
        body.len() as u64 - kept,
        "resumed from the offset, not started over"
    );
    let rows = support::assert_each_once_on_a_case(&cache.path().join("cache.db"));
    assert_eq!(rows[&remote].sha256, sha(&body));
    assert!(sshd.inbox().join("processed/big.pdf").is_file());
    assert!(!partial.exists(), "the partial copy is gone once taken");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_cannot_be_read_goes_to_failed_with_a_reason_file_and_is_not_tried_again() {
    // This server refuses reads: every download answers "permission denied"; the rest works.
    let Some(sshd) = start("-P read") else {
        return;
    };
    std::fs::write(sshd.inbox().join("ASN-7.pdf"), b"%PDF-1.4 asn").unwrap();
    let cache = tempfile::tempdir().unwrap();
    let board = StatusBoard::default();
    let ctx = context(cache.path(), board.clone());
    let spec = folder_spec(&sshd, Some(sshd.host_key()));
    let job = tokio::spawn(run_sftp(ctx.clone(), spec.clone()));
    let failed = sshd.inbox().join("failed");
    let started = Instant::now();
    while !failed.join("ASN-7.pdf").is_file() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never moved to failed/: {:?}",
            board.get("partner-sftp")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!sshd.inbox().join("ASN-7.pdf").exists());
    assert_eq!(
        std::fs::read(failed.join("ASN-7.pdf")).unwrap(),
        b"%PDF-1.4 asn",
        "moved, never changed"
    );
    let reason = std::fs::read_to_string(failed.join("ASN-7.pdf.reason.txt")).unwrap();
    assert!(
        reason.starts_with("PartnerDesk could not take this file."),
        "{reason}"
    );
    assert!(reason.contains("File: ASN-7.pdf"), "{reason}");
    assert!(reason.contains("Drop folder: Partner SFTP"), "{reason}");
    assert!(reason.contains("Tried: 3 times"), "{reason}");
    assert!(reason.to_lowercase().contains("permission"), "{reason}");
    let status = board.get("partner-sftp").unwrap_or_default();
    let words = status.reason.clone().unwrap_or_default();
    assert_eq!(status.state, FolderState::Error, "{words}");
    assert!(
        words.contains("ASN-7.pdf could not be read after 3 tries")
            && words.contains("moved to")
            && words.contains("with a reason file"),
        "{words}"
    );
    // More polls: not tried again, one ledger row `failed` with the reason, nothing taken.
    tokio::time::sleep(Duration::from_millis(600)).await;
    job.abort();
    let store = Store::open(cache.path().join("cache.db")).unwrap();
    let rows = store.ingest_ledger(&LedgerFilter::default()).unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].outcome, "failed");
    assert_eq!(rows[0].case_id, None);
    let detail = rows[0].detail.clone().unwrap();
    assert!(
        detail.starts_with("ASN-7.pdf could not be read after 3 tries:"),
        "{detail}"
    );
    assert_eq!(
        store.ingest_folder_counts("partner-sftp").unwrap().failed,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_move_is_not_taken_twice_and_the_error_shows() {
    // This server refuses renames: the move answers "permission denied".
    let Some(mut sshd) = start("-P rename,posix-rename") else {
        return;
    };
    std::fs::write(sshd.inbox().join("INV-1.pdf"), b"%PDF-1.4 inv").unwrap();
    let cache = tempfile::tempdir().unwrap();
    let board = StatusBoard::default();
    let ctx = context(cache.path(), board.clone());
    let spec = folder_spec(&sshd, Some(sshd.host_key()));
    let job = tokio::spawn(run_sftp(ctx.clone(), spec.clone()));
    let started = Instant::now();
    loop {
        let status = board.get("partner-sftp").unwrap_or_default();
        if status.state == FolderState::Error {
            let reason = status.reason.unwrap();
            assert!(
                reason.contains("INV-1.pdf")
                    && reason.contains("could not be moved")
                    && reason.to_lowercase().contains("permission"),
                "{reason}"
            );
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{status:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Several more polls: still taken once, the file still on the server.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let db = cache.path().join("cache.db");
    assert_eq!(support::assert_each_once_on_a_case(&db).len(), 1);
    assert!(sshd.inbox().join("INV-1.pdf").is_file());
    job.abort();

    // The server allows moves again: the retried move goes through, nothing taken again.
    sshd.stop();
    sshd.set_sftp_flags("").unwrap();
    sshd.run().unwrap();
    let job = tokio::spawn(run_sftp(ctx.clone(), spec.clone()));
    let started = Instant::now();
    while !sshd.inbox().join("processed/INV-1.pdf").is_file() {
        assert!(started.elapsed() < Duration::from_secs(30), "never moved");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    job.abort();
    assert_eq!(support::assert_each_once_on_a_case(&db).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_changed_host_keys_are_refused_before_anything_is_read() {
    let Some(sshd) = start("") else { return };
    std::fs::write(sshd.inbox().join("PO-1.pdf"), b"%PDF").unwrap();
    let cache = tempfile::tempdir().unwrap();
    for (pin, words) in [(None, "fingerprint"), (Some(sshd.other_key()), "changed")] {
        let board = StatusBoard::default();
        let ctx = context(cache.path(), board.clone());
        let job = tokio::spawn(run_sftp(ctx, folder_spec(&sshd, pin)));
        let started = Instant::now();
        let reason = loop {
            let status = board.get("partner-sftp").unwrap_or_default();
            if status.state == FolderState::Offline {
                break status.reason.unwrap();
            }
            assert!(started.elapsed() < Duration::from_secs(20), "{status:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        job.abort();
        let real = sshd.fingerprint();
        assert!(
            reason.contains(real) && reason.to_lowercase().contains(words),
            "{reason}"
        );
    }
    assert_eq!(support::ledger_count(&cache.path().join("cache.db")), 0);
    assert!(sshd.inbox().join("PO-1.pdf").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_processed_and_failed_folder_names_of_the_settings_are_where_files_go() {
    // Taken files go to the folder the analyst named (nested, made when missing).
    let Some(sshd) = start("") else { return };
    std::fs::write(sshd.inbox().join("POD-1.pdf"), b"%PDF-1.4 pod").unwrap();
    let cache = tempfile::tempdir().unwrap();
    let board = StatusBoard::default();
    let ctx = context(cache.path(), board.clone());
    let mut spec = folder_spec(&sshd, Some(sshd.host_key()));
    spec.processed_dir = "done/2026".into();
    spec.failed_dir = "rejected".into();
    let job = tokio::spawn(run_sftp(ctx.clone(), spec.clone()));
    let done = sshd.inbox().join("done/2026/POD-1.pdf");
    let started = Instant::now();
    while !done.is_file() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never moved to done/2026: {:?}",
            board.get("partner-sftp")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    job.abort();
    assert_eq!(std::fs::read(&done).unwrap(), b"%PDF-1.4 pod");
    assert!(!sshd.inbox().join("processed/POD-1.pdf").exists());
    assert_eq!(
        support::assert_each_once_on_a_case(&cache.path().join("cache.db")).len(),
        1
    );
    drop(sshd);

    // A file that cannot be read goes to the failed folder the analyst named, with its reason.
    let Some(sshd) = start("-P read") else {
        return;
    };
    std::fs::write(sshd.inbox().join("ASN-9.pdf"), b"%PDF-1.4 asn").unwrap();
    let cache = tempfile::tempdir().unwrap();
    let board = StatusBoard::default();
    let ctx = context(cache.path(), board.clone());
    let mut spec = folder_spec(&sshd, Some(sshd.host_key()));
    spec.failed_dir = "rejected".into();
    let job = tokio::spawn(run_sftp(ctx, spec));
    let rejected = sshd.inbox().join("rejected");
    let started = Instant::now();
    while !rejected.join("ASN-9.pdf.reason.txt").is_file() || !rejected.join("ASN-9.pdf").is_file()
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never moved to rejected/: {:?}",
            board.get("partner-sftp")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    job.abort();
    assert!(!sshd.inbox().join("failed").exists(), "not the default");
    let words = board
        .get("partner-sftp")
        .unwrap()
        .reason
        .unwrap_or_default();
    assert!(words.contains("rejected"), "{words}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_remote_names_are_taken_once_each_with_one_line_names() {
    let Some(sshd) = start("") else { return };
    let unicode = "Überweisung 請求書 ✓.pdf";
    let newline = "line\nbreak.txt";
    let long = format!("{}.txt", "n".repeat(251));
    assert_eq!(long.len(), 255);
    let spaces = "  spaced name .csv";
    for (name, body) in [
        (unicode, "u"),
        (newline, "n"),
        (long.as_str(), "l"),
        (spaces, "s"),
    ] {
        std::fs::write(sshd.inbox().join(name), body).unwrap();
    }
    // A link on the server pointing outside the folder is not a plain file: left alone.
    let outside = sshd.path("outside.txt");
    std::fs::write(&outside, "not for the folder").unwrap();
    std::os::unix::fs::symlink(&outside, sshd.inbox().join("link.txt")).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let ctx = context(cache.path(), StatusBoard::default());
    let spec = folder_spec(&sshd, Some(sshd.host_key()));
    let client = pd_connectors::SftpClient::connect(&spec.settings, None, &spec.options)
        .await
        .unwrap();
    let mut poller = SftpPoller::default();
    poller.poll(&ctx, &spec, &client).await.unwrap();
    let second = poller.poll(&ctx, &spec, &client).await.unwrap();
    assert_eq!((second.taken, second.moved), (4, 4), "{second:?}");
    let third = poller.poll(&ctx, &spec, &client).await.unwrap();
    assert_eq!(third.taken, 0);
    let db = cache.path().join("cache.db");
    let rows = support::assert_each_once_on_a_case(&db);
    assert_eq!(rows.len(), 4, "{:?}", rows.keys());
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mut names: Vec<String> = conn
        .prepare("SELECT name FROM documents ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    names.sort();
    let mut expected = vec![
        unicode.to_string(),
        "line break.txt".to_string(),
        long.clone(),
        "spaced name .csv".to_string(),
    ];
    expected.sort();
    assert_eq!(names, expected, "document names are one line, trimmed");
    let processed = names_in(&sshd.inbox().join("processed"));
    assert_eq!(processed.len(), 4, "{processed:?}");
    assert!(processed.contains(&newline.to_string()), "{processed:?}");
    assert!(
        std::fs::symlink_metadata(sshd.inbox().join("link.txt"))
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is left where it is"
    );
    assert_eq!(
        std::fs::read_to_string(&outside).unwrap(),
        "not for the folder"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_remote_file_is_queued_for_s3_from_its_kept_copy_or_left_on_the_server_without_a_bucket(
) {
    let Some(sshd) = start("") else { return };
    let big = vec![b'x'; 5000];
    std::fs::write(sshd.inbox().join("CAM-1.mp4"), &big).unwrap();
    let spec = folder_spec(&sshd, Some(sshd.host_key()));
    let client = pd_connectors::SftpClient::connect(&spec.settings, None, &spec.options)
        .await
        .unwrap();

    // No bucket: not downloaded, not taken, not moved; the reason in words, every poll.
    let cache = tempfile::tempdir().unwrap();
    let mut ctx = context(cache.path(), StatusBoard::default());
    ctx.large = pd_ingest::LargeFiles::fixed(pd_ingest::LargeFileRoute {
        threshold_bytes: 1000,
        target: Err("no S3 connector is set up for documents".into()),
    });
    let mut poller = SftpPoller::default();
    for _ in 0..3 {
        let report = poller.poll(&ctx, &spec, &client).await.unwrap();
        assert_eq!(report.taken, 0);
        assert_eq!(report.failed, 0, "not a failure of the file");
        if report.waiting == 0 {
            let words = report.file_errors.join(" ");
            assert!(
                words.contains("CAM-1.mp4 is 4.9 KiB, above the 1000 bytes")
                    && words.contains("no S3 connector"),
                "{words}"
            );
        }
    }
    assert_eq!(support::ledger_count(&cache.path().join("cache.db")), 0);
    assert!(sshd.inbox().join("CAM-1.mp4").is_file());

    // With a bucket: downloaded once, kept under its SHA-256, queued for S3 with its ledger
    // row, moved to processed/.
    ctx.large = pd_ingest::LargeFiles::fixed(pd_ingest::LargeFileRoute {
        threshold_bytes: 1000,
        target: Ok(pd_ingest::S3Target {
            bucket: "drops".into(),
            connector_id: None,
            part_size: 5 * 1024 * 1024,
        }),
    });
    let report = poller.poll(&ctx, &spec, &client).await.unwrap();
    assert_eq!((report.taken, report.moved), (1, 1), "{report:?}");
    assert!(sshd.inbox().join("processed/CAM-1.mp4").is_file());
    let uploads = ctx
        .store
        .uploads_in(&[pd_store::UploadState::Queued])
        .unwrap();
    assert_eq!(uploads.len(), 1);
    let kept = cache.path().join("spool").join(sha(&big));
    assert_eq!(uploads[0].upload.path, kept);
    assert_eq!(std::fs::read(&kept).unwrap(), big);
    let rows = ctx.store.ingest_ledger(&LedgerFilter::default()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].outcome, "taken");
    assert_eq!(
        rows[0].document_id.as_deref(),
        Some(uploads[0].upload.id.as_str())
    );
    // No other copy is left in the spool (no partial, no second copy).
    let spool: Vec<String> = std::fs::read_dir(cache.path().join("spool"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(spool, vec![sha(&big)]);
}
