//! What happens between the push's read of a case and its write: a proxy in front of the
//! sandbox lets a colleague change the case right after the read, or fails the read after a
//! refusal. The conditional write (`If-Match`) keeps the colleague's value; a failed read puts
//! the entry back in the queue.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use common::World;
use pd_domain::{CasePatch, CaseStatus, NewComment, OutboxOp, OutboxState, Visibility};
use pd_sync::{pull, push, PullOptions, PushOptions};
use pd_tradinggrid::{ClientConfig, RetryPolicy, TradingGridClient};

/// What the proxy does to a read of one case (`GET .../cases/{id}`).
#[derive(Debug, Clone)]
enum Mode {
    Pass,
    /// Answer 503 to every case read.
    FailCaseReads,
    /// After passing a case read on, PATCH that case with this body (a colleague's change),
    /// this many times.
    ChangeAfterRead(serde_json::Value, u32),
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    mode: Arc<Mutex<Mode>>,
}

fn is_case_read(method: &Method, path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    (method == Method::GET
        && segments.len() == 7
        && segments[1] == "collab"
        && segments[5] == "cases")
        .then(|| segments[6].to_string())
}

async fn forward(State(proxy): State<Proxy>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let authorization = request.headers().get("authorization").cloned();
    let read_of = is_case_read(&method, &path);
    let mode = proxy.mode.lock().expect("mode").clone();
    if read_of.is_some() && matches!(mode, Mode::FailCaseReads) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [("content-type", "application/json")],
            r#"{"code":"unavailable","message":"proxy: case reads are down"}"#,
        )
            .into_response();
    }
    let response = common::relay(&proxy.http, &proxy.upstream, request).await;
    if let (Some(case_id), Mode::ChangeAfterRead(patch, left)) = (&read_of, &mode) {
        if *left > 0 {
            *proxy.mode.lock().expect("mode") = if *left > 1 {
                Mode::ChangeAfterRead(patch.clone(), left - 1)
            } else {
                Mode::Pass
            };
            let mut colleague = proxy
                .http
                .patch(format!("{}{}", proxy.upstream, path))
                .json(patch);
            if let Some(auth) = &authorization {
                colleague = colleague.header("authorization", auth);
            }
            let done = colleague.send().await.expect("colleague's change");
            assert!(
                done.status().is_success(),
                "colleague's change on {case_id}"
            );
        }
    }
    response
}

