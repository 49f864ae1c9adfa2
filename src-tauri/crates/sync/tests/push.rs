//! Offline-first writes against the sandbox: every action reaches the server exactly once, in
//! order per case, through 5xx, 429, dropped connections, garbled answers and server restarts.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{client_for, stubborn, World};

use partnerdesk_sandbox::Faults;
use pd_domain::{CasePatch, CaseQuery, CaseStatus, ExceptionQuery, Priority, Visibility};
use pd_store::RetryTarget;
use pd_sync::{pull, push, PullOptions, PushOptions};
use rand::{Rng, SeedableRng};

fn quick_push() -> PushOptions {
    PushOptions {
        concurrency: 4,
        max_backoff: Duration::from_millis(150),
        ..PushOptions::default()
    }
}

async fn first_pull(world: &World) {
    pull(
        &world.store,
        &world.client,
        &PullOptions::default(),
        chrono::Utc::now(),
    )
    .await
    .expect("first pull");
}

/// Queues `n` mixed actions over `cases`; returns the op ids per case in the order queued.
fn queue_actions(world: &World, cases: &[String], n: usize) -> HashMap<String, Vec<String>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let users: Vec<String> = world
        .store
        .list_users()
        .expect("users")
        .into_iter()
        .map(|u| u.login_id)
        .collect();
    let transactions: Vec<String> = world
        .store
        .list_exceptions(&ExceptionQuery {
            limit: 500,
            ..ExceptionQuery::default()
        })
        .expect("exceptions")
        .rows
        .into_iter()
        .map(|r| r.transaction.transaction_id)
        .collect();
    let now = chrono::Utc::now();
    let mut queued = 0;
    while queued < n {
        let case_id = &cases[rng.gen_range(0..cases.len())];
        let roll = rng.gen_range(0..100);
        let op = if roll < 55 {
            let visibility = if rng.gen_bool(0.5) {
                Visibility::Partner
            } else {
                Visibility::Internal
            };
            world
                .store
                .add_local_comment(
                    case_id,
                    "Ann Keller",
                    &format!("Action {queued}: checking the ASN"),
                    visibility,
                    now,
                )
                .expect("comment");
            Some(())
        } else if roll < 70 {
            let status = CaseStatus::ALL[rng.gen_range(0..CaseStatus::ALL.len())];
            let patch = CasePatch {
                status: Some(status),
                ..CasePatch::default()
            };
            world
                .store
                .patch_local_case(case_id, &patch, now)
                .expect("patch")
                .map(|_| ())
        } else if roll < 80 {
            let priority = Priority::ALL[rng.gen_range(0..Priority::ALL.len())];
            let patch = CasePatch {
                priority: Some(priority),
                ..CasePatch::default()
            };
            world
                .store
                .patch_local_case(case_id, &patch, now)
                .expect("patch")
                .map(|_| ())
        } else if roll < 90 {
            let owner = users[rng.gen_range(0..users.len())].clone();
            let patch = CasePatch {
                owner: Some(Some(owner)),
                ..CasePatch::default()
            };
            world
                .store
                .patch_local_case(case_id, &patch, now)
                .expect("patch")
                .map(|_| ())
        } else {
            let tx = &transactions[rng.gen_range(0..transactions.len())];
            let linked = world
                .store
                .case(case_id)
                .expect("case")
                .expect("exists")
                .linked_transactions;
            if linked.contains(tx) {
                world
                    .store
                    .unlink_local_transaction(case_id, tx, now)
                    .expect("unlink")
                    .map(|_| ())
            } else {
                world
                    .store
                    .link_local_transaction(case_id, tx, now)
                    .expect("link")
                    .map(|_| ())
            }
        };
        if op.is_some() {
            queued += 1;
        }
    }
    let mut per_case: HashMap<String, Vec<String>> = HashMap::new();
    for entry in world.store.outbox_entries().expect("entries") {
        per_case.entry(entry.case_id).or_default().push(entry.op_id);
    }
    per_case
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_actions_arrive_exactly_once_in_order_through_faults_and_restarts() {
    let mut world = World::new(120).await;
    first_pull(&world).await;
    let cases: Vec<String> = world.first_case_ids(50);
    assert_eq!(cases.len(), 50);
    let expected = queue_actions(&world, &cases, 1000);
    let queued: usize = expected.values().map(Vec::len).sum();
    assert_eq!(queued, 1000);
    assert_eq!(world.store.outbox_summary().expect("summary").pending, 1000);

    let faults = Faults {
        error_rate: 0.2,
        rate_limit_rate: 0.05,
        retry_after_secs: 0,
        drop_rate: 0.05,
        malformed_rate: 0.05,
        ..Faults::default()
    };
    world.faults(faults.clone());
    let client = client_for(world.sandbox(), &world.config, stubborn());
    let mut restarts = 0;
    for round in 0..400 {
        // Restart the server twice while entries are in flight.
        if restarts < 2 && round > 0 && round % 3 == 0 {
            let (store, c) = (world.store.clone(), client.clone());
            let running = tokio::spawn(async move { push(&store, &c, &quick_push()).await });
            tokio::time::sleep(Duration::from_millis(150)).await;
            world.stop_server().await;
            let _ = running.await.expect("join");
            tokio::time::sleep(Duration::from_millis(200)).await;
            world.start_server().await;
            world.faults(faults.clone());
            restarts += 1;
            continue;
        }
        let _ = push(&world.store, &client, &quick_push()).await;
        let summary = world.store.outbox_summary().expect("summary");
        assert_eq!(
            summary.failed,
            0,
            "no action may be refused: {:?}",
            world.store.outbox_views()
        );
        if summary.pending == 0 && restarts == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(restarts, 2);
    assert_eq!(
        world.store.outbox_summary().expect("summary").pending,
        0,
        "outbox drained"
    );
    world.faults(Faults::default());

    // The server applied each action exactly once, in the order queued per case.
    let applied = world.sandbox().applied_ops(None).await.expect("ops");
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for op in &applied {
        *seen.entry(op.op_id.as_str()).or_default() += 1;
    }
    for (case_id, ops) in &expected {
        for op in ops {
            assert_eq!(
                seen.get(op.as_str()),
                Some(&1),
                "op {op} of case {case_id} applied once"
            );
        }
        let order: Vec<&str> = applied
            .iter()
            .filter(|a| &a.case_id == case_id && ops.contains(&a.op_id))
            .map(|a| a.op_id.as_str())
            .collect();
        let want: Vec<&str> = ops.iter().map(String::as_str).collect();
        assert_eq!(order, want, "per-case order of {case_id}");
    }
    pull(
        &world.store,
        &world.client,
        &PullOptions::default(),
        chrono::Utc::now(),
    )
    .await
    .expect("final pull");
    world.assert_cache_equals_server().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_change_holds_only_its_case_and_can_be_fixed_or_discarded() {
    let world = World::new(30).await;
    first_pull(&world).await;
    let rows = world.first_case_ids(2);
    let (bad_case, good_case) = (rows[0].clone(), rows[1].clone());
    let now = chrono::Utc::now();
    let bad = CasePatch {
        owner: Some(Some("nobody@nowhere.example".into())),
        ..CasePatch::default()
    };
    world
        .store
        .patch_local_case(&bad_case, &bad, now)
        .expect("patch");
    world
        .store
        .add_local_comment(
            &bad_case,
            "Ann Keller",
            "queued behind the refused change",
            Visibility::Internal,
            now,
        )
        .expect("comment");
    world
        .store
        .add_local_comment(
            &good_case,
            "Ann Keller",
            "independent case",
            Visibility::Partner,
            now,
        )
        .expect("comment");

    let report = push(&world.store, &world.client, &quick_push())
        .await
        .expect("push");
    assert_eq!((report.sent, report.failed), (1, 1));
    let views = world.store.outbox_views().expect("views");
    let refused = views
        .iter()
        .find(|v| v.state == pd_domain::OutboxState::Failed)
        .expect("failed entry");
    assert!(
        refused
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("owner"),
        "the server's reason is kept: {:?}",
        refused.last_error
    );
    assert_eq!(views.len(), 2, "the comment behind it waits");

    // Discarding the refused change lets the case's queue go on.
    world.store.outbox_discard(&refused.op_id).expect("discard");
    let report = push(&world.store, &world.client, &quick_push())
        .await
        .expect("push");
    assert_eq!(report.sent, 1);
    let server = world.client.case(&bad_case).await.expect("case");
    assert_ne!(server.case.owner.as_deref(), Some("nobody@nowhere.example"));
    assert!(server
        .comments
        .iter()
        .any(|c| c.body == "queued behind the refused change"));
    assert_eq!(
        world.store.outbox_retry(&RetryTarget::All).expect("retry"),
        0,
        "nothing left refused"
    );
    pull(
        &world.store,
        &world.client,
        &PullOptions::default(),
        chrono::Utc::now(),
    )
    .await
    .expect("pull");
    world.assert_cache_equals_server().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_server_value_wins_and_the_lost_local_change_is_kept() {
    let world = World::new(20).await;
    first_pull(&world).await;
    let case = world
        .store
        .list_cases(
            &CaseQuery {
                statuses: vec![CaseStatus::Open],
                limit: 1,
                ..CaseQuery::default()
            },
            chrono::Utc::now(),
        )
        .expect("cases")
        .rows
        .remove(0);
    // Offline, the analyst resolves the case ...
    let mine = CasePatch {
        status: Some(CaseStatus::Resolved),
        ..CasePatch::default()
    };
    world
        .store
        .patch_local_case(&case.id, &mine, chrono::Utc::now())
        .expect("patch");
    // ... while a colleague sets it to waiting on partner on the server.
    let theirs = CasePatch {
        status: Some(CaseStatus::WaitingOnPartner),
        ..CasePatch::default()
    };
    world
        .client
        .patch_case("colleague-op-1", &case.id, &theirs)
        .await
        .expect("server patch");
    // A pull in between must not overwrite the pending local change.
    pull(
        &world.store,
        &world.client,
        &PullOptions::default(),
        chrono::Utc::now(),
    )
    .await
    .expect("pull");
    assert_eq!(
        world
            .store
            .case(&case.id)
            .expect("read")
            .expect("case")
            .status,
        CaseStatus::Resolved
    );

    let report = push(&world.store, &world.client, &quick_push())
        .await
        .expect("push");
    assert_eq!(report.conflicts, 1);
    let detail = world
        .store
        .case_detail(&case.id, chrono::Utc::now())
        .expect("detail");
    assert_eq!(
        detail.case.status,
        CaseStatus::WaitingOnPartner,
        "the server's value wins"
    );
    assert_eq!(
        detail.conflicts.len(),
        1,
        "the lost change is shown on the case"
    );
    assert_eq!(detail.conflicts[0].field, "status");
    assert!(detail.conflicts[0]
        .local_value
        .as_deref()
        .unwrap_or_default()
        .contains("resolved"));
    world.assert_cache_equals_server().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_made_offline_is_sent_once_and_shown_once() {
    let mut world = World::new(10).await;
    first_pull(&world).await;
    let case_id = world.first_case_ids(1).remove(0);
    world.stop_server().await;
    let client = client_for_stopped(&world);
    let comment = world
        .store
        .add_local_comment(
            &case_id,
            "Ann Keller",
            "Written on the plane",
            Visibility::Partner,
            chrono::Utc::now(),
        )
        .expect("comment");
    let offline = push(&world.store, &client, &quick_push())
        .await
        .expect_err("offline");
    assert!(offline.is_offline(), "{offline}");
    let detail = world
        .store
        .case_detail(&case_id, chrono::Utc::now())
        .expect("detail");
    let shown: Vec<_> = detail
        .comments
        .iter()
        .filter(|c| c.comment.id == comment.id)
        .collect();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].send_state, pd_domain::SendState::Pending);

    world.start_server().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let report = push(&world.store, &world.client, &quick_push())
        .await
        .expect("push");
    assert_eq!(report.sent, 1);
    pull(
        &world.store,
        &world.client,
        &PullOptions::default(),
        chrono::Utc::now(),
    )
    .await
    .expect("pull");
    let detail = world
        .store
        .case_detail(&case_id, chrono::Utc::now())
        .expect("detail");
    let shown: Vec<_> = detail
        .comments
        .iter()
        .filter(|c| c.comment.body == "Written on the plane")
        .collect();
    assert_eq!(
        shown.len(),
        1,
        "the server's echo replaces the local comment"
    );
    assert_eq!(shown[0].send_state, pd_domain::SendState::Sent);
    world.assert_cache_equals_server().await;
}

fn client_for_stopped(world: &World) -> pd_tradinggrid::TradingGridClient {
    let url = url::Url::parse(&format!("http://{}", world.config.listen)).expect("url");
    let mut cc = pd_tradinggrid::ClientConfig::new(
        url,
        world.config.company_id.clone(),
        world.config.consumer_key.clone(),
        world.config.consumer_secret.clone(),
    );
    cc.retry = pd_tradinggrid::RetryPolicy::no_retries();
    pd_tradinggrid::TradingGridClient::new(cc).expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_change_can_be_edited_and_sent() {
    let world = World::new(10).await;
    first_pull(&world).await;
    let case_id = world.first_case_ids(1).remove(0);
    let bad = CasePatch {
        owner: Some(Some("typo@acme.example".into())),
        ..CasePatch::default()
    };
    let op = world
        .store
        .patch_local_case(&case_id, &bad, chrono::Utc::now())
        .expect("patch")
        .expect("queued");
    let report = push(&world.store, &world.client, &quick_push())
        .await
        .expect("push");
    assert_eq!(report.failed, 1);
    let owner = world.store.list_users().expect("users")[0].login_id.clone();
    let fixed = CasePatch {
        owner: Some(Some(owner.clone())),
        ..CasePatch::default()
    };
    world
        .store
        .outbox_edit(
            &op,
            &pd_domain::OutboxEdit {
                body: None,
                patch: Some(fixed),
            },
        )
        .expect("edit");
    assert_eq!(
        world
            .store
            .case(&case_id)
            .expect("read")
            .expect("case")
            .owner
            .as_deref(),
        Some(owner.as_str())
    );
    let report = push(&world.store, &world.client, &quick_push())
        .await
        .expect("push");
    assert_eq!(report.sent, 1);
    assert_eq!(
        world
            .client
            .case(&case_id)
            .await
            .expect("server")
            .case
            .owner,
        Some(owner)
    );
    pull(
        &world.store,
        &world.client,
        &PullOptions::default(),
        chrono::Utc::now(),
    )
    .await
    .expect("pull");
    world.assert_cache_equals_server().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_change_that_cannot_be_read_is_failed_never_sent_and_other_cases_flow() {
    let world = World::new(20).await;
    first_pull(&world).await;
    let rows = world.first_case_ids(3);
    let (garbled_case, unknown_case, good_case) = (&rows[0], &rows[1], &rows[2]);
    // Rows no build of ours writes: a comment whose body does not fit (no such visibility) and
    // an operation this build does not know, put straight into the cache file.
    let now = chrono::Utc::now();
    {
        let conn = rusqlite::Connection::open(world.dir.path().join("cache.db")).expect("raw");
        let at = now.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        for (op_id, case_id, op) in [
            (
                "garbled",
                garbled_case,
                r#"{"op":"add_comment","id":"garbled-comment","author":"Ann Keller","body":"must never reach the server","visibility":"everyone"}"#,
            ),
            (
                "unknown",
                unknown_case,
                r#"{"op":"close_case","reason":"done"}"#,
            ),
        ] {
            conn.execute(
                "INSERT INTO outbox (op_id, case_id, op_json, created_at, state) \
                 VALUES (?1, ?2, ?3, ?4, 'pending')",
                rusqlite::params![op_id, case_id, op, at],
            )
            .expect("bogus row");
        }
    }
    world
        .store
        .add_local_comment(
            garbled_case,
            "Ann Keller",
            "queued behind the unreadable change",
            Visibility::Internal,
            now,
        )
        .expect("comment");
    world
        .store
        .add_local_comment(
            good_case,
            "Ann Keller",
            "independent case flows",
            Visibility::Partner,
            now,
        )
        .expect("comment");

    let report = push(&world.store, &world.client, &quick_push())
        .await
        .expect("push");
    assert_eq!((report.sent, report.failed), (1, 2));

    let views = world.store.outbox_views().expect("views");
    for op_id in ["garbled", "unknown"] {
        let v = views
            .iter()
            .find(|v| v.op_id == op_id)
            .expect("still listed");
        assert_eq!(v.state, pd_domain::OutboxState::Failed, "{v:?}");
        assert_eq!(v.op, None);
        let reason = v.last_error.as_deref().unwrap_or_default();
        assert!(reason.contains("could not be read"), "{reason}");
    }
    assert!(views
        .iter()
        .find(|v| v.op_id == "unknown")
        .and_then(|v| v.last_error.as_deref())
        .is_some_and(|r| r.contains("close_case")));
    let behind = views
        .iter()
        .find(|v| v.case_id == *garbled_case && v.op.is_some())
        .expect("the comment behind it");
    assert_eq!(behind.state, pd_domain::OutboxState::Pending, "it waits");

    // Retrying does not send it either.
    world.store.outbox_retry(&RetryTarget::All).expect("retry");
    let report = push(&world.store, &world.client, &quick_push())
        .await
        .expect("push");
    assert_eq!((report.sent, report.failed), (0, 2));

    let garbled_on_server = world.client.case(garbled_case).await.expect("case");
    assert!(garbled_on_server
        .comments
        .iter()
        .all(|c| c.id != "garbled-comment"
            && c.body != "must never reach the server"
            && c.body != "queued behind the unreadable change"));
    let unknown_on_server = world.client.case(unknown_case).await.expect("case");
    assert_eq!(
        unknown_on_server.case.status,
        world
            .store
            .case(unknown_case)
            .expect("read")
            .expect("cached")
            .status,
        "nothing was done to it"
    );
    let good_on_server = world.client.case(good_case).await.expect("case");
    assert!(good_on_server
        .comments
        .iter()
        .any(|c| c.body == "independent case flows"));

    // Discarding the unreadable change lets its case's queue go on.
    world.store.outbox_discard("garbled").expect("discard");
    let report = push(&world.store, &world.client, &quick_push())
        .await
        .expect("push");
    assert_eq!(report.sent, 1);
    let garbled_on_server = world.client.case(garbled_case).await.expect("case");
    assert!(garbled_on_server
        .comments
        .iter()
        .any(|c| c.body == "queued behind the unreadable change"));
    assert!(garbled_on_server
        .comments
        .iter()
        .all(|c| c.body != "must never reach the server"));
}
