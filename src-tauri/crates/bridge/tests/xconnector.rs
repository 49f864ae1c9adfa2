//! The xConnector flows against the double on loopback: the feed at scale with duplicates and
//! shuffled order, an import killed with SIGKILL and started again, the loopback listener, bad
//! input, and outbound events through faults.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use pd_bridge::cloudevents::EXCEPTION_TYPES;
use pd_bridge::feed::pull_feed;
use pd_bridge::listener::{self, ListenerConfig};
use pd_bridge::push::{push_connectors, ConnectorClient, Outside};
use pd_connectors::XcClient;
use pd_domain::{CaseStatus, ConnectorWrite, OriginSource, OutboxOp, Visibility};
use pd_doubles::xconnector::XcDouble;
use pd_doubles::Fault;
use pd_store::{CaseHome, Store};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde_json::{json, Value};

const TOKEN: &str = "xc-test-token-7f3a";
const CONNECTOR: &str = "xc-1";

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path().join("cache.db")).expect("store");
    (dir, store)
}

fn exception_event(id: &str, correlation: &str, seq: u32, state: &str) -> Value {
    let (event_type, _) = EXCEPTION_TYPES[(seq as usize) % EXCEPTION_TYPES.len()];
    let _ = event_type;
    json!({
        "specversion": "1.0",
        "id": id,
        "source": "urn:tradinggrid:xconnector:test",
        "type": EXCEPTION_TYPES[0].0,
        "time": format!("2026-11-30T10:{:02}:{:02}Z", seq / 60, seq % 60),
        "datacontenttype": "application/json",
        "data": {
            "correlationId": correlation,
            "partnerId": "GC-VERONA",
            "partnerName": "Verona Vittles",
            "state": state,
            "summary": format!("ASN rejected for {correlation} (step {seq})"),
            "detail": "The 856 was rejected: missing carton labels."
        }
    })
}

const STATES: [&str; 3] = ["failed", "retrying", "recovered"];

fn status_of(state: &str) -> CaseStatus {
    match state {
        "failed" => CaseStatus::Open,
        "retrying" => CaseStatus::WaitingOnPartner,
        _ => CaseStatus::Resolved,
    }
}

/// `correlations` × `per` events, 10% of them sent twice, shuffled; answers the events and,
/// per correlation id, the last event's (summary, status).
fn world(
    correlations: u32,
    per: u32,
    seed: u64,
) -> (Vec<Value>, BTreeMap<String, (String, CaseStatus)>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut events = Vec::new();
    let mut last = BTreeMap::new();
    for c in 0..correlations {
        let correlation = format!("corr-{c:05}");
        for seq in 0..per {
            let state = *STATES.choose(&mut rng).expect("a state");
            let event = exception_event(&format!("ev-{c:05}-{seq:02}"), &correlation, seq, state);
            last.insert(
                correlation.clone(),
                (
                    event["data"]["summary"]
                        .as_str()
                        .expect("summary")
                        .to_owned(),
                    status_of(state),
                ),
            );
            events.push(event);
        }
    }
    let unique = events.len();
    let duplicates: Vec<Value> = events
        .choose_multiple(&mut rng, unique / 9)
        .cloned()
        .collect();
    events.extend(duplicates);
    events.shuffle(&mut rng);
    (events, last)
}

fn assert_state(store: &Store, last: &BTreeMap<String, (String, CaseStatus)>) {
    let mut cases = HashSet::new();
    for (correlation, (summary, status)) in last {
        let case_id = store
            .case_for_origin(CONNECTOR, OriginSource::XconnectorEvent, correlation)
            .expect("read")
            .unwrap_or_else(|| panic!("no case for {correlation}"));
        let case = store.case(&case_id).expect("read").expect("case");
        assert_eq!(
            &case.title, summary,
            "{correlation}: the newest event's summary"
        );
        assert_eq!(
            case.status, *status,
            "{correlation}: the newest event's state"
        );
        assert!(cases.insert(case_id), "one case per correlation id");
    }
    assert_eq!(
        store.counts().expect("counts").cases as usize,
        last.len(),
        "no other case"
    );
    let creations = store
        .outbox_entries()
        .expect("outbox")
        .into_iter()
        .filter(|e| matches!(e.op, Ok(OutboxOp::CreateCase(_))))
        .count();
    assert_eq!(
        creations,
        last.len(),
        "each case queued for the server once"
    );
}

