//! Two senders on one cache file (two push loops, or `partnerdesk-push` beside one) send each
//! operation once; the push tool keeps off a cache the app holds; every failure after a send
//! puts the entry back in the queue; a server replaying old answers moves nothing backwards.

mod common;

use std::collections::{HashMap, HashSet};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::World;
use partnerdesk_sandbox::Faults;
use pd_domain::{CasePatch, CaseStatus, NewCase, OutboxState, Priority, Visibility};
use pd_store::{CacheLock, Store};
use pd_sync::{pull, push, PullOptions, PushOptions};

fn quick_push() -> PushOptions {
    PushOptions {
        concurrency: 4,
        max_backoff: Duration::from_millis(100),
        ..PushOptions::default()
    }
}

async fn pull_now(world: &World) {
    pull(
        &world.store,
        &world.client,
        &PullOptions::default(),
        chrono::Utc::now(),
    )
    .await
    .expect("pull");
}

/// Queues `n` comments and patches over `cases`; returns every op id queued.
fn queue(store: &Store, cases: &[String], n: usize) -> Vec<String> {
    let now = chrono::Utc::now();
    for i in 0..n {
        let case_id = &cases[i % cases.len()];
        if i % 3 == 2 {
            let patch = CasePatch {
                priority: Some(Priority::ALL[i % Priority::ALL.len()]),
                ..CasePatch::default()
            };
            store.patch_local_case(case_id, &patch, now).expect("patch");
        } else {
            store
                .add_local_comment(
                    case_id,
                    "Ann Keller",
                    &format!("note {i}"),
                    Visibility::Internal,
                    now,
                )
                .expect("comment");
        }
    }
    store
        .outbox_entries()
        .expect("entries")
        .into_iter()
        .map(|e| e.op_id)
        .collect()
}