async fn start_proxy(world: &World) -> (Proxy, TradingGridClient) {
    let proxy = Proxy {
        upstream: world.sandbox().base_url().trim_end_matches('/').to_string(),
        http: reqwest::Client::new(),
        mode: Arc::new(Mutex::new(Mode::Pass)),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind proxy");
    let addr = listener.local_addr().expect("addr");
    let app = Router::new().fallback(forward).with_state(proxy.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut config = ClientConfig::new(
        url::Url::parse(&format!("http://{addr}")).expect("url"),
        world.config.company_id.clone(),
        world.config.consumer_key.clone(),
        world.config.consumer_secret.clone(),
    );
    config.retry = RetryPolicy {
        max_attempts: 2,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(20),
        max_elapsed: Duration::from_secs(5),
    };
    config.request_timeout = Duration::from_secs(10);
    let client = TradingGridClient::new(config).expect("client");
    // The proxy answers before the test goes on.
    client
        .case("no-such-case")
        .await
        .expect_err("a 404 through the proxy");
    (proxy, client)
}

fn quick_push() -> PushOptions {
    PushOptions {
        max_backoff: Duration::from_millis(50),
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

#[tokio::test]
async fn a_colleagues_change_between_the_read_and_the_write_is_kept_and_mine_is_a_conflict() {
    let world = World::new(10).await;
    pull_now(&world).await;
    let (proxy, client) = start_proxy(&world).await;
    let case_id = world.first_case_ids(1).remove(0);
    let before = world.store.case(&case_id).expect("case").expect("cached");
    let (mine, theirs) = if before.status == CaseStatus::Resolved {
        (CaseStatus::Open, CaseStatus::Closed)
    } else {
        (CaseStatus::Resolved, CaseStatus::WaitingOnPartner)
    };
    let mine = if mine == before.status {
        CaseStatus::Closed
    } else {
        mine
    };
    world
        .store
        .patch_local_case(
            &case_id,
            &CasePatch {
                status: Some(mine),
                ..CasePatch::default()
            },
            chrono::Utc::now(),
        )
        .expect("patch");
    // Right after the push reads the case, a colleague sets another status.
    *proxy.mode.lock().expect("mode") =
        Mode::ChangeAfterRead(serde_json::json!({ "status": theirs }), 1);
    let report = push(&world.store, &client, &quick_push())
        .await
        .expect("push");
    assert_eq!((report.sent, report.conflicts), (0, 1), "{report:?}");
    let server = world.client.case(&case_id).await.expect("server case").case;
    assert_eq!(
        server.status, theirs,
        "the colleague's status was not overwritten"
    );
    let conflicts = world.store.case_conflicts(&case_id).expect("conflicts");
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0].field, "status");
    assert_eq!(
        world
            .store
            .case(&case_id)
            .expect("case")
            .expect("cached")
            .status,
        theirs
    );
    let applied = world
        .sandbox()
        .applied_ops(Some(&case_id))
        .await
        .expect("ops");
    assert_eq!(
        applied.iter().filter(|a| a.kind == "patch_case").count(),
        1,
        "only the colleague's patch"
    );
    pull_now(&world).await;
    world.assert_cache_equals_server().await;
}

#[tokio::test]
async fn a_change_to_another_field_between_the_read_and_the_write_is_read_again_and_both_stay() {
    let world = World::new(10).await;
    pull_now(&world).await;
    let (proxy, client) = start_proxy(&world).await;
    let case_id = world.first_case_ids(1).remove(0);
    world
        .store
        .patch_local_case(
            &case_id,
            &CasePatch {
                title: Some("Short shipment, 8 cartons missing".into()),
                ..CasePatch::default()
            },
            chrono::Utc::now(),
        )
        .expect("patch");
    // A colleague changes the priority after each of the first two reads: two 412s, then the
    // third read and write go through.
    *proxy.mode.lock().expect("mode") =
        Mode::ChangeAfterRead(serde_json::json!({ "priority": "urgent" }), 2);
    let report = push(&world.store, &client, &quick_push())
        .await
        .expect("push");
    assert_eq!((report.sent, report.conflicts), (1, 0), "{report:?}");
    let server = world.client.case(&case_id).await.expect("server case").case;
    assert_eq!(server.title, "Short shipment, 8 cartons missing");
    assert_eq!(server.priority, pd_domain::Priority::Urgent);
    assert!(world
        .store
        .case_conflicts(&case_id)
        .expect("conflicts")
        .is_empty());
    pull_now(&world).await;
    world.assert_cache_equals_server().await;
}

#[tokio::test]
async fn a_failed_read_after_a_refusal_puts_the_entry_back_with_a_backoff() {
    let world = World::new(10).await;
    pull_now(&world).await;
    let (proxy, client) = start_proxy(&world).await;
    let case_id = world.first_case_ids(1).remove(0);
    world
        .store
        .add_local_comment(
            &case_id,
            "Ann Keller",
            "Any news?",
            Visibility::Partner,
            chrono::Utc::now(),
        )
        .expect("comment");
    let entry = world.store.outbox_entries().expect("entries").remove(0);
    let Ok(OutboxOp::AddComment(comment)) = &entry.op else {
        panic!("a comment entry")
    };
    // The same comment id already exists on the server (sent under another key): 409.
    let other = NewComment {
        id: comment.id.clone(),
        author: "Somebody else".into(),
        body: "Same id".into(),
        visibility: Visibility::Internal,
    };
    world
        .client
        .add_comment("another-key", &case_id, &other)
        .await
        .expect("server comment");
    *proxy.mode.lock().expect("mode") = Mode::FailCaseReads;
    let started = chrono::Utc::now();
    let _ = push(&world.store, &client, &quick_push()).await;
    let entry = world.store.outbox_entries().expect("entries").remove(0);
    assert_eq!(
        entry.state,
        OutboxState::Pending,
        "back in the queue, not stuck in flight"
    );
    assert!(
        entry.next_attempt_at.is_some_and(|t| t > started),
        "with a backoff"
    );
    assert!(entry.last_error.is_some());
    // Reads work again: the refusal is settled as a conflict on the next push.
    *proxy.mode.lock().expect("mode") = Mode::Pass;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let report = push(&world.store, &client, &quick_push())
        .await
        .expect("push");
    assert_eq!(report.conflicts, 1, "{report:?}");
    assert!(world.store.outbox_entries().expect("entries").is_empty());
}
