//! Delivering a case's document to a partner's SFTP inbox (issue 11, point 6) against a real
//! OpenSSH server started here (`pd-sshtest`: own config and keys in a temp dir, `sshd -D` on a free
//! loopback port, stopped with every session process it started), with a real SQLite cache:
//! the document appears under its final name with the same bytes, a listing never shows the
//! final name with fewer bytes (written as a `.part` dot-name, then renamed), a partner's file
//! of the same name is kept and ours becomes `name (2).ext`, and the case records it once;
//! `pd-deliver-once` killed with SIGKILL at each of its points (when it says it reached the
//! point, never on a timer) and run again completes once: one file, no partial file under the
//! final name, no second copy, one record; the server stopped mid-write and started again: the
//! next run completes once; a read-only server (permission denied), a full disk on the server (a
//! tiny tmpfs as the inbox, as root), an unknown and a changed host key: refused in words,
//! nothing under the final name.
//! `PD_SSHD` overrides `/usr/sbin/sshd`; without sshd the tests skip (fail with
//! `PD_REQUIRE_TEST_PEERS=1`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pd_connectors::ConnectorOptions;
use pd_domain::{
    CaseKind, CaseReferences, DeliveryState, ErrorCode, NewCase, OutboxOp, SftpSettings, Visibility,
};
use pd_sshtest::SshServer;
use pd_store::{NewDelivery, Store};
use pd_transfer::{Delivered, Deliverer};

const MIB: usize = 1024 * 1024;
const CONNECTOR: &str = "Acme SFTP";

// ---- the cache -------------------------------------------------------------------------------

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn content(size: usize, seed: u8) -> Vec<u8> {
    let mut state = u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// A cache with one case and one delivery of a document of `size` bytes named `name` to
/// `inbox`; the document's bytes in `bytes/<sha256>`.
struct Setup {
    dir: tempfile::TempDir,
    cache: PathBuf,
    store: Store,
    bytes: Vec<u8>,
    id: String,
    case_id: String,
}

impl Setup {
    fn new(size: usize, name: &str, inbox: &Path) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache.sqlite");
        let store = Store::open(&cache).unwrap();
        let case_id = store
            .create_local_case(
                &NewCase {
                    id: "case-deliver".into(),
                    title: "Proof of delivery for PO 4711".into(),
                    partner_id: "GCPARTNER01".into(),
                    partner_name: None,
                    kind: CaseKind::Shipment,
                    priority: None,
                    owner: None,
                    sla_due: None,
                    linked_transactions: Vec::new(),
                    references: CaseReferences::default(),
                    description: None,
                },
                "Ana",
                chrono::Utc::now(),
            )
            .unwrap();
        let bytes = content(size, 11);
        let sha256 = sha256_hex(&bytes);
        std::fs::create_dir_all(dir.path().join("bytes")).unwrap();
        std::fs::write(dir.path().join("bytes").join(&sha256), &bytes).unwrap();
        let id = uuid::Uuid::new_v4().to_string();
        store
            .queue_delivery(
                &NewDelivery {
                    id: id.clone(),
                    case_id: case_id.clone(),
                    document_id: "doc-pod".into(),
                    document_name: name.into(),
                    size: bytes.len() as u64,
                    sha256,
                    connector_id: "c-acme".into(),
                    connector_name: CONNECTOR.into(),
                    inbox: inbox.to_string_lossy().into_owned(),
                    queued_by: "Ana".into(),
                },
                chrono::Utc::now(),
            )
            .unwrap();
        Setup {
            dir,
            cache,
            store,
            bytes,
            id,
            case_id,
        }
    }

    fn bytes_dir(&self) -> PathBuf {
        self.dir.path().join("bytes")
    }

    fn local_copy(&self) -> PathBuf {
        self.bytes_dir().join(sha256_hex(&self.bytes))
    }

    /// The case's records of deliveries: (comment body, visibility), and the outbox entries
    /// carrying them.
    fn records(&self) -> (Vec<(String, Visibility)>, usize) {
        let detail = self
            .store
            .case_detail(&self.case_id, chrono::Utc::now())
            .unwrap();
        let comments: Vec<(String, Visibility)> = detail
            .comments
            .iter()
            .filter(|c| c.comment.body.starts_with("Sent to "))
            .map(|c| (c.comment.body.clone(), c.comment.visibility))
            .collect();
        let entries = self
            .store
            .outbox_entries()
            .unwrap()
            .into_iter()
            .filter(
                |e| matches!(&e.op, Ok(OutboxOp::AddComment(c)) if c.body.starts_with("Sent to ")),
            )
            .count();
        (comments, entries)
    }
}

