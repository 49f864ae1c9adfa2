//! The `collab/v1` contract tests, written once as functions over a server's base URL, so the
//! sandbox, `partnerdesk-server` on SQLite and `partnerdesk-server` on PostgreSQL are held to the
//! same answers. A test crate runs them all with one line:
//!
//! ```ignore
//! pd_collab_contract::contract_tests!(my_start_fn());
//! ```
//!
//! where `my_start_fn()` is an async expression giving `(Target, guard)`; the guard (the
//! server, its process, its temp folder) is dropped when the test ends. Each body creates its
//! own cases and reads the feed from where it stood, so a seeded server works as well as an
//! empty one.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::collections::HashSet;
use std::time::Duration;

use pd_domain::{CaseKind, CasePatch, CaseStatus, NewCase, NewComment, Visibility};
use pd_tradinggrid::{ClientConfig, RetryPolicy, TradingGridClient};
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Names a server refuses (the sandbox checks its seeded directory).
#[derive(Debug, Clone)]
pub struct Unknown {
    /// A partner id that is not in the directory.
    pub partner: String,
    /// An owner login id that is not a user.
    pub owner: String,
    /// A transaction id Lens does not know.
    pub transaction: String,
}

/// The server under test.
#[derive(Debug, Clone)]
pub struct Target {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// A company id the server serves.
    pub company: String,
    /// OAuth2 client id.
    pub client_id: String,
    /// OAuth2 client secret.
    pub client_secret: String,
    /// A partner id the server accepts.
    pub partner: String,
    /// An owner login id the server accepts.
    pub owner: String,
    /// At least two transaction ids that may be linked.
    pub transactions: Vec<String>,
    /// Names the server refuses; `None` when it accepts any (it keeps no directory).
    pub unknown: Option<Unknown>,
    /// The author the server records for this client's comments; `None`: the request's.
    pub author: Option<String>,
}

/// Runs every contract body as its own `#[tokio::test]`; `$start` is an async expression
/// evaluated once per test, giving `(Target, guard)`. With `optional`, `$start` gives
/// `Option<(Target, guard)>` and `None` skips the test (a test peer that is not installed and
/// not required; the start function says so).
#[macro_export]
macro_rules! contract_tests {
    (optional $start:expr) => {
        $crate::contract_tests!(@each (::std::convert::identity) $start;
            contract_feed_delivers_every_change_once_in_order,
            contract_writes_apply_once_per_idempotency_key,
            contract_patches_links_and_documents_change_the_case,
            contract_conditional_patch_with_if_match,
            contract_invalid_writes_are_refused_and_change_nothing,
            contract_requests_without_a_valid_token_are_refused,
            contract_tradinggrid_client_round_trip,
            contract_documents_keep_the_client_id_and_s3_objects_are_recorded
        );
    };
    ($start:expr) => {
        $crate::contract_tests!(@each (::std::option::Option::Some) $start;
            contract_feed_delivers_every_change_once_in_order,
            contract_writes_apply_once_per_idempotency_key,
            contract_patches_links_and_documents_change_the_case,
            contract_conditional_patch_with_if_match,
            contract_invalid_writes_are_refused_and_change_nothing,
            contract_requests_without_a_valid_token_are_refused,
            contract_tradinggrid_client_round_trip,
            contract_documents_keep_the_client_id_and_s3_objects_are_recorded
        );
    };
    (@each ($wrap:path) $start:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let ::std::option::Option::Some((target, guard)) = $wrap($start.await) else {
                    return;
                };
                $crate::$name(&target).await;
                drop(guard);
            }
        )*
    };
}

/// A client with a token.
struct Api {
    target: Target,
    http: Client,
    token: String,
}

impl Api {
    async fn new(target: &Target) -> Self {
        let http = Client::new();
        let token = token(&http, target).await;
        Api {
            target: target.clone(),
            http,
            token,
        }
    }

    fn collab(&self, rest: &str) -> String {
        format!(
            "{}/collab/v1/companies/{}/cases{rest}",
            self.target.base_url, self.target.company
        )
    }

    fn request(&self, method: Method, url: &str) -> RequestBuilder {
        self.http.request(method, url).bearer_auth(&self.token)
    }

    async fn get(&self, url: &str) -> Response {
        self.request(Method::GET, url)
            .send()
            .await
            .expect("request")
    }

    async fn get_json(&self, url: &str) -> Value {
        let response = self.get(url).await;
        assert!(
            response.status().is_success(),
            "GET {url}: {}",
            response.status()
        );
        response.json().await.expect("json")
    }

