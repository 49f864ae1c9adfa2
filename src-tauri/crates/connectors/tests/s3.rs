//! S3 "Test connection" against s3s-fs, a real S3-compatible server that checks Signature V4
//! (started by each test on 127.0.0.1 with its own data folder), plus canned answers for what
//! s3s-fs cannot produce (AccessDenied, wrong-region, non-S3 servers, silence).
//! `PD_S3S_FS` names the binary; otherwise `~/.cache/pd-s3s/bin/s3s-fs`, `~/.cargo/bin/s3s-fs`
//! or `s3s-fs` on PATH.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use common::*;
use pd_connectors::{test_s3_with, ConnectorOptions};
use pd_domain::S3Settings;

const ACCESS_KEY: &str = "PDTESTACCESSKEY01";
const SECRET: &str = "pd-test-secret/key+with=symbols";
const BUCKET: &str = "case-packages";

struct S3Server {
    _dir: tempfile::TempDir,
    child: Child,
    port: u16,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn s3s_fs_binary() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    find_binary(
        "PD_S3S_FS",
        "s3s-fs",
        &[
            home.join(".cache/pd-s3s/bin/s3s-fs"),
            home.join(".cargo/bin/s3s-fs"),
        ],
    )
}

async fn start_s3() -> Option<S3Server> {
    let Some(binary) = s3s_fs_binary() else {
        skip_or_fail(
            "s3s-fs not found (cargo install s3s-fs@0.14.1 --features binary --locked, or set PD_S3S_FS)",
        );
        return None;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join(BUCKET)).expect("bucket folder");
    std::fs::write(dir.path().join(BUCKET).join("case-0001.zip"), b"PK").expect("object");
    let port = free_port();
    let child = Command::new(binary)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET])
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("start s3s-fs");
    let server = S3Server {
        _dir: dir,
        child,
        port,
    };
    assert!(
        wait_for_port(port, Duration::from_secs(15)).await,
        "s3s-fs did not listen on {port}"
    );
    Some(server)
}

fn config(endpoint: &str, bucket: &str) -> S3Settings {
    S3Settings {
        endpoint: Some(endpoint.to_owned()),
        region: "us-east-1".into(),
        bucket: bucket.into(),
        access_key_id: ACCESS_KEY.into(),
    }
}

#[tokio::test]
async fn good_credentials_and_bucket_are_confirmed() {
    let Some(server) = start_s3().await else {
        return;
    };
    let endpoint = format!("http://127.0.0.1:{}", server.port);
    let result = test_s3_with(
        &config(&endpoint, BUCKET),
        Some(SECRET),
        &ConnectorOptions::default(),
    )
    .await;
    assert_success(&result, &[BUCKET, ACCESS_KEY, "readable"], &[SECRET]);
}

#[tokio::test]
async fn a_missing_bucket_is_named() {
    let Some(server) = start_s3().await else {
        return;
    };
    let endpoint = format!("http://127.0.0.1:{}", server.port);
    let result = test_s3_with(
        &config(&endpoint, "no-such-bucket"),
        Some(SECRET),
        &ConnectorOptions::default(),
    )
    .await;
    assert_failure(
        &result,
        "api.not_found",
        &["no-such-bucket", "does not exist"],
        &[SECRET],
    );
}

#[tokio::test]
async fn a_wrong_secret_is_refused_by_the_signature_check() {
    let Some(server) = start_s3().await else {
        return;
    };
    let endpoint = format!("http://127.0.0.1:{}", server.port);
    let wrong = "not-the-secret-at-all";
    let result = test_s3_with(
        &config(&endpoint, BUCKET),
        Some(wrong),
        &ConnectorOptions::default(),
    )
    .await;
    assert_failure(
        &result,
        "auth.unauthorized",
        &[ACCESS_KEY, "secret"],
        &[wrong, SECRET],
    );
}