/// Pushes until this handle sees an empty outbox.
async fn drain(store: Store, world_client: pd_tradinggrid::TradingGridClient) {
    for _ in 0..600 {
        let _ = push(&store, &world_client, &quick_push()).await;
        let summary = store.outbox_summary().expect("summary");
        if summary.pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the outbox did not drain");
}

/// Every op was sent in exactly one request and applied exactly once.
async fn assert_each_sent_once(world: &World, ops: &[String]) {
    let requests = world.sandbox().requests_by_key();
    let applied = world.sandbox().applied_ops(None).await.expect("ops");
    let mut applied_count: HashMap<&str, usize> = HashMap::new();
    for op in &applied {
        *applied_count.entry(op.op_id.as_str()).or_default() += 1;
    }
    let twice: Vec<(&String, u64)> = ops
        .iter()
        .filter_map(|op| {
            let n = requests.get(op).copied().unwrap_or(0);
            (n != 1).then_some((op, n))
        })
        .collect();
    assert!(
        twice.is_empty(),
        "{} of {} operations were not sent exactly once: {:?}",
        twice.len(),
        ops.len(),
        &twice[..twice.len().min(5)]
    );
    for op in ops {
        assert_eq!(
            applied_count.get(op.as_str()),
            Some(&1),
            "op {op} applied once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_push_loops_on_one_cache_file_send_each_operation_once() {
    let world = World::new(40).await;
    pull_now(&world).await;
    let cases = world.first_case_ids(30);
    let ops = queue(&world.store, &cases, 400);
    // Slow answers keep entries in flight while the other loop looks for work.
    world.faults(Faults {
        latency_ms: 5,
        ..Faults::default()
    });
    let second = Store::open(world.dir.path().join("cache.db")).expect("second handle");
    let a = tokio::spawn(drain(world.store.clone(), world.client.clone()));
    let b = tokio::spawn(drain(second, world.client.clone()));
    a.await.expect("first loop");
    b.await.expect("second loop");
    world.faults(Faults::default());
    assert_each_sent_once(&world, &ops).await;
    pull_now(&world).await;
    world.assert_cache_equals_server().await;
}

fn push_tool(world: &World) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_partnerdesk-push"));
    cmd.args([
        "--db",
        &world.dir.path().join("cache.db").to_string_lossy(),
        "--url",
        &world.sandbox().base_url(),
        "--company-id",
        &world.config.company_id,
        "--consumer-key",
        &world.config.consumer_key,
    ])
    .env("PARTNERDESK_CONSUMER_SECRET", &world.config.consumer_secret)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_push_tool_beside_a_push_loop_sends_each_operation_once() {
    let world = World::new(40).await;
    pull_now(&world).await;
    let cases = world.first_case_ids(30);
    let ops = queue(&world.store, &cases, 300);
    world.faults(Faults {
        latency_ms: 5,
        ..Faults::default()
    });
    let tool = tokio::task::spawn_blocking({
        let mut cmd = push_tool(&world);
        move || cmd.output().expect("push tool runs")
    });
    drain(world.store.clone(), world.client.clone()).await;
    let output = tool.await.expect("tool");
    assert!(
        output.status.success(),
        "push tool: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    world.faults(Faults::default());
    assert_each_sent_once(&world, &ops).await;
    pull_now(&world).await;
    world.assert_cache_equals_server().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_push_tool_refuses_a_cache_the_app_holds_and_sends_nothing() {
    let world = World::new(10).await;
    pull_now(&world).await;
    let cases = world.first_case_ids(3);
    let ops = queue(&world.store, &cases, 6);
    let cache = world.dir.path().join("cache.db");
    let held = CacheLock::try_acquire(&cache, "PartnerDesk").expect("the app's lock");
    let output = push_tool(&world).output().expect("push tool runs");
    assert_eq!(output.status.code(), Some(3), "refused");
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("store.locked") && message.contains("PartnerDesk, process"),
        "{message}"
    );
    assert!(world.sandbox().requests_by_key().is_empty(), "nothing sent");
    assert_eq!(
        world.store.outbox_entries().expect("entries").len(),
        ops.len()
    );
    drop(held);
    let mut tool = push_tool(&world);
    let output = tokio::task::spawn_blocking(move || tool.output().expect("push tool runs"))
        .await
        .expect("tool");
    assert!(output.status.success(), "runs once the app let go");
    assert_each_sent_once(&world, &ops).await;
}

#[tokio::test]
async fn a_stale_replayed_answer_keeps_the_newer_case_and_the_partner_reply() {
    let world = World::new(10).await;
    pull_now(&world).await;
    let case_id = world.first_case_ids(1).remove(0);
    let now = chrono::Utc::now();
    world
        .store
        .patch_local_case(
            &case_id,
            &CasePatch {
                status: Some(CaseStatus::Open),
                title: Some("Short shipment, checked".into()),
                ..CasePatch::default()
            },
            now,
        )
        .expect("patch");
    let partner = world.store.list_partners(None).expect("partners").remove(0);
    let created = world
        .store
        .create_local_case(
            &NewCase {
                id: "local-stale-1".into(),
                title: "Missing ASN".into(),
                partner_id: partner.partner.partner_company_id.clone(),
                partner_name: None,
                kind: pd_domain::CaseKind::Shipment,
                priority: None,
                owner: None,
                sla_due: None,
                references: Default::default(),
                description: None,
                linked_transactions: vec![],
            },
            "Ann Keller",
            now,
        )
        .expect("create");
    // Each write is applied, a partner replies on its case at once, and the answer is lost.
    world.faults(Faults {
        stale_replay_rate: 1.0,
        ..Faults::default()
    });
    let _ = push(&world.store, &world.client, &quick_push()).await;
    world.faults(Faults::default());
    // A pull stores the newer cases (with the partner's replies) before the resend.
    pull_now(&world).await;
    let before: HashMap<String, (i64, HashSet<String>)> = [case_id.clone(), created.clone()]
        .into_iter()
        .map(|id| {
            let detail = world.store.case_detail(&id, now).expect("case");
            let comments = detail
                .comments
                .iter()
                .map(|c| c.comment.id.clone())
                .collect();
            (id, (detail.case.version, comments))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let report = push(&world.store, &world.client, &quick_push())
        .await
        .expect("resend");
    assert_eq!(report.sent, 2, "{report:?}");
    for (id, (version, comments)) in &before {
        let detail = world.store.case_detail(id, now).expect("case");
        assert!(
            detail.case.version >= *version,
            "case {id} went back from version {version} to {}",
            detail.case.version
        );
        let after: HashSet<String> = detail
            .comments
            .iter()
            .map(|c| c.comment.id.clone())
            .collect();
        assert!(
            comments.is_subset(&after),
            "case {id} lost comments {:?}",
            comments.difference(&after).collect::<Vec<_>>()
        );
    }
    assert!(world
        .store
        .case_conflicts(&case_id)
        .expect("conflicts")
        .is_empty());
    world.assert_cache_equals_server().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_replaying_stale_answers_applies_each_action_once_and_the_cache_never_goes_back() {
    let world = World::new(30).await;
    pull_now(&world).await;
    let cases = world.first_case_ids(20);
    let ops = queue(&world.store, &cases, 200);
    world.faults(Faults {
        stale_replay_rate: 0.3,
        ..Faults::default()
    });
    // What a pull has shown per case: the cache must never hold less afterwards. A resend waits
    // half a second or more, so pulls run between a lost answer and its replay.
    let mut seen: HashMap<String, (i64, HashSet<String>)> = HashMap::new();
    let now = chrono::Utc::now();
    let patient = PushOptions {
        max_backoff: Duration::from_secs(1),
        ..quick_push()
    };
    // No retry inside the client: a lost answer is resent by a later push, after a pull.
    let once = common::client_for(
        world.sandbox(),
        &world.config,
        pd_tradinggrid::RetryPolicy {
            max_attempts: 1,
            ..pd_tradinggrid::RetryPolicy::default()
        },
    );
    for round in 0..400 {
        let _ = push(&world.store, &once, &patient).await;
        for (id, (version, comments)) in &seen {
            let detail = world.store.case_detail(id, now).expect("case");
            assert!(
                detail.case.version >= *version,
                "round {round}: case {id} went back from version {version} to {}",
                detail.case.version
            );
            let after: HashSet<String> = detail
                .comments
                .iter()
                .map(|c| c.comment.id.clone())
                .collect();
            assert!(
                comments.is_subset(&after),
                "round {round}: case {id} lost a comment"
            );
        }
        let saved = world.sandbox().faults();
        world.faults(Faults::default());
        pull_now(&world).await;
        world.faults(saved);
        for id in &cases {
            let detail = world.store.case_detail(id, now).expect("case");
            let comments = detail
                .comments
                .iter()
                .map(|c| c.comment.id.clone())
                .collect();
            seen.insert(id.clone(), (detail.case.version, comments));
        }
        if world.store.outbox_summary().expect("summary").pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    world.faults(Faults::default());
    assert_eq!(world.store.outbox_summary().expect("summary").pending, 0);
    let applied = world.sandbox().applied_ops(None).await.expect("ops");
    let mut count: HashMap<&str, usize> = HashMap::new();
    for op in &applied {
        *count.entry(op.op_id.as_str()).or_default() += 1;
    }
    for op in &ops {
        assert_eq!(
            count.get(op.as_str()),
            Some(&1),
            "op {op} applied exactly once"
        );
    }
    let replies = applied.iter().filter(|a| a.kind == "partner_reply").count();
    assert!(replies >= 20, "the fault fired {replies} times");
    pull_now(&world).await;
    world.assert_cache_equals_server().await;
}

#[tokio::test]
async fn an_answer_the_cache_cannot_store_goes_back_to_pending_then_fails_with_the_reason() {
    let world = World::new(10).await;
    pull_now(&world).await;
    let case_id = world.first_case_ids(1).remove(0);
    let ops = queue(&world.store, std::slice::from_ref(&case_id), 1);
    // The cache refuses to settle any entry (as a full disk or a damaged page would).
    let cache = world.dir.path().join("cache.db");
    let sql = rusqlite::Connection::open(&cache).expect("sqlite");
    sql.execute_batch(
        "CREATE TRIGGER refuse BEFORE DELETE ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
    )
    .expect("trigger");
    let mut states = Vec::new();
    for _ in 0..pd_sync::MAX_UNAPPLIED_ATTEMPTS {
        let _ = push(&world.store, &world.client, &quick_push()).await;
        let entry = world.store.outbox_entries().expect("entries").remove(0);
        states.push(entry.state);
        if entry.state == OutboxState::Pending {
            assert!(
                entry
                    .next_attempt_at
                    .is_some_and(|t| t > chrono::Utc::now() - chrono::Duration::seconds(1)),
                "with a backoff"
            );
            assert!(
                entry
                    .last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("could not store")),
                "{:?}",
                entry.last_error
            );
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let last = world.store.outbox_entries().expect("entries").remove(0);
    assert_eq!(
        states[..states.len() - 1],
        vec![OutboxState::Pending; states.len() - 1][..],
        "back in the queue each time"
    );
    assert_eq!(last.state, OutboxState::Failed, "given up with the reason");
    assert!(
        last.last_error
            .as_deref()
            .is_some_and(|e| e.contains("disk full")),
        "{:?}",
        last.last_error
    );
    // Not sent again at the next start: a failed entry waits for the analyst.
    let report = push(&world.store, &world.client, &quick_push())
        .await
        .expect("push");
    assert_eq!(report.sent + report.rescheduled, 0);
    let applied = world.sandbox().applied_ops(None).await.expect("ops");
    assert_eq!(
        applied.iter().filter(|a| a.op_id == ops[0]).count(),
        1,
        "applied once on the server"
    );
    // Once the cache can be written again, a retry settles it from the server's stored answer.
    sql.execute_batch("DROP TRIGGER refuse;")
        .expect("drop trigger");
    world
        .store
        .outbox_retry(&pd_store::RetryTarget::All)
        .expect("retry");
    let report = push(&world.store, &world.client, &quick_push())
        .await
        .expect("push");
    assert_eq!(report.sent, 1);
    let applied = world.sandbox().applied_ops(None).await.expect("ops");
    assert_eq!(
        applied.iter().filter(|a| a.op_id == ops[0]).count(),
        1,
        "still once"
    );
    pull_now(&world).await;
    world.assert_cache_equals_server().await;
}