    async fn send_json(
        &self,
        method: Method,
        url: &str,
        body: &Value,
        key: Option<&str>,
    ) -> Response {
        let mut request = self.request(method, url).json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.expect("request")
    }

    /// Follows the feed from `since` to its end: (bundles, final cursor).
    async fn drain(&self, since: &str, limit: usize) -> (Vec<Value>, String) {
        let mut cursor = since.to_string();
        let mut all = Vec::new();
        loop {
            let page = self
                .get_json(&self.collab(&format!("?since={cursor}&limit={limit}")))
                .await;
            let cases = page["cases"].as_array().expect("cases").clone();
            assert!(cases.len() <= limit, "a page holds at most limit cases");
            all.extend(cases);
            cursor = page["nextCursor"].as_str().expect("cursor").to_string();
            if !page["hasMore"].as_bool().expect("hasMore") {
                return (all, cursor);
            }
        }
    }

    /// The feed's end now.
    async fn cursor_now(&self) -> String {
        self.drain("", 2000).await.1
    }

    fn new_case(&self, id: &str) -> Value {
        json!({
            "id": id, "title": "Short shipment on PO 4500012345", "partnerId": self.target.partner,
            "kind": "shipment", "priority": "high", "owner": self.target.owner,
            "slaDue": "2026-03-05T12:00:00Z", "references": {"poNumbers": ["4500012345"]},
            "description": "Received 40 of 48 cartons."
        })
    }

    async fn create(&self, id: &str) -> Value {
        let response = self
            .send_json(Method::POST, &self.collab(""), &self.new_case(id), None)
            .await;
        assert_eq!(response.status(), 201, "create {id}");
        response.json().await.expect("json")
    }

    fn author_of(&self, requested: &str) -> String {
        self.target
            .author
            .clone()
            .unwrap_or_else(|| requested.to_string())
    }
}

async fn token(http: &Client, target: &Target) -> String {
    let response = http
        .post(format!(
            "{}/v1/oauth2/tokens?grant_type=client_credentials",
            target.base_url
        ))
        .basic_auth(&target.client_id, Some(&target.client_secret))
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), 200, "token endpoint");
    let body: Value = response.json().await.expect("token json");
    assert_eq!(body["token_type"], "Bearer");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// The feed from a cursor delivers each changed case once, in change order, pages at most