#[tokio::test]
async fn an_unknown_access_key_is_refused() {
    let Some(server) = start_s3().await else {
        return;
    };
    let endpoint = format!("http://127.0.0.1:{}", server.port);
    let mut config = config(&endpoint, BUCKET);
    config.access_key_id = "AKIAUNKNOWNKEY".into();
    let result = test_s3_with(&config, Some(SECRET), &ConnectorOptions::default()).await;
    assert_failure(&result, "auth.unauthorized", &["AKIAUNKNOWNKEY"], &[SECRET]);
}

#[tokio::test]
async fn a_closed_port_is_reported_as_refused() {
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let result = test_s3_with(&config(&endpoint, BUCKET), Some(SECRET), &quick_options(5)).await;
    assert_failure(
        &result,
        "net.refused",
        &[&format!("127.0.0.1:{port}")],
        &[SECRET],
    );
}

#[tokio::test]
async fn a_silent_endpoint_times_out() {
    let port = silent_server().await;
    let endpoint = format!("http://127.0.0.1:{port}");
    let result = test_s3_with(&config(&endpoint, BUCKET), Some(SECRET), &quick_options(1)).await;
    assert_failure(
        &result,
        "net.timeout",
        &[&port.to_string(), "1 s"],
        &[SECRET],
    );
}

#[tokio::test]
async fn an_unknown_endpoint_host_is_reported_as_dns() {
    let result = test_s3_with(
        &config("https://nonexistent.invalid", BUCKET),
        Some(SECRET),
        &quick_options(10),
    )
    .await;
    assert_failure(&result, "net.dns", &["nonexistent.invalid"], &[SECRET]);
}

#[tokio::test]
async fn missing_secret_and_bad_fields_are_refused_before_any_request() {
    let options = ConnectorOptions::default();
    let good = config("http://127.0.0.1:9", BUCKET);
    assert_failure(
        &test_s3_with(&good, None, &options).await,
        "input.invalid",
        &[ACCESS_KEY, "secret access key"],
        &[],
    );
    assert_failure(
        &test_s3_with(&good, Some(""), &options).await,
        "input.invalid",
        &["secret access key"],
        &[],
    );
    let mut bad = good.clone();
    bad.bucket = "s3://case-packages/x".into();
    assert_failure(
        &test_s3_with(&bad, Some(SECRET), &options).await,
        "input.invalid",
        &["bucket name"],
        &[SECRET],
    );
    let mut bad = good.clone();
    bad.endpoint = Some("ftp://127.0.0.1".into());
    assert_failure(
        &test_s3_with(&bad, Some(SECRET), &options).await,
        "input.invalid",
        &["https://"],
        &[SECRET],
    );
    let mut bad = good.clone();
    bad.endpoint = Some("not a url".into());
    assert_failure(
        &test_s3_with(&bad, Some(SECRET), &options).await,
        "input.invalid",
        &["not a valid URL"],
        &[SECRET],
    );
    let mut bad = good;
    bad.region = " ".into();
    assert_failure(
        &test_s3_with(&bad, Some(SECRET), &options).await,
        "input.invalid",
        &["region"],
        &[SECRET],
    );
}

