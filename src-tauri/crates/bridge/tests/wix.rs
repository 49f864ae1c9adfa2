//! Wix flows against the Data Items double: a notice published, updated as the case moves and
//! withdrawn when it is resolved, each write once through 429s and a dropped answer, request
//! bodies in the documented shape field by field; partner requests imported as cases (dedup by
//! item id, `_updatedDate` cursor, assignment rules, items with missing fields kept aside).

use std::time::Duration;

use pd_bridge::push::{push_connectors, ConnectorClient, Outside};
use pd_bridge::requests::{import_wix, WIX_JOB};
use pd_connectors::{ConnectorOptions, WixClient};
use pd_domain::{
    CaseKind, CasePatch, CaseStatus, NoticeText, OriginSource, OutboxOp, PublicationState,
    WixSettings,
};
use pd_doubles::wix::WixDouble;
use pd_doubles::Fault;
use pd_store::{AssignRule, CaseHome, Place, Store};
use serde_json::json;

const KEY: &str = "IST.wix-double-key";
const SITE: &str = "0b7e2a8c-13f4-4e4b-9d8e-2f6c1a0b9e22";
const WIX: &str = "wix-1";

fn client(double: &WixDouble, key: &str) -> WixClient {
    let options = ConnectorOptions {
        wix_api_base: double.base.clone(),
        timeout: Duration::from_secs(5),
    };
    WixClient::new(
        &WixSettings {
            site_id: SITE.into(),
        },
        Some(key),
        &options,
    )
    .expect("client")
}

