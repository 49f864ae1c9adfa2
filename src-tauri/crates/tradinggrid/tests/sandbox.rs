//! The client against its real peer: `partnerdesk-sandbox` on 127.0.0.1. OpenText's collections
//! are replayed as written (host swapped, token inserted) and parsed by the client's readers; the
//! typed Lens builder is checked against the collection's text; faults are switched on and the
//! client must ride them out.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use partnerdesk_sandbox::{Faults, Sandbox, SandboxConfig, SandboxHandle, SEED_TRANSACTIONS};
use pd_domain::{content_keys, CaseKind, CasePatch, CaseStatus, NewCase, NewComment, Visibility};
use pd_tradinggrid::community::parse;
use pd_tradinggrid::{
    parse_lens_answer, ClientConfig, ConnectionCheck, ConnectionStage, Error, LensQuery,
    RetryPolicy, SortOrder, TradingGridClient,
};
use serde_json::Value;

async fn sandbox() -> SandboxHandle {
    Sandbox::start(SandboxConfig {
        cases: 40,
        comments_per_case: 2,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

fn config_for(sandbox: &SandboxHandle) -> ClientConfig {
    let defaults = SandboxConfig::default();
    let base = url::Url::parse(&sandbox.base_url()).expect("base url");
    let mut config = ClientConfig::new(
        base,
        sandbox.company_id(),
        defaults.consumer_key,
        defaults.consumer_secret,
    );
    config.retry = RetryPolicy {
        max_attempts: 12,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(300),
        max_elapsed: Duration::from_secs(60),
    };
    config
}

fn client_for(sandbox: &SandboxHandle) -> TradingGridClient {
    TradingGridClient::new(config_for(sandbox)).expect("client")
}

fn collection(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../../shared/reference/trading-grid")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("collection json")
}

/// A collection request: name, method, raw URL, headers, GraphQL text (if any).
struct Item {
    name: String,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    graphql: Option<String>,
}

fn items(collection: &Value) -> Vec<Item> {
    let list = collection["item"].as_array().expect("items");
    list.iter()
        .map(|item| {
            let request = &item["request"];
            let url = match &request["url"] {
                Value::String(raw) => raw.clone(),
                other => other["raw"].as_str().expect("raw url").to_owned(),
            };
            let headers = request["header"]
                .as_array()
                .map(|h| {
                    h.iter()
                        .filter(|h| h["disabled"] != Value::Bool(true))
                        .map(|h| {
                            (
                                h["key"].as_str().unwrap_or("").to_owned(),
                                h["value"].as_str().unwrap_or("").to_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let graphql = request["body"]["graphql"]["query"]
                .as_str()
                .filter(|q| !q.trim().is_empty())
                .map(str::to_owned);
            Item {
                name: item["name"].as_str().unwrap_or("").to_owned(),
                method: request["method"].as_str().unwrap_or("GET").to_owned(),
                url,
                headers,
                graphql,
            }
        })
        .collect()
}

/// Sends one collection request as written, with `{{variables}}` replaced and the host swapped.
async fn replay(
    http: &reqwest::Client,
    base: &str,
    item: &Item,
    variables: &[(&str, String)],
) -> (u16, Vec<u8>) {
    let substitute = |text: &str| {
        let mut out = text.to_owned();
        for (name, value) in variables {
            out = out.replace(&format!("{{{{{name}}}}}"), value);
        }
        assert!(
            !out.contains("{{"),
            "unreplaced variable in {}: {out}",
            item.name
        );
        out
    };
    let raw = substitute(&item.url);
    let after_scheme = raw
        .split_once("://")
        .map(|(_, rest)| rest)
        .expect("absolute url");
    let path = &after_scheme[after_scheme.find('/').expect("path")..];
    let url = url::Url::parse(&format!("{base}{path}")).expect("swapped url");
    let mut request = http.request(item.method.parse().expect("method"), url);
    for (key, value) in &item.headers {
        request = request.header(key, substitute(value));
    }
    if let Some(query) = &item.graphql {
        request = request.json(&serde_json::json!({ "query": substitute(query), "variables": {} }));
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", item.name));
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("body").to_vec())
}

async fn token(http: &reqwest::Client, base: &str) -> String {
    let defaults = SandboxConfig::default();
    let answer: Value = http
        .post(format!(
            "{base}/v1/oauth2/tokens?grant_type=client_credentials"
        ))
        .basic_auth(defaults.consumer_key, Some(defaults.consumer_secret))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json");
    answer["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

#[tokio::test]
async fn every_collection_read_is_answered_and_parsed() {
    let sandbox = sandbox().await;
    let base = sandbox.base_url();
    let http = reqwest::Client::new();
    let client = client_for(&sandbox);
    let user = client
        .users()
        .await
        .expect("users")
        .into_iter()
        .next()
        .expect("a user");
    let a_correlation_id = client
        .lens(&LensQuery::new().count(1))
        .await
        .expect("lens")
        .transactions[0]
        .correlation_id
        .clone()
        .expect("correlation id");
    let token = token(&http, &base).await;
    let variables = [
        ("Token", token),
        ("companyId", sandbox.company_id().to_owned()),
        ("MyuserId", user.user_id.clone()),
        ("MyloginId", user.login_id.clone()),
        ("domain", "ignored".into()),
        ("beta", String::new()),
        (
            "corrquery",
            format!("{{field: correlationid query: \"{a_correlation_id}\"}}"),
        ),
    ];

    let mut checked = 0;
    for item in items(&collection("community-management.postman_collection.json")) {
        if item.method != "GET" || item.url.contains("NEWloginId") {
            continue; // writes and the user the collection creates first
        }
        let (status, body) = replay(&http, &base, &item, &variables).await;
        assert_eq!(
            status,
            200,
            "{}: {}",
            item.name,
            String::from_utf8_lossy(&body)
        );
        let path = item.url.split('?').next().unwrap_or_default().to_owned();
        if path.ends_with("/partnerDirectory") {
            let partners = parse::partner_directory(&body).expect(&item.name);
            assert!(!partners.is_empty(), "{}", item.name);
            if item.url.contains("partnerCompanyName=Verona Vittles") {
                assert!(
                    partners
                        .iter()
                        .all(|p| p.partner_company_name.contains("Verona Vittles")),
                    "{partners:?}"
                );
            }
        } else if path.ends_with("/users") {
            let users = parse::users(&body).expect(&item.name);
            assert!(!users.is_empty(), "{}", item.name);
            if item.url.contains("loginId=") {
                assert!(
                    users.iter().all(|u| u.login_id == user.login_id),
                    "{users:?}"
                );
            }
        } else if path.ends_with("/roles") {
            assert!(
                !parse::roles(&body).expect(&item.name).is_empty(),
                "{}",
                item.name
            );
        } else if path.ends_with("/entitlements") {
            assert!(
                !parse::entitlements(&body).expect(&item.name).is_empty(),
                "{}",
                item.name
            );
        } else if path.ends_with("{{MyuserId}}") {
            assert_eq!(parse::user(&body).expect(&item.name).user_id, user.user_id);
        } else {
            assert_eq!(
                parse::company(&body).expect(&item.name).company_id,
                sandbox.company_id()
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 9, "every Community Management read was replayed");

    // Queries whose conditions the seeded tenant is built to satisfy must find something.
    let must_find = [
        "Basic Transaction Search",
        "Search Box complicated",
        "by PO number",
        "by TP",
        "by TP v2 with Errors",
        "ALL FIELDS",
        "ALL FIELDS Copy",
        "by correlationid from all Errors",
        "List inbound transactions from a specific partner",
        "by TP excl 997",
        "all Errors",
        "some Errors",
        "by internal number",
    ];
    let mut lens_checked = 0;
    for item in items(&collection("lens.postman_collection.json")) {
        if item.graphql.is_none() {
            continue; // the token request
        }
        let (status, body) = replay(&http, &base, &item, &variables).await;
        assert_eq!(
            status,
            200,
            "{}: {}",
            item.name,
            String::from_utf8_lossy(&body)
        );
        let page = parse_lens_answer(&body).unwrap_or_else(|e| panic!("{}: {e}", item.name));
        if must_find.contains(&item.name.as_str()) {
            assert!(!page.transactions.is_empty(), "{} found nothing", item.name);
        }
        if item.name == "by PO number" {
            for transaction in &page.transactions {
                let po = transaction
                    .content_key(content_keys::PURCHASE_ORDER)
                    .expect("po key");
                assert!(po.starts_with("CV"), "{po}");
            }
        }
        lens_checked += 1;
    }
    assert_eq!(lens_checked, 17, "every Lens query was replayed");
    sandbox.shutdown().await.expect("shutdown");
}

fn ids(transactions: &[pd_domain::Transaction]) -> Vec<String> {
    transactions
        .iter()
        .map(|t| t.transaction_id.clone())
        .collect()
}

#[tokio::test]
async fn the_typed_builder_finds_what_the_collection_text_finds() {
    let sandbox = sandbox().await;
    let client = client_for(&sandbox);
    let lens = collection("lens.postman_collection.json");
    let text_of = |name: &str| {
        items(&lens)
            .into_iter()
            .find(|i| i.name == name)
            .and_then(|i| i.graphql)
            .expect("query")
    };

    let by_po = LensQuery::new()
        .count(25)
        .offset(0)
        .content_key_filter(content_keys::PURCHASE_ORDER, "CV*")
        .content_keys(content_keys::INBOX);
    let by_tp = LensQuery::new()
        .count(20)
        .offset(0)
        .sort_by("arrivaltime", SortOrder::Asc)
        .should("senderaddress", "ZZ:DEMORETAILER")
        .should("receiveraddress", "ZZ:DEMORETAILER")
        .content_keys(content_keys::INBOX);
    let all_errors = LensQuery::new()
        .count(15)
        .offset(0)
        .should("errorcode", "*")
        .should("externalerrormessage", "*");
    let excl_997 = LensQuery::new()
        .count(10)
        .filter("editype", [pd_tradinggrid::FilterValue::not("997")])
        .must("transactionlevel", "Document")
        .should("senderaddress", "ZZ:DEMORETAILER")
        .should("receiveraddress", "ZZ:DEMORETAILER");
    for (name, typed) in [
        ("by PO number", by_po),
        ("by TP", by_tp),
        ("all Errors", all_errors),
        ("by TP excl 997", excl_997),
    ] {
        let from_text = client.lens_text(&text_of(name)).await.expect(name);
        let from_builder = client.lens(&typed).await.expect(name);
        assert!(!from_text.transactions.is_empty(), "{name}");
        assert_eq!(from_builder.total, from_text.total, "{name}");
        assert_eq!(
            ids(&from_builder.transactions),
            ids(&from_text.transactions),
            "{name}"
        );
    }

    // The exceptions inbox is exactly the transactions the domain calls exceptions.
    let everything = client
        .transactions_between("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z")
        .await
        .expect("scroll everything");
    assert_eq!(everything.len(), SEED_TRANSACTIONS);
    let unique: BTreeSet<_> = everything
        .iter()
        .map(|t| t.transaction_id.clone())
        .collect();
    assert_eq!(
        unique.len(),
        SEED_TRANSACTIONS,
        "scrolling returned duplicates"
    );
    let arrival: Vec<_> = everything
        .iter()
        .map(|t| t.arrival_time.clone().unwrap_or_default())
        .collect();
    assert!(
        arrival.windows(2).all(|w| w[0] <= w[1]),
        "scroll is sorted by arrival time"
    );

    let failed = client.failed_transactions().await.expect("inbox");
    let expected: BTreeSet<_> = everything
        .iter()
        .filter(|t| t.is_exception())
        .map(|t| t.transaction_id.clone())
        .collect();
    let got: BTreeSet<_> = failed.iter().map(|t| t.transaction_id.clone()).collect();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
    assert!(
        failed.iter().any(|t| !t.content_keys.is_empty()),
        "inbox carries PO/invoice/shipment keys"
    );

    // The collection's own inbox text counts the same transactions.
    let complicated = client
        .lens_text(&text_of("Search Box complicated"))
        .await
        .expect("complicated");
    assert_eq!(complicated.total, Some(expected.len() as u64));

    // A narrower range scrolls to exactly the transactions inside it.
    let (from, to) = (arrival[1000].clone(), arrival[2999].clone());
    let window = client
        .transactions_between(&from, &to)
        .await
        .expect("window");
    let inside = arrival.iter().filter(|a| **a >= from && **a <= to).count();
    assert_eq!(window.len(), inside);
    sandbox.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn hostile_strings_find_nothing_and_break_nothing() {
    let sandbox = sandbox().await;
    let client = client_for(&sandbox);
    for hostile in [
        "\") { transactions { senderip } } #",
        "\\",
        "a\"b\nc\r\u{0}",
        "} } mutation { x }",
        "\"\"\"x\"\"\"",
    ] {
        let page = client
            .lens(
                &LensQuery::new()
                    .must("sendername", hostile)
                    .content_key_filter(hostile, hostile)
                    .count(5),
            )
            .await
            .unwrap_or_else(|e| panic!("{hostile:?}: {e}"));
        assert!(page.transactions.is_empty(), "{hostile:?}");
        let partners = client
            .partners(Some(hostile))
            .await
            .expect("partner search");
        assert!(partners.is_empty(), "{hostile:?}");
    }
    // A Lucene string that the server cannot parse is a clear GraphQL error, not a crash.
    match client
        .lens(&LensQuery::new().search("(unbalanced AND"))
        .await
    {
        Err(Error::GraphQl { messages }) => assert!(!messages.is_empty()),
        Ok(page) => assert!(page.transactions.is_empty() || page.total.is_some()),
        Err(other) => panic!("{other:?}"),
    }
    sandbox.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn tokens_are_renewed_and_bad_credentials_are_named() {
    let sandbox = sandbox().await;
    let client = client_for(&sandbox);
    assert!(matches!(
        client.test_connection().await,
        ConnectionCheck::Ok { .. }
    ));
    sandbox
        .set_faults(Faults {
            token_ttl_secs: Some(1),
            ..Faults::default()
        })
        .expect("faults");
    client.partners(None).await.expect("first call");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = sandbox.stats().await.expect("stats").requests;
    let partners = client.partners(None).await.expect("renewed transparently");
    let sent = sandbox.stats().await.expect("stats").requests - before;
    assert!(
        sent >= 3,
        "the dead token was refused, renewed and the call repeated ({sent} requests)"
    );
    assert!(!partners.is_empty());
    sandbox.set_faults(Faults::default()).expect("faults");

    let mut bad = config_for(&sandbox);
    bad.consumer_secret = "wrong".into();
    let bad = TradingGridClient::new(bad).expect("client");
    assert_eq!(
        bad.company().await.expect_err("refused"),
        Error::Unauthorized {
            message: "the consumer key or secret was refused".into()
        }
    );
    match bad.test_connection().await {
        ConnectionCheck::Failed {
            stage: ConnectionStage::Token,
            error,
        } => assert_eq!(error.code(), "auth.unauthorized"),
        other => panic!("{other:?}"),
    }

    let mut elsewhere = config_for(&sandbox);
    elsewhere.company_id = "GC000NOSUCH".into();
    match TradingGridClient::new(elsewhere)
        .expect("client")
        .test_connection()
        .await
    {
        ConnectionCheck::Failed {
            stage: ConnectionStage::Company,
            error,
        } => assert_eq!(error.code(), "api.not_found"),
        other => panic!("{other:?}"),
    }
    sandbox.shutdown().await.expect("shutdown");
}

fn new_case(id: &str, partner_id: &str) -> NewCase {
    NewCase {
        id: id.into(),
        title: "Short shipment on PO CV-10001".into(),
        partner_id: partner_id.into(),
        partner_name: None,
        kind: CaseKind::Shipment,
        priority: None,
        owner: None,
        sla_due: None,
        linked_transactions: Vec::new(),
        references: Default::default(),
        description: Some("Two cartons missing.".into()),
    }
}

#[tokio::test]
async fn collab_round_trip_with_documents() {
    let sandbox = sandbox().await;
    let client = client_for(&sandbox);

    let mut cursor: Option<String> = None;
    let mut seen = 0;
    loop {
        let page = client
            .cases_since(cursor.as_deref(), 15)
            .await
            .expect("feed");
        seen += page.cases.len();
        cursor = Some(page.next_cursor.clone());
        if !page.has_more {
            break;
        }
    }
    assert_eq!(seen, 40);
    let idle = client
        .cases_since(cursor.as_deref(), 15)
        .await
        .expect("idle feed");
    assert!(idle.cases.is_empty() && !idle.has_more);

    let partner = client.partners(None).await.expect("partners").remove(0);
    let case_id = "0b5f2f7e-0000-4000-8000-000000000001";
    let created = client
        .create_case(
            "op-create-1",
            &new_case(case_id, &partner.partner_company_id),
        )
        .await
        .expect("create");
    assert_eq!(created.case.status, CaseStatus::New);
    let replayed = client
        .create_case(
            "op-create-1",
            &new_case(case_id, &partner.partner_company_id),
        )
        .await
        .expect("replay");
    assert_eq!(
        replayed, created,
        "a repeated operation replays the first answer"
    );
    let conflict = client
        .create_case(
            "op-create-2",
            &new_case(case_id, &partner.partner_company_id),
        )
        .await;
    assert_eq!(
        conflict.expect_err("same id, new op").code(),
        "api.conflict"
    );

    let comment = NewComment {
        id: "cm-1".into(),
        author: "Ann".into(),
        body: "Chasing the carrier.".into(),
        visibility: Visibility::Internal,
    };
    assert_eq!(
        client
            .add_comment("op-comment-1", case_id, &comment)
            .await
            .expect("comment")
            .body,
        "Chasing the carrier."
    );
    let patch = CasePatch {
        status: Some(CaseStatus::WaitingOnPartner),
        ..CasePatch::default()
    };
    assert_eq!(
        client
            .patch_case("op-patch-1", case_id, &patch)
            .await
            .expect("patch")
            .status,
        CaseStatus::WaitingOnPartner
    );
    let transaction = client
        .lens(&LensQuery::new().count(1))
        .await
        .expect("lens")
        .transactions
        .remove(0);
    let linked = client
        .link_transaction("op-link-1", case_id, &transaction.transaction_id)
        .await
        .expect("link");
    assert_eq!(
        linked.linked_transactions,
        vec![transaction.transaction_id.clone()]
    );
    let unlinked = client
        .unlink_transaction("op-unlink-1", case_id, &transaction.transaction_id)
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
        .upload_document("op-upload-1", case_id, &source)
        .await
        .expect("upload");
    assert_eq!(uploaded.size, bytes.len() as u64);
    assert_eq!(uploaded.name, "proof of delivery.pdf");
    assert_eq!(uploaded.media_type, "application/pdf");
    let dest = dir.path().join("downloaded.pdf");
    let metadata = client
        .download_document(case_id, &uploaded.id, &dest)
        .await
        .expect("download");
    assert_eq!(metadata, uploaded);
    assert_eq!(std::fs::read(&dest).expect("read"), bytes);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "no temporary file left: {leftovers:?}");

    let missing = client
        .download_document(case_id, "no-such-document", &dir.path().join("x"))
        .await;
    assert_eq!(missing.expect_err("404").code(), "api.not_found");
    assert!(!dir.path().join("x").exists());
    assert_eq!(
        client
            .upload_document("op-upload-2", case_id, &dir.path().join("absent.pdf"))
            .await
            .expect_err("no file")
            .code(),
        "io.file"
    );

    let bundle = client.case(case_id).await.expect("case");
    assert_eq!(bundle.documents.len(), 1);
    assert!(bundle.comments.iter().any(|c| c.id == "cm-1"));
    assert_eq!(
        sandbox.applied_ops(Some(case_id)).await.expect("ops").len(),
        6,
        "every write applied exactly once"
    );
    sandbox.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn faults_are_ridden_out_and_writes_apply_once() {
    let sandbox = sandbox().await;
    let client = client_for(&sandbox);
    let partner = client.partners(None).await.expect("partners").remove(0);
    sandbox
        .set_faults(Faults {
            error_rate: 0.25,
            rate_limit_rate: 0.15,
            retry_after_secs: 0,
            drop_rate: 0.2,
            ..Faults::default()
        })
        .expect("faults");
    let before = sandbox.stats().await.expect("stats").requests;
    for round in 0..6 {
        client
            .company()
            .await
            .unwrap_or_else(|e| panic!("company, round {round}: {e}"));
        client
            .users()
            .await
            .unwrap_or_else(|e| panic!("users, round {round}: {e}"));
        client
            .lens(&LensQuery::failed().count(50))
            .await
            .unwrap_or_else(|e| panic!("lens, round {round}: {e}"));
        client
            .cases_since(None, 10)
            .await
            .unwrap_or_else(|e| panic!("feed, round {round}: {e}"));
        let case_id = format!("0b5f2f7e-0000-4000-8000-00000000010{round}");
        client
            .create_case(
                &format!("op-fault-create-{round}"),
                &new_case(&case_id, &partner.partner_company_id),
            )
            .await
            .unwrap_or_else(|e| panic!("create, round {round}: {e}"));
        let comment = NewComment {
            id: format!("cm-fault-{round}"),
            author: "Ann".into(),
            body: "ping".into(),
            visibility: Visibility::Partner,
        };
        client
            .add_comment(&format!("op-fault-comment-{round}"), &case_id, &comment)
            .await
            .unwrap_or_else(|e| panic!("comment, round {round}: {e}"));
        let ops = sandbox.applied_ops(Some(&case_id)).await.expect("ops");
        assert_eq!(
            ops.len(),
            2,
            "dropped answers were retried without applying twice: {ops:?}"
        );
    }
    let sent = sandbox.stats().await.expect("stats").requests - before;
    assert!(
        sent > 36,
        "faults were injected and retried ({sent} requests for 36 calls)"
    );

    sandbox
        .set_faults(Faults {
            malformed_rate: 1.0,
            ..Faults::default()
        })
        .expect("faults");
    assert_eq!(
        client.company().await.expect_err("malformed").code(),
        "api.malformed"
    );
    assert_eq!(
        client
            .lens(&LensQuery::new())
            .await
            .expect_err("malformed")
            .code(),
        "api.malformed"
    );

    sandbox.set_faults(Faults::default()).expect("faults");
    let base = config_for(&sandbox);
    sandbox.shutdown().await.expect("shutdown");
    let mut gone = base;
    gone.retry = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(10),
        ..RetryPolicy::default()
    };
    let error = TradingGridClient::new(gone)
        .expect("client")
        .partners(None)
        .await
        .expect_err("gone");
    assert_eq!(error.code(), "net.offline", "{error}");
}

#[tokio::test]
async fn a_patch_expecting_an_old_version_is_a_typed_precondition_failure() {
    let sandbox = sandbox().await;
    let client = client_for(&sandbox);
    let page = client.cases_since(None, 5).await.expect("feed");
    let case = page.cases[0].case.clone();
    let seen = client.case(&case.id).await.expect("case").case.version;
    let patch = CasePatch {
        title: Some("Renamed while someone else wrote".into()),
        ..CasePatch::default()
    };
    let applied = client
        .patch_case_if_match("op-if-1", &case.id, &patch, Some(seen))
        .await
        .expect("the version the client saw is current");
    assert_eq!(applied.version, seen + 1);

    let other = CasePatch {
        priority: Some(pd_domain::Priority::Urgent),
        ..CasePatch::default()
    };
    let refused = client
        .patch_case_if_match("op-if-2", &case.id, &other, Some(seen))
        .await
        .expect_err("the case moved on");
    assert!(
        matches!(&refused, Error::PreconditionFailed { message } if message.contains(&format!("version {}", seen + 1))),
        "{refused:?}"
    );
    assert_eq!(refused.code(), "api.precondition_failed");
    assert!(!refused.is_transient());
    let now = client.case(&case.id).await.expect("case").case;
    assert_eq!(now.version, seen + 1, "nothing applied");
    assert_ne!(now.priority, pd_domain::Priority::Urgent);
    sandbox.shutdown().await.expect("stops");
}