/// A server that answers every request with `status` and `body`.
async fn canned(status: u16, body: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let app = axum::Router::new().fallback(get(move || async move {
        (StatusCode::from_u16(status).expect("status"), body).into_response()
    }));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn s3_refusals_and_foreign_answers_are_told_apart() {
    let options = quick_options(5);
    let denied = canned(
        403,
        "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
    )
    .await;
    let result = test_s3_with(&config(&denied, BUCKET), Some(SECRET), &options).await;
    assert_failure(
        &result,
        "auth.forbidden",
        &[BUCKET, "s3:ListBucket"],
        &[SECRET],
    );

    let region = canned(
        400,
        "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is wrong; expecting 'eu-central-1'</Message></Error>",
    )
    .await;
    let result = test_s3_with(&config(&region, BUCKET), Some(SECRET), &options).await;
    assert_failure(
        &result,
        "input.invalid",
        &["region", "eu-central-1"],
        &[SECRET],
    );

    let gateway = canned(502, "<html><body>502 Bad Gateway</body></html>").await;
    let result = test_s3_with(&config(&gateway, BUCKET), Some(SECRET), &options).await;
    assert_failure(&result, "api.unexpected", &["502"], &[SECRET]);

    let not_s3 = canned(200, "<html>Welcome to nginx!</html>").await;
    let result = test_s3_with(&config(&not_s3, BUCKET), Some(SECRET), &options).await;
    assert_failure(&result, "api.unexpected", &["not as S3 does"], &[SECRET]);

    let hostile: &'static str = Box::leak(
        format!(
            "<Error><Code>NoSuchBucket</Code><Message>{}\u{7}\u{1b}[31m</Message></Error>",
            "x".repeat(2_000_000)
        )
        .into_boxed_str(),
    );
    let huge = canned(404, hostile).await;
    let result = test_s3_with(&config(&huge, BUCKET), Some(SECRET), &options).await;
    assert_failure(&result, "api.not_found", &[BUCKET], &[SECRET]);
    assert!(
        result.message.len() < 1_000,
        "message stays short: {} bytes",
        result.message.len()
    );
}

// ---- The client's operations against s3s-fs ----

fn client(server: &S3Server) -> pd_connectors::S3Client {
    let endpoint = format!("http://127.0.0.1:{}", server.port);
    pd_connectors::S3Client::new(
        &config(&endpoint, BUCKET),
        Some(SECRET),
        &ConnectorOptions::default(),
    )
    .expect("client")
}

/// Deterministic, non-repeating bytes so a misplaced part changes the object.
fn payload(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1])
        .collect()
}

#[tokio::test]
async fn put_then_head_then_a_presigned_link_gives_the_same_bytes() {
    let Some(server) = start_s3().await else {
        return;
    };
    let s3 = client(&server);
    let body = b"%PDF-1.7 proof of delivery".to_vec();
    let etag = s3
        .put_object(
            "cases/CASE-1/pod.pdf",
            body.clone(),
            Some("application/pdf"),
        )
        .await
        .expect("put");
    assert!(!etag.is_empty());
    let info = s3
        .head_object("cases/CASE-1/pod.pdf")
        .await
        .expect("head")
        .expect("object exists");
    assert_eq!(info.size, body.len() as u64);
    assert_eq!(info.etag, etag);
    assert_eq!(
        s3.head_object("cases/CASE-1/missing.pdf")
            .await
            .expect("head"),
        None
    );

    let url = s3
        .presigned_get_url("cases/CASE-1/pod.pdf", Duration::from_secs(300))
        .expect("presign");
    assert!(!url.contains(SECRET), "the link never carries the secret");
    let fetched = reqwest::get(&url).await.expect("GET presigned");
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.expect("body").to_vec(), body);

    // A tampered link is refused by the server's signature check.
    let tampered = url.replace("pod.pdf", "other.pdf");
    assert_eq!(reqwest::get(&tampered).await.expect("GET").status(), 403);
}

