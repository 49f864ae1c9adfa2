//! Seeding is deterministic and reusable, and the binary prints its address first.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{config, start_with, Env, KEY, SECRET};
use partnerdesk_sandbox::{Sandbox, SandboxConfig};
use reqwest::Method;
use serde_json::{json, Value};

async fn snapshot(env: &Env) -> (Vec<Value>, Value, Value, Value) {
    let (cases, _) = env.drain_feed("", 2000).await;
    let partners = env.get_json(&env.cm("/partnerDirectory")).await;
    let users = env.get_json(&env.cm("/users")).await;
    let lens = env
        .lens(r#"{ getTransactions(query:{count:200 contentKeyFilters:[] sortby:{field: arrivaltime type: ASC}}) { total transactions { transactionid arrivaltime status errorcode sendername contentkeys { key value } } } }"#)
        .await;
    (cases, partners, users, lens)
}

#[tokio::test]
async fn the_same_seed_gives_the_same_tenant_and_another_seed_does_not() {
    let a = start_with(SandboxConfig {
        seed: 7,
        ..config(60)
    })
    .await;
    let b = start_with(SandboxConfig {
        seed: 7,
        ..config(60)
    })
    .await;
    let c = start_with(SandboxConfig {
        seed: 8,
        ..config(60)
    })
    .await;
    let (sa, sb, sc) = (snapshot(&a).await, snapshot(&b).await, snapshot(&c).await);
    assert_eq!(sa.0.len(), 60);
    assert_eq!(sa, sb);
    assert_ne!(sa.0, sc.0);
    assert_ne!(sa.3, sc.3);
}

#[tokio::test]
async fn a_data_file_is_reused_not_reseeded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tenant.sqlite");
    let first = start_with(SandboxConfig {
        data: Some(path.clone()),
        ..config(30)
    })
    .await;
    let (partner, _) = common::partner_and_owner(&first).await;
    let created = first
        .send_json(Method::POST, &first.collab(""), &json!({"id": "kept", "title": "Survives restart", "partnerId": partner, "kind": "other"}), Some("k1"))
        .await;
    assert_eq!(created.status(), 201);
    let before = first.sandbox.stats().await.expect("stats");
    first.sandbox.shutdown().await.expect("shutdown");

    let second = start_with(SandboxConfig {
        data: Some(path.clone()),
        cases: 5,
        seed: 99,
        ..config(30)
    })
    .await;
    let after = second.sandbox.stats().await.expect("stats");
    assert_eq!(
        (after.cases, after.comments, after.applied_ops),
        (before.cases, before.comments, before.applied_ops)
    );
    assert_eq!(
        second.get_json(&second.collab("/kept")).await["case"]["title"],
        "Survives restart"
    );
    let replay = second
        .send_json(Method::POST, &second.collab(""), &json!({"id": "kept", "title": "Survives restart", "partnerId": partner, "kind": "other"}), Some("k1"))
        .await;
    assert_eq!(
        replay.status(),
        201,
        "idempotency keys survive a restart too"
    );
    second.sandbox.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_corrupt_data_file_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("garbage.sqlite");
    std::fs::write(
        &path,
        b"this is not a database, just some bytes that are long enough to look like a header....",
    )
    .expect("write");
    let err = Sandbox::start(SandboxConfig {
        data: Some(path.clone()),
        ..config(5)
    })
    .await
    .expect_err("refused");
    assert_eq!(err.code(), "sandbox.database");
    assert!(
        std::fs::read(&path)
            .expect("still there")
            .starts_with(b"this is not a database"),
        "nothing overwritten"
    );
}

#[test]
fn the_binary_prints_its_address_first_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_partnerdesk-sandbox"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--consumer-key",
            KEY,
            "--consumer-secret",
            SECRET,
            "--company-id",
            "GC00804444LX",
            "--cases",
            "15",
            "--seed",
            "3",
            "--latency-ms",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening line")
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let stats: Value = runtime.block_on(async {
        let http = reqwest::Client::new();
        common::token(&http, &url).await;
        http.get(format!("{url}/__admin/stats"))
            .basic_auth(KEY, Some(SECRET))
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json")
    });
    assert_eq!(stats["cases"], 15);
    child.kill().expect("kill");
    let _ = child.wait();

    let bad = Command::new(env!("CARGO_BIN_EXE_partnerdesk-sandbox"))
        .args(["--error-rate", "2"])
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("errorRate"));
}