/// `limit` long; an idle feed answers the same cursor; a change moves just that case to the end;
/// unreadable cursors and limits are refused.
pub async fn contract_feed_delivers_every_change_once_in_order(target: &Target) {
    let api = Api::new(target).await;
    let start = api.cursor_now().await;
    let quiet = api.get_json(&api.collab(&format!("?since={start}"))).await;
    assert_eq!(
        quiet,
        json!({"cases": [], "nextCursor": start, "hasMore": false})
    );

    let mut ids = Vec::new();
    for _ in 0..12 {
        let id = unique("feed");
        api.create(&id).await;
        ids.push(id);
    }
    let (cases, cursor) = api.drain(&start, 5).await;
    let seen: Vec<&str> = cases
        .iter()
        .map(|c| c["case"]["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        seen,
        ids.iter().map(String::as_str).collect::<Vec<_>>(),
        "each once, in order"
    );
    for bundle in &cases {
        let parsed: pd_domain::CaseBundle =
            serde_json::from_value(bundle.clone()).expect("a pd-domain CaseBundle");
        assert_eq!(parsed.case.version, 1);
        assert_eq!(parsed.comments.len(), 1, "the description opens the thread");
    }
    assert!(cursor.parse::<u64>().expect("n") > start.parse::<u64>().expect("n"));

    let target_id = &ids[3];
    let comment = api
        .send_json(Method::POST, &api.collab(&format!("/{target_id}/comments")),
            &json!({"id": unique("c"), "author": "Anna Keller", "body": "Any news?", "visibility": "partner"}), None)
        .await;
    assert_eq!(comment.status(), 201);
    let (changed, next) = api.drain(&cursor, 5).await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["case"]["id"], target_id.as_str());
    assert_eq!(changed[0]["case"]["version"], 2);
    assert_eq!(
        changed[0]["comments"]
            .as_array()
            .and_then(|c| c.last())
            .map(|c| c["body"].clone()),
        Some(json!("Any news?"))
    );
    assert!(next.parse::<u64>().expect("n") > cursor.parse::<u64>().expect("n"));

    for bad in [
        "?since=abc",
        "?since=-4",
        "?limit=0",
        "?limit=2001",
        "?limit=ten",
    ] {
        let response = api.get(&api.collab(bad)).await;
        assert_eq!(response.status(), 400, "{bad}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["code"], "validation");
    }
}

/// One idempotency key, one applied write: a resend replays the first answer byte for byte, the
/// key with another request is 422, the same id without the key is 409.
pub async fn contract_writes_apply_once_per_idempotency_key(target: &Target) {
    let api = Api::new(target).await;
    let id = unique("idem");
    let key = unique("op");
    let body = api.new_case(&id);
    let first = api
        .send_json(Method::POST, &api.collab(""), &body, Some(&key))
        .await;
    assert_eq!(first.status(), 201);
    assert_eq!(first.headers()["etag"], "\"1\"");
    let first_body: Value = first.json().await.expect("json");
    assert_eq!(first_body["case"]["status"], "new");
    assert_eq!(first_body["case"]["partnerId"], target.partner.as_str());
    assert_eq!(
        first_body["comments"][0]["body"],
        "Received 40 of 48 cartons."
    );

    let replay = api
        .send_json(Method::POST, &api.collab(""), &body, Some(&key))
        .await;
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["etag"], "\"1\"");
    let replay_body: Value = replay.json().await.expect("json");
    assert_eq!(
        replay_body, first_body,
        "the stored answer is replayed verbatim"
    );

    let mut other = body.clone();
    other["title"] = json!("Something else");
    let mismatch = api
        .send_json(Method::POST, &api.collab(""), &other, Some(&key))
        .await;
    assert_eq!(mismatch.status(), 422);
    let without_key = api
        .send_json(Method::POST, &api.collab(""), &body, None)
        .await;
    assert_eq!(
        without_key.status(),
        409,
        "the same client id without the key is a conflict"
    );

    let path = api.collab(&format!("/{id}/comments"));
    let comment = json!({"id": unique("cm"), "author": "Anna Keller", "body": "Please confirm the ASN.", "visibility": "partner"});
    let comment_key = unique("op");
    for _ in 0..3 {
        let response = api
            .send_json(Method::POST, &path, &comment, Some(&comment_key))
            .await;
        assert_eq!(response.status(), 201);
        let stored: Value = response.json().await.expect("json");
        assert_eq!(stored["author"], api.author_of("Anna Keller").as_str());
    }
    let patch_key = unique("op");
    let patch = api
        .send_json(
            Method::PATCH,
            &api.collab(&format!("/{id}")),
            &json!({"status": "waiting_on_partner"}),
            Some(&patch_key),
        )
        .await;
    assert_eq!(patch.status(), 200);
    let patched: Value = patch.json().await.expect("json");
    assert_eq!(patched["status"], "waiting_on_partner");
    let again: Value = api
        .send_json(
            Method::PATCH,
            &api.collab(&format!("/{id}")),
            &json!({"status": "waiting_on_partner"}),
            Some(&patch_key),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["version"], patched["version"]);

    let bundle = api.get_json(&api.collab(&format!("/{id}"))).await;
    assert_eq!(
        bundle["comments"].as_array().map(Vec::len),
        Some(2),
        "description + one comment, not three"
    );
    assert_eq!(bundle["case"]["version"], 3, "create, comment, patch");
}

