//! The connectors end to end through the app's commands and its supervised connectors job, with
//! the Wix and Drupal doubles on loopback: a failed-transaction event posted to the loopback
//! listener opens a case; the analyst previews, edits and publishes a Wix notice; resolving the
//! case withdraws it; the resolution is promoted to a Drupal article; each double holds each
//! write once.
//!
//! Runs inside a keyring session: `bash .ci/with-keyring.sh cargo test -p pd-app --test connector_work`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::time::Duration;

use common::{eventually, keychain_namespace, start, Dirs};
use pd_app::{accounts, commands};
use pd_domain::{
    CasePatch, CaseStatus, ConnectorInput, ConnectorSettings, ConnectorWork, ConnectorWorkInput,
    DrupalAuth, DrupalSettings, OriginSource, PublicationState, WixSettings, WorkKind,
};
use pd_doubles::drupal::DrupalDouble;
use pd_doubles::wix::WixDouble;
use serde_json::json;

const SITE: &str = "0b7e2a8c-13f4-4e4b-9d8e-2f6c1a0b9e22";
const WIX_KEY: &str = "IST.e2e-wix-key";
const TOKEN: &str = "listener-token-5c1d";

fn work(kind: WorkKind, id: &str) -> ConnectorWork {
    ConnectorWork {
        connector_id: id.to_owned(),
        name: String::new(),
        kind,
        enabled: true,
        every_seconds: 60,
        notices_collection: None,
        requests_collection: None,
        article_bundle: None,
        request_bundle: None,
        feed_url: None,
        outbound_url: None,
        listen_port: None,
        rules: vec![],
        partner_inbox: None,
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_opens_a_case_whose_notice_is_published_withdrawn_and_whose_resolution_becomes_an_article(
) {
    let Some(namespace) = keychain_namespace() else {
        return;
    };
    let wix = WixDouble::start(WIX_KEY, SITE, &["PartnerNotices", "PartnerRequests"]).await;
    wix.submit(
        "PartnerRequests",
        "req-1",
        json!({ "title": "Please re-enable our ASN mailbox", "partnerId": "GC-E2E-PARTNER" }),
    );
    let drupal = DrupalDouble::start("ops", "drupal-pw").await;
    std::env::set_var(accounts::WIX_API_BASE_ENV, &wix.base);
    let dirs = Dirs::new(namespace);
    let state = start(&dirs).await;

    let wix_connector = accounts::save_connector(
        &state,
        ConnectorInput {
            id: None,
            name: "Partner site".into(),
            settings: ConnectorSettings::Wix(WixSettings {
                site_id: SITE.into(),
            }),
            secret: Some(WIX_KEY.into()),
        },
    )
    .await
    .expect("wix connector");
    let drupal_connector = accounts::save_connector(
        &state,
        ConnectorInput {
            id: None,
            name: "Knowledge base".into(),
            settings: ConnectorSettings::Drupal(DrupalSettings {
                base_url: drupal.base.clone(),
                auth: DrupalAuth::Basic { user: "ops".into() },
            }),
            secret: Some("drupal-pw".into()),
        },
    )
    .await
    .expect("drupal connector");
    let mut wix_work = work(WorkKind::Wix, &wix_connector.id);
    wix_work.notices_collection = Some("PartnerNotices".into());
    wix_work.requests_collection = Some("PartnerRequests".into());
    wix_work.rules = vec![pd_domain::AssignmentRule {
        kind: None,
        partner_id: Some("GC-E2E-PARTNER".into()),
        owner: Some("partner.desk".into()),
        set_kind: Some(pd_domain::CaseKind::Onboarding),
    }];
    commands::save_connector_work(
        &state,
        ConnectorWorkInput {
            work: wix_work,
            token: None,
        },
    )
    .await
    .expect("wix work");
    let mut drupal_work = work(WorkKind::Drupal, &drupal_connector.id);
    drupal_work.article_bundle = Some("article".into());
    commands::save_connector_work(
        &state,
        ConnectorWorkInput {
            work: drupal_work,
            token: None,
        },
    )
    .await
    .expect("drupal work");
    let port = free_port();
    let mut xc = work(WorkKind::Xconnector, "");
    xc.name = "Integration agent".into();
    xc.listen_port = Some(port);
    let xc = commands::save_connector_work(
        &state,
        ConnectorWorkInput {
            work: xc,
            token: Some(TOKEN.into()),
        },
    )
    .await
    .expect("xconnector work");
    assert!(xc.token_set, "the token is in the keychain");
    let listed = commands::connector_work_list(&state).await.expect("list");
    assert_eq!(listed.len(), 3);
    assert!(listed
        .iter()
        .any(|w| w.imports.contains(&format!("127.0.0.1:{port}/events"))));

    // The Wix form request is imported by the job as a case, assigned by the rule.
    let store = state.current().store.clone();
    let wix_id = wix_connector.id.clone();
    eventually("the Wix request imported", Duration::from_secs(20), || {
        let (store, wix_id) = (store.clone(), wix_id.clone());
        async move {
            store
                .case_for_origin(&wix_id, OriginSource::WixRequest, "req-1")
                .ok()
                .flatten()
                .is_some()
        }
    })
    .await;
    let imported = store
        .case_for_origin(&wix_id, OriginSource::WixRequest, "req-1")
        .expect("read")
        .expect("case");
    let imported = store.case(&imported).expect("read").expect("case");
    assert_eq!(imported.owner.as_deref(), Some("partner.desk"));
    assert_eq!(imported.kind, pd_domain::CaseKind::Onboarding);
    let runs = commands::connector_work_list(&state).await.expect("list");
    let wix_view = runs
        .iter()
        .find(|w| w.work.connector_id == wix_id)
        .expect("wix work");
    assert!(
        wix_view
            .runs
            .iter()
            .any(|r| r.last_ok_at.is_some() && r.imported == 1),
        "{:?}",
        wix_view.runs
    );

    // A failed-transaction event arrives on the loopback listener.
    let event = json!({
        "specversion": "1.0",
        "id": "evt-e2e-1",
        "source": "urn:tradinggrid:xconnector:agent",
        "type": "com.opentext.tradinggrid.exception.invoice.v1",
        "time": "2026-11-30T09:00:00Z",
        "datacontenttype": "application/json",
        "data": {
            "correlationId": "INV-E2E-77",
            "partnerId": "GC-E2E-PARTNER",
            "partnerName": "Verona Vittles",
            "state": "failed",
            "summary": "Invoice 77 rejected: unknown tax code",
            "detail": "The 810 was rejected by the partner's ERP."
        }
    });
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/events");
    let mut accepted = false;
    for _ in 0..100 {
        if let Ok(answer) = http
            .post(&url)
            .bearer_auth(TOKEN)
            .header("content-type", "application/cloudevents+json")
            .body(event.to_string())
            .send()
            .await
        {
            assert_eq!(answer.status(), 202, "{:?}", answer.text().await);
            accepted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(accepted, "the listener answered");
    let case_id = store
        .case_for_origin(
            &xc.work.connector_id,
            OriginSource::XconnectorEvent,
            "INV-E2E-77",
        )
        .expect("read")
        .expect("a case was opened");
    let detail = commands::get_case(&state, case_id.clone())
        .await
        .expect("case");
    assert_eq!(detail.case.title, "Invoice 77 rejected: unknown tax code");
    assert_eq!(detail.case.status, CaseStatus::Open);

    // The analyst previews, edits and publishes the notice.
    let outside = commands::case_outside(&state, case_id.clone())
        .await
        .expect("outside");
    assert_eq!(outside.origins[0].source, OriginSource::XconnectorEvent);
    assert_eq!(
        outside.notice_target.as_deref(),
        Some("Partner site (PartnerNotices)")
    );
    let mut notice = outside.notice_draft.clone();
    notice.next_steps = "Please hold invoices with tax code 0 until we confirm the fix.".into();
    let published = commands::publish_notice(&state, case_id.clone(), notice)
        .await
        .expect("publish");
    assert_eq!(published.state, PublicationState::Published);
    let item_id = format!("pd-notice-{case_id}");
    eventually(
        "the notice on the Wix site",
        Duration::from_secs(20),
        || {
            let wix = wix.clone();
            let item_id = item_id.clone();
            async move { wix.items("PartnerNotices").contains_key(&item_id) }
        },
    )
    .await;
    assert_eq!(
        wix.items("PartnerNotices")[&item_id]["nextSteps"],
        "Please hold invoices with tax code 0 until we confirm the fix."
    );

    // Resolving withdraws the notice; the resolution is promoted to an article.
    commands::add_comment(
        &state,
        case_id.clone(),
        "Mapped tax code 0 to exempt.".into(),
        pd_domain::Visibility::Partner,
    )
    .await
    .expect("comment");
    commands::update_case(
        &state,
        case_id.clone(),
        CasePatch {
            status: Some(CaseStatus::Resolved),
            ..Default::default()
        },
    )
    .await
    .expect("resolve");
    eventually("the notice withdrawn", Duration::from_secs(20), || {
        let wix = wix.clone();
        let item_id = item_id.clone();
        async move { wix.items("PartnerNotices")[&item_id]["state"] == "withdrawn" }
    })
    .await;
    let outside = commands::case_outside(&state, case_id.clone())
        .await
        .expect("outside");
    assert!(outside
        .article_draft
        .body
        .contains("Mapped tax code 0 to exempt."));
    commands::promote_article(&state, case_id.clone(), outside.article_draft.clone())
        .await
        .expect("promote");
    eventually(
        "the article on the Drupal site",
        Duration::from_secs(20),
        || {
            let drupal = drupal.clone();
            async move { drupal.nodes("article").len() == 1 }
        },
    )
    .await;
    let views = commands::case_outside(&state, case_id.clone())
        .await
        .expect("outside");
    let states: Vec<_> = views
        .publications
        .iter()
        .map(|p| (p.kind, p.state, p.queued))
        .collect();
    assert!(
        states.contains(&(
            pd_domain::PublicationKind::WixNotice,
            PublicationState::Withdrawn,
            0
        )),
        "{states:?}"
    );
    assert!(
        states.contains(&(
            pd_domain::PublicationKind::DrupalArticle,
            PublicationState::Published,
            0
        )),
        "{states:?}"
    );

    // Each double holds each write once.
    let wix_writes: Vec<_> = wix.writes().iter().map(|w| (w.op, w.id.clone())).collect();
    assert_eq!(
        wix_writes,
        [("insert", item_id.clone()), ("update", item_id.clone())]
    );
    let drupal_writes: Vec<_> = drupal.writes().iter().map(|w| w.op).collect();
    assert_eq!(drupal_writes, ["create"]);
    let node = drupal.nodes("article").into_values().next().expect("node");
    assert_eq!(node["field_pd_tags"], json!(["Verona Vittles", "Invoice"]));
    state.shutdown().await;
}
