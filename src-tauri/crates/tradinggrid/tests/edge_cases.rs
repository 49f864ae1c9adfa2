//! Exact HTTP edge cases the sandbox cannot produce on demand, against a tiny canned server on
//! 127.0.0.1 that answers scripted bytes: Retry-After dates, HTML error pages, bodies cut off
//! half-way, oversized answers, refused and silent servers, token refusal and renewal.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pd_tradinggrid::{
    ClientConfig, ConnectionCheck, ConnectionStage, Error, RetryPolicy, TradingGridClient,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One scripted answer.
#[derive(Clone)]
enum Reply {
    /// Write these bytes, then close.
    Bytes(Vec<u8>),
    /// Read the request and never answer.
    Hang,
}

fn http(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    Reply::Bytes(bytes)
}

fn json(status: &str, body: &str) -> Reply {
    http(
        status,
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
}

#[derive(Debug, Clone)]
struct Recorded {
    head: String,
    body: Vec<u8>,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }
}

struct Canned {
    base: url::Url,
    api: Arc<Mutex<Vec<Recorded>>>,
    tokens: Arc<Mutex<Vec<Recorded>>>,
}

impl Canned {
    fn api_requests(&self) -> Vec<Recorded> {
        self.api.lock().expect("lock").clone()
    }
    fn token_requests(&self) -> usize {
        self.tokens.lock().expect("lock").len()
    }
}

/// Serves `token` for the token endpoint and `script` (the last entry repeating) for the rest.
async fn canned(token: Reply, script: Vec<Reply>) -> Canned {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base =
        url::Url::parse(&format!("http://{}", listener.local_addr().expect("addr"))).expect("url");
    let api = Arc::new(Mutex::new(Vec::new()));
    let tokens = Arc::new(Mutex::new(Vec::new()));
    let (api_log, token_log) = (api.clone(), tokens.clone());
    tokio::spawn(async move {
        let script = Arc::new(Mutex::new(script));
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (script, api_log, token_log, token) = (
                script.clone(),
                api_log.clone(),
                token_log.clone(),
                token.clone(),
            );
            tokio::spawn(async move {
                answer(stream, script, api_log, token_log, token).await;
            });
        }
    });
    Canned { base, api, tokens }
}

async fn answer(
    mut stream: TcpStream,
    script: Arc<Mutex<Vec<Reply>>>,
    api_log: Arc<Mutex<Vec<Recorded>>>,
    token_log: Arc<Mutex<Vec<Recorded>>>,
    token: Reply,
) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(pos) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
    let recorded = Recorded {
        head: head.clone(),
        body: buffer[head_end..].to_vec(),
    };
    let reply = if head.contains("/v1/oauth2/tokens") {
        token_log.lock().expect("lock").push(recorded);
        token
    } else {
        api_log.lock().expect("lock").push(recorded);
        let mut script = script.lock().expect("lock");
        if script.len() > 1 {
            script.remove(0)
        } else {
            script[0].clone()
        }
    };
    match reply {
        Reply::Bytes(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Reply::Hang => tokio::time::sleep(Duration::from_secs(3600)).await,
    }
}

fn token_ok() -> Reply {
    json(
        "200 OK",
        r#"{"access_token":"tok-1","token_type":"Bearer","expires_in":36000}"#,
    )
}

fn fast_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts: attempts,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        max_elapsed: Duration::from_secs(20),
    }
}

fn client(server: &Canned, attempts: u32) -> TradingGridClient {
    let mut config = ClientConfig::new(server.base.clone(), "GC00804444LX", "key", "secret");
    config.retry = fast_retries(attempts);
    config.request_timeout = Duration::from_secs(5);
    TradingGridClient::new(config).expect("client")
}

const COMPANY: &str = r#"{"companyId":"GC00804444LX","companyName":"Demo Retailer","status":"Active","tradingAddresses":["ZZ:DEMORETAILER"]}"#;

