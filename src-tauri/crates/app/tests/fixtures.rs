//! Writes the UI's behaviour fixtures (`ui/src/mock/generated/`) from the real code, so the mock
//! backend cannot drift from what the app does: the case the app opens from a failed
//! transaction, and the outbox view with one entry of every operation, one of them refused by
//! the server. The sandbox is seeded at a fixed "now" and every local change is made at a fixed
//! time, with fixed case ids; the ids the store makes up are replaced by stable ones, so the files change only when behaviour does.
//! A file that differs is rewritten and the test fails, naming it: commit it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use partnerdesk_sandbox::{Sandbox, SandboxConfig};
use pd_app::api::open_case_for_exception;
use pd_domain::{
    CaseKind, CasePatch, CaseQuery, CaseReferences, CaseStatus, ExceptionQuery, NewCase, OutboxOp,
    OutboxState, Priority, Visibility,
};
use pd_store::Store;
use pd_sync::{pull, push, PullOptions, PushOptions};
use pd_tradinggrid::{ClientConfig, TradingGridClient};

fn fixed_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0)
        .single()
        .expect("a date")
}

/// Replaces every UUID-shaped string by a stable one, numbered in order of appearance.
fn stable_ids(value: &mut serde_json::Value, seen: &mut HashMap<String, String>) {
    match value {
        serde_json::Value::String(text) if uuid::Uuid::parse_str(text).is_ok() => {
            let next = seen.len() + 1;
            let stable = seen
                .entry(text.clone())
                .or_insert_with(|| format!("00000000-0000-4000-8000-{next:012}"));
            *text = stable.clone();
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| stable_ids(v, seen)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| stable_ids(v, seen)),
        _ => {}
    }
}

fn fixture_text<T: serde::Serialize>(value: &T, seen: &mut HashMap<String, String>) -> String {
    let mut json = serde_json::to_value(value).expect("serializes");
    stable_ids(&mut json, seen);
    serde_json::to_string_pretty(&json).expect("serializes") + "\n"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_fixtures_come_from_the_real_code() {
    let dir = tempfile::tempdir().expect("temp dir");
    let now = fixed_now();
    let config = SandboxConfig {
        data: Some(dir.path().join("sandbox.sqlite")),
        cases: 8,
        comments_per_case: 2,
        seed_now: Some(now),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config.clone())
        .await
        .expect("sandbox starts");
    let mut client_config = ClientConfig::new(
        url::Url::parse(&sandbox.base_url()).expect("url"),
        config.company_id.clone(),
        config.consumer_key.clone(),
        config.consumer_secret.clone(),
    );
    client_config.request_timeout = Duration::from_secs(10);
    let client = TradingGridClient::new(client_config).expect("client");
    let store = Store::open(dir.path().join("cache.db")).expect("cache");
    pull(&store, &client, &PullOptions::default(), now)
        .await
        .expect("first sync");

    // The case the app opens for the first failed transaction with a known partner.
    let mut exceptions = store
        .list_exceptions(&ExceptionQuery {
            limit: 500,
            ..ExceptionQuery::default()
        })
        .expect("inbox")
        .rows;
    exceptions.sort_by(|a, b| {
        a.transaction
            .transaction_id
            .cmp(&b.transaction.transaction_id)
    });
    let row = exceptions
        .iter()
        .find(|row| row.partner_id.is_some() && row.case_ids.is_empty())
        .expect("a failed transaction with a partner");
    let case_id = open_case_for_exception(
        &store,
        &row.transaction.transaction_id,
        "Demo Analyst",
        "7d2f9c1e-4b5a-4c3d-9e8f-0a1b2c3d4e5f".to_owned(),
        now,
    )
    .expect("case opened");
    let from_exception = store.case_detail(&case_id, now).expect("case detail");
    assert_eq!(
        from_exception.case.linked_transactions,
        vec![row.transaction.transaction_id.clone()],
        "the case carries the transaction it was opened for"
    );

    // A change the server refuses (a transaction it does not know), sent and failed.
    let server_case = store
        .list_cases(&CaseQuery::default(), now)
        .expect("case list")
        .rows
        .into_iter()
        .map(|row| row.id)
        .filter(|id| *id != case_id)
        .min()
        .expect("a synced case");
    store
        .link_local_transaction(&server_case, "NO-SUCH-TRANSACTION", now)
        .expect("link queued");
    push(&store, &client, &PushOptions::default())
        .await
        .expect("push runs");
    // Then one waiting entry of every other kind.
    store
        .create_local_case(
            &NewCase {
                id: "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f".to_owned(),
                title: "Short shipment on PO 4500012345".into(),
                partner_id: row.partner_id.clone().expect("partner"),
                kind: CaseKind::Shipment,
                priority: Some(Priority::High),
                owner: None,
                sla_due: None,
                linked_transactions: Vec::new(),
                references: CaseReferences::default(),
                description: Some("12 cartons arrived, 14 were shipped.".into()),
            },
            "Demo Analyst",
            now,
        )
        .expect("case queued");
    store
        .add_local_comment(
            &server_case,
            "Demo Analyst",
            "Can you resend the ASN?",
            Visibility::Partner,
            now,
        )
        .expect("comment queued");
    store
        .patch_local_case(
            &server_case,
            &CasePatch {
                status: Some(CaseStatus::Resolved),
                ..CasePatch::default()
            },
            now,
        )
        .expect("patch queued");
    store
        .unlink_local_transaction(&server_case, "NO-SUCH-TRANSACTION", now)
        .expect("unlink queued");
    let outbox = store.outbox_views().expect("outbox view");
    sandbox.shutdown().await.expect("sandbox stops");

    let failed: Vec<_> = outbox
        .iter()
        .filter(|entry| entry.state == OutboxState::Failed)
        .collect();
    assert_eq!(failed.len(), 1, "the refused link is failed: {outbox:?}");
    assert!(matches!(failed[0].op, Some(OutboxOp::LinkTransaction(_))));
    assert!(failed[0].last_error.is_some(), "the refusal says why");
    for kind in [
        "create_case",
        "add_comment",
        "patch_case",
        "unlink_transaction",
    ] {
        assert!(
            outbox
                .iter()
                .any(|entry| entry.op.as_ref().map(OutboxOp::name) == Some(kind)),
            "{kind} is in the outbox"
        );
    }

    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../ui/src/mock/generated");
    std::fs::create_dir_all(&out).expect("fixtures dir");
    let mut seen = HashMap::new();
    let files = [
        (
            out.join("case-from-exception.json"),
            fixture_text(&from_exception, &mut seen),
        ),
        (out.join("outbox.json"), fixture_text(&outbox, &mut seen)),
    ];
    let stale = common::rewrite_stale(&files);
    assert!(
        stale.is_empty(),
        "these UI fixtures did not match what the code does now and were rewritten; commit them: {stale:?}"
    );
}