/// PATCH clears with null and leaves absent fields; links and unlinks; a document's name is
/// sanitized, its bytes come back with its media type and hash.
pub async fn contract_patches_links_and_documents_change_the_case(target: &Target) {
    let api = Api::new(target).await;
    let id = unique("case");
    let v1 = api.create(&id).await;
    let version = v1["case"]["version"].as_i64().expect("version");
    let cleared: Value = api
        .send_json(
            Method::PATCH,
            &api.collab(&format!("/{id}")),
            &json!({"owner": null, "slaDue": null, "priority": "urgent"}),
            None,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(cleared["owner"], Value::Null);
    assert_eq!(cleared["slaDue"], Value::Null);
    assert_eq!(cleared["priority"], "urgent");
    assert_eq!(cleared["title"], v1["case"]["title"], "absent fields stay");
    assert!(cleared["version"].as_i64().expect("v") > version);

    let tx = &target.transactions[0];
    let linked = api
        .send_json(
            Method::POST,
            &api.collab(&format!("/{id}/transactions")),
            &json!({"transactionId": tx}),
            None,
        )
        .await;
    assert_eq!(linked.status(), 200);
    let linked: Value = linked.json().await.expect("json");
    assert_eq!(linked["linkedTransactions"], json!([tx]));
    let unlinked = api
        .request(
            Method::DELETE,
            &api.collab(&format!("/{id}/transactions/{tx}")),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(unlinked.status(), 200);
    let unlinked: Value = unlinked.json().await.expect("json");
    assert_eq!(unlinked["linkedTransactions"], json!([]));

    let content = b"ISA*00*~GS*SH~ST*856*0001~BSN*00*SH12345678~SE*2*0001~".to_vec();
    let upload = api
        .request(
            Method::POST,
            &api.collab(&format!(
                "/{id}/documents?name=..%2F..%2Fetc%2Fasn.edi&uploadedBy=Anna%20Keller"
            )),
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
    assert_eq!(doc["uploadedBy"], api.author_of("Anna Keller").as_str());
    let doc_id = doc["id"].as_str().expect("id");
    assert_eq!(
        api.get_json(&api.collab(&format!("/{id}/documents/{doc_id}")))
            .await,
        doc
    );
    let bytes = api
        .get(&api.collab(&format!("/{id}/documents/{doc_id}/content")))
        .await;
    assert_eq!(bytes.status(), 200);
    assert_eq!(bytes.headers()["content-type"], "application/edi-x12");
    assert_eq!(bytes.bytes().await.expect("bytes").to_vec(), content);
    assert_eq!(
        api.get(&api.collab(&format!("/{id}/documents/nope")))
            .await
            .status(),
        404
    );
    assert_eq!(
        api.get(&api.collab(&format!("/{id}/documents/nope/content")))
            .await
            .status(),
        404
    );
}

/// Answers carrying a case send its version as the ETag (created, read, patched, commented,
/// linked, unlinked); PATCH with a stale If-Match is 412 naming both versions, changes nothing
/// and is not stored under its key (the same key with the current version applies); a malformed
/// If-Match is 400; a replayed key wins over its If-Match; without If-Match a PATCH applies
/// unconditionally.
pub async fn contract_conditional_patch_with_if_match(target: &Target) {
    let api = Api::new(target).await;
    let id = unique("etag");
    api.create(&id).await;
    let got = api.get(&api.collab(&format!("/{id}"))).await;
    assert_eq!(got.headers()["etag"], "\"1\"");
    let url = api.collab(&format!("/{id}"));
    let patch = |if_match: Option<&str>, key: Option<&str>, body: Value| {
        let mut request = api.request(Method::PATCH, &url).json(&body);
        if let Some(if_match) = if_match {
            request = request.header("If-Match", if_match);
        }
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        async move { request.send().await.expect("send") }
    };
    let key = unique("op");
    let ok = patch(Some("\"1\""), Some(&key), json!({"priority": "low"})).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["etag"], "\"2\"");
    let ok_body: Value = ok.json().await.expect("json");

    let stale_key = unique("op");
    let stale = patch(
        Some("\"1\""),
        Some(&stale_key),
        json!({"priority": "urgent"}),
    )
    .await;
    assert_eq!(stale.status(), 412);
    let error: Value = stale.json().await.expect("json");
    assert_eq!(error["code"], "precondition_failed");
    assert_eq!(
        error["message"],
        format!("case {id} is at version 2, the request expected 1").as_str()
    );
    let replay = patch(Some("\"1\""), Some(&key), json!({"priority": "low"})).await;
    assert_eq!(
        replay.status(),
        200,
        "a stored answer replays whatever If-Match says"
    );
    assert_eq!(
        replay.headers()["etag"],
        "\"2\"",
        "the stored answer's version"
    );
    assert_eq!(replay.json::<Value>().await.expect("json"), ok_body);
    for bad in ["1", "\"-1\"", "\"x\"", "\"one\"", "W/\"2\"", "\"\"", "*"] {
        let response = patch(Some(bad), None, json!({"priority": "urgent"})).await;
        assert_eq!(response.status(), 400, "If-Match {bad}");
        let error: Value = response.json().await.expect("json");
        assert_eq!(error["code"], "validation", "If-Match {bad}");
    }
    let now = api.get_json(&url).await;
    assert_eq!(now["case"]["version"], 2);
    assert_eq!(
        now["case"]["priority"], "low",
        "refused patches changed nothing"
    );

    // The refusal was not stored under its key: evaluated afresh with the current version.
    let retried = patch(
        Some("\"2\""),
        Some(&stale_key),
        json!({"priority": "urgent"}),
    )
    .await;
    assert_eq!(retried.status(), 200);
    assert_eq!(retried.headers()["etag"], "\"3\"");
    assert_eq!(
        retried.json::<Value>().await.expect("json")["priority"],
        "urgent"
    );
    let plain = patch(None, Some(&unique("op")), json!({"priority": "low"})).await;
    assert_eq!(
        plain.status(),
        200,
        "without If-Match a patch is unconditional"
    );
    assert_eq!(plain.headers()["etag"], "\"4\"");

    // Comments and links answer the case's new version too.
    let comment = api
        .send_json(
            Method::POST,
            &api.collab(&format!("/{id}/comments")),
            &json!({"id": unique("c"), "author": "Anna Keller", "body": "Hello", "visibility": "partner"}),
            Some(&unique("k")),
        )
        .await;
    assert_eq!(comment.status(), 201);
    assert_eq!(comment.headers()["etag"], "\"5\"");
    let transaction = &target.transactions[0];
    let linked = api
        .send_json(
            Method::POST,
            &api.collab(&format!("/{id}/transactions")),
            &json!({"transactionId": transaction}),
            Some(&unique("k")),
        )
        .await;
    assert_eq!(linked.status(), 200);
    assert_eq!(linked.headers()["etag"], "\"6\"");
    let unlinked = api
        .request(
            Method::DELETE,
            &api.collab(&format!("/{id}/transactions/{transaction}")),
        )
        .header("Idempotency-Key", unique("k"))
        .send()
        .await
        .expect("send");
    assert_eq!(unlinked.status(), 200);
    assert_eq!(unlinked.headers()["etag"], "\"7\"");
    assert_eq!(api.get(&url).await.headers()["etag"], "\"7\"");
}

/// Malformed, oversized and unknown-target writes are refused with a clear message, and the
/// feed shows nothing new afterwards.
pub async fn contract_invalid_writes_are_refused_and_change_nothing(target: &Target) {
    let api = Api::new(target).await;
    let case_id = unique("valid");
    api.create(&case_id).await;
    let before = api.cursor_now().await;

    let mut bodies = Vec::new();
    let mut empty_title = api.new_case(&unique("v"));
    empty_title["title"] = json!("   ");
    bodies.push((empty_title, "title"));
    let mut bad_kind = api.new_case(&unique("v"));
    bad_kind["kind"] = json!("spaceship");
    bodies.push((bad_kind, "malformed JSON"));
    let mut slash_id = api.new_case("a/b");
    slash_id["id"] = json!("a/b");
    bodies.push((slash_id, "id"));
    if let Some(unknown) = &target.unknown {
        let mut p = api.new_case(&unique("v"));
        p["partnerId"] = json!(unknown.partner);
        bodies.push((p, "partner"));
        let mut o = api.new_case(&unique("v"));
        o["owner"] = json!(unknown.owner);
        bodies.push((o, "owner"));
        let mut t = api.new_case(&unique("v"));
        t["linkedTransactions"] = json!([unknown.transaction]);
        bodies.push((t, "transaction"));
    }
    for (body, needle) in bodies {
        let response = api
            .send_json(Method::POST, &api.collab(""), &body, Some(&unique("k")))
            .await;
        assert_eq!(response.status(), 400, "{needle}");
        let error: Value = response.json().await.expect("json");
        assert_eq!(error["code"], "validation");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.contains(needle)),
            "{needle}: {error}"
        );
    }
    for raw in [
        "{\"id\": \"x\", \"title\": ",
        "not json at all",
        "",
        "[1,2,3]",
        "{\"id\": 5}",
        "\u{0}\u{1}\u{2}",
        "{\"id\":\"\\ud800\"}",
    ] {
        let response = api
            .request(Method::POST, &api.collab(""))
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 400, "{raw:?}");
        let error: Value = response.json().await.expect("json");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("malformed JSON body")),
            "{error}"
        );
    }
    let huge = "x".repeat(70_000);
    for body in [
        json!({"id": "c1", "author": "A", "body": huge, "visibility": "partner"}),
        json!({"id": "c1", "author": "A", "body": " \n ", "visibility": "partner"}),
        json!({"id": "", "author": "A", "body": "hi", "visibility": "partner"}),
        json!({"id": "c1", "author": "A", "body": "hi", "visibility": "everyone"}),
    ]
    .into_iter()
    // A server that records the request's author refuses an empty one; one that records the
    // signed-in client ignores it.
    .chain(
        target
            .author
            .is_none()
            .then(|| json!({"id": "c1", "author": "", "body": "hi", "visibility": "partner"})),
    ) {
        let response = api
            .send_json(
                Method::POST,
                &api.collab(&format!("/{case_id}/comments")),
                &body,
                None,
            )
            .await;
        assert_eq!(response.status(), 400, "{body}");
    }
    let big_json = format!(
        "{{\"id\":\"c1\",\"author\":\"A\",\"body\":\"{}\",\"visibility\":\"partner\"}}",
        "y".repeat(1_100_000)
    );
    let response = api
        .request(Method::POST, &api.collab(&format!("/{case_id}/comments")))
        .header("content-type", "application/json")
        .body(big_json)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 400);
    let too_big = api
        .request(
            Method::POST,
            &api.collab(&format!("/{case_id}/documents?name=big.bin")),
        )
        .body(vec![0u8; 20 * 1024 * 1024 + 10])
        .send()
        .await
        .expect("send");
    assert_eq!(too_big.status(), 400);
    let no_name = api
        .request(
            Method::POST,
            &api.collab(&format!("/{case_id}/documents?name=..%2F")),
        )
        .body("x")
        .send()
        .await
        .expect("send");
    assert_eq!(no_name.status(), 400);
    let unnamed = api
        .request(Method::POST, &api.collab(&format!("/{case_id}/documents")))
        .body("x")
        .send()
        .await
        .expect("send");
    assert_eq!(unnamed.status(), 400, "a document without a name");
    if let Some(unknown) = &target.unknown {
        let ghost_owner = api
            .send_json(
                Method::PATCH,
                &api.collab(&format!("/{case_id}")),
                &json!({"owner": unknown.owner}),
                None,
            )
            .await;
        assert_eq!(ghost_owner.status(), 400, "an unknown owner");
        let ghost_link = api
            .send_json(
                Method::POST,
                &api.collab(&format!("/{case_id}/transactions")),
                &json!({"transactionId": unknown.transaction}),
                None,
            )
            .await;
        assert_eq!(ghost_link.status(), 400, "an unknown transaction");
    }
    let long_title = api
        .send_json(
            Method::PATCH,
            &api.collab(&format!("/{case_id}")),
            &json!({"title": "t".repeat(501)}),
            None,
        )
        .await;
    assert_eq!(long_title.status(), 400);
    let bad_key = api
        .request(Method::PATCH, &api.collab(&format!("/{case_id}")))
        .header("Idempotency-Key", "k".repeat(201))
        .json(&json!({"priority": "low"}))
        .send()
        .await
        .expect("send");
    assert_eq!(bad_key.status(), 400);
    for (method, path) in [
        (Method::GET, api.collab("/no-such-case")),
        (Method::PATCH, api.collab("/no-such-case")),
        (Method::POST, api.collab("/no-such-case/comments")),
        (Method::POST, api.collab("/no-such-case/transactions")),
        (
            Method::DELETE,
            api.collab(&format!(
                "/no-such-case/transactions/{}",
                target.transactions[0]
            )),
        ),
    ] {
        let body = json!({"id": "c9", "author": "A", "body": "hi", "visibility": "partner", "status": "open", "transactionId": target.transactions[0]});
        let response = api.send_json(method, &path, &body, None).await;
        assert_eq!(response.status(), 404, "{path}");
        let error: Value = response.json().await.expect("json");
        assert_eq!(error["code"], "not_found");
    }
    let wrong_company = api
        .get(&format!(
            "{}/collab/v1/companies/GC-NOT-OURS/cases",
            target.base_url
        ))
        .await;
    assert_eq!(wrong_company.status(), 404);
    let (after, _) = api.drain(&before, 100).await;
    assert!(
        after.is_empty(),
        "refused writes changed nothing: {after:?}"
    );
}

