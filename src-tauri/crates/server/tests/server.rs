//! `partnerdesk-server` as an operator and a team meet it, as real processes on loopback: the
//! command line, bad config files, migrate, health, tokens from configured clients working
//! across processes, the author taken from the key, idempotency expiry, companies kept apart,
//! hostile requests, JSON logs, and a change feed followed while two processes write.

mod common;

use std::collections::HashMap;
use std::process::Command;

use common::{
    binary, config_text, start_in, start_with_config, token, ServerProcess, CLIENT, COMPANY, NAME,
    SECRET,
};
use reqwest::Client;
use serde_json::{json, Value};

fn collab(base: &str, company: &str, rest: &str) -> String {
    format!("{base}/collab/v1/companies/{company}/cases{rest}")
}

fn new_case(id: &str) -> Value {
    json!({"id": id, "title": "Invoice rejected", "partnerId": "GC-P1", "kind": "invoice",
           "description": "The partner says the VAT is wrong."})
}

/// GETs `rest` of the company's `collab/v1` as `token` and answers the JSON body.
async fn get_json(http: &Client, base: &str, company: &str, rest: &str, token: &str) -> Value {
    let request = http.get(collab(base, company, rest)).bearer_auth(token);
    let response = request.send().await.expect("send");
    response.json().await.expect("json")
}

async fn create(http: &Client, base: &str, token: &str, id: &str) -> Value {
    let response = http
        .post(collab(base, COMPANY, ""))
        .bearer_auth(token)
        .json(&new_case(id))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 201, "create {id}");
    response.json().await.expect("json")
}

#[test]
fn help_names_the_subcommands_and_the_config() {
    let output = Command::new(binary()).arg("--help").output().expect("run");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "serve",
        "migrate",
        "--config",
        "[[clients]]",
        "postgres://",
        "token_secret",
        "PARTNERDESK_TOKEN_SECRET",
    ] {
        assert!(text.contains(needle), "--help mentions {needle}: {text}");
    }
    let output = Command::new(binary())
        .arg("--frobnicate")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown argument \"--frobnicate\""));
    let output = Command::new(binary()).output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("serve or migrate"));
}

#[test]
fn bad_configs_stop_the_server_with_the_line_to_fix_and_create_nothing() {
    let good = config_text("sqlite:cases.sqlite", "");
    let cases: Vec<(String, &str)> = vec![
        ("listen = ".into(), "is not a valid config"),
        (good.replace("listen =", "listn ="), "unknown field `listn`"),
        (good.replace("sqlite:cases.sqlite", "mysql://db/cases"), "use \"sqlite:PATH\""),
        (good.replace("sqlite:cases.sqlite", "sqlite:"), "needs a file path"),
        (good.replace("sqlite:cases.sqlite", "sqlite:no/such/folder/c.sqlite"), "does not exist"),
        (good.replace("[\"GC00804444LX\", \"GC-SECOND\"]", "[]"), "companies is empty"),
        (good.replace("[\"GC00804444LX\", \"GC-SECOND\"]", "[\"GC 1\"]"), "is not a company id"),
        (good.replace(common::TOKEN_SECRET, "short"), "at least 32 characters"),
        (good.replace("id = \"integration\"", "id = \"anna\""), "given twice"),
        (good.replace("anna-secret-0123456789", "short"), "at least 16 characters"),
        (good.replace("name = \"Anna Keller\"", "name = \" \""), "needs a name"),
        (good.replace("log_format = \"json\"", "log_format = \"xml\""), "unknown variant `xml`"),
        (format!("{good}\n[documents]\nstorage = \"s3\"\nregion = \"eu-central-1\"\n"), "needs documents.bucket"),
        (
            format!("{good}\n[documents]\nstorage = \"s3\"\nregion = \"r\"\nbucket = \"b\"\naccess_key_id = \"k\"\n"),
            "PARTNERDESK_S3_SECRET_ACCESS_KEY",
        ),
        (good.split("[[clients]]").next().unwrap_or_default().to_string(), "missing field `clients`"),
    ];
    for (config, needle) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("server.toml");
        std::fs::write(&path, &config).expect("write");
        for command in ["serve", "migrate"] {
            let output = Command::new(binary())
                .args([command, "--config"])
                .arg(&path)
                .env_remove("PARTNERDESK_TOKEN_SECRET")
                .env_remove("PARTNERDESK_S3_SECRET_ACCESS_KEY")
                .output()
                .expect("run");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{needle}: {stderr}");
            assert!(
                stderr.starts_with("partnerdesk-server: configuration: "),
                "{stderr}"
            );
            assert!(
                stderr.contains(needle),
                "{command}: expected {needle:?} in {stderr}"
            );
        }
        assert!(
            !dir.path().join("cases.sqlite").exists(),
            "{needle}: no database made"
        );
    }
    let output = Command::new(binary())
        .args(["serve", "--config", "/no/such/server.toml"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("cannot read the config file /no/such/server.toml"));
}

