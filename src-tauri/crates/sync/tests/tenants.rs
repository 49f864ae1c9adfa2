//! A real tenant's shape: a Trading Grid host that serves OAuth2, Community Management and Lens
//! and answers 404 under `/collab/` (the sandbox with `serve_cases: false`). Without a case
//! server the sync never asks for cases, so nothing fails and cases opened here stay on this
//! computer; once a case server exists, the shared cases reach it exactly once, however often
//! the push is killed and run again.

mod common;

use std::time::Duration;

use common::{client_for, stubborn};
use partnerdesk_sandbox::{Faults, Sandbox, SandboxConfig, SandboxHandle};
use pd_domain::{
    CaseKind, CasePatch, CaseReferences, CaseStatus, ExceptionQuery, NewCase, Visibility,
};
use pd_store::Store;
use pd_sync::{pull_from, push, PullOptions, PushOptions, SyncOptions, SyncPeers, SyncService};
use pd_tradinggrid::RetryPolicy;

async fn sandbox(
    dir: &std::path::Path,
    name: &str,
    serve_cases: bool,
    cases: usize,
) -> (SandboxHandle, SandboxConfig) {
    let config = SandboxConfig {
        data: Some(dir.join(format!("{name}.sqlite"))),
        cases,
        serve_cases,
        ..SandboxConfig::default()
    };
    let handle = Sandbox::start(config.clone())
        .await
        .expect("sandbox starts");
    let config = SandboxConfig {
        listen: handle.addr(),
        ..config
    };
    (handle, config)
}

fn options() -> SyncOptions {
    SyncOptions {
        workspace_name: "Trading Grid only".into(),
        is_demo: false,
        ..SyncOptions::default()
    }
}

fn new_case(title: &str, partner_id: &str) -> NewCase {
    NewCase {
        id: String::new(),
        title: title.into(),
        partner_id: partner_id.into(),
        partner_name: None,
        kind: CaseKind::Order,
        priority: None,
        owner: None,
        sla_due: None,
        linked_transactions: vec![],
        references: CaseReferences::default(),
        description: Some(format!("{title}: what happened")),
    }
}

/// The analyst's inbox fills from the Trading-Grid-only host, a case opened here stays here,
/// and the status shows no failure, cycle after cycle. The same host taken for a case server
/// (what every account was before) fails every cycle with "not found": the failure this fixes.
#[tokio::test]
async fn a_trading_grid_only_host_syncs_without_failure_and_keeps_cases_here() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (host, config) = sandbox(dir.path(), "tg-only", false, 0).await;
    let client = client_for(&host, &config, RetryPolicy::no_retries());
    let store = Store::open(dir.path().join("cache.db")).expect("cache");
    let topics: pd_sync::Topics = std::sync::Arc::new(|_: &[pd_domain::Topic]| {});
    let peers = SyncPeers {
        trading_grid: client.clone(),
        cases: None,
    };
    let (handle, _loop) = SyncService::prepare(store.clone(), peers, options(), topics.clone());
    let status = handle.sync_now().await;
    assert_eq!(status.last_error, None, "no failure: {status:?}");
    assert!(status.last_synced_at.is_some());
    let inbox = store
        .list_exceptions(&ExceptionQuery::default())
        .expect("inbox");
    assert!(inbox.total > 0, "the exceptions inbox fills");
    let partner = store.list_partners(None).expect("partners").remove(0);

    let id = store
        .create_kept_case(
            &new_case("Rejected invoice", &partner.partner.partner_company_id),
            "You",
            chrono::Utc::now(),
        )
        .expect("case");
    store
        .add_local_comment(
            &id,
            "You",
            "called them",
            Visibility::Internal,
            chrono::Utc::now(),
        )
        .expect("comment");
    handle.nudge();
    for _ in 0..3 {
        let status = handle.sync_now().await;
        assert_eq!(status.last_error, None, "still no failure: {status:?}");
        assert_eq!(status.pending_changes, 0, "nothing waits for a server");
    }
    assert_eq!(store.kept_case_count().expect("kept"), 1);
    assert_eq!(host.stats().await.expect("stats").applied_ops, 0);

    let (old_way, _loop) = SyncService::prepare(
        store.clone(),
        SyncPeers::one_host(client),
        options(),
        topics,
    );
    let status = old_way.sync_now().await;
    assert_eq!(
        status.last_error.map(|error| error.code),
        Some(pd_domain::ErrorCode::ApiNotFound),
        "asking the host for cases fails"
    );
    host.shutdown().await.expect("stop");
}