/// No token, a forged or garbled token and wrong client credentials are all 401.
pub async fn contract_requests_without_a_valid_token_are_refused(target: &Target) {
    let api = Api::new(target).await;
    let url = api.collab("");
    assert_eq!(api.http.get(&url).send().await.expect("send").status(), 401);
    for bad in ["nonsense", "pdt1.YW5uYQ.9999999999.AAAA", "", "\u{7f}"] {
        let response = api
            .http
            .get(&url)
            .header("Authorization", format!("Bearer {bad}"))
            .send()
            .await;
        if let Ok(response) = response {
            assert_eq!(response.status(), 401, "{bad:?}");
        }
    }
    let tampered = format!("{}x", api.token);
    let response = api
        .http
        .get(&url)
        .bearer_auth(tampered)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 401);
    let wrong = api
        .http
        .post(format!(
            "{}/v1/oauth2/tokens?grant_type=client_credentials",
            target.base_url
        ))
        .basic_auth(&target.client_id, Some("not the secret"))
        .send()
        .await
        .expect("send");
    assert_eq!(wrong.status(), 401);
    let grant = api
        .http
        .post(format!(
            "{}/v1/oauth2/tokens?grant_type=password",
            target.base_url
        ))
        .basic_auth(&target.client_id, Some(&target.client_secret))
        .send()
        .await
        .expect("send");
    assert_eq!(grant.status(), 400);
    assert_eq!(
        api.get(&url).await.status(),
        200,
        "the real token still works"
    );
}