#[tokio::test]
async fn retry_after_http_date_is_honoured_and_a_long_one_is_not_waited_for() {
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(1))
        .to_rfc2822()
        .replace("+0000", "GMT");
    let server = canned(
        token_ok(),
        vec![
            http("429 Too Many Requests", &[("Retry-After", &soon)], b"{}"),
            json("200 OK", COMPANY),
        ],
    )
    .await;
    let company = client(&server, 3)
        .company()
        .await
        .expect("succeeds after the 429");
    assert_eq!(company.company_name, "Demo Retailer");
    assert_eq!(server.api_requests().len(), 2);

    let later = (chrono::Utc::now() + chrono::Duration::hours(1))
        .to_rfc2822()
        .replace("+0000", "GMT");
    let server = canned(
        token_ok(),
        vec![http(
            "429 Too Many Requests",
            &[("Retry-After", &later)],
            b"",
        )],
    )
    .await;
    let error = client(&server, 5)
        .company()
        .await
        .expect_err("rate limited");
    match error {
        Error::RateLimited {
            retry_after: Some(after),
        } => assert!(after > Duration::from_secs(3000), "{after:?}"),
        other => panic!("expected RateLimited with a delay, got {other:?}"),
    }
    assert_eq!(
        server.api_requests().len(),
        1,
        "an hour-long Retry-After is beyond the budget"
    );
}

#[tokio::test]
async fn html_502_page_is_retried_then_reported_by_its_title() {
    let page = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>";
    let server = canned(
        token_ok(),
        vec![http(
            "502 Bad Gateway",
            &[("Content-Type", "text/html")],
            page,
        )],
    )
    .await;
    let error = client(&server, 3).partners(None).await.expect_err("502");
    assert_eq!(
        error,
        Error::Server {
            status: 502,
            message: "502 Bad Gateway".into()
        }
    );
    assert!(error.is_transient());
    assert_eq!(
        server.api_requests().len(),
        3,
        "retried up to the attempt limit"
    );
}

#[tokio::test]
async fn html_instead_of_json_is_malformed_not_a_panic() {
    let server = canned(
        token_ok(),
        vec![http(
            "200 OK",
            &[("Content-Type", "text/html")],
            b"<html><title>Login</title></html>",
        )],
    )
    .await;
    let error = client(&server, 3).company().await.expect_err("html");
    assert_eq!(error.code(), "api.malformed");
    assert!(error.to_string().contains("HTML"), "{error}");
    assert_eq!(
        server.api_requests().len(),
        1,
        "a malformed 200 is not retried"
    );
}

#[tokio::test]
async fn body_cut_off_half_way() {
    // Content-Length promises more than arrives: the transfer broke, which is retried.
    let full = COMPANY.as_bytes();
    let mut cut = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        full.len()
    )
    .into_bytes();
    cut.extend_from_slice(&full[..full.len() / 2]);
    let server = canned(
        token_ok(),
        vec![Reply::Bytes(cut.clone()), json("200 OK", COMPANY)],
    )
    .await;
    let company = client(&server, 3)
        .company()
        .await
        .expect("the retry gets the whole body");
    assert_eq!(company.company_id, "GC00804444LX");

    let server = canned(token_ok(), vec![Reply::Bytes(cut)]).await;
    let error = client(&server, 2).company().await.expect_err("always cut");
    assert_eq!(error.code(), "net.interrupted", "{error}");
    assert_eq!(server.api_requests().len(), 2);

    // No length, connection closed: the body looks complete but the JSON is truncated.
    let mut eof =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n".to_vec();
    eof.extend_from_slice(&full[..full.len() / 2]);
    let server = canned(token_ok(), vec![Reply::Bytes(eof)]).await;
    let error = client(&server, 2)
        .company()
        .await
        .expect_err("truncated json");
    assert_eq!(error.code(), "api.malformed", "{error}");
}