fn deliverer(setup: &Setup, settings: SftpSettings) -> Deliverer {
    Deliverer::new(setup.store.clone(), settings, None).with_options(ConnectorOptions {
        timeout: Duration::from_secs(10),
        ..ConnectorOptions::default()
    })
}

async fn deliver(setup: &Setup, settings: SftpSettings) -> pd_transfer::Result<Delivered> {
    let cancel = Arc::new(AtomicBool::new(false));
    let progress: pd_transfer::Progress = Arc::new(|_| {});
    deliverer(setup, settings)
        .run(&setup.id, &setup.local_copy(), &cancel, &progress)
        .await
}

/// Exactly one delivered file (named `name`) with the document's bytes, no temporary file
/// left, the delivery sent under that name and recorded once on the case and in the outbox.
fn assert_delivered_once(sshd: &SshServer, setup: &Setup, name: &str, others: &[&str]) {
    let mut expected: Vec<String> = others.iter().map(|s| (*s).to_owned()).collect();
    expected.push(name.to_owned());
    expected.sort();
    assert_eq!(sshd.listing(), expected, "one copy, no .part file left");
    let on_server = std::fs::read(sshd.inbox().join(name)).unwrap();
    assert!(
        on_server == setup.bytes,
        "the same bytes under the final name"
    );
    let record = setup.store.delivery(&setup.id).unwrap().unwrap();
    assert_eq!(record.state, DeliveryState::Sent);
    assert_eq!(record.remote_name.as_deref(), Some(name));
    assert!(record.sent_at.is_some());
    let (comments, entries) = setup.records();
    assert_eq!(comments.len(), 1, "recorded once on the case: {comments:?}");
    let (body, visibility) = &comments[0];
    assert!(
        body.starts_with(&format!(
            "Sent to {CONNECTOR} {}/{name} at ",
            sshd.inbox().display()
        )),
        "{body}"
    );
    assert_eq!(*visibility, Visibility::Internal);
    assert_eq!(entries, 1, "queued for the server once");
    let entry = setup
        .store
        .outbox_entries()
        .unwrap()
        .into_iter()
        .find(|e| matches!(&e.op, Ok(OutboxOp::AddComment(_))) && e.op_id == setup.id);
    assert!(entry.is_some(), "its outbox op id is the delivery's id");
}

// ---- the tests -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_appears_in_the_inbox_under_its_final_name_complete_and_is_recorded_once() {
    let Some(sshd) = SshServer::start_or_skip("") else {
        return;
    };
    // The partner already has a file of that name: it is kept, ours becomes "(2)".
    std::fs::write(sshd.inbox().join("POD 4711.pdf"), b"the partner's own file").unwrap();
    let setup = Setup::new(6 * MIB, "POD 4711.pdf", &sshd.inbox());

    // A listing of the inbox while it is written: the final name, when seen, is complete.
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new((0usize, 0usize, Vec::<u64>::new())));
    let watcher = {
        let (inbox, stop, seen, size) = (
            sshd.inbox(),
            stop.clone(),
            seen.clone(),
            setup.bytes.len() as u64,
        );
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                for entry in std::fs::read_dir(&inbox).unwrap().flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
                    let mut seen = seen.lock().unwrap();
                    if name == "POD 4711 (2).pdf" {
                        seen.0 += 1;
                        if len != size {
                            seen.2.push(len);
                        }
                    } else if name.ends_with(".part") {
                        assert!(name.starts_with(".POD 4711 (2).pdf."), "{name}");
                        seen.1 += 1;
                    }
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let progress_seen = Arc::new(Mutex::new(Vec::new()));
    let progress: pd_transfer::Progress = {
        let progress_seen = progress_seen.clone();
        Arc::new(move |bytes| progress_seen.lock().unwrap().push(bytes))
    };
    let outcome = deliverer(&setup, sshd.accepted())
        .run(
            &setup.id,
            &setup.local_copy(),
            &Arc::new(AtomicBool::new(false)),
            &progress,
        )
        .await
        .unwrap();
    stop.store(true, Ordering::SeqCst);
    watcher.join().unwrap();
    assert_eq!(outcome, Delivered::Sent);
    let (finals, temporaries, short) = seen.lock().unwrap().clone();
    assert!(
        short.is_empty(),
        "the final name was listed with fewer bytes: {short:?}"
    );
    assert!(
        temporaries > 0,
        "the listing saw the temporary name while it was written"
    );
    eprintln!("listings: final name seen {finals} times, temporary {temporaries} times");
    assert_eq!(
        progress_seen.lock().unwrap().last().copied(),
        Some(setup.bytes.len() as u64)
    );
    assert_delivered_once(&sshd, &setup, "POD 4711 (2).pdf", &["POD 4711.pdf"]);
    assert_eq!(
        std::fs::read(sshd.inbox().join("POD 4711.pdf")).unwrap(),
        b"the partner's own file"
    );

    // Run again: nothing more is written or recorded.
    assert_eq!(
        deliver(&setup, sshd.accepted()).await.unwrap(),
        Delivered::AlreadySent
    );
    assert_delivered_once(&sshd, &setup, "POD 4711 (2).pdf", &["POD 4711.pdf"]);
}