fn seen_events(path: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(path).expect("raw");
    conn.query_row("SELECT count(*) FROM ext_events", [], |r| r.get(0))
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_events_with_duplicates_shuffled_give_one_case_per_correlation_id_at_its_newest_state(
) {
    let (events, last) = world(1000, 9, 7);
    assert_eq!(events.len(), 10_000);
    let xc = XcDouble::start(TOKEN, events, 500).await;
    let (dir, store) = store();
    let client = XcClient::new(Some(TOKEN), &Default::default()).expect("client");
    let report = pull_feed(
        &store,
        &client,
        CONNECTOR,
        &format!("{}/feed", xc.base),
        CaseHome::Kept,
        u32::MAX,
    )
    .await
    .expect("pull");
    assert_eq!(report.ingest.opened, 1000);
    assert_eq!(report.ingest.duplicates, 1000, "every repeat recognised");
    assert_eq!(
        report.ingest.opened + report.ingest.updated + report.ingest.late,
        9000,
        "nothing lost"
    );
    assert_state(&store, &last);
    assert_eq!(seen_events(&dir.path().join("cache.db")), 9000);
    // Reading the feed again from the start changes nothing.
    let again = pull_feed(
        &store,
        &client,
        "xc-1",
        &format!("{}/feed", xc.base),
        CaseHome::Kept,
        u32::MAX,
    )
    .await
    .expect("pull");
    assert_eq!(again.ingest.changed(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_mid_feed_and_started_again_applies_every_event_exactly_once() {
    let (events, last) = world(200, 9, 11);
    let total = events.len();
    let xc = XcDouble::start(TOKEN, events, 100).await;
    xc.slow_pages(Duration::from_millis(150));
    let dir = tempfile::tempdir().expect("dir");
    let cache = dir.path().join("cache.db");
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_partnerdesk-import"))
            .args([
                "--cache",
                cache.to_str().expect("utf-8"),
                "--connector",
                CONNECTOR,
                "--feed",
            ])
            .arg(format!("{}/feed", xc.base))
            .env("PD_XC_TOKEN", TOKEN)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("partnerdesk-import")
    };
    let mut child = run();
    while xc.pages_served() < 8 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(child.try_wait().expect("wait").is_none(), "still importing");
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let partial = seen_events(&cache) as usize;
    assert!(
        partial > 0 && partial < total * 9 / 10,
        "killed mid-import ({partial} events stored)"
    );
    let output = run().wait_with_output().expect("second run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let store = Store::open(&cache).expect("reopen");
    assert_state(&store, &last);
    assert_eq!(
        seen_events(&cache) as usize,
        total * 9 / 10,
        "each unique event recorded once"
    );
}

fn listener_config(store: &Store) -> ListenerConfig {
    ListenerConfig {
        store: store.clone(),
        connector_id: CONNECTOR.into(),
        home: CaseHome::Kept,
        token: TOKEN.into(),
        on_ingest: std::sync::Arc::new(|_| {}),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loopback_listener_takes_events_with_the_token_and_refuses_bad_input_in_words() {
    let (_dir, store) = store();
    let socket = listener::bind(0).await.expect("bind");
    let addr = socket.local_addr().expect("addr");
    assert!(addr.ip().is_loopback());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(listener::serve(socket, listener_config(&store), async {
        let _ = stopped.await;
    }));
    let url = format!("http://{addr}/events");
    let http = reqwest::Client::new();
    let post = |body: String, token: Option<&str>, ct: &str| {
        let mut request = http.post(&url).header("content-type", ct).body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let ce = "application/cloudevents+json";
    let event = exception_event("ev-listen-1", "corr-listen", 1, "failed");

    let no_token = post(event.to_string(), None, ce).await.expect("send");
    assert_eq!(no_token.status(), 401);
    assert!(no_token
        .text()
        .await
        .expect("body")
        .contains("token is missing or wrong"));
    let wrong = post(event.to_string(), Some("nope"), ce)
        .await
        .expect("send");
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        store.counts().expect("counts").cases,
        0,
        "nothing taken without the token"
    );

    let ok = post(event.to_string(), Some(TOKEN), ce)
        .await
        .expect("send");
    assert_eq!(ok.status(), 202);
    let answer: Value = ok.json().await.expect("json");
    assert_eq!(answer["opened"], 1);
    let again = post(event.to_string(), Some(TOKEN), ce)
        .await
        .expect("send");
    assert_eq!(
        again.json::<Value>().await.expect("json")["duplicates"],
        1,
        "a redelivery is recognised"
    );
    let case_id = store
        .case_for_origin(CONNECTOR, OriginSource::XconnectorEvent, "corr-listen")
        .expect("read")
        .expect("opened");
    assert_eq!(
        store.case(&case_id).expect("read").expect("case").status,
        CaseStatus::Open
    );

    // Bad input: each refused or kept aside in words, the listener keeps serving.
    let huge = "x".repeat(2 * 1024 * 1024);
    let too_big = post(format!("{{\"data\":\"{huge}\"}}"), Some(TOKEN), ce)
        .await
        .expect("send");
    assert_eq!(too_big.status(), 413);
    assert!(too_big
        .text()
        .await
        .expect("body")
        .contains("larger than 1024 KB"));
    let garbage = post("{not json".into(), Some(TOKEN), ce)
        .await
        .expect("send");
    assert_eq!(garbage.status(), 400);
    assert!(garbage.text().await.expect("body").contains("not JSON"));
    let mut no_id = event.clone();
    no_id.as_object_mut().expect("object").remove("id");
    let missing = post(no_id.to_string(), Some(TOKEN), ce)
        .await
        .expect("send");
    assert_eq!(missing.status(), 400);
    assert!(missing
        .text()
        .await
        .expect("body")
        .contains("lacks the required attribute id"));
    let mut unknown = exception_event("ev-unknown-1", "corr-x", 2, "failed");
    unknown["type"] = json!("com.example.inventory.low.v1");
    let kept = post(unknown.to_string(), Some(TOKEN), ce)
        .await
        .expect("send");
    assert_eq!(
        kept.status(),
        202,
        "an unknown type is taken and kept aside"
    );
    assert_eq!(kept.json::<Value>().await.expect("json")["keptAside"], 1);
    let wrong_type = post(event.to_string(), Some(TOKEN), "text/plain")
        .await
        .expect("send");
    assert_eq!(wrong_type.status(), 415);

    let aside = store.aside_items(50).expect("aside");
    let reasons: Vec<&str> = aside.iter().map(|a| a.reason.as_str()).collect();
    assert!(
        reasons.iter().any(|r| r.contains("not JSON")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("lacks the required attribute id")),
        "{reasons:?}"
    );
    assert!(
        aside.iter().any(
            |a| a.item_type.as_deref() == Some("com.example.inventory.low.v1")
                && a.reason.starts_with("Unknown event type")
        ),
        "{reasons:?}"
    );
    assert_eq!(
        store.counts().expect("counts").cases,
        1,
        "bad input opened nothing"
    );
    let _ = stop.send(());
    server.await.expect("join").expect("served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_page_with_broken_unknown_and_huge_events_keeps_them_aside_and_takes_the_rest() {
    let mut events = vec![exception_event("ev-good-1", "corr-good", 1, "failed")];
    let mut unknown = exception_event("ev-unk", "corr-u", 2, "failed");
    unknown["type"] = json!("com.example.unknown.v1");
    events.push(unknown);
    events.push(json!("just a string"));
    events.push(json!({ "specversion": "0.3", "id": "old", "source": "s", "type": "t" }));
    let mut bad_time = exception_event("ev-time", "corr-t", 3, "failed");
    bad_time["time"] = json!("yesterday");
    events.push(bad_time);
    let mut no_field = exception_event("ev-nofield", "corr-n", 4, "failed");
    no_field["data"]
        .as_object_mut()
        .expect("data")
        .remove("partnerId");
    events.push(no_field);
    let mut huge = exception_event("ev-huge", "corr-h", 5, "failed");
    huge["data"]["detail"] = json!("y".repeat(300 * 1024));
    events.push(huge);
    events.push(exception_event("ev-good-2", "corr-good", 6, "recovered"));
    let xc = XcDouble::start(TOKEN, events, 50).await;
    let (_dir, store) = store();
    let client = XcClient::new(Some(TOKEN), &Default::default()).expect("client");
    let report = pull_feed(
        &store,
        &client,
        CONNECTOR,
        &format!("{}/feed", xc.base),
        CaseHome::Kept,
        10,
    )
    .await
    .expect("a page with bad events is still read");
    assert_eq!(report.ingest.opened, 1);
    assert_eq!(report.ingest.updated, 1);
    assert_eq!(report.ingest.aside, 6);
    let aside = store.aside_items(50).expect("aside");
    let reasons: Vec<String> = aside.iter().map(|a| a.reason.clone()).collect();
    for words in [
        "Unknown event type",
        "not a JSON object",
        "spec version \"0.3\"",
        "not an RFC 3339 timestamp",
        "lacks partnerId",
        "kept aside unread",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(words)),
            "{words}: {reasons:?}"
        );
    }
    let huge = aside
        .iter()
        .find(|a| a.item_id.as_deref() == Some("ev-huge"))
        .expect("huge kept");
    assert!(!huge.excerpt.is_empty());

    // A feed that answers garbage or refuses the token: the run fails in words, the cursor stays.
    let wrong = XcClient::new(Some("wrong"), &Default::default()).expect("client");
    let refused = pull_feed(
        &store,
        &wrong,
        CONNECTOR,
        &format!("{}/feed", xc.base),
        CaseHome::Kept,
        10,
    )
    .await
    .expect_err("refused");
    assert!(refused.to_string().contains("HTTP 401"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_status_changes_and_comments_are_each_sent_once_through_5xx_and_drops() {
    let xc = XcDouble::start(TOKEN, Vec::new(), 10).await;
    let (_dir, store) = store();
    store.set_outbound_route(CONNECTOR, true).expect("route");
    let now = chrono::Utc::now();
    let new = pd_domain::NewCase {
        id: String::new(),
        title: "Invoices rejected".into(),
        partner_id: "GC-VERONA".into(),
        partner_name: None,
        kind: pd_domain::CaseKind::Invoice,
        priority: None,
        owner: None,
        sla_due: None,
        linked_transactions: vec![],
        references: Default::default(),
        description: None,
    };
    let case_id = store.create_kept_case(&new, "Ann", now).expect("case");
    for status in [
        CaseStatus::Open,
        CaseStatus::WaitingOnPartner,
        CaseStatus::Resolved,
    ] {
        let patch = pd_domain::CasePatch {
            status: Some(status),
            ..Default::default()
        };
        store
            .patch_local_case(&case_id, &patch, now)
            .expect("patch");
    }
    store
        .add_local_comment(
            &case_id,
            "Ann",
            "Please resend the 810s",
            Visibility::Partner,
            now,
        )
        .expect("comment");
    store
        .add_local_comment(&case_id, "Ann", "internal note", Visibility::Internal, now)
        .expect("internal comment");
    let queued: Vec<String> = store
        .outbox_entries()
        .expect("outbox")
        .into_iter()
        .filter(|e| matches!(e.op, Ok(OutboxOp::Connector(ConnectorWrite::XcEvent(_)))))
        .map(|e| e.op_id)
        .collect();
    assert_eq!(
        queued.len(),
        4,
        "three status changes and one partner comment"
    );

    xc.inject(Fault::Status(503), 2);
    xc.inject(Fault::Drop, 2);
    xc.inject(Fault::Status(500), 1);
    let outside = Outside {
        clients: [(
            CONNECTOR.to_owned(),
            ConnectorClient::Xc {
                client: XcClient::new(Some(TOKEN), &Default::default()).expect("client"),
                endpoint: format!("{}/events", xc.base),
            },
        )]
        .into(),
    };
    for _ in 0..200 {
        push_connectors(&store, &outside, Duration::from_millis(20))
            .await
            .expect("push");
        let left = store
            .outbox_entries()
            .expect("outbox")
            .into_iter()
            .filter(|e| matches!(e.op, Ok(OutboxOp::Connector(_))))
            .count();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let received = xc.received();
    let mut by_id: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for event in &received {
        by_id
            .entry(event["id"].as_str().expect("id").to_owned())
            .or_default()
            .push(event.clone());
    }
    assert_eq!(
        by_id.keys().cloned().collect::<HashSet<_>>(),
        queued.iter().cloned().collect(),
        "every change arrived, under its op id"
    );
    for (id, copies) in &by_id {
        assert!(
            copies.iter().all(|c| c == &copies[0]),
            "a resend of {id} is the same event"
        );
    }
    assert!(
        received.len() > by_id.len(),
        "the dropped answers made the push resend ({} deliveries)",
        received.len()
    );
    // In order: the statuses as they were set.
    let mut firsts: Vec<&Value> = Vec::new();
    for event in &received {
        if !firsts.iter().any(|f| f["id"] == event["id"]) {
            firsts.push(event);
        }
    }
    let statuses: Vec<&str> = firsts
        .iter()
        .filter_map(|e| e["data"]["status"].as_str())
        .collect();
    assert_eq!(statuses, ["open", "waiting_on_partner", "resolved"]);
    let comment = firsts
        .iter()
        .find(|e| e["type"] == "com.opentext.partnerdesk.case.comment_added.v1")
        .expect("comment event");
    assert_eq!(comment["data"]["body"], "Please resend the 810s");
    assert_eq!(comment["specversion"], "1.0");
    assert_eq!(comment["source"], "urn:opentext:partnerdesk");
    assert_eq!(comment["subject"], json!(case_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_added_to_a_case_from_a_folder_or_by_the_analyst_goes_out_as_an_event_once() {
    let xc = XcDouble::start(TOKEN, Vec::new(), 10).await;
    let (_dir, store) = store();
    store.set_outbound_route(CONNECTOR, true).expect("route");
    let new = pd_domain::NewCase {
        id: String::new(),
        title: "Labels missing".into(),
        partner_id: "GC-VERONA".into(),
        partner_name: None,
        kind: pd_domain::CaseKind::Shipment,
        priority: None,
        owner: None,
        sla_due: None,
        linked_transactions: vec![],
        references: Default::default(),
        description: None,
    };
    let case_id = store
        .create_kept_case(&new, "Ann", chrono::Utc::now())
        .expect("case");
    // A file from a drop folder attached to the case (the ingest ledger's one transaction).
    let file = pd_store::IngestFile {
        folder_id: "f1".into(),
        folder_name: "Inbound".into(),
        path: "labels.pdf".into(),
        path_key: b"labels.pdf".to_vec(),
        size: 1234,
        mtime_ns: 1,
        sha256: "ab".repeat(32),
        media_type: "application/pdf".into(),
        document_name: "labels.pdf".into(),
        // The kept copy the drop folder wrote (its name is the content's SHA-256).
        spool_path: Some("ab".repeat(32)),
        uploaded_by: "Ann".into(),
        remote: false,
        upload: None,
    };
    let target = case_id.clone();
    store
        .ingest_take(
            &[file],
            &mut |_, _| {
                Ok(pd_store::Routed {
                    target: pd_store::RouteTarget::Existing {
                        case_id: target.clone(),
                    },
                    rule: "test".into(),
                    reason: "test".into(),
                })
            },
            chrono::Utc::now(),
        )
        .expect("taken");
    // A large file the analyst dropped, recorded once its bytes were in S3.
    store
        .attach_local_document(
            &case_id,
            &pd_domain::NewDocument {
                id: "doc-pallet-photo".into(),
                name: "pallet-photo.jpg".into(),
                size: 48_000_000,
                sha256: "cd".repeat(32),
                media_type: "image/jpeg".into(),
                uploaded_by: "Ann".into(),
                source: pd_domain::DocumentSource::S3 {
                    bucket: "large-files".into(),
                    key: format!("cases/{case_id}/pallet-photo.jpg"),
                },
            },
            chrono::Utc::now(),
        )
        .expect("attached");
    xc.inject(Fault::Drop, 1);
    let outside = Outside {
        clients: [(
            CONNECTOR.to_owned(),
            ConnectorClient::Xc {
                client: XcClient::new(Some(TOKEN), &Default::default()).expect("client"),
                endpoint: format!("{}/events", xc.base),
            },
        )]
        .into(),
    };
    for _ in 0..100 {
        push_connectors(&store, &outside, Duration::from_millis(20))
            .await
            .expect("push");
        if !store
            .outbox_entries()
            .expect("outbox")
            .iter()
            .any(|e| matches!(e.op, Ok(OutboxOp::Connector(_))))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let received = xc.received();
    let ids: HashSet<&str> = received.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(
        ids.len(),
        2,
        "one event per document, resent under the same id after the drop"
    );
    let mut names: Vec<&str> = Vec::new();
    for event in &received {
        assert_eq!(
            event["type"],
            "com.opentext.partnerdesk.case.document_added.v1"
        );
        assert_eq!(event["subject"], json!(case_id));
        let name = event["data"]["name"].as_str().expect("name");
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.sort_unstable();
    assert_eq!(names, ["labels.pdf", "pallet-photo.jpg"]);
}

fn partner_event(id: &str, time: &str, name: &str, email: &str) -> Value {
    json!({
        "specversion": "1.0",
        "id": id,
        "source": "urn:tradinggrid:xconnector:test",
        "type": pd_bridge::cloudevents::PARTNER_TYPE,
        "time": time,
        "datacontenttype": "application/json",
        "data": {
            "partnerId": "GC-VERONA",
            "name": name,
            "ids": ["ZZ:VERONAVIT", "01:123456789"],
            "contactEmail": email,
            "shipTo": [{"id": "DC-07", "name": "Verona DC"}],
            "contacts": [{"name": "Ada", "email": email}]
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partner_master_data_updates_the_partner_record_and_a_late_update_changes_nothing() {
    let (_dir, store) = store();
    let socket = listener::bind(0).await.expect("bind");
    let addr = socket.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(listener::serve(socket, listener_config(&store), async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let post = |event: Value| {
        http.post(format!("http://{addr}/events"))
            .header("content-type", "application/cloudevents+json")
            .bearer_auth(TOKEN)
            .body(event.to_string())
            .send()
    };

    let newer = partner_event(
        "pm-2",
        "2026-11-30T11:00:00Z",
        "Verona Vittles S.p.A.",
        "edi@verona.example",
    );
    let answer: Value = post(newer).await.expect("send").json().await.expect("json");
    assert_eq!(answer["partners"], 1);
    let row = store.partner("GC-VERONA").expect("the partner record");
    assert_eq!(row.partner.partner_company_name, "Verona Vittles S.p.A.");
    assert_eq!(
        row.partner.contact_email.as_deref(),
        Some("edi@verona.example")
    );
    assert_eq!(
        row.partner.trading_addresses,
        ["ZZ:VERONAVIT", "01:123456789"]
    );

    // An update sent earlier but delivered late never overwrites the newer record.
    let older = partner_event(
        "pm-1",
        "2026-11-30T09:00:00Z",
        "Verona (old name)",
        "old@verona.example",
    );
    let answer: Value = post(older).await.expect("send").json().await.expect("json");
    assert_eq!(answer["partners"], 0);
    let row = store.partner("GC-VERONA").expect("the partner record");
    assert_eq!(row.partner.partner_company_name, "Verona Vittles S.p.A.");
    assert_eq!(
        row.partner.contact_email.as_deref(),
        Some("edi@verona.example")
    );

    let _ = stop.send(());
    let _ = server.await;
}