#[tokio::test]
async fn wrong_types_and_huge_bodies_are_malformed() {
    let server = canned(
        token_ok(),
        vec![json(
            "200 OK",
            r#"{"partners":[{"partnerCompanyId":{"nested":true},"tradingAddresses":7}]}"#,
        )],
    )
    .await;
    let result = client(&server, 1).partners(None).await;
    // Lenient fields read odd scalars as text, but a list that is a number is refused.
    assert_eq!(result.expect_err("wrong types").code(), "api.malformed");

    let server = canned(token_ok(), vec![json("200 OK", r#"{"partners":"nope"}"#)]).await;
    assert_eq!(
        client(&server, 1)
            .partners(None)
            .await
            .expect_err("string list")
            .code(),
        "api.malformed"
    );

    let huge = format!(
        r#"{{"partners":[{}]}}"#,
        vec![r#"{"partnerCompanyId":"GC1"}"#; 40_000].join(",")
    );
    let server = canned(token_ok(), vec![json("200 OK", &huge)]).await;
    let mut config = ClientConfig::new(server.base.clone(), "GC00804444LX", "key", "secret");
    config.max_response_bytes = 256 * 1024;
    let error = TradingGridClient::new(config)
        .expect("client")
        .partners(None)
        .await
        .expect_err("huge");
    assert_eq!(error.code(), "api.malformed");
    assert!(error.to_string().contains("limit"), "{error}");

    let mut chunked =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    for _ in 0..100 {
        let piece = "x".repeat(8192);
        chunked.extend_from_slice(format!("{:x}\r\n{piece}\r\n", piece.len()).as_bytes());
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let server = canned(token_ok(), vec![Reply::Bytes(chunked)]).await;
    let mut config = ClientConfig::new(server.base.clone(), "GC00804444LX", "key", "secret");
    config.max_response_bytes = 64 * 1024;
    let error = TradingGridClient::new(config)
        .expect("client")
        .company()
        .await
        .expect_err("huge chunked");
    assert_eq!(error.code(), "api.malformed");
}

#[tokio::test]
async fn refused_credentials_are_unauthorized_and_never_retried() {
    let server = canned(
        json(
            "401 Unauthorized",
            r#"{"error":"invalid_client","error_description":"bad"}"#,
        ),
        vec![json("200 OK", COMPANY)],
    )
    .await;
    let client = client(&server, 5);
    let error = client.company().await.expect_err("401");
    assert_eq!(
        error,
        Error::Unauthorized {
            message: "the consumer key or secret was refused".into()
        }
    );
    assert_eq!(server.token_requests(), 1);
    assert!(server.api_requests().is_empty());
    match client.test_connection().await {
        ConnectionCheck::Failed {
            stage: ConnectionStage::Token,
            error,
        } => assert_eq!(error.code(), "auth.unauthorized"),
        other => panic!("{other:?}"),
    }
    let recorded = server.tokens.lock().expect("lock")[0].clone();
    assert!(
        recorded
            .head
            .starts_with("POST /v1/oauth2/tokens?grant_type=client_credentials "),
        "{}",
        recorded.head
    );
    // "key:secret" in Base64.
    assert_eq!(
        recorded.header("authorization").as_deref(),
        Some("Basic a2V5OnNlY3JldA==")
    );
}

#[tokio::test]
async fn an_api_401_renews_the_token_once() {
    let server = canned(
        token_ok(),
        vec![
            json(
                "401 Unauthorized",
                r#"{"code":"unauthorized","message":"token expired"}"#,
            ),
            json("200 OK", COMPANY),
        ],
    )
    .await;
    let client = client(&server, 1);
    client.company().await.expect("renewed and retried");
    assert_eq!(server.token_requests(), 2);
    let requests = server.api_requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1].header("authorization").as_deref(),
        Some("Bearer tok-1")
    );

    let server = canned(
        token_ok(),
        vec![json(
            "401 Unauthorized",
            r#"{"code":"unauthorized","message":"no"}"#,
        )],
    )
    .await;
    let error = self::client(&server, 3)
        .company()
        .await
        .expect_err("always 401");
    assert_eq!(error.code(), "auth.unauthorized");
    assert_eq!(
        server.api_requests().len(),
        2,
        "one renewal, one retry, no loop"
    );
}

#[tokio::test]
async fn connection_test_names_the_failing_step() {
    let server = canned(
        token_ok(),
        vec![json(
            "404 Not Found",
            r#"{"code":"not_found","message":"no such company"}"#,
        )],
    )
    .await;
    match client(&server, 3).test_connection().await {
        ConnectionCheck::Failed {
            stage: ConnectionStage::Company,
            error: Error::NotFound { message },
        } => {
            assert!(message.contains("GC00804444LX"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    let server = canned(
        token_ok(),
        vec![json(
            "403 Forbidden",
            r#"{"code":"forbidden","message":"no Community Management"}"#,
        )],
    )
    .await;
    match client(&server, 3).test_connection().await {
        ConnectionCheck::Failed {
            stage: ConnectionStage::Company,
            error,
        } => assert_eq!(error.code(), "auth.forbidden"),
        other => panic!("{other:?}"),
    }
    let server = canned(token_ok(), vec![json("200 OK", COMPANY)]).await;
    assert!(matches!(
        client(&server, 3).test_connection().await,
        ConnectionCheck::Ok { .. }
    ));

    // A server that accepts and never answers.
    let server = canned(Reply::Hang, vec![Reply::Hang]).await;
    let mut config = ClientConfig::new(server.base.clone(), "GC00804444LX", "key", "secret");
    config.request_timeout = Duration::from_millis(300);
    match TradingGridClient::new(config)
        .expect("client")
        .test_connection()
        .await
    {
        ConnectionCheck::Failed {
            stage: ConnectionStage::Token,
            error,
        } => assert_eq!(error.code(), "net.timeout", "{error}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_server_that_is_gone_is_offline() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base =
        url::Url::parse(&format!("http://{}", listener.local_addr().expect("addr"))).expect("url");
    drop(listener);
    let mut config = ClientConfig::new(base, "GC00804444LX", "key", "secret");
    config.retry = fast_retries(3);
    let client = TradingGridClient::new(config).expect("client");
    let error = client.partners(None).await.expect_err("nobody listens");
    assert_eq!(error.code(), "net.offline", "{error}");
    assert!(error.is_transient());
    match client.test_connection().await {
        ConnectionCheck::Failed {
            stage: ConnectionStage::Token,
            error,
        } => assert_eq!(error.code(), "net.offline"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn writes_repeat_the_same_idempotency_key_on_retry() {
    let comment = r#"{"id":"c1","caseId":"k1","author":"Ann","authorIsPartner":false,"body":"hi","visibility":"internal","createdAt":"2026-01-01T00:00:00Z"}"#;
    let server = canned(
        token_ok(),
        vec![
            json(
                "503 Service Unavailable",
                r#"{"code":"unavailable","message":"busy"}"#,
            ),
            json("201 Created", comment),
        ],
    )
    .await;
    let new_comment = pd_domain::NewComment {
        id: "c1".into(),
        author: "Ann".into(),
        body: "hi".into(),
        visibility: pd_domain::Visibility::Internal,
    };
    let stored = client(&server, 3)
        .add_comment("op-123", "k1", &new_comment)
        .await
        .expect("retried");
    assert_eq!(stored.id, "c1");
    let requests = server.api_requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert!(
            request
                .head
                .starts_with("POST /collab/v1/companies/GC00804444LX/cases/k1/comments "),
            "{}",
            request.head
        );
        assert_eq!(request.header("idempotency-key").as_deref(), Some("op-123"));
        let body: serde_json::Value = serde_json::from_slice(&request.body).expect("json body");
        assert_eq!(body["body"], "hi");
    }
}

#[tokio::test]
async fn path_segments_are_encoded() {
    let server = canned(
        token_ok(),
        vec![json("200 OK", r#"[{"roleName":"Lens All custom"}]"#)],
    )
    .await;
    let roles = client(&server, 1)
        .user_roles("ann/../x y@acme.com")
        .await
        .expect("roles");
    assert_eq!(roles, vec!["Lens All custom".to_owned()]);
    let head = &server.api_requests()[0].head;
    assert!(head.starts_with("GET /TGCommunityServices/v1/companies/GC00804444LX/users/ann%2F..%2Fx%20y@acme.com/roles "), "{head}");
}

#[tokio::test]
async fn a_plain_http_server_behind_an_https_url_is_a_tls_failure() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await;
            let _ = stream.shutdown().await;
        }
    });
    let base = url::Url::parse(&format!("https://127.0.0.1:{port}")).expect("url");
    let client = TradingGridClient::new(ClientConfig::new(base, "GC00804444LX", "key", "secret"))
        .expect("client");
    match client.test_connection().await {
        ConnectionCheck::Failed {
            stage: ConnectionStage::Token,
            error,
        } => {
            assert_eq!(error.code(), "net.tls", "{error}");
            assert!(!error.is_transient());
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_download_that_does_not_match_its_metadata_leaves_nothing_behind() {
    let content = b"ISA*00*~GS*PO~ST*850*0001~";
    let metadata = format!(
        r#"{{"id":"d1","caseId":"k1","name":"po.edi","size":{},"sha256":"{}","mediaType":"application/edi-x12","location":{{"type":"collab"}},"uploadedBy":"Ann","uploadedAt":"2026-01-01T00:00:00Z"}}"#,
        content.len(),
        "0".repeat(64)
    );
    let server = canned(
        token_ok(),
        vec![json("200 OK", &metadata), http("200 OK", &[], content)],
    )
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("po.edi");
    std::fs::write(&dest, b"the copy the analyst already had").expect("existing");
    let error = client(&server, 1)
        .download_document("k1", "d1", &dest)
        .await
        .expect_err("sha mismatch");
    assert_eq!(error.code(), "api.integrity", "{error}");
    assert_eq!(
        std::fs::read(&dest).expect("kept"),
        b"the copy the analyst already had"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        1,
        "temporary file removed"
    );

    // More bytes than announced stop the transfer.
    let short = metadata.replace(&format!(r#""size":{}"#, content.len()), r#""size":4"#);
    let server = canned(
        token_ok(),
        vec![json("200 OK", &short), http("200 OK", &[], content)],
    )
    .await;
    let error = client(&server, 1)
        .download_document("k1", "d1", &dest)
        .await
        .expect_err("too long");
    assert_eq!(error.code(), "api.integrity", "{error}");
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
}

/// `expires_in` of 10^19 seconds used to overflow `Instant + Duration` (a panic that killed the
/// sync); it is now believed only up to a day, and the token is reused meanwhile.
#[tokio::test]
async fn a_token_lifetime_of_ten_quintillion_seconds_is_taken_as_a_day() {
    let server = canned(
        json(
            "200 OK",
            r#"{"access_token":"tok-1","token_type":"Bearer","expires_in":10000000000000000000}"#,
        ),
        vec![json("200 OK", COMPANY)],
    )
    .await;
    let client = client(&server, 1);
    let company = client
        .company()
        .await
        .expect("no panic, the call goes through");
    assert_eq!(company.company_id, "GC00804444LX");
    client.company().await.expect("second call");
    assert_eq!(
        server.token_requests(),
        1,
        "the token is cached, not renewed per call"
    );
    assert_eq!(server.api_requests().len(), 2);
}

/// `Retry-After: 18446744073709551615` after a second of retrying used to overflow the retry
/// deadline (a panic); now it is read as an hour, which is beyond the retry budget, so the call
/// ends as rate limited at once.
#[tokio::test]
async fn a_retry_after_of_two_to_the_sixty_four_is_rate_limited_not_a_panic() {
    let server = canned(
        token_ok(),
        vec![
            http("503 Service Unavailable", &[("Retry-After", "1")], b"{}"),
            http(
                "429 Too Many Requests",
                &[("Retry-After", "18446744073709551615")],
                b"{}",
            ),
        ],
    )
    .await;
    let error = client(&server, 5)
        .company()
        .await
        .expect_err("rate limited");
    assert_eq!(
        error,
        Error::RateLimited {
            retry_after: Some(pd_tradinggrid::MAX_RETRY_AFTER)
        }
    );
    assert_eq!(
        server.api_requests().len(),
        2,
        "a wait beyond the budget is not waited for"
    );
    // More digits than a u64: the same.
    let server = canned(
        token_ok(),
        vec![http(
            "503 Service Unavailable",
            &[("Retry-After", "184467440737095516150000")],
            b"{}",
        )],
    )
    .await;
    let error = client(&server, 2).company().await.expect_err("503");
    assert_eq!(error.code(), "api.server");
}