/// The app's own client (`pd-tradinggrid`) against the server: feed paging, create and replay,
/// conflict, comment, patch, link, unlink, a 3 MB document up and down.
pub async fn contract_tradinggrid_client_round_trip(target: &Target) {
    let mut config = ClientConfig::new(
        url::Url::parse(&target.base_url).expect("base url"),
        &target.company,
        &target.client_id,
        &target.client_secret,
    );
    config.retry = RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        max_elapsed: Duration::from_secs(20),
    };
    let client = TradingGridClient::new(config).expect("client");
    let mut cursor: Option<String> = None;
    let mut seen = HashSet::new();
    loop {
        let page = client
            .cases_since(cursor.as_deref(), 15)
            .await
            .expect("feed");
        for bundle in page.cases {
            assert!(seen.insert(bundle.case.id), "each case once");
        }
        cursor = Some(page.next_cursor.clone());
        if !page.has_more {
            break;
        }
    }
    let idle = client
        .cases_since(cursor.as_deref(), 15)
        .await
        .expect("idle feed");
    assert!(idle.cases.is_empty() && !idle.has_more);

    let case_id = uuid::Uuid::new_v4().to_string();
    let new_case = NewCase {
        id: case_id.clone(),
        title: "Short shipment on PO CV-10001".into(),
        partner_id: target.partner.clone(),
        partner_name: None,
        kind: CaseKind::Shipment,
        priority: None,
        owner: None,
        sla_due: None,
        linked_transactions: Vec::new(),
        references: Default::default(),
        description: Some("Two cartons missing.".into()),
    };
    let op = unique("op");
    let created = client.create_case(&op, &new_case).await.expect("create");
    assert_eq!(created.case.status, CaseStatus::New);
    let replayed = client.create_case(&op, &new_case).await.expect("replay");
    assert_eq!(
        replayed, created,
        "a repeated operation replays the first answer"
    );
    let conflict = client.create_case(&unique("op"), &new_case).await;
    assert_eq!(
        conflict.expect_err("same id, new op").code().as_str(),
        "api.conflict"
    );

    let comment = NewComment {
        id: unique("cm"),
        author: "Ann".into(),
        body: "Chasing the carrier.".into(),
        visibility: Visibility::Internal,
    };
    let stored = client
        .add_comment(&unique("op"), &case_id, &comment)
        .await
        .expect("comment");
    assert_eq!(stored.body, "Chasing the carrier.");
    assert_eq!(
        stored.author,
        target.author.clone().unwrap_or_else(|| "Ann".into())
    );
    let patch = CasePatch {
        status: Some(CaseStatus::WaitingOnPartner),
        ..CasePatch::default()
    };
    let patched = client
        .patch_case(&unique("op"), &case_id, &patch)
        .await
        .expect("patch");
    assert_eq!(patched.status, CaseStatus::WaitingOnPartner);
    let tx = &target.transactions[1];
    let linked = client
        .link_transaction(&unique("op"), &case_id, tx)
        .await
        .expect("link");
    assert_eq!(linked.linked_transactions, vec![tx.clone()]);
    let unlinked = client
        .unlink_transaction(&unique("op"), &case_id, tx)
        .await
        .expect("unlink");
    assert!(unlinked.linked_transactions.is_empty());

    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("proof of delivery.pdf");
    let bytes: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&source, &bytes).expect("write");
    let uploaded = client
        .upload_document(&unique("op"), &case_id, &source)
        .await
        .expect("upload");
    assert_eq!(uploaded.size, bytes.len() as u64);
    assert_eq!(uploaded.media_type, "application/pdf");
    let dest = dir.path().join("downloaded.pdf");
    let metadata = client
        .download_document(&case_id, &uploaded.id, &dest)
        .await
        .expect("download");
    assert_eq!(metadata, uploaded);
    assert_eq!(std::fs::read(&dest).expect("read"), bytes);
    let missing = client
        .download_document(&case_id, "no-such-document", &dir.path().join("x"))
        .await;
    assert_eq!(missing.expect_err("404").code().as_str(), "api.not_found");

    let bundle = client.case(&case_id).await.expect("case");
    assert_eq!(bundle.documents.len(), 1);
    assert_eq!(bundle.comments.len(), 2, "the description and one comment");
    assert_eq!(
        bundle.case.version, 6,
        "create, comment, patch, link, unlink, upload: once each"
    );
}