/// Three cases made on this computer (each with its description, a comment and a status
/// change) are shared with a case server added later: the push is killed mid-way twice, with
/// answers lost in transit, and run again until done. The server ends with each case once and
/// each comment once, and the cache equals what it holds.
#[tokio::test]
async fn shared_local_cases_reach_the_case_server_exactly_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (host, host_config) = sandbox(dir.path(), "tg-only", false, 0).await;
    let (server, server_config) = sandbox(dir.path(), "case-server", true, 0).await;
    let trading_grid = client_for(&host, &host_config, RetryPolicy::no_retries());
    let store = Store::open(dir.path().join("cache.db")).expect("cache");
    pull_from(
        &store,
        &trading_grid,
        None,
        &PullOptions::default(),
        chrono::Utc::now(),
    )
    .await
    .expect("pull");
    let partner = store.list_partners(None).expect("partners").remove(0);
    let before = server.stats().await.expect("stats");
    let mut ids = Vec::new();
    for n in 0..3 {
        let now = chrono::Utc::now();
        let id = store
            .create_kept_case(
                &new_case(
                    &format!("Kept case {n}"),
                    &partner.partner.partner_company_id,
                ),
                "You",
                now,
            )
            .expect("case");
        store
            .add_local_comment(&id, "You", &format!("note {n}"), Visibility::Partner, now)
            .expect("comment");
        store
            .patch_local_case(
                &id,
                &CasePatch {
                    status: Some(CaseStatus::WaitingOnPartner),
                    ..CasePatch::default()
                },
                now,
            )
            .expect("patch");
        ids.push(id);
    }
    assert_eq!(store.share_kept_cases().expect("share"), 3);

    server
        .set_faults(Faults {
            drop_rate: 0.3,
            latency_ms: 20,
            ..Faults::default()
        })
        .expect("faults");
    let cases = client_for(&server, &server_config, stubborn());
    let quick = PushOptions {
        concurrency: 2,
        max_backoff: Duration::from_millis(50),
        // A killed push's entries come back to the next one once this runs out.
        lease: Duration::from_millis(300),
    };
    for _ in 0..2 {
        // Killed mid-way, as when the app is closed; what was in flight comes back to the next
        // push when its lease runs out.
        let (s, c, o) = (store.clone(), cases.clone(), quick.clone());
        let running = tokio::spawn(async move { push(&s, &c, &o).await });
        tokio::time::sleep(Duration::from_millis(120)).await;
        running.abort();
        let _ = running.await;
    }
    for _ in 0..200 {
        let _ = push(&store, &cases, &quick).await;
        if store.outbox_summary().expect("summary").pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    server.set_faults(Faults::default()).expect("no faults");
    let summary = store.outbox_summary().expect("summary");
    assert_eq!((summary.pending, summary.failed), (0, 0), "all sent");

    let after = server.stats().await.expect("stats");
    assert_eq!(after.cases - before.cases, 3, "each case once");
    assert_eq!(
        after.comments - before.comments,
        6,
        "each description and comment once"
    );
    for id in &ids {
        let ops = server.applied_ops(Some(id)).await.expect("ops");
        let kinds: Vec<&str> = ops.iter().map(|op| op.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["create_case", "add_comment", "patch_case"],
            "case {id}: each change once, in order"
        );
        let detail = store.case_detail(id, chrono::Utc::now()).expect("detail");
        assert!(!detail.this_computer_only && !detail.local_only);
        assert_eq!(detail.case.status, CaseStatus::WaitingOnPartner);
    }
    host.shutdown().await.expect("stop");
    server.shutdown().await.expect("stop");
}
