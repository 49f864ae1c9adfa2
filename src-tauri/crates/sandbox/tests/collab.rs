//! collab/v1 on the sandbox: what only the sandbox shows (its seeded data, simulated partner
//! replies, the applied-ops log over HTTP and in memory). Validation errors, If-Match and
//! versions are the contract's (`contract.rs` runs `pd-collab-contract` here, as the server does).

mod common;

use std::collections::HashSet;

use common::{partner_and_owner, start, Env, KEY, SECRET};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

async fn failed_transaction(env: &Env) -> String {
    let answer = env.lens(r#"{ getTransactions(query:{count:1 query:"status:F"}) { transactions { transactionid } } }"#).await;
    answer["data"]["getTransactions"]["transactions"][0]["transactionid"]
        .as_str()
        .expect("id")
        .to_string()
}

fn new_case(id: &str, partner: &str, owner: &str) -> Value {
    json!({
        "id": id, "title": "Short shipment on PO 4500012345", "partnerId": partner, "kind": "shipment",
        "priority": "high", "owner": owner, "slaDue": "2026-03-05T12:00:00Z",
        "references": {"poNumbers": ["4500012345"]}, "description": "Received 40 of 48 cartons."
    })
}

#[tokio::test]
async fn the_change_feed_pages_through_every_case_once_and_then_goes_quiet() {
    let env = start(120).await;
    let (cases, cursor) = env.drain_feed("", 25).await;
    assert_eq!(cases.len(), 120);
    let ids: HashSet<&str> = cases
        .iter()
        .map(|c| c["case"]["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), 120, "each case once");
    let comments: usize = cases
        .iter()
        .map(|c| c["comments"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(
        (120 * 2..=120 * 6).contains(&comments),
        "about 4 comments per case, got {comments}"
    );
    assert!(cases
        .iter()
        .any(|c| c["documents"].as_array().is_some_and(|d| !d.is_empty())));
    assert!(cases.iter().any(|c| c["case"]["linkedTransactions"]
        .as_array()
        .is_some_and(|l| !l.is_empty())));
    for bundle in &cases {
        let thread = bundle["comments"].as_array().expect("comments");
        let times: Vec<&str> = thread
            .iter()
            .map(|c| c["createdAt"].as_str().expect("t"))
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "threads oldest first"
        );
        let parsed: pd_domain::CaseBundle =
            serde_json::from_value(bundle.clone()).expect("a pd-domain CaseBundle");
        assert!(!parsed.case.title.is_empty());
    }

    let quiet = env.get_json(&env.collab(&format!("?since={cursor}"))).await;
    assert_eq!(
        quiet,
        json!({"cases": [], "nextCursor": cursor, "hasMore": false})
    );

    // A change moves exactly that case to the end of the feed.
    let target = cases[3]["case"]["id"].as_str().expect("id").to_string();
    let comment = env
        .send_json(Method::POST, &env.collab(&format!("/{target}/comments")),
            &json!({"id": "c-feed-1", "author": "Anna Keller", "body": "Any news?", "visibility": "partner"}), None)
        .await;
    assert_eq!(comment.status(), 201);
    let (changed, next) = env.drain_feed(&cursor, 25).await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["case"]["id"], target.as_str());
    assert_eq!(
        changed[0]["comments"]
            .as_array()
            .and_then(|c| c.last())
            .map(|c| c["body"].clone()),
        Some(json!("Any news?"))
    );
    assert!(next.parse::<u64>().expect("n") > cursor.parse::<u64>().expect("n"));

    let replies = env
        .http
        .post(env.url("/__admin/simulate"))
        .basic_auth(KEY, Some(SECRET))
        .json(&json!({"partnerReplies": 5}))
        .send()
        .await
        .expect("send");
    assert_eq!(replies.status(), 200);
    let replies: Value = replies.json().await.expect("json");
    let touched: HashSet<&str> = replies["caseIds"]
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let (after, _) = env.drain_feed(&next, 2).await;
    let after_ids: HashSet<&str> = after
        .iter()
        .filter_map(|c| c["case"]["id"].as_str())
        .collect();
    assert_eq!(after_ids, touched, "partner replies appear in the feed");
    assert!(after.iter().all(|c| c["comments"]
        .as_array()
        .and_then(|t| t.last())
        .is_some_and(|l| l["authorIsPartner"] == true)));

    for bad in [
        "?since=abc",
        "?since=-4",
        "?limit=0",
        "?limit=2001",
        "?limit=ten",
    ] {
        let response = env.get(&env.collab(bad)).await;
        assert_eq!(response.status(), 400, "{bad}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["code"], "validation");
    }
}

#[tokio::test]
async fn writes_apply_once_per_idempotency_key() {
    let env = start(20).await;
    let (partner, owner) = partner_and_owner(&env).await;
    let body = new_case("case-idem-1", &partner, &owner);
    let first = env
        .send_json(Method::POST, &env.collab(""), &body, Some("op-1"))
        .await;
    assert_eq!(first.status(), 201);
    let first_body: Value = first.json().await.expect("json");
    assert_eq!(first_body["case"]["status"], "new");
    assert_eq!(first_body["case"]["partnerId"], partner.as_str());
    assert_eq!(
        first_body["comments"][0]["body"],
        "Received 40 of 48 cartons."
    );

    let replay = env
        .send_json(Method::POST, &env.collab(""), &body, Some("op-1"))
        .await;
    assert_eq!(replay.status(), 201);
    let replay_body: Value = replay.json().await.expect("json");
    assert_eq!(
        replay_body, first_body,
        "the stored answer is replayed verbatim"
    );

    let mut other = body.clone();
    other["title"] = json!("Something else");
    let mismatch = env
        .send_json(Method::POST, &env.collab(""), &other, Some("op-1"))
        .await;
    assert_eq!(mismatch.status(), 422);

    let without_key = env
        .send_json(Method::POST, &env.collab(""), &body, None)
        .await;
    assert_eq!(
        without_key.status(),
        409,
        "the same client id without the key is a conflict"
    );

    let path = env.collab("/case-idem-1/comments");
    let comment = json!({"id": "cm-1", "author": "Anna Keller", "body": "Please confirm the ASN.", "visibility": "partner"});
    for _ in 0..3 {
        let response = env
            .send_json(Method::POST, &path, &comment, Some("op-2"))
            .await;
        assert_eq!(response.status(), 201);
    }
    let patch = env
        .send_json(
            Method::PATCH,
            &env.collab("/case-idem-1"),
            &json!({"status": "waiting_on_partner"}),
            Some("op-3"),
        )
        .await;
    assert_eq!(patch.status(), 200);
    let patched: Value = patch.json().await.expect("json");
    assert_eq!(patched["status"], "waiting_on_partner");
    let again = env
        .send_json(
            Method::PATCH,
            &env.collab("/case-idem-1"),
            &json!({"status": "waiting_on_partner"}),
            Some("op-3"),
        )
        .await;
    let again: Value = again.json().await.expect("json");
    assert_eq!(again["version"], patched["version"]);

    let bundle = env.get_json(&env.collab("/case-idem-1")).await;
    assert_eq!(
        bundle["comments"].as_array().map(Vec::len),
        Some(2),
        "description + one comment, not three"
    );
    let ops = env
        .sandbox
        .applied_ops(Some("case-idem-1"))
        .await
        .expect("ops");
    let kinds: Vec<(&str, &str)> = ops
        .iter()
        .map(|o| (o.op_id.as_str(), o.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("op-1", "create_case"),
            ("op-2", "add_comment"),
            ("op-3", "patch_case")
        ]
    );
    let over_http: Value = env
        .http
        .get(env.url("/__admin/ops?caseId=case-idem-1"))
        .basic_auth(KEY, Some(SECRET))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(over_http.as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn patches_links_and_documents_change_the_case() {
    let env = start(20).await;
    let (partner, owner) = partner_and_owner(&env).await;
    let created = env
        .send_json(
            Method::POST,
            &env.collab(""),
            &new_case("case-2", &partner, &owner),
            None,
        )
        .await;
    assert_eq!(created.status(), 201);
    let v1: Value = created.json().await.expect("json");
    let version = v1["case"]["version"].as_i64().expect("version");

    let cleared = env
        .send_json(
            Method::PATCH,
            &env.collab("/case-2"),
            &json!({"owner": null, "slaDue": null, "priority": "urgent"}),
            None,
        )
        .await;
    let cleared: Value = cleared.json().await.expect("json");
    assert_eq!(cleared["owner"], Value::Null);
    assert_eq!(cleared["slaDue"], Value::Null);
    assert_eq!(cleared["priority"], "urgent");
    assert_eq!(cleared["title"], v1["case"]["title"], "absent fields stay");
    assert!(cleared["version"].as_i64().expect("v") > version);

    let tx = failed_transaction(&env).await;
    let linked = env
        .send_json(
            Method::POST,
            &env.collab("/case-2/transactions"),
            &json!({"transactionId": tx}),
            None,
        )
        .await;
    assert_eq!(linked.status(), 200);
    let linked: Value = linked.json().await.expect("json");
    assert_eq!(linked["linkedTransactions"], json!([tx]));
    let unlinked = env
        .request(
            Method::DELETE,
            &env.collab(&format!("/case-2/transactions/{tx}")),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(unlinked.status(), 200);
    let unlinked: Value = unlinked.json().await.expect("json");
    assert_eq!(unlinked["linkedTransactions"], json!([]));

    let content = b"ISA*00*~GS*SH~ST*856*0001~BSN*00*SH12345678~SE*2*0001~".to_vec();
    let upload = env
        .request(
            Method::POST,
            &env.collab("/case-2/documents?name=..%2F..%2Fetc%2Fasn.edi&uploadedBy=Anna%20Keller"),
        )
        .body(content.clone())
        .send()
        .await
        .expect("send");
    assert_eq!(upload.status(), 201);
    let doc: Value = upload.json().await.expect("json");
    assert_eq!(doc["name"], "asn.edi", "directories are stripped");
    assert_eq!(doc["mediaType"], "application/edi-x12");
    assert_eq!(doc["size"], content.len());
    assert_eq!(doc["sha256"], format!("{:x}", Sha256::digest(&content)));
    assert_eq!(doc["location"], json!({"type": "collab"}));
    let id = doc["id"].as_str().expect("id");
    assert_eq!(
        env.get_json(&env.collab(&format!("/case-2/documents/{id}")))
            .await,
        doc
    );
    let bytes = env
        .get(&env.collab(&format!("/case-2/documents/{id}/content")))
        .await;
    assert_eq!(bytes.status(), 200);
    assert_eq!(bytes.headers()["content-type"], "application/edi-x12");
    assert_eq!(
        bytes.headers()["content-length"],
        content.len().to_string().as_str()
    );
    assert_eq!(bytes.bytes().await.expect("bytes").to_vec(), content);
    assert_eq!(
        env.get(&env.collab("/case-2/documents/nope"))
            .await
            .status(),
        404
    );

    // Seeded documents hash to what their metadata says.
    let (cases, _) = env.drain_feed("", 500).await;
    let seeded = cases
        .iter()
        .find_map(|c| c["documents"].as_array().and_then(|d| d.first()).cloned())
        .expect("a seeded document");
    let path = env.collab(&format!(
        "/{}/documents/{}/content",
        seeded["caseId"].as_str().expect("c"),
        seeded["id"].as_str().expect("d")
    ));
    let seeded_bytes = env.get(&path).await.bytes().await.expect("bytes");
    assert_eq!(
        format!("{:x}", Sha256::digest(&seeded_bytes)),
        seeded["sha256"].as_str().expect("sha")
    );
}
