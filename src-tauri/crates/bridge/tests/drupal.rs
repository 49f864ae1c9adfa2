//! Drupal flows against the JSON:API double: a resolution promoted to an article node once
//! through a dropped answer and updated when it changes (bodies in the documented shape); issue
//! requests imported as cases following `links.next` in pages of 50, the case status posted
//! back to the request node, and a looping `links.next` stopped in words.

use std::time::Duration;

use pd_bridge::push::{push_connectors, ConnectorClient, Outside};
use pd_bridge::requests::import_drupal;
use pd_bridge::BridgeError;
use pd_connectors::{ConnectorOptions, DrupalClient};
use pd_domain::{
    ArticleText, CasePatch, CaseStatus, DrupalAuth, DrupalSettings, OriginSource, OutboxOp,
    PublicationState,
};
use pd_doubles::drupal::DrupalDouble;
use pd_doubles::Fault;
use pd_store::{CaseHome, Place, Store};
use serde_json::json;

const DRUPAL: &str = "drupal-1";

fn client(double: &DrupalDouble, auth: DrupalAuth, secret: &str) -> std::sync::Arc<DrupalClient> {
    let settings = DrupalSettings {
        base_url: double.base.clone(),
        auth,
    };
    std::sync::Arc::new(
        DrupalClient::new(
            &settings,
            Some(secret),
            &ConnectorOptions {
                timeout: Duration::from_secs(5),
                ..Default::default()
            },
        )
        .expect("client"),
    )
}

/// A client signing in as `agent` with `password` (basic auth).
fn agent_client(double: &DrupalDouble, password: &str) -> std::sync::Arc<DrupalClient> {
    let auth = DrupalAuth::Basic {
        user: "agent".into(),
    };
    client(double, auth, password)
}

/// The requests importer over the double's `issue_request` nodes, their cases kept here.
async fn import_requests(
    store: &Store,
    drupal: &DrupalClient,
    double: &DrupalDouble,
) -> Result<pd_store::IngestReport, BridgeError> {
    let root = &double.base;
    import_drupal(
        store,
        drupal,
        root,
        DRUPAL,
        "issue_request",
        CaseHome::Kept,
        &[],
    )
    .await
}