#[test]
fn the_token_secret_and_s3_secret_can_come_from_the_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_text("sqlite:cases.sqlite", "").replace(common::TOKEN_SECRET, "short");
    std::fs::write(dir.path().join("server.toml"), &config).expect("write");
    let output = Command::new(binary())
        .args(["migrate", "--config"])
        .arg(dir.path().join("server.toml"))
        .env(
            "PARTNERDESK_TOKEN_SECRET",
            "an-environment-secret-of-enough-length",
        )
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_creates_the_schema_and_data_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_text("sqlite:cases.sqlite", "");
    std::fs::write(dir.path().join("server.toml"), &config).expect("write");
    for _ in 0..2 {
        let output = Command::new(binary())
            .args(["migrate", "--config"])
            .arg(dir.path().join("server.toml"))
            .output()
            .expect("run");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stdout).contains("is up to date"));
    }
    let file = dir.path().join("cases.sqlite");
    let conn = rusqlite::Connection::open(&file).expect("open");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("v");
    assert_eq!(version, pd_collab::sqlite::SCHEMA_VERSION as i64);
    drop(conn);

    let http = Client::new();
    let first = start_in(dir.path(), &config, &[]);
    let t = token(&first.base_url, CLIENT, SECRET).await;
    create(&http, &first.base_url, &t, "kept-1").await;
    drop(first);
    let second = start_in(dir.path(), &config, &[]);
    let t = token(&second.base_url, CLIENT, SECRET).await;
    let kept = http
        .get(collab(&second.base_url, COMPANY, "/kept-1"))
        .bearer_auth(&t)
        .send()
        .await
        .expect("send");
    assert_eq!(kept.status(), 200, "the case outlives the process");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_says_whether_the_database_is_usable() {
    let server = start_with_config(&config_text("sqlite:cases.sqlite", ""));
    let http = Client::new();
    let ok = http
        .get(format!("{}/healthz", server.base_url))
        .send()
        .await
        .expect("send");
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.json::<Value>().await.expect("json"),
        json!({"status": "ok", "database": "ok"})
    );
    // Another build moved the schema on: this process must say it cannot serve it.
    let conn = rusqlite::Connection::open(server.dir.join("cases.sqlite")).expect("open");
    conn.pragma_update(None, "user_version", 99)
        .expect("pragma");
    drop(conn);
    let down = http
        .get(format!("{}/healthz", server.base_url))
        .send()
        .await
        .expect("send");
    assert_eq!(down.status(), 503);
    let body: Value = down.json().await.expect("json");
    assert_eq!(body["status"], "unavailable");
    assert!(
        body["database"]
            .as_str()
            .is_some_and(|m| m.contains("schema is at 99")),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_come_from_configured_clients_and_work_on_every_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_text("sqlite:cases.sqlite", "");
    let a = start_in(dir.path(), &config, &[]);
    let b = start_in(dir.path(), &config, &[]);
    let http = Client::new();
    let from_a = token(&a.base_url, CLIENT, SECRET).await;
    create(&http, &a.base_url, &from_a, "shared-1").await;
    let on_b = http
        .get(collab(&b.base_url, COMPANY, "/shared-1"))
        .bearer_auth(&from_a)
        .send()
        .await
        .expect("send");
    assert_eq!(
        on_b.status(),
        200,
        "a token from one process works on another"
    );

    let wrong = http
        .post(format!(
            "{}/v1/oauth2/tokens?grant_type=client_credentials",
            a.base_url
        ))
        .basic_auth("stranger", Some("whatever-whatever"))
        .send()
        .await
        .expect("send");
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        wrong.json::<Value>().await.expect("json")["error"],
        "invalid_client"
    );

    // A process with another signing key does not accept this one's tokens.
    let other_dir = tempfile::tempdir().expect("tempdir");
    let other = start_in(
        other_dir.path(),
        &config.replace(
            common::TOKEN_SECRET,
            "a-completely-different-signing-key-here",
        ),
        &[],
    );
    let refused = http
        .get(collab(&other.base_url, COMPANY, ""))
        .bearer_auth(&from_a)
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), 401);

    // A client taken out of the config loses access with its live tokens.
    let integration = token(&a.base_url, "integration", "integration-secret-0123").await;
    drop(a);
    drop(b);
    let without = config.replace("id = \"integration\"", "id = \"integration-2\"");
    let c = start_in(dir.path(), &without, &[]);
    let gone = http
        .get(collab(&c.base_url, COMPANY, ""))
        .bearer_auth(&integration)
        .send()
        .await
        .expect("send");
    assert_eq!(gone.status(), 401);
    let body: Value = gone.json().await.expect("json");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("no longer configured")),
        "{body}"
    );
    let still = http
        .get(collab(&c.base_url, COMPANY, ""))
        .bearer_auth(&from_a)
        .send()
        .await
        .expect("send");
    assert_eq!(still.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_author_is_the_callers_configured_name_not_the_request_body() {
    let server = start_with_config(&config_text("sqlite:cases.sqlite", ""));
    let http = Client::new();
    let anna = token(&server.base_url, CLIENT, SECRET).await;
    let erp = token(&server.base_url, "integration", "integration-secret-0123").await;
    let created = create(&http, &server.base_url, &erp, "auth-1").await;
    assert_eq!(
        created["comments"][0]["author"], "ERP integration",
        "the opening comment"
    );
    for (token, expected) in [(&anna, NAME), (&erp, "ERP integration")] {
        let comment: Value = http
            .post(collab(&server.base_url, COMPANY, "/auth-1/comments"))
            .bearer_auth(token)
            .json(
                &json!({"id": uuid::Uuid::new_v4().to_string(), "author": "Mallory the CEO",
                          "body": "Approved.", "visibility": "internal"}),
            )
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        assert_eq!(comment["author"], expected);
    }
    let doc: Value = http
        .post(collab(
            &server.base_url,
            COMPANY,
            "/auth-1/documents?name=a.txt&uploadedBy=Mallory",
        ))
        .bearer_auth(&anna)
        .body("hello")
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["uploadedBy"], NAME);
    let bundle: Value = get_json(&http, &server.base_url, COMPANY, "/auth-1", &anna).await;
    let authors: Vec<&str> = bundle["comments"]
        .as_array()
        .expect("comments")
        .iter()
        .filter_map(|c| c["author"].as_str())
        .collect();
    assert_eq!(authors, ["ERP integration", NAME, "ERP integration"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_idempotency_key_applies_again_and_a_live_one_replays() {
    let server = start_with_config(&config_text(
        "sqlite:cases.sqlite",
        "idempotency_expiry_hours = 1",
    ));
    let http = Client::new();
    let t = token(&server.base_url, CLIENT, SECRET).await;
    create(&http, &server.base_url, &t, "exp-1").await;
    let comment = |id: &str| json!({"id": id, "author": "x", "body": "Resent after a long time offline", "visibility": "partner"});
    let send = |body: Value| {
        http.post(collab(&server.base_url, COMPANY, "/exp-1/comments"))
            .bearer_auth(&t)
            .header("Idempotency-Key", "op-expiring")
            .json(&body)
            .send()
    };
    assert_eq!(send(comment("m-1")).await.expect("send").status(), 201);
    let replay = send(comment("m-1")).await.expect("send");
    assert_eq!(replay.status(), 201, "within the hour: replayed");
    let reused = send(comment("m-2")).await.expect("send");
    assert_eq!(
        reused.status(),
        422,
        "within the hour: the key belongs to m-1"
    );

    // Two hours pass for the stored answer.
    let conn = rusqlite::Connection::open(server.dir.join("cases.sqlite")).expect("open");
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .expect("busy");
    conn.execute(
        "UPDATE idempotency SET created_at = ?1 WHERE key = 'op-expiring'",
        [pd_collab::sqlite::ts(
            chrono::Utc::now() - chrono::Duration::hours(2),
        )],
    )
    .expect("age the answer");
    drop(conn);
    let after = send(comment("m-2")).await.expect("send");
    assert_eq!(
        after.status(),
        201,
        "an expired key is free again: {}",
        after.status()
    );
    let bundle: Value = get_json(&http, &server.base_url, COMPANY, "/exp-1", &t).await;
    let ids: Vec<&str> = bundle["comments"]
        .as_array()
        .expect("comments")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .filter(|id| id.starts_with("m-"))
        .collect();
    assert_eq!(ids, ["m-1", "m-2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn companies_are_kept_apart() {
    let server = start_with_config(&config_text("sqlite:cases.sqlite", ""));
    let http = Client::new();
    let t = token(&server.base_url, CLIENT, SECRET).await;
    create(&http, &server.base_url, &t, "co-1").await;
    let second: Value = get_json(&http, &server.base_url, "GC-SECOND", "", &t).await;
    assert_eq!(second["cases"], json!([]));
    let not_there = http
        .get(collab(&server.base_url, "GC-SECOND", "/co-1"))
        .bearer_auth(&t)
        .send()
        .await
        .expect("send");
    assert_eq!(not_there.status(), 404);
    let comment = http
        .post(collab(&server.base_url, "GC-SECOND", "/co-1/comments"))
        .bearer_auth(&t)
        .json(&json!({"id": "x1", "author": "a", "body": "b", "visibility": "internal"}))
        .send()
        .await
        .expect("send");
    assert_eq!(
        comment.status(),
        404,
        "a case is written only through its own company"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_are_refused_and_the_server_keeps_serving() {
    let server = start_with_config(&config_text("sqlite:cases.sqlite", ""));
    let http = Client::new();
    let t = token(&server.base_url, CLIENT, SECRET).await;
    create(&http, &server.base_url, &t, "h-1").await;
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let bodies: Vec<Vec<u8>> = vec![
        nested.into_bytes(),
        vec![0xff, 0xfe, 0x00, 0x7b],
        b"{\"id\":\"h-2\",\"title\":\"\\u0000\",\"partnerId\":\"p\",\"kind\":\"order\"}".to_vec(),
        format!("{{\"id\":\"{}\",\"title\":\"t\",\"partnerId\":\"p\",\"kind\":\"order\"}}", "i".repeat(101)).into_bytes(),
        format!("{{\"id\":\"h-3\",\"title\":\"t\",\"partnerId\":\"{}\",\"kind\":\"order\"}}", "p".repeat(101)).into_bytes(),
        b"{\"id\":\"h-4\",\"title\":\"t\",\"partnerId\":\"p\",\"kind\":\"order\",\"linkedTransactions\":[\"\"]}".to_vec(),
    ];
    for body in bodies {
        let response = http
            .post(collab(&server.base_url, COMPANY, ""))
            .bearer_auth(&t)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("send");
        assert_eq!(
            response.status(),
            400,
            "{:?}",
            String::from_utf8_lossy(&body[..body.len().min(80)])
        );
        let error: Value = response.json().await.expect("a JSON error body");
        assert_eq!(error["code"], "validation");
    }
    let weird_key = http
        .patch(collab(&server.base_url, COMPANY, "/h-1"))
        .bearer_auth(&t)
        .header(
            "Idempotency-Key",
            reqwest::header::HeaderValue::from_bytes(b"caf\xe9").expect("bytes"),
        )
        .json(&json!({"priority": "low"}))
        .send()
        .await
        .expect("send");
    assert_eq!(weird_key.status(), 400);
    for path in [
        "/..%2F..%2Fetc%2Fpasswd",
        "/h-1%00",
        &format!("/{}", "x".repeat(5000)),
    ] {
        let response = http
            .get(collab(&server.base_url, COMPANY, path))
            .bearer_auth(&t)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 404, "{path}");
    }
    let unknown_route = http
        .get(format!("{}/etc/passwd", server.base_url))
        .send()
        .await
        .expect("send");
    assert_eq!(unknown_route.status(), 404);
    let feed: Value = get_json(&http, &server.base_url, COMPANY, "", &t).await;
    assert_eq!(
        feed["cases"].as_array().map(Vec::len),
        Some(1),
        "only the real case"
    );
    let health = http
        .get(format!("{}/healthz", server.base_url))
        .send()
        .await
        .expect("send");
    assert_eq!(health.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_json_lines_with_request_ids_and_no_secrets() {
    let server = start_with_config(&config_text("sqlite:cases.sqlite", ""));
    let http = Client::new();
    let t = token(&server.base_url, CLIENT, SECRET).await;
    let response = http
        .get(collab(&server.base_url, COMPANY, "/missing"))
        .bearer_auth(&t)
        .send()
        .await
        .expect("send");
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .expect("id")
        .to_string();
    assert_eq!(response.status(), 404);
    // The line is written after the answer: wait until it is there.
    let mut logs = String::new();
    for _ in 0..100 {
        logs = server.logs();
        if logs.contains(&request_id) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let lines: Vec<Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let line = lines
        .iter()
        .find(|l| l["request_id"] == request_id.as_str())
        .expect("a line for the request");
    assert_eq!(line["method"], "GET");
    assert_eq!(line["status"], 404);
    assert_eq!(
        line["path"],
        format!("/collab/v1/companies/{COMPANY}/cases/missing").as_str()
    );
    assert!(lines
        .iter()
        .any(|l| l["message"] == "partnerdesk-server listening"));
    assert!(!logs.contains(SECRET) && !logs.contains(&t) && !logs.contains(common::TOKEN_SECRET));
}

/// Two processes on one SQLite file, four writers, and a reader following the feed from its
/// cursor the whole time: every case reaches the reader at its final version (a skipped
/// change would leave a case missing or stuck at an older version).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_feed_misses_nothing_while_two_processes_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_text("sqlite:cases.sqlite", "");
    let servers: Vec<ServerProcess> = (0..2).map(|_| start_in(dir.path(), &config, &[])).collect();
    let bases: Vec<String> = servers.iter().map(|s| s.base_url.clone()).collect();
    let t = token(&bases[0], CLIENT, SECRET).await;
    let http = Client::new();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (http, t, base, done) = (http.clone(), t.clone(), bases[1].clone(), done.clone());
        tokio::spawn(async move {
            let mut cursor = "0".to_string();
            let mut seen: HashMap<String, i64> = HashMap::new();
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                loop {
                    let page: Value = http
                        .get(collab(&base, COMPANY, &format!("?since={cursor}&limit=7")))
                        .bearer_auth(&t)
                        .send()
                        .await
                        .expect("send")
                        .json()
                        .await
                        .expect("json");
                    for bundle in page["cases"].as_array().expect("cases") {
                        let id = bundle["case"]["id"].as_str().expect("id").to_string();
                        let version = bundle["case"]["version"].as_i64().expect("v");
                        let known = seen.entry(id).or_insert(0);
                        assert!(version > *known, "the feed never goes back");
                        *known = version;
                    }
                    cursor = page["nextCursor"].as_str().expect("cursor").to_string();
                    if !page["hasMore"].as_bool().expect("more") {
                        break;
                    }
                }
                if finished {
                    return seen;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
    };
    let mut writers = Vec::new();
    for w in 0..4 {
        let (http, t, base) = (http.clone(), t.clone(), bases[w % 2].clone());
        writers.push(tokio::spawn(async move {
            let mut expected = HashMap::new();
            for i in 0..15 {
                let id = format!("w{w}-{i}");
                create(&http, &base, &t, &id).await;
                let mut version = 1;
                for c in 0..(i % 3) {
                    let response = http
                        .post(collab(&base, COMPANY, &format!("/{id}/comments")))
                        .bearer_auth(&t)
                        .json(&json!({"id": format!("{id}-c{c}"), "author": "a", "body": "b", "visibility": "internal"}))
                        .send()
                        .await
                        .expect("send");
                    assert_eq!(response.status(), 201);
                    version += 1;
                }
                expected.insert(id, version);
            }
            expected
        }));
    }
    let mut expected = HashMap::new();
    for writer in writers {
        expected.extend(writer.await.expect("writer"));
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = reader.await.expect("reader");
    assert_eq!(expected.len(), 60);
    assert_eq!(
        seen, expected,
        "every case at its final version, none missing"
    );
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut server = start_with_config(&config_text("sqlite:cases.sqlite", ""));
    let pid = server.child.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = server.child.wait().expect("wait");
    assert!(exit.success(), "a graceful stop exits 0: {exit:?}");
    assert!(server
        .logs()
        .contains("stopping: finishing requests in flight"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_shows_the_partner_name_the_app_sent_since_the_server_has_no_directory() {
    let server = start_with_config(&config_text("sqlite:cases.sqlite", ""));
    let http = Client::new();
    let anna = token(&server.base_url, CLIENT, SECRET).await;
    let post = |body: Value| {
        http.post(collab(&server.base_url, COMPANY, ""))
            .bearer_auth(&anna)
            .json(&body)
            .send()
    };
    let mut named = new_case("named-1");
    named["partnerName"] = json!("Highland Wool Mills Ltd");
    let created: Value = post(named).await.expect("send").json().await.expect("json");
    assert_eq!(created["case"]["partnerName"], "Highland Wool Mills Ltd");
    assert_eq!(created["case"]["partnerId"], "GC-P1");

    // An older client sends no name: the id stands in, as before.
    let unnamed: Value = post(new_case("unnamed-1"))
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(unnamed["case"]["partnerName"], "GC-P1");

    // A name that is not one line of text is refused, and nothing is created.
    let mut hostile = new_case("hostile-1");
    hostile["partnerName"] = json!("Acme\u{202E}\nexe");
    let refused = post(hostile).await.expect("send");
    assert_eq!(refused.status(), 400);
    let missing = http
        .get(collab(&server.base_url, COMPANY, "/hostile-1"))
        .bearer_auth(&anna)
        .send()
        .await
        .expect("send");
    assert_eq!(missing.status(), 404);
}
