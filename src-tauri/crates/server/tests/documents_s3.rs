//! Documents in an S3 bucket (`[documents] storage = "s3"`) against s3s-fs, a real
//! S3-compatible server checking Signature V4, started by the test on loopback. `PD_S3S_FS`
//! names the binary (else `~/.cache/partnerdesk/tools/bin/s3s-fs`, `~/.cache/pd-s3s/bin/s3s-fs`,
//! `~/.cargo/bin/s3s-fs`); without it the test is skipped, or fails under
//! `PD_REQUIRE_TEST_PEERS=1`.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{config_text, start_in, token, CLIENT, COMPANY, SECRET};
use serde_json::Value;
use sha2::{Digest, Sha256};

const ACCESS_KEY: &str = "PDSERVERTESTKEY01";
const S3_SECRET: &str = "pd-server-test/secret+key=";
const BUCKET: &str = "team-cases";

struct S3s(Child);

impl Drop for S3s {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn s3s_fs() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PD_S3S_FS") {
        return Some(PathBuf::from(path));
    }
    let home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
    [
        home.join(".cache/partnerdesk/tools/bin/s3s-fs"),
        home.join(".cache/pd-s3s/bin/s3s-fs"),
        home.join(".cargo/bin/s3s-fs"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_go_to_the_bucket_and_come_back_through_the_server() {
    let Some(binary) = s3s_fs() else {
        assert!(
            std::env::var("PD_REQUIRE_TEST_PEERS").as_deref() != Ok("1"),
            "s3s-fs not found (set PD_S3S_FS)"
        );
        eprintln!("skipped: s3s-fs not found (set PD_S3S_FS)");
        return;
    };
    let store = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(store.path().join(BUCKET)).expect("bucket");
    let port = free_port();
    let _s3 = S3s(Command::new(binary)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--access-key", ACCESS_KEY, "--secret-key", S3_SECRET])
        .arg(store.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start s3s-fs"));
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "s3s-fs did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let documents = format!(
        "[documents]\nstorage = \"s3\"\nendpoint = \"http://127.0.0.1:{port}\"\nregion = \"us-east-1\"\n\
         bucket = \"{BUCKET}\"\nprefix = \"acme/documents/\"\naccess_key_id = \"{ACCESS_KEY}\"\n"
    );
    let config = format!("{}\n{documents}", config_text("sqlite:cases.sqlite", ""));
    let server = start_in(
        dir.path(),
        &config,
        &[("PARTNERDESK_S3_SECRET_ACCESS_KEY", S3_SECRET)],
    );
    let http = reqwest::Client::new();
    let t = token(&server.base_url, CLIENT, SECRET).await;
    let base = format!("{}/collab/v1/companies/{COMPANY}/cases", server.base_url);
    let created = http
        .post(&base)
        .bearer_auth(&t)
        .json(&serde_json::json!({"id": "s3-1", "title": "Proof of delivery", "partnerId": "P", "kind": "shipment"}))
        .send()
        .await
        .expect("send");
    assert_eq!(created.status(), 201);
    let content: Vec<u8> = (0..2_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    let sha = format!("{:x}", Sha256::digest(&content));
    let doc: Value = http
        .post(format!("{base}/s3-1/documents?name=pod.pdf"))
        .bearer_auth(&t)
        .body(content.clone())
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["sha256"], sha.as_str());
    let object = store.path().join(BUCKET).join("acme/documents").join(&sha);
    assert_eq!(
        std::fs::read(&object).expect("the object is in the bucket"),
        content
    );
    let conn = rusqlite::Connection::open(dir.path().join("cases.sqlite")).expect("open");
    let (inline, key): (Vec<u8>, String) = conn
        .query_row("SELECT content, object_key FROM documents", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("row");
    assert!(inline.is_empty(), "no bytes in the database");
    assert_eq!(key, format!("acme/documents/{sha}"));
    let id = doc["id"].as_str().expect("id");
    let back = http
        .get(format!("{base}/s3-1/documents/{id}/content"))
        .bearer_auth(&t)
        .send()
        .await
        .expect("send");
    assert_eq!(back.status(), 200);
    assert_eq!(back.headers()["content-type"], "application/pdf");
    assert_eq!(back.bytes().await.expect("bytes").to_vec(), content);

    // The bucket's credentials wrong: the server refuses to start and says why.
    let bad = format!("{}\n{documents}", config_text("sqlite:other.sqlite", ""));
    std::fs::write(dir.path().join("bad.toml"), bad).expect("write");
    let output = Command::new(common::binary())
        .args(["serve", "--config"])
        .arg(dir.path().join("bad.toml"))
        .env("PARTNERDESK_S3_SECRET_ACCESS_KEY", "not-the-secret")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("the S3 bucket is not usable"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
