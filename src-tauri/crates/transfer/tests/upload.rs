//! The S3 upload queue (issue 10) against `s3s-fs` started here on loopback (signatures checked),
//! with a real SQLite cache: the object's SHA-256 equals the file's and its record is queued
//! once; wrong credentials and a missing bucket are said in words; a TCP proxy between client
//! and server counts each part PUT (server side of the client) and cuts the connection mid-part
//! (the upload resumes and finishes) or holds a part while the uploading process is killed;
//! `pd-upload-once` killed with SIGKILL at 12 points (each kill when the process says it reached
//! its point, never on a timer) and run again finishes once, never sending a confirmed part
//! again; a file changed while it uploads is refused with nothing completed and its incomplete
//! upload aborted; pause keeps the confirmed parts; cancel leaves no incomplete upload; the
//! sweep (against moto, which lists incomplete uploads) aborts what a crash or a cancel while
//! offline left, and keeps what may still complete.
//!
//! Run with `PD_REQUIRE_TEST_PEERS=1 PD_S3S_FS=$HOME/.cache/partnerdesk/tools/bin/s3s-fs` to
//! fail rather than skip when `s3s-fs` is missing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use pd_connectors::{ConnectorError, ConnectorOptions, ExpectedObject, S3Client};
use pd_domain::{
    CaseKind, CaseReferences, DocumentSource, ErrorCode, NewCase, OutboxOp, S3Settings,
};
use pd_s3test::{S3Peer, ACCESS_KEY, REGION, SECRET_KEY};
use pd_store::{Store, UploadState};
use pd_transfer::{
    Finished, PausePoint, Stop, TransferError, UploadPlan, Uploader, UPLOADS_PREFIX,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

const BUCKET: &str = "uploads";
const MIB: u64 = 1024 * 1024;
const PART: u64 = 5 * MIB;

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Bytes that differ in every part (a part sent in the wrong place would show).
fn content(size: u64, seed: u8) -> Vec<u8> {
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

fn client(endpoint: &str, bucket: &str, secret: &str) -> S3Client {
    S3Client::new(
        &S3Settings {
            endpoint: Some(endpoint.to_owned()),
            region: REGION.into(),
            bucket: bucket.into(),
            access_key_id: ACCESS_KEY.into(),
        },
        Some(secret),
        &ConnectorOptions::default(),
    )
    .unwrap()
}

/// A cache with one case, and a file of `size` bytes queued for upload to `bucket`.
struct Setup {
    _dir: tempfile::TempDir,
    cache: PathBuf,
    store: Store,
    file: PathBuf,
    bytes: Vec<u8>,
    id: String,
}

fn setup(size: u64, bucket: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.sqlite");
    let store = Store::open(&cache).unwrap();
    let case_id = store
        .create_local_case(
            &NewCase {
                id: "case-uploads".into(),
                title: "Proof of delivery, all scans".into(),
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
    let file = dir.path().join("scans of pallet 7.zip");
    let bytes = content(size, 7);
    std::fs::write(&file, &bytes).unwrap();
    let inspected = pd_transfer::inspect(&file).unwrap();
    let id = pd_transfer::queue_upload(
        &store,
        &case_id,
        &inspected,
        &UploadPlan {
            bucket: bucket.into(),
            connector_id: None,
            part_size: PART,
            uploaded_by: "Ana".into(),
        },
    )
    .unwrap();
    Setup {
        _dir: dir,
        cache,
        store,
        file,
        bytes,
        id,
    }
}

/// The server holds nothing of the upload: ListParts answers NoSuchUpload (S3, moto) or no part
/// (s3s-fs, which lists an unknown upload as empty), and the upload takes no part any more.
async fn assert_no_incomplete_upload(s3: &S3Client, key: &str, upload_id: &str) {
    match s3.list_parts(key, upload_id).await {
        Err(ConnectorError::NotFound(_)) => {}
        Ok(parts) => assert!(parts.is_empty(), "parts left on the server: {parts:?}"),
        Err(other) => panic!("ListParts: {other:?}"),
    }
    s3.upload_part(key, upload_id, 1, vec![1u8; 16])
        .await
        .expect_err("the aborted upload takes no part");
}

/// No document record was queued (the case's own creation entry aside).
fn assert_no_document_record(store: &Store) {
    let entries = store.outbox_entries().unwrap();
    assert!(
        !entries
            .iter()
            .any(|e| matches!(e.op, Ok(OutboxOp::AttachDocument(_)))),
        "{entries:?}"
    );
}

fn peer() -> Option<S3Peer> {
    S3Peer::s3s_fs(&[BUCKET])
}

async fn run(
    uploader: &Uploader,
    id: &str,
) -> (Result<Finished, TransferError>, watch::Sender<Option<Stop>>) {
    let (tx, mut rx) = watch::channel(None);
    let progress: pd_transfer::Progress = Arc::new(|_| {});
    let result = uploader.run(id, &mut rx, &progress).await;
    (result, tx)
}

/// The upload is done, its object holds the file's bytes (downloaded and hashed), and exactly
/// one document record is queued, under the upload's id.
async fn assert_finished_once(setup: &Setup, s3: &S3Client) {
    let record = setup.store.upload(&setup.id).unwrap().unwrap();
    assert_eq!(record.state, UploadState::Done, "{:?}", record.error);
    assert_eq!(record.bytes_confirmed, setup.bytes.len() as u64);
    let key = &record.upload.object_key;
    let head = s3
        .head_object(key)
        .await
        .unwrap()
        .expect("the object exists");
    assert_eq!(head.size, setup.bytes.len() as u64);
    let sha = sha256_hex(&setup.bytes);
    assert_eq!(
        head.sha256.as_deref(),
        Some(sha.as_str()),
        "kept with the object"
    );
    let dest = setup.cache.with_file_name("downloaded.bin");
    s3.download_object(
        key,
        &dest,
        &ExpectedObject {
            size: setup.bytes.len() as u64,
            sha256: sha.clone(),
        },
        &|_| {},
    )
    .await
    .expect("the object downloads and its SHA-256 checks");
    assert_eq!(sha256_hex(&std::fs::read(&dest).unwrap()), sha);
    let entries = setup.store.outbox_entries().unwrap();
    let records: Vec<_> = entries
        .iter()
        .filter(|e| matches!(e.op, Ok(OutboxOp::AttachDocument(_))))
        .collect();
    assert_eq!(records.len(), 1, "one record: {entries:?}");
    assert_eq!(records[0].op_id, setup.id, "the op id is the upload's id");
    let Ok(OutboxOp::AttachDocument(document)) = &records[0].op else {
        unreachable!()
    };
    assert_eq!(document.id, setup.id);
    assert_eq!(document.sha256, sha);
    assert_eq!(
        document.source,
        DocumentSource::S3 {
            bucket: BUCKET.into(),
            key: key.clone(),
        }
    );
    let on_case = setup
        .store
        .document_with_sha256(&record.upload.case_id, &sha)
        .unwrap()
        .expect("on the case");
    assert_eq!(on_case.document.id, setup.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_object_has_the_files_sha256_and_one_record_is_queued() {
    let Some(peer) = peer() else { return };
    let setup = setup(12 * MIB + 333, BUCKET);
    let s3 = client(&peer.endpoint(), BUCKET, SECRET_KEY);
    let uploader = Uploader::new(setup.store.clone(), s3.clone());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (_tx, mut rx) = watch::channel(None);
    let progress: pd_transfer::Progress = {
        let seen = seen.clone();
        Arc::new(move |bytes| seen.lock().unwrap().push(bytes))
    };
    let finished = uploader.run(&setup.id, &mut rx, &progress).await.unwrap();
    assert_eq!(finished, Finished::Done);
    assert_finished_once(&setup, &s3).await;
    let seen = seen.lock().unwrap().clone();
    // Progress after each confirmed part (parts travel side by side, so in any order).
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(seen.first(), Some(&0));
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert_eq!(seen.last(), Some(&(12 * MIB + 333)));
    // Run again: nothing more happens.
    let (again, _) = run(&uploader, &setup.id).await;
    assert_eq!(again.unwrap(), Finished::Done);
    assert_finished_once(&setup, &s3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_and_a_missing_bucket_are_said_in_words_and_nothing_is_recorded() {
    let Some(peer) = peer() else { return };
    let setup = setup(6 * MIB, BUCKET);
    let wrong = client(&peer.endpoint(), BUCKET, "not-the-secret");
    let (result, _) = run(&Uploader::new(setup.store.clone(), wrong), &setup.id).await;
    let error = result.expect_err("403");
    assert_eq!(error.code(), ErrorCode::AuthUnauthorized, "{error}");
    assert!(
        error.to_string().contains("refused the secret access key"),
        "{error}"
    );
    let record = setup.store.upload(&setup.id).unwrap().unwrap();
    assert_eq!(record.state, UploadState::Failed);
    let (code, words) = record.error.clone().unwrap();
    assert_eq!(code, error.code().as_str());
    assert_eq!(words, error.to_string());
    assert_no_document_record(&setup.store);

    let missing = setup_missing_bucket();
    let s3 = client(&peer.endpoint(), "no-such-bucket", SECRET_KEY);
    let (result, _) = run(&Uploader::new(missing.store.clone(), s3), &missing.id).await;
    let error = result.expect_err("no bucket");
    assert!(
        matches!(&error, TransferError::S3(ConnectorError::NotFound(_))),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("The bucket \"no-such-bucket\" does not exist"),
        "{error}"
    );
    assert_eq!(
        missing.store.upload(&missing.id).unwrap().unwrap().state,
        UploadState::Failed
    );
    assert_no_document_record(&missing.store);
}

fn setup_missing_bucket() -> Setup {
    setup(6 * MIB, "no-such-bucket")
}

// ---- a TCP proxy that counts part PUTs and cuts or holds a chosen part ----

#[derive(Default)]
struct ProxyState {
    /// Part PUT requests that reached the proxy, by part number.
    puts: HashMap<u32, u32>,
    /// Cut the connection of the next PUT of this part, after its first bytes.
    cut: Option<u32>,
    /// Hold the next PUT of this part (forward nothing more) and say so.
    hold: Option<u32>,
    /// Parts cut or held (sent again legitimately: the server never confirmed them).
    interrupted: HashMap<u32, u32>,
}

struct Proxy {
    port: u16,
    state: Arc<Mutex<ProxyState>>,
    held: Arc<tokio::sync::Notify>,
}

fn part_number(line: &[u8]) -> Option<u32> {
    let text = String::from_utf8_lossy(line);
    let at = text.find("partNumber=")? + "partNumber=".len();
    text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

impl Proxy {
    async fn start(upstream: u16) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(ProxyState::default()));
        let held = Arc::new(tokio::sync::Notify::new());
        let (s, h) = (state.clone(), held.clone());
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let Ok(outbound) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await
                else {
                    continue;
                };
                tokio::spawn(relay(inbound, outbound, s.clone(), h.clone()));
            }
        });
        Proxy { port, state, held }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn puts(&self) -> HashMap<u32, u32> {
        self.state.lock().unwrap().puts.clone()
    }
}

async fn relay(
    inbound: tokio::net::TcpStream,
    outbound: tokio::net::TcpStream,
    state: Arc<Mutex<ProxyState>>,
    held: Arc<tokio::sync::Notify>,
) {
    let (mut client_read, mut client_write) = inbound.into_split();
    let (mut server_read, mut server_write) = outbound.into_split();
    let back = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
    });
    let mut buf = vec![0u8; 64 * 1024];
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let n = match client_read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        // Request lines of part uploads (a line split across reads is found in tail + chunk).
        let mut window = tail.clone();
        window.extend_from_slice(chunk);
        let mut action = None;
        let mut from = 0;
        while let Some(at) = find(&window[from..], b"PUT /") {
            let start = from + at;
            let Some(end) = find(&window[start..], b"\r\n") else {
                break;
            };
            // Only lines that start in this chunk (the tail's were counted before).
            if start + end >= tail.len() {
                if let Some(part) = part_number(&window[start..start + end]) {
                    let mut st = state.lock().unwrap();
                    *st.puts.entry(part).or_default() += 1;
                    if st.cut == Some(part) {
                        st.cut = None;
                        *st.interrupted.entry(part).or_default() += 1;
                        action = Some(false);
                    } else if st.hold == Some(part) {
                        st.hold = None;
                        *st.interrupted.entry(part).or_default() += 1;
                        action = Some(true);
                    }
                }
            }
            from = start + end;
        }
        let keep = window.len().min(4096);
        tail = window[window.len() - keep..].to_vec();
        if server_write.write_all(chunk).await.is_err() {
            break;
        }
        match action {
            Some(false) => {
                // The network drops mid-part.
                back.abort();
                return;
            }
            Some(true) => {
                // Hold: nothing more goes through; the uploading process is killed meanwhile.
                held.notify_one();
                loop {
                    match client_read.read(&mut buf).await {
                        Ok(0) | Err(_) => {
                            back.abort();
                            return;
                        }
                        Ok(_) => {}
                    }
                }
            }
            None => {}
        }
    }
    let _ = server_write.shutdown().await;
    let _ = back.await;
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_network_dropped_mid_part_resumes_and_finishes() {
    let Some(peer) = peer() else { return };
    let proxy = Proxy::start(peer.port()).await;
    let setup = setup(13 * MIB, BUCKET);
    proxy.state.lock().unwrap().cut = Some(2);
    let s3 = client(&proxy.endpoint(), BUCKET, SECRET_KEY);
    let (result, _) = run(&Uploader::new(setup.store.clone(), s3.clone()), &setup.id).await;
    assert_eq!(result.unwrap(), Finished::Done);
    let puts = proxy.puts();
    assert_eq!(puts.get(&1), Some(&1), "{puts:?}");
    assert_eq!(
        puts.get(&2),
        Some(&2),
        "part 2 was cut once and sent again: {puts:?}"
    );
    assert_eq!(puts.get(&3), Some(&1), "{puts:?}");
    assert_finished_once(&setup, &s3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_changes_while_it_uploads_is_refused_nothing_completed_and_its_upload_aborted()
{
    let Some(peer) = peer() else { return };
    let setup = setup(12 * MIB, BUCKET);
    let s3 = client(&peer.endpoint(), BUCKET, SECRET_KEY);
    let file = setup.file.clone();
    let uploader =
        Uploader::new(setup.store.clone(), s3.clone()).with_pause(Arc::new(move |point| {
            if point == PausePoint::PartRecorded(1) {
                // Another program saves the file again: same size, other bytes.
                let mut f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
                f.write_all(b"rewritten").unwrap();
                f.sync_all().unwrap();
                drop(f);
                let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
                std::fs::File::options()
                    .write(true)
                    .open(&file)
                    .unwrap()
                    .set_modified(later)
                    .unwrap();
            }
        }));
    let (result, _) = run(&uploader, &setup.id).await;
    let error = result.expect_err("changed");
    assert_eq!(error.code(), ErrorCode::TransferFileChanged);
    assert!(
        error
            .to_string()
            .starts_with("scans of pallet 7.zip changed on disk after it was queued"),
        "{error}"
    );
    let record = setup.store.upload(&setup.id).unwrap().unwrap();
    assert_eq!(record.state, UploadState::Failed);
    assert_eq!(record.error.unwrap().0, "transfer.file_changed");
    assert!(
        s3.head_object(&record.upload.object_key)
            .await
            .unwrap()
            .is_none(),
        "nothing completed"
    );
    assert_no_incomplete_upload(
        &s3,
        &record.upload.object_key,
        &record.s3_upload_id.unwrap(),
    )
    .await;
    assert_no_document_record(&setup.store);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_keeps_confirmed_parts_and_cancel_leaves_no_incomplete_upload_on_the_server() {
    let Some(peer) = peer() else { return };
    let proxy = Proxy::start(peer.port()).await;
    let s3 = client(&proxy.endpoint(), BUCKET, SECRET_KEY);

    // Pause after part 1, resume: part 1 is not sent again.
    let paused = setup(11 * MIB, BUCKET);
    let (tx, mut rx) = watch::channel(None);
    let tx = Arc::new(tx);
    let sender = tx.clone();
    let mut uploader = Uploader::new(paused.store.clone(), s3.clone());
    uploader.parallel = 1; // no part on the wire when the pause comes, so none is sent twice
    let uploader = uploader.with_pause(Arc::new(move |point| {
        if point == PausePoint::PartRecorded(1) {
            let _ = sender.send(Some(Stop::Pause));
        }
    }));
    let progress: pd_transfer::Progress = Arc::new(|_| {});
    let first = uploader.run(&paused.id, &mut rx, &progress).await.unwrap();
    assert_eq!(first, Finished::Paused);
    let record = paused.store.upload(&paused.id).unwrap().unwrap();
    assert_eq!(record.parts.len(), 1);
    assert_eq!(record.bytes_confirmed, PART);
    let mut again = Uploader::new(paused.store.clone(), s3.clone());
    again.parallel = 1;
    let (again, _) = run(&again, &paused.id).await;
    assert_eq!(again.unwrap(), Finished::Done);
    let puts = proxy.puts();
    assert_eq!(
        (puts.get(&1), puts.get(&2), puts.get(&3)),
        (Some(&1), Some(&1), Some(&1)),
        "{puts:?}"
    );
    assert_finished_once(&paused, &s3).await;

    // Cancel after part 1: the server has no incomplete upload left.
    let cancelled = setup(11 * MIB, BUCKET);
    let (tx, mut rx) = watch::channel(None);
    let tx = Arc::new(tx);
    let sender = tx.clone();
    let uploader =
        Uploader::new(cancelled.store.clone(), s3.clone()).with_pause(Arc::new(move |point| {
            if point == PausePoint::PartRecorded(1) {
                let _ = sender.send(Some(Stop::Cancel));
            }
        }));
    let finished = uploader
        .run(&cancelled.id, &mut rx, &progress)
        .await
        .unwrap();
    assert_eq!(finished, Finished::Cancelled);
    let record = cancelled.store.upload(&cancelled.id).unwrap().unwrap();
    assert_eq!(record.state, UploadState::Cancelled);
    assert_no_incomplete_upload(
        &s3,
        &record.upload.object_key,
        record.s3_upload_id.as_ref().unwrap(),
    )
    .await;
    assert!(s3
        .head_object(&record.upload.object_key)
        .await
        .unwrap()
        .is_none());
    assert_no_document_record(&cancelled.store);
    // A cancelled upload stays cancelled.
    let (later, _) = run(
        &Uploader::new(cancelled.store.clone(), s3.clone()),
        &cancelled.id,
    )
    .await;
    assert_eq!(later.unwrap(), Finished::Cancelled);
}

// ---- killed with SIGKILL at 12 points, restarted each time ----

struct Runner {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
}

fn start_once(setup: &Setup, endpoint: &str, pause_at: Option<&str>) -> Runner {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pd-upload-once"));
    command
        .arg(&setup.cache)
        .arg(endpoint)
        .arg(BUCKET)
        .env("PD_S3_ACCESS_KEY", ACCESS_KEY)
        .env("PD_S3_SECRET_KEY", SECRET_KEY)
        // One part on the wire at a time: a kill interrupts at most the part the proxy holds,
        // so every other PUT counted twice would be a confirmed part sent again.
        .env("PD_UPLOAD_PARALLEL", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    match pause_at {
        Some(point) => command.env("PD_UPLOAD_PAUSE_AT", point),
        None => command.env_remove("PD_UPLOAD_PAUSE_AT"),
    };
    let mut child = command.spawn().expect("pd-upload-once starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    Runner { child, lines: rx }
}

impl Runner {
    /// Waits for the process to say `PAUSED <point>` (or to end), then kills it.
    fn kill_when_paused(mut self, point: &str) {
        let line = self
            .lines
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("pd-upload-once never reached {point}"));
        assert_eq!(line, format!("PAUSED {point}"));
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn finish(mut self) -> String {
        let status = self.child.wait().unwrap();
        assert!(status.success(), "pd-upload-once failed: {status}");
        // Every line, up to the end of its output (the reader ends with the process).
        self.lines.iter().collect::<Vec<_>>().join("\n")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_twelve_points_the_upload_finishes_once_and_no_confirmed_part_is_sent_again() {
    let Some(peer) = peer() else { return };
    let proxy = Proxy::start(peer.port()).await;
    let setup = setup(30 * MIB, BUCKET); // 6 parts of 5 MiB
    let endpoint = proxy.endpoint();
    let mut kills = 0;
    for point in [
        "started",
        "created",
        "upload_recorded",
        "part_sent:1",
        "part_recorded:2",
        "hold:3",
        "part_sent:4",
        "part_recorded:5",
        "part_recorded:6",
        "before_complete",
        "completed",
        "recorded",
    ] {
        if let Some(part) = point.strip_prefix("hold:") {
            // Killed mid-part: the proxy holds part 3's body and says so.
            proxy.state.lock().unwrap().hold = Some(part.parse().unwrap());
            let runner = start_once(&setup, &endpoint, None);
            tokio::time::timeout(std::time::Duration::from_secs(60), proxy.held.notified())
                .await
                .expect("part 3 reached the proxy");
            let mut child = runner.child;
            child.kill().unwrap();
            child.wait().unwrap();
        } else {
            start_once(&setup, &endpoint, Some(point)).kill_when_paused(point);
        }
        kills += 1;
    }
    assert_eq!(kills, 12);
    let out = start_once(&setup, &endpoint, None).finish();
    assert!(out.contains("DONE"), "{out}");

    let store = Store::open(&setup.cache).unwrap();
    let reopened = Setup { store, ..setup };
    let s3 = client(&peer.endpoint(), BUCKET, SECRET_KEY);
    assert_finished_once(&reopened, &s3).await;
    // Server side of the client: each part went through once, except a part whose PUT was
    // interrupted before the server answered (held while killed); none confirmed was resent.
    let (puts, interrupted) = {
        let st = proxy.state.lock().unwrap();
        (st.puts.clone(), st.interrupted.clone())
    };
    for part in 1..=6 {
        let expected = 1 + interrupted.get(&part).copied().unwrap_or(0);
        assert_eq!(
            puts.get(&part).copied().unwrap_or(0),
            expected,
            "part {part}: {puts:?} (interrupted {interrupted:?})"
        );
    }
    assert_eq!(interrupted.get(&3), Some(&1));
    let documents = reopened
        .store
        .read_with(|conn| {
            Ok(conn.query_row("SELECT COUNT(*) FROM documents", [], |r| r.get::<_, i64>(0))?)
        })
        .unwrap();
    assert_eq!(documents, 1, "one document record");
}

// ---- the sweep of incomplete uploads nothing will complete ----

/// Another file of `size` bytes queued in `setup`'s cache, on the same case; its upload id.
fn queue_another(setup: &Setup, name: &str, size: u64, seed: u8) -> String {
    let file = setup.cache.with_file_name(name);
    std::fs::write(&file, content(size, seed)).unwrap();
    let record = setup.store.upload(&setup.id).unwrap().unwrap();
    pd_transfer::queue_upload(
        &setup.store,
        &record.upload.case_id,
        &pd_transfer::inspect(&file).unwrap(),
        &UploadPlan {
            bucket: BUCKET.into(),
            connector_id: None,
            part_size: PART,
            uploaded_by: "Ana".into(),
        },
    )
    .unwrap()
}

/// Runs upload `id` until its first part is recorded, then pauses it.
async fn pause_after_first_part(setup: &Setup, s3: &S3Client, id: &str) {
    let (tx, mut rx) = watch::channel(None);
    let tx = Arc::new(tx);
    let sender = tx.clone();
    let mut uploader = Uploader::new(setup.store.clone(), s3.clone());
    uploader.parallel = 1;
    let uploader = uploader.with_pause(Arc::new(move |point| {
        if point == PausePoint::PartRecorded(1) {
            let _ = sender.send(Some(Stop::Pause));
        }
    }));
    let progress: pd_transfer::Progress = Arc::new(|_| {});
    let paused = uploader.run(id, &mut rx, &progress).await.unwrap();
    assert_eq!(paused, Finished::Paused);
}

fn keys(uploads: &[pd_connectors::PendingUpload]) -> Vec<String> {
    let mut keys: Vec<String> = uploads.iter().map(|u| u.key.clone()).collect();
    keys.sort();
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_aborts_what_a_crash_or_an_offline_cancel_left_and_keeps_what_may_complete() {
    let Some(peer) = S3Peer::moto() else { return };
    let s3 = client(&peer.endpoint(), BUCKET, SECRET_KEY);
    s3.create_bucket(false).await.expect("bucket");

    // Killed after the server started its upload, before the cache recorded the upload's id.
    let crashed = setup(11 * MIB, BUCKET);
    start_once(&crashed, &peer.endpoint(), Some("created")).kill_when_paused("created");
    let crashed_record = crashed.store.upload(&crashed.id).unwrap().unwrap();
    assert_eq!(
        crashed_record.s3_upload_id, None,
        "the id was never recorded"
    );
    // Paused by the analyst after its first part.
    let paused = queue_another(&crashed, "paused.bin", 11 * MIB, 9);
    pause_after_first_part(&crashed, &s3, &paused).await;
    // Cancelled while the server could not be reached: the abort never arrived.
    let cancelled = queue_another(&crashed, "cancelled.bin", 11 * MIB, 11);
    pause_after_first_part(&crashed, &s3, &cancelled).await;
    let offline = Uploader::new(
        crashed.store.clone(),
        client("http://127.0.0.1:9", BUCKET, SECRET_KEY),
    );
    offline
        .cancel(&cancelled)
        .await
        .expect_err("the server is unreachable");
    let cancelled_record = crashed.store.upload(&cancelled).unwrap().unwrap();
    assert_eq!(cancelled_record.state, UploadState::Cancelled);
    // Another computer's upload into the same bucket, just started.
    let foreign = format!("{UPLOADS_PREFIX}case-elsewhere/9d1c2f0e-elsewhere/proof.pdf");
    s3.create_multipart_upload(&foreign, None)
        .await
        .expect("foreign upload");

    let before = s3.list_multipart_uploads(UPLOADS_PREFIX).await.unwrap();
    assert_eq!(before.len(), 4, "{before:?}");
    let paused_key = crashed
        .store
        .upload(&paused)
        .unwrap()
        .unwrap()
        .upload
        .object_key;
    // The sweep runs a day after the other computer started its upload, by the server's clock
    // (moto dates every upload 2010-11-10, so the sweep is told the time rather than read it).
    let foreign_started = before
        .iter()
        .find(|u| u.key == foreign)
        .and_then(|u| u.initiated)
        .expect("the server says when an upload started");
    let swept = Uploader::new(crashed.store.clone(), s3.clone())
        .sweep_orphans(foreign_started + chrono::Duration::days(1))
        .await
        .expect("sweep");
    let mut aborted = vec![
        crashed_record.upload.object_key.clone(),
        cancelled_record.upload.object_key.clone(),
    ];
    aborted.sort();
    assert_eq!(keys(&swept.aborted), aborted);
    let mut kept = vec![paused_key.clone(), foreign.clone()];
    kept.sort();
    assert_eq!(keys(&swept.kept), kept);
    let after = s3.list_multipart_uploads(UPLOADS_PREFIX).await.unwrap();
    assert_eq!(
        keys(&after),
        kept,
        "the server holds only what may still complete"
    );

    // Nothing of the analyst's work is lost: the crashed and the paused uploads finish.
    for id in [&crashed.id, &paused] {
        let (finished, _) = run(&Uploader::new(crashed.store.clone(), s3.clone()), id).await;
        assert_eq!(finished.unwrap(), Finished::Done);
        let record = crashed.store.upload(id).unwrap().unwrap();
        let head = s3.head_object(&record.upload.object_key).await.unwrap();
        assert_eq!(head.map(|h| h.size), Some(11 * MIB), "{id} complete");
    }
    let left = s3.list_multipart_uploads(UPLOADS_PREFIX).await.unwrap();
    assert_eq!(
        keys(&left),
        vec![foreign.clone()],
        "only the other computer's upload is left"
    );
    // Eight days on, nothing has completed the other computer's upload: it is aborted too.
    let later = Uploader::new(crashed.store.clone(), s3.clone())
        .sweep_orphans(foreign_started + chrono::Duration::days(8))
        .await
        .expect("sweep");
    assert_eq!(keys(&later.aborted), vec![foreign]);
    assert!(later.kept.is_empty(), "{later:?}");
    assert!(s3
        .list_multipart_uploads(UPLOADS_PREFIX)
        .await
        .unwrap()
        .is_empty());
}