async fn drain(store: &Store, outside: &Outside) {
    for _ in 0..200 {
        push_connectors(store, outside, Duration::from_millis(20))
            .await
            .expect("push");
        let pending = store
            .outbox_entries()
            .expect("outbox")
            .into_iter()
            .filter(|e| matches!(e.op, Ok(OutboxOp::Connector(_))))
            .count();
        if pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the connector writes did not drain");
}

/// A resolved case whose resolution is queued for promotion to a Drupal article: its id, the
/// article text and the place.
fn promoted_article(store: &Store) -> (String, ArticleText, Place) {
    let new = pd_domain::NewCase {
        id: String::new(),
        title: "Invoices rejected for wrong tax code".into(),
        partner_id: "GC-VERONA".into(),
        partner_name: Some("Verona Vittles".into()),
        kind: pd_domain::CaseKind::Invoice,
        priority: None,
        owner: None,
        sla_due: None,
        linked_transactions: vec![],
        references: Default::default(),
        description: None,
    };
    store
        .upsert_partners(&[pd_domain::Partner {
            partner_company_id: "GC-VERONA".into(),
            partner_company_name: "Verona Vittles".into(),
            trading_addresses: vec![],
            status: "Active".into(),
            country_code: None,
            contact_email: None,
        }])
        .expect("partner");
    let now = chrono::Utc::now();
    let case_id = store.create_kept_case(&new, "Ann", now).expect("case");
    store
        .add_local_comment(
            &case_id,
            "Ann",
            "Mapped tax code 0 to exempt in the 810 map.",
            pd_domain::Visibility::Partner,
            now,
        )
        .expect("comment");
    store
        .patch_local_case(
            &case_id,
            &CasePatch {
                status: Some(CaseStatus::Resolved),
                ..Default::default()
            },
            now,
        )
        .expect("resolve");
    let draft = store.draft_article(&case_id).expect("draft");
    assert!(draft.body.contains("Mapped tax code 0"), "{draft:?}");
    assert_eq!(draft.tags, ["Verona Vittles", "Invoice"]);
    let place = Place {
        connector_id: DRUPAL.into(),
        place: "article".into(),
    };
    store
        .promote_article(&case_id, &place, &draft, now)
        .expect("promote");
    (case_id, draft, place)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resolution_is_promoted_to_one_article_and_updated_when_it_changes() {
    let double = DrupalDouble::start("partnerdesk", "s3cret").await;
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path().join("cache.db")).expect("store");
    let (case_id, draft, place) = promoted_article(&store);
    let outside = Outside {
        clients: [(
            DRUPAL.to_owned(),
            ConnectorClient::Drupal(client(
                &double,
                DrupalAuth::Oauth {
                    client_id: "partnerdesk".into(),
                },
                "s3cret",
            )),
        )]
        .into(),
    };
    double.inject(Fault::Drop, 1);
    double.inject(Fault::Status(429), 1);
    drain(&store, &outside).await;
    let nodes = double.nodes("article");
    assert_eq!(
        nodes.len(),
        1,
        "one article though the first answer was lost"
    );
    let (node_id, node) = nodes.iter().next().expect("node");
    assert_eq!(node["title"], json!(draft.title));
    assert_eq!(
        node["body"],
        json!({ "value": draft.body, "format": "plain_text" })
    );
    assert_eq!(node["field_pd_tags"], json!(["Verona Vittles", "Invoice"]));
    let writes = double.writes();
    let create = &writes[0];
    assert_eq!(create.op, "create");
    // The JSON:API document, field by field: data {type, id, attributes}.
    let data = create.body["data"].as_object().expect("data");
    assert_eq!(
        data.keys().collect::<Vec<_>>(),
        ["attributes", "id", "type"]
    );
    assert_eq!(data["type"], "node--article");
    assert_eq!(data["id"], json!(node_id));
    assert_eq!(
        create
            .body
            .as_object()
            .expect("doc")
            .keys()
            .collect::<Vec<_>>(),
        ["data"]
    );
    assert_eq!(
        writes.iter().filter(|w| w.op == "create").count(),
        1,
        "the replay became an update"
    );

    let changed = ArticleText {
        body: format!("{}\n\nAlso check the 810's TXI segment.", draft.body),
        ..draft
    };
    assert_eq!(
        store
            .promote_article(&case_id, &place, &changed, chrono::Utc::now())
            .expect("update"),
        PublicationState::Updated
    );
    drain(&store, &outside).await;
    assert_eq!(double.nodes("article").len(), 1);
    assert!(double.nodes("article")[node_id]["body"]["value"]
        .as_str()
        .expect("body")
        .contains("TXI segment"));
    let update = double.writes().into_iter().last().expect("update");
    assert_eq!(update.op, "update");
    assert_eq!(update.body["data"]["id"], json!(node_id));
    assert_eq!(
        store.publications(&case_id).expect("views")[0].state,
        PublicationState::Updated
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_the_site_slows_down_waits_as_long_as_it_asks_then_goes_once() {
    let double = DrupalDouble::start("partnerdesk", "s3cret").await;
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path().join("cache.db")).expect("store");
    let (_case_id, draft, _place) = promoted_article(&store);
    let outside = Outside {
        clients: [(
            DRUPAL.to_owned(),
            ConnectorClient::Drupal(client(
                &double,
                DrupalAuth::Basic {
                    user: "partnerdesk".into(),
                },
                "s3cret",
            )),
        )]
        .into(),
    };
    // A gateway in front of the site: 429 with "Retry-After: 120". The push's own backoff here
    // is 20 ms, so a push that ignored the header would go again at once.
    double.inject(Fault::SlowDown(120), 1);
    let before = chrono::Utc::now();
    push_connectors(&store, &outside, Duration::from_millis(20))
        .await
        .expect("push");
    let queued: Vec<_> = store
        .outbox_entries()
        .expect("outbox")
        .into_iter()
        .filter(|e| matches!(e.op, Ok(OutboxOp::Connector(_))))
        .collect();
    assert_eq!(queued.len(), 1, "{queued:?}");
    let entry = &queued[0];
    assert_eq!(
        entry.state,
        pd_domain::OutboxState::Pending,
        "waits, not failed"
    );
    let next = entry.next_attempt_at.expect("a time to go again");
    assert!(
        next >= before + chrono::Duration::seconds(119),
        "goes again no sooner than the site asked: {next} after {before}"
    );
    let reason = entry.last_error.clone().unwrap_or_default();
    assert!(
        reason.contains("asks to slow down") && reason.contains("in 2 minutes"),
        "{reason}"
    );
    for _ in 0..5 {
        push_connectors(&store, &outside, Duration::from_millis(20))
            .await
            .expect("push");
    }
    assert!(
        double.writes().is_empty(),
        "nothing sent while the site asked to wait"
    );

    // The two minutes pass.
    store
        .outbox_reschedule(&entry.op_id, &reason, chrono::Utc::now())
        .expect("due now");
    drain(&store, &outside).await;
    let nodes = double.nodes("article");
    assert_eq!(nodes.len(), 1, "the article, once");
    assert_eq!(
        nodes.values().next().expect("node")["title"],
        json!(draft.title)
    );
    assert_eq!(double.writes().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_requests_are_imported_across_pages_of_fifty_and_get_their_case_status_back() {
    let double = DrupalDouble::start("agent", "pw").await;
    for n in 0..120 {
        double.add_node(
            "issue_request",
            &format!("00000000-0000-4000-8000-{n:012}"),
            json!({
                "title": format!("Issue {n}"),
                "field_pd_partner": "GC-VERONA",
                "field_pd_kind": "order",
                "body": { "value": "Orders stuck", "format": "plain_text" }
            }),
        );
    }
    double.add_node(
        "issue_request",
        "00000000-0000-4000-8000-999999999999",
        json!({ "title": "No partner" }),
    );
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path().join("cache.db")).expect("store");
    let drupal = agent_client(&double, "pw");
    let report = import_requests(&store, &drupal, &double)
        .await
        .expect("import");
    assert_eq!(report.opened, 120);
    assert_eq!(report.aside, 1);
    assert_eq!(double.list_calls(), 3, "121 nodes in pages of 50");
    let again = import_requests(&store, &drupal, &double)
        .await
        .expect("again");
    assert_eq!(again.opened, 0);
    assert_eq!(store.counts().expect("counts").cases, 120);

    let node = "00000000-0000-4000-8000-000000000007";
    let case_id = store
        .case_for_origin(DRUPAL, OriginSource::DrupalRequest, node)
        .expect("read")
        .expect("case");
    let origin = &store.case_origins(&case_id).expect("origins")[0];
    assert_eq!(
        origin.link.as_deref(),
        Some(format!("{}/jsonapi/node/issue_request/{node}", double.base).as_str())
    );
    store
        .patch_local_case(
            &case_id,
            &CasePatch {
                status: Some(CaseStatus::Resolved),
                ..Default::default()
            },
            chrono::Utc::now(),
        )
        .expect("resolve");
    let outside = Outside {
        clients: [(DRUPAL.to_owned(), ConnectorClient::Drupal(drupal.clone()))].into(),
    };
    double.inject(Fault::Status(503), 1);
    drain(&store, &outside).await;
    let posted = &double.nodes("issue_request")[node];
    assert_eq!(posted["field_pd_status"], "resolved");
    let update = double.writes().into_iter().last().expect("write");
    assert_eq!(update.body["data"]["type"], "node--issue_request");
    assert_eq!(update.body["data"]["id"], node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_looping_next_link_stops_the_import_in_words_and_keeps_what_was_read() {
    let double = DrupalDouble::start("agent", "pw").await;
    for n in 0..150 {
        double.add_node(
            "issue_request",
            &format!("00000000-0000-4000-8000-{n:012}"),
            json!({
                "title": format!("Issue {n}"), "field_pd_partner": "GC-VERONA"
            }),
        );
    }
    double.loop_next_links(true);
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path().join("cache.db")).expect("store");
    let drupal = agent_client(&double, "pw");
    let error = import_requests(&store, &drupal, &double)
        .await
        .expect_err("a loop");
    assert!(matches!(error, BridgeError::Loop(_)));
    let words = error.to_string();
    assert!(
        words.contains("leads back to a page already read"),
        "{words}"
    );
    assert_eq!(
        store.counts().expect("counts").cases,
        100,
        "the two pages read are kept"
    );
    // Wrong password: refused in words, nothing imported.
    let wrong = agent_client(&double, "nope");
    let refused = import_requests(&store, &wrong, &double)
        .await
        .expect_err("401");
    assert!(refused.to_string().contains("401"), "{refused}");
}