/// A document keeps the id the app chose (`?id=`), once per idempotency key; an id already
/// taken is 409. `POST .../document-links` records an object of the team's S3 bucket: the case
/// shows it with its S3 location, the server never serves its bytes (409 pointing to S3), and
/// the record is made once per key.
pub async fn contract_documents_keep_the_client_id_and_s3_objects_are_recorded(target: &Target) {
    let api = Api::new(target).await;
    let id = unique("docs");
    api.create(&id).await;
    let doc_id = unique("doc");
    let key = unique("op");
    let content = b"%PDF-1.7 proof of delivery".to_vec();
    let send = |key: String, doc_id: String| {
        let url = api.collab(&format!("/{id}/documents?id={doc_id}&name=pod.pdf"));
        let body = content.clone();
        let request = api
            .request(Method::POST, &url)
            .header("Idempotency-Key", key)
            .header("Content-Type", "application/pdf")
            .body(body);
        async move { request.send().await.expect("send") }
    };
    let first = send(key.clone(), doc_id.clone()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.expect("json");
    assert_eq!(first["id"], doc_id.as_str(), "the app's id is kept");
    let replay = send(key.clone(), doc_id.clone()).await;
    assert_eq!(replay.status(), 201);
    assert_eq!(
        replay.json::<Value>().await.expect("json"),
        first,
        "a replay, not a second document"
    );
    let taken = send(unique("op"), doc_id.clone()).await;
    assert_eq!(taken.status(), 409, "the id is taken");

    let link_id = unique("doc");
    let sha = format!("{:x}", Sha256::digest(b"large file"));
    let link = json!({
        "id": link_id, "name": "..\\scans/pallets.zip", "size": 1_234_567_890u64, "sha256": sha,
        "mediaType": "application/zip", "uploadedBy": "Anna Keller",
        "bucket": "partner-docs", "key": format!("cases/{id}/{link_id}/pallets.zip")
    });
    let link_key = unique("op");
    let url = api.collab(&format!("/{id}/document-links"));
    let recorded = api
        .send_json(Method::POST, &url, &link, Some(&link_key))
        .await;
    assert_eq!(recorded.status(), 201);
    let recorded: Value = recorded.json().await.expect("json");
    assert_eq!(recorded["id"], link_id.as_str());
    assert_eq!(recorded["name"], "pallets.zip", "directories are stripped");
    assert_eq!(recorded["size"], 1_234_567_890u64);
    assert_eq!(
        recorded["location"],
        json!({"type": "s3", "bucket": "partner-docs", "key": format!("cases/{id}/{link_id}/pallets.zip")})
    );
    assert_eq!(
        recorded["uploadedBy"],
        api.author_of("Anna Keller").as_str()
    );
    let again = api
        .send_json(Method::POST, &url, &link, Some(&link_key))
        .await;
    assert_eq!(
        again.json::<Value>().await.expect("json"),
        recorded,
        "recorded once"
    );
    assert_eq!(
        api.get(&api.collab(&format!("/{id}/documents/{link_id}/content")))
            .await
            .status(),
        409,
        "the bytes are in S3, not on the case server"
    );
    let bundle = api.get_json(&api.collab(&format!("/{id}"))).await;
    let docs = bundle["documents"].as_array().expect("documents");
    assert_eq!(docs.len(), 2, "{docs:?}");
    assert_eq!(docs[1], recorded);
    for bad in [
        json!({"id": unique("d"), "name": "x.zip", "size": 1, "sha256": "nothex", "mediaType": "application/zip", "bucket": "b", "key": "k"}),
        json!({"id": unique("d"), "name": "x.zip", "size": 1, "sha256": sha, "mediaType": "application/zip", "bucket": "", "key": "k"}),
        json!({"id": unique("d"), "name": "", "size": 1, "sha256": sha, "mediaType": "application/zip", "bucket": "b", "key": "k"}),
    ] {
        let refused = api.send_json(Method::POST, &url, &bad, None).await;
        assert_eq!(refused.status(), 400, "{bad}");
    }
}