fn new_case(store: &Store) -> String {
    let new = pd_domain::NewCase {
        id: String::new(),
        title: "ASN rejected".into(),
        partner_id: "GC-VERONA".into(),
        partner_name: Some("Verona Vittles".into()),
        kind: CaseKind::Shipment,
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
    store
        .create_kept_case(&new, "Ann", chrono::Utc::now())
        .expect("case")
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
            .filter(|e| e.state != pd_domain::OutboxState::Failed)
            .count();
        if pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the connector writes did not drain");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_is_published_updated_and_withdrawn_once_each_through_rate_limits_and_a_dropped_answer(
) {
    let double = WixDouble::start(KEY, SITE, &["PartnerNotices"]).await;
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path().join("cache.db")).expect("store");
    let case_id = new_case(&store);
    let outside = Outside {
        clients: [(WIX.to_owned(), ConnectorClient::Wix(client(&double, KEY)))].into(),
    };
    let place = Place {
        connector_id: WIX.into(),
        place: "PartnerNotices".into(),
    };

    let draft = store.draft_notice(&case_id).expect("draft");
    assert!(draft.title.contains("Verona Vittles"), "{draft:?}");
    let edited = NoticeText {
        next_steps: "Please resend the 856 with carton labels.".into(),
        ..draft
    };
    assert_eq!(
        store
            .publish_notice(&case_id, &place, &edited, chrono::Utc::now())
            .expect("publish"),
        PublicationState::Published
    );
    double.inject(Fault::Status(429), 2);
    double.inject(Fault::Drop, 1);
    drain(&store, &outside).await;

    let items = double.items("PartnerNotices");
    assert_eq!(items.len(), 1, "one item, though the first answer was lost");
    let item_id = format!("pd-notice-{case_id}");
    let item = &items[&item_id];
    assert_eq!(
        item["nextSteps"], "Please resend the 856 with carton labels.",
        "the analyst's text"
    );
    assert_eq!(item["state"], "published");
    let writes = double.writes();
    // The insert, exactly as documented: dataCollectionId + dataItem {id, data}.
    let insert = &writes[0];
    assert_eq!(insert.op, "insert");
    let body = insert.body.as_object().expect("object");
    assert_eq!(
        body.keys().collect::<Vec<_>>(),
        ["dataCollectionId", "dataItem"]
    );
    assert_eq!(body["dataCollectionId"], "PartnerNotices");
    let data_item = body["dataItem"].as_object().expect("dataItem");
    assert_eq!(data_item.keys().collect::<Vec<_>>(), ["data", "id"]);
    assert_eq!(data_item["id"], json!(item_id));
    let data = data_item["data"].as_object().expect("data");
    for field in [
        "title",
        "affected",
        "nextSteps",
        "expectedResolution",
        "caseReference",
        "partnerId",
        "caseStatus",
        "state",
        "withdrawn",
    ] {
        assert!(data.contains_key(field), "{field} in {data:?}");
    }
    assert!(!data.contains_key("_id"), "system fields are Wix's to set");

    // The case moves: the notice is updated; resolved: withdrawn.
    let now = chrono::Utc::now();
    store
        .patch_local_case(
            &case_id,
            &CasePatch {
                status: Some(CaseStatus::WaitingOnPartner),
                ..Default::default()
            },
            now,
        )
        .expect("move");
    drain(&store, &outside).await;
    assert_eq!(
        double.items("PartnerNotices")[&item_id]["caseStatus"],
        "waiting on partner"
    );
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
    drain(&store, &outside).await;
    let withdrawn = &double.items("PartnerNotices")[&item_id];
    assert_eq!(withdrawn["state"], "withdrawn");
    assert_eq!(withdrawn["withdrawn"], true);
    let writes = double.writes();
    let update = writes
        .iter()
        .rfind(|w| w.op == "update")
        .expect("an update");
    let body = update.body.as_object().expect("object");
    assert_eq!(
        body.keys().collect::<Vec<_>>(),
        ["dataCollectionId", "dataItem"]
    );
    assert_eq!(update.body["dataItem"]["id"], json!(item_id));
    assert_eq!(
        update.body["dataItem"]["dataCollectionId"],
        "PartnerNotices"
    );
    let states: Vec<&str> = writes
        .iter()
        .filter_map(|w| w.body["dataItem"]["data"]["state"].as_str())
        .collect();
    let mut distinct = states.clone();
    distinct.dedup();
    assert_eq!(
        distinct,
        ["published", "updated", "withdrawn"],
        "{states:?}"
    );
    assert_eq!(
        states.iter().filter(|s| **s == "published").count(),
        2,
        "the dropped insert and its replay as an update"
    );
    let views = store.publications(&case_id).expect("views");
    assert_eq!(views[0].state, PublicationState::Withdrawn);
    assert_eq!(views[0].queued, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_key_is_shown_with_its_reason_and_the_notice_waits() {
    let double = WixDouble::start(KEY, SITE, &["PartnerNotices"]).await;
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path().join("cache.db")).expect("store");
    let case_id = new_case(&store);
    let outside = Outside {
        clients: [(
            WIX.to_owned(),
            ConnectorClient::Wix(client(&double, "IST.revoked")),
        )]
        .into(),
    };
    let place = Place {
        connector_id: WIX.into(),
        place: "PartnerNotices".into(),
    };
    let notice = store.draft_notice(&case_id).expect("draft");
    store
        .publish_notice(&case_id, &place, &notice, chrono::Utc::now())
        .expect("publish");
    // A long backoff: one attempt in this push, however fast the machine.
    let report = push_connectors(&store, &outside, Duration::from_secs(60))
        .await
        .expect("push");
    assert_eq!(report.rescheduled, 1);
    let views = store.publications(&case_id).expect("views");
    let reason = views[0].last_error.clone().expect("a reason");
    assert!(
        reason.contains("Wix refused the API key (HTTP 401)"),
        "{reason}"
    );
    assert!(!reason.contains("IST.revoked"), "the key never shows");
    assert!(double.items("PartnerNotices").is_empty());
    // A missing collection is a refusal the analyst must look at: failed, with the reason.
    let other = new_case(&store);
    let missing = Place {
        connector_id: WIX.into(),
        place: "NoSuchCollection".into(),
    };
    store
        .publish_notice(&other, &missing, &notice, chrono::Utc::now())
        .expect("publish");
    let good = Outside {
        clients: [(WIX.to_owned(), ConnectorClient::Wix(client(&double, KEY)))].into(),
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    push_connectors(&store, &good, Duration::from_millis(10))
        .await
        .expect("push");
    let failed = store
        .outbox_entries()
        .expect("outbox")
        .into_iter()
        .find(|e| e.case_id == other && matches!(e.op, Ok(OutboxOp::Connector(_))))
        .expect("kept");
    assert_eq!(failed.state, pd_domain::OutboxState::Failed);
    assert!(
        failed
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("HTTP 404")),
        "{:?}",
        failed.last_error
    );
    // Publishing again with corrected text and place edits the refused write (one entry, queued
    // again), it does not queue a second one behind it; it then goes out as the first insert.
    let corrected = NoticeText {
        title: "Corrected headline".into(),
        ..notice.clone()
    };
    assert_eq!(
        store
            .publish_notice(&other, &place, &corrected, chrono::Utc::now())
            .expect("edit"),
        PublicationState::Published
    );
    let mine: Vec<_> = store
        .outbox_entries()
        .expect("outbox")
        .into_iter()
        .filter(|e| e.case_id == other && matches!(e.op, Ok(OutboxOp::Connector(_))))
        .collect();
    assert_eq!(mine.len(), 1, "rewritten, not queued twice");
    assert_eq!(mine[0].op_id, failed.op_id, "the same operation, edited");
    assert_eq!(mine[0].state, pd_domain::OutboxState::Pending);
    push_connectors(&store, &good, Duration::from_secs(60))
        .await
        .expect("push");
    let item = &double.items("PartnerNotices")[&format!("pd-notice-{other}")];
    assert_eq!(item["title"], "Corrected headline");
    assert_eq!(item["state"], "published");
    // A refused write discarded takes a never-published notice back to a draft.
    let third = new_case(&store);
    store
        .publish_notice(&third, &missing, &notice, chrono::Utc::now())
        .expect("publish");
    push_connectors(&store, &good, Duration::from_secs(60))
        .await
        .expect("push");
    let refused = store
        .outbox_entries()
        .expect("outbox")
        .into_iter()
        .find(|e| e.case_id == third && matches!(e.op, Ok(OutboxOp::Connector(_))))
        .expect("kept");
    assert_eq!(refused.state, pd_domain::OutboxState::Failed);
    store.outbox_discard(&refused.op_id).expect("discard");
    assert_eq!(
        store.publications(&third).expect("views")[0].state,
        PublicationState::Draft
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wix_form_requests_become_cases_once_assigned_by_rules_and_broken_items_are_kept_aside() {
    let double = WixDouble::start(KEY, SITE, &["PartnerRequests"]).await;
    for n in 0..120 {
        double.submit(
            "PartnerRequests",
            &format!("req-{n:03}"),
            json!({
                "title": format!("Request {n}"),
                "partnerId": if n % 2 == 0 { "GC-VERONA" } else { "GC-ACME" },
                "kind": if n % 3 == 0 { "invoice" } else { "shipment" },
                "details": "Submitted through the partner portal"
            }),
        );
    }
    double.submit(
        "PartnerRequests",
        "req-broken",
        json!({ "details": "no title, no partner" }),
    );
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path().join("cache.db")).expect("store");
    let rules = vec![
        AssignRule {
            kind: Some(CaseKind::Invoice),
            partner_id: None,
            owner: Some("billing.lead".into()),
            set_kind: None,
        },
        AssignRule {
            kind: None,
            partner_id: Some("GC-ACME".into()),
            owner: Some("acme.owner".into()),
            set_kind: None,
        },
    ];
    let wix = client(&double, KEY);
    let report = import_wix(&store, &wix, WIX, "PartnerRequests", CaseHome::Kept, &rules)
        .await
        .expect("import");
    assert_eq!(report.opened, 120);
    assert_eq!(report.aside, 1);
    let again = import_wix(&store, &wix, WIX, "PartnerRequests", CaseHome::Kept, &rules)
        .await
        .expect("again");
    assert_eq!(again.opened, 0, "nothing twice");
    assert_eq!(store.counts().expect("counts").cases, 120);
    assert!(store
        .connector_cursor(WIX, WIX_JOB)
        .expect("cursor")
        .is_some());

    let invoice = store
        .case_for_origin(WIX, OriginSource::WixRequest, "req-000")
        .expect("read")
        .expect("case");
    let invoice = store.case(&invoice).expect("read").expect("case");
    assert_eq!(
        (invoice.kind, invoice.owner.as_deref()),
        (CaseKind::Invoice, Some("billing.lead"))
    );
    let acme = store
        .case_for_origin(WIX, OriginSource::WixRequest, "req-001")
        .expect("read")
        .expect("case");
    assert_eq!(
        store
            .case(&acme)
            .expect("read")
            .expect("case")
            .owner
            .as_deref(),
        Some("acme.owner")
    );
    let origins = store.case_origins(&acme).expect("origins");
    assert_eq!(origins[0].label, "Wix form request req-001");

    let aside = store.aside_items(10).expect("aside");
    assert!(
        aside[0].reason.contains("lacks title and partnerId"),
        "{}",
        aside[0].reason
    );

    // A new submission after the cursor: only it is imported.
    double.submit(
        "PartnerRequests",
        "req-new",
        json!({ "title": "Late one", "partnerId": "GC-VERONA" }),
    );
    let later = import_wix(&store, &wix, WIX, "PartnerRequests", CaseHome::Kept, &rules)
        .await
        .expect("later");
    assert_eq!(later.opened, 1);
    // The query the importer sends, as documented: filter on _updatedDate, sort, paging.
    double.inject(Fault::Status(429), 1);
    let limited = import_wix(&store, &wix, WIX, "PartnerRequests", CaseHome::Kept, &rules)
        .await
        .expect_err("429");
    assert!(limited.to_string().contains("HTTP 429"), "{limited}");
}