/// Runs `pd-deliver-once` on the setup's cache; with `pause_at`, kills it (SIGKILL) once it
/// says it reached that point. Answers its last line.
fn deliver_once(sshd: &SshServer, setup: &Setup, pause_at: Option<&str>) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pd-deliver-once"));
    command
        .arg(&setup.cache)
        .arg(setup.bytes_dir())
        .arg(serde_json::to_string(&sshd.accepted()).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(point) = pause_at {
        command.env("PD_DELIVER_PAUSE_AT", point);
    }
    let mut child = command.spawn().expect("start pd-deliver-once");
    let stdout = child.stdout.take().unwrap();
    let mut last = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if pause_at.is_some_and(|p| line == format!("PAUSED {p}")) {
            child.kill().unwrap();
            let _ = child.wait();
            return line;
        }
        last = line;
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "pd-deliver-once failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_killed_at_any_point_completes_once_after_a_restart() {
    let Some(sshd) = SshServer::start_or_skip("") else {
        return;
    };
    for (n, point) in ["connected", "named", "half_written", "written", "renamed"]
        .into_iter()
        .enumerate()
    {
        let name = format!("ASN {n}.edi");
        let setup = Setup::new(4 * MIB, &name, &sshd.inbox());
        assert_eq!(
            deliver_once(&sshd, &setup, Some(point)),
            format!("PAUSED {point}")
        );
        let finals: Vec<String> = sshd
            .listing()
            .into_iter()
            .filter(|f| !f.starts_with('.'))
            .collect();
        if point == "renamed" {
            // Complete under its final name, not yet recorded on the case.
            assert_eq!(
                std::fs::read(sshd.inbox().join(&name)).unwrap(),
                setup.bytes
            );
            assert_eq!(setup.records(), (vec![], 0), "not recorded before the kill");
        } else {
            assert!(
                !finals.contains(&name),
                "{point}: nothing under the final name before the rename: {finals:?}"
            );
        }
        let done = deliver_once(&sshd, &setup, None);
        let expected = if point == "renamed" {
            "DONE 0 1"
        } else {
            "DONE 1 0"
        };
        assert_eq!(done, expected, "after a kill at {point}");
        let earlier: Vec<String> = (0..n).map(|i| format!("ASN {i}.edi")).collect();
        let earlier: Vec<&str> = earlier.iter().map(String::as_str).collect();
        assert_delivered_once(&sshd, &setup, &name, &earlier);
        // A third run does nothing.
        assert_eq!(deliver_once(&sshd, &setup, None), "DONE 0 0");
        assert_delivered_once(&sshd, &setup, &name, &earlier);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_stopped_mid_write_then_the_next_run_completes_once() {
    let Some(mut sshd) = SshServer::start_or_skip("") else {
        return;
    };
    let setup = Setup::new(24 * MIB, "Invoice 88.pdf", &sshd.inbox());
    // Stop the server once half of the bytes are written.
    let half = Arc::new(AtomicBool::new(false));
    let hook: pd_transfer::DeliverHook = {
        let half = half.clone();
        Arc::new(move |point| {
            if point == pd_transfer::DeliverPoint::HalfWritten {
                half.store(true, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(500));
            }
        })
    };
    let run = {
        let deliverer = deliverer(&setup, sshd.accepted()).with_hook(hook);
        let (id, path) = (setup.id.clone(), setup.local_copy());
        tokio::spawn(async move {
            let cancel = Arc::new(AtomicBool::new(false));
            let progress: pd_transfer::Progress = Arc::new(|_| {});
            deliverer.run(&id, &path, &cancel, &progress).await
        })
    };
    while !half.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sshd.stop();
    let error = run.await.unwrap().expect_err("the server went away");
    assert!(
        matches!(
            error.code(),
            ErrorCode::NetInterrupted | ErrorCode::NetTimeout | ErrorCode::ApiUnexpected
        ),
        "{:?}: {error}",
        error.code()
    );
    assert!(error.is_transient() || error.code() == ErrorCode::ApiUnexpected);
    assert!(
        !sshd.listing().contains(&"Invoice 88.pdf".to_owned()),
        "nothing under the final name: {:?}",
        sshd.listing()
    );
    assert_eq!(setup.records(), (vec![], 0));
    sshd.run().unwrap();
    assert_eq!(
        deliver(&setup, sshd.accepted()).await.unwrap(),
        Delivered::Sent
    );
    assert_delivered_once(&sshd, &setup, "Invoice 88.pdf", &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permission_denied_and_unknown_or_changed_host_keys_fail_in_words_with_nothing_written() {
    let Some(read_only) = SshServer::start_or_skip("-R") else {
        return;
    };
    let setup = Setup::new(MIB, "Packing list.pdf", &read_only.inbox());
    let error = deliver(&setup, read_only.accepted())
        .await
        .expect_err("a read-only server refuses the write");
    assert_eq!(error.code(), ErrorCode::AuthForbidden, "{error}");
    assert!(
        error.to_string().contains("permission denied"),
        "in words: {error}"
    );
    assert!(read_only.listing().is_empty(), "{:?}", read_only.listing());
    assert_eq!(setup.records(), (vec![], 0));

    let Some(sshd) = SshServer::start_or_skip("") else {
        return;
    };
    let setup = Setup::new(MIB, "Packing list.pdf", &sshd.inbox());
    let unknown = deliver(&setup, sshd.settings(None))
        .await
        .expect_err("an unknown host key is refused");
    assert_eq!(unknown.code(), ErrorCode::SshHostKeyUnknown, "{unknown}");
    assert!(
        unknown.to_string().contains(sshd.fingerprint()),
        "names the key seen: {unknown}"
    );
    let changed = deliver(&setup, sshd.settings(Some(sshd.other_key())))
        .await
        .expect_err("a changed host key is refused");
    assert_eq!(changed.code(), ErrorCode::SshHostKeyChanged, "{changed}");
    assert!(sshd.listing().is_empty(), "{:?}", sshd.listing());
    assert_eq!(setup.records(), (vec![], 0));
    let record = setup.store.delivery(&setup.id).unwrap().unwrap();
    assert_eq!(
        record.state,
        DeliveryState::Queued,
        "the app decides (retry)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_midway_removes_the_temporary_file_and_records_nothing() {
    let Some(sshd) = SshServer::start_or_skip("") else {
        return;
    };
    let setup = Setup::new(16 * MIB, "Label.zpl", &sshd.inbox());
    let cancel = Arc::new(AtomicBool::new(false));
    let hook: pd_transfer::DeliverHook = {
        let cancel = cancel.clone();
        Arc::new(move |point| {
            if point == pd_transfer::DeliverPoint::HalfWritten {
                cancel.store(true, Ordering::SeqCst);
            }
        })
    };
    let progress: pd_transfer::Progress = Arc::new(|_| {});
    let outcome = deliverer(&setup, sshd.accepted())
        .with_hook(hook)
        .run(&setup.id, &setup.local_copy(), &cancel, &progress)
        .await
        .unwrap();
    assert_eq!(outcome, Delivered::Cancelled);
    assert!(sshd.listing().is_empty(), "{:?}", sshd.listing());
    assert_eq!(setup.records(), (vec![], 0));
}

/// A tmpfs of `kib` KiB mounted on `dir` (root only), unmounted on drop.
struct TinyDisk(PathBuf);

impl TinyDisk {
    fn mount(dir: &Path, kib: u32) -> Option<TinyDisk> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| TinyDisk(dir.to_owned()))
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_on_the_server_fails_in_words_with_nothing_left_behind() {
    let Some(sshd) = SshServer::start_or_skip("") else {
        return;
    };
    let Some(_disk) = TinyDisk::mount(&sshd.inbox(), 512) else {
        eprintln!("SKIPPED: mounting a tmpfs needs root");
        return;
    };
    let setup = Setup::new(2 * MIB, "Scans.zip", &sshd.inbox());
    let error = deliver(&setup, sshd.accepted())
        .await
        .expect_err("the server's disk is full");
    eprintln!("{:?}: {error}", error.code());
    assert_eq!(error.code(), ErrorCode::IoDiskFull, "{error}");
    assert!(
        error.to_string().contains("disk is probably full"),
        "in words: {error}"
    );
    assert!(sshd.listing().is_empty(), "{:?}", sshd.listing());
    assert_eq!(setup.records(), (vec![], 0));
}