#[tokio::test]
async fn a_multipart_upload_resumes_from_the_parts_the_server_lists() {
    let Some(server) = start_s3().await else {
        return;
    };
    let s3 = client(&server);
    let part = pd_connectors::MIN_PART_SIZE;
    let data = payload(2 * part + 1234);
    let key = "packages/CASE-2/evidence.zip";
    let upload = s3
        .create_multipart_upload(key, Some("application/zip"))
        .await
        .expect("create");
    let first = s3
        .upload_part(key, &upload, 1, data[..part].to_vec())
        .await
        .expect("part 1");
    // "Restart": only ListParts tells what the server already holds.
    let held = s3.list_parts(key, &upload).await.expect("list parts");
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].part_number, 1);
    assert!(held[0].etag.as_ref().is_none_or(|etag| *etag == first));
    assert_eq!(held[0].size, part as u64);
    let second = s3
        .upload_part(key, &upload, 2, data[part..2 * part].to_vec())
        .await
        .expect("part 2");
    let third = s3
        .upload_part(key, &upload, 3, data[2 * part..].to_vec())
        .await
        .expect("part 3");
    let held: Vec<(u32, u64)> = s3
        .list_parts(key, &upload)
        .await
        .expect("list parts")
        .into_iter()
        .map(|p| (p.part_number, p.size))
        .collect();
    assert_eq!(
        held,
        vec![(1, part as u64), (2, part as u64), (3, 1234)],
        "every part confirmed, none twice"
    );
    let parts = vec![(1, first), (2, second), (3, third)];
    s3.complete_multipart_upload(key, &upload, &parts)
        .await
        .expect("complete");

    let info = s3.head_object(key).await.expect("head").expect("exists");
    assert_eq!(info.size, data.len() as u64);
    let url = s3
        .presigned_get_url(key, Duration::from_secs(60))
        .expect("presign");
    let fetched = reqwest::get(&url)
        .await
        .expect("GET")
        .bytes()
        .await
        .expect("body");
    assert!(
        fetched.as_ref() == data.as_slice(),
        "the object is the file, byte for byte"
    );

    // The upload is gone once completed: completing it again names the problem.
    let again = s3.complete_multipart_upload(key, &upload, &parts).await;
    assert!(again.is_err(), "{again:?}");
}

#[tokio::test]
async fn an_aborted_upload_leaves_nothing() {
    let Some(server) = start_s3().await else {
        return;
    };
    let s3 = client(&server);
    let key = "packages/CASE-3/cancelled.zip";
    let upload = s3.create_multipart_upload(key, None).await.expect("create");
    s3.upload_part(key, &upload, 1, payload(1024))
        .await
        .expect("part");
    s3.abort_multipart_upload(key, &upload)
        .await
        .expect("abort");
    assert_eq!(s3.head_object(key).await.expect("head"), None);
    // The server keeps no part of it: ListParts is refused (AWS) or empty (s3s-fs).
    match s3.list_parts(key, &upload).await {
        Ok(parts) => assert!(parts.is_empty(), "{parts:?}"),
        Err(error) => assert_eq!(error.code().as_str(), "api.not_found", "{error}"),
    }
}

#[tokio::test]
async fn wrong_credentials_and_hostile_keys_are_refused_by_name() {
    let Some(server) = start_s3().await else {
        return;
    };
    let endpoint = format!("http://127.0.0.1:{}", server.port);
    let wrong = pd_connectors::S3Client::new(
        &config(&endpoint, BUCKET),
        Some("not-the-secret"),
        &ConnectorOptions::default(),
    )
    .expect("client");
    let error = wrong
        .put_object("a.txt", b"x".to_vec(), None)
        .await
        .expect_err("refused");
    assert_eq!(error.code().as_str(), "auth.unauthorized", "{error}");
    assert!(!error.to_string().contains("not-the-secret"));

    let s3 = client(&server);
    for key in ["", "/etc/passwd", "a/../b", "line\nbreak", "a//b"] {
        let error = s3
            .put_object(key, b"x".to_vec(), None)
            .await
            .expect_err(key);
        assert_eq!(error.code().as_str(), "input.invalid", "{key:?}: {error}");
    }
    // (A missing bucket: `a_missing_bucket_is_named`; s3s-fs creates buckets on write.)
}

#[tokio::test]
async fn a_server_that_closes_mid_upload_is_an_interruption() {
    // Reads the request head, then hangs up before the body is in.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0u8; 1024];
            let _ = socket.read(&mut buffer).await;
            drop(socket);
        }
    });
    let s3 = pd_connectors::S3Client::new(
        &config(&format!("http://127.0.0.1:{port}"), BUCKET),
        Some(SECRET),
        &quick_options(5),
    )
    .expect("client");
    let error = s3
        .upload_part("big.bin", "upload-1", 1, payload(8 * 1024 * 1024))
        .await
        .expect_err("cut off");
    assert!(
        matches!(error.code().as_str(), "net.interrupted" | "api.unexpected"),
        "{}: {error}",
        error.code().as_str()
    );
    assert!(error.to_string().contains(&port.to_string()), "{error}");
}
