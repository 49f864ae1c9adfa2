//! The Wix and Drupal clients' operations (what the connector issues build on) against stateful
//! contract doubles that follow the vendors' public documentation: Wix Data Items v2 (`POST
//! /wix-data/v2/items`, `PUT /wix-data/v2/items/{id}`, `POST /wix-data/v2/items/query` with
//! `paging` and `pagingMetadata.total`; API key in `Authorization`, site in `wix-site-id`) and
//! Drupal JSON:API (`POST`/`PATCH`/`GET /jsonapi/node/{bundle}[/{id}]` with
//! `application/vnd.api+json`, `page[limit]`/`page[offset]` and `links.next`, simple_oauth's
//! `/oauth/token`). No real Wix or Drupal runs on Linux here.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use common::*;
use pd_connectors::{ConnectorError, ConnectorOptions, DrupalClient, WixClient};
use pd_domain::{DrupalAuth, DrupalSettings, ErrorCode, WixSettings};
use serde_json::{json, Value};

const WIX_KEY: &str = "IST.client-test-key";
const SITE_ID: &str = "0b7e2a8c-13f4-4e4b-9d8e-2f6c1a0b9e22";
const CLIENT_ID: &str = "partnerdesk";
const CLIENT_SECRET: &str = "client-secret-for-ops";
const TOKEN: &str = "token-for-ops";
const JSON_API: &str = "application/vnd.api+json";

type Items = Arc<Mutex<BTreeMap<String, Value>>>;

fn wix_refusal(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "message": message, "details": {} }))).into_response()
}

/// Checks the key and site headers; `Some` is the refusal to send.
fn wix_caller(headers: &HeaderMap) -> Option<Response> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header("authorization") != Some(WIX_KEY) {
        return Some(wix_refusal(StatusCode::UNAUTHORIZED, "Invalid API key"));
    }
    if header("wix-site-id") != Some(SITE_ID) {
        return Some(wix_refusal(StatusCode::NOT_FOUND, "Site not found"));
    }
    None
}

fn collection_known(body: &Value) -> bool {
    body.get("dataCollectionId").and_then(Value::as_str) == Some("PartnerNotices")
}

async fn wix_insert(
    State(items): State<Items>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(refusal) = wix_caller(&headers) {
        return refusal;
    }
    if !collection_known(&body) {
        return wix_refusal(
            StatusCode::NOT_FOUND,
            "WDE0025: The PartnerNotices collection does not exist",
        );
    }
    let mut items = items.lock().expect("double");
    let id = format!("item-{}", items.len() + 1);
    let mut data = body.pointer("/dataItem/data").cloned().unwrap_or(json!({}));
    data["_id"] = json!(id);
    items.insert(id.clone(), data.clone());
    Json(json!({ "dataItem": { "id": id, "dataCollectionId": "PartnerNotices", "data": data } }))
        .into_response()
}

async fn wix_update(
    State(items): State<Items>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(refusal) = wix_caller(&headers) {
        return refusal;
    }
    let mut items = items.lock().expect("double");
    if !collection_known(&body) || !items.contains_key(&id) {
        return wix_refusal(StatusCode::NOT_FOUND, "WDE0073: Item not found");
    }
    let mut data = body.pointer("/dataItem/data").cloned().unwrap_or(json!({}));
    data["_id"] = json!(id);
    items.insert(id.clone(), data.clone());
    Json(json!({ "dataItem": { "id": id, "dataCollectionId": "PartnerNotices", "data": data } }))
        .into_response()
}

async fn wix_query(
    State(items): State<Items>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(refusal) = wix_caller(&headers) {
        return refusal;
    }
    if !collection_known(&body) {
        return wix_refusal(
            StatusCode::NOT_FOUND,
            "WDE0025: The PartnerNotices collection does not exist",
        );
    }
    let limit = body
        .pointer("/query/paging/limit")
        .and_then(Value::as_u64)
        .unwrap_or(50) as usize;
    let offset = body
        .pointer("/query/paging/offset")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let items = items.lock().expect("double");
    let page: Vec<Value> = items
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(id, data)| json!({ "id": id, "dataCollectionId": "PartnerNotices", "data": data }))
        .collect();
    Json(json!({
        "dataItems": page,
        "pagingMetadata": { "count": page.len(), "offset": offset, "total": items.len() }
    }))
    .into_response()
}

async fn wix_site() -> (String, WixClient) {
    let items = Items::default();
    let app = Router::new()
        .route("/wix-data/v2/items", post(wix_insert))
        .route("/wix-data/v2/items/query", post(wix_query))
        .route("/wix-data/v2/items/{id}", axum::routing::put(wix_update))
        .with_state(items);
    let base = serve(app).await;
    let client = wix_client(&base, SITE_ID, WIX_KEY);
    (base, client)
}

fn wix_client(base: &str, site: &str, key: &str) -> WixClient {
    let options = ConnectorOptions {
        wix_api_base: base.to_owned(),
        ..quick_options(5)
    };
    WixClient::new(
        &WixSettings {
            site_id: site.into(),
        },
        Some(key),
        &options,
    )
    .expect("client")
}

#[tokio::test]
async fn a_wix_notice_is_published_changed_and_found_again() {
    let (_base, wix) = wix_site().await;
    let first = wix
        .insert_item(
            "PartnerNotices",
            json!({ "title": "ASN delays", "partner": "Provence" }),
        )
        .await
        .expect("insert");
    assert_eq!(first.data["title"], "ASN delays");
    wix.insert_item("PartnerNotices", json!({ "title": "Holiday cut-off" }))
        .await
        .expect("second insert");
    let changed = wix
        .update_item(
            "PartnerNotices",
            &first.id,
            json!({ "title": "ASN delays resolved" }),
        )
        .await
        .expect("update");
    assert_eq!(changed.id, first.id);
    let page = wix
        .query_items("PartnerNotices", None, None, 1, 0)
        .await
        .expect("query");
    assert_eq!(
        page.total,
        Some(2),
        "the total counts every item, not the page"
    );
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].data["title"], "ASN delays resolved");
    let rest = wix
        .query_items("PartnerNotices", None, None, 10, 1)
        .await
        .expect("second page");
    assert_eq!(rest.items[0].data["title"], "Holiday cut-off");
}

#[tokio::test]
async fn wix_refusals_and_hostile_ids_are_named_without_the_key() {
    let (base, wix) = wix_site().await;
    let missing = wix
        .insert_item("Notices", json!({ "title": "x" }))
        .await
        .expect_err("unknown collection");
    assert_eq!(missing.code(), ErrorCode::ApiNotFound);
    assert!(missing.to_string().contains("Notices"), "{missing}");
    let unknown = wix
        .update_item("PartnerNotices", "item-404", json!({}))
        .await
        .expect_err("unknown item");
    assert_eq!(unknown.code(), ErrorCode::ApiNotFound);
    let wrong_key = wix_client(&base, SITE_ID, "IST.wrong")
        .query_items("PartnerNotices", None, None, 5, 0)
        .await
        .expect_err("wrong key");
    assert_eq!(wrong_key.code(), ErrorCode::AuthUnauthorized);
    assert!(!wrong_key.to_string().contains("IST.wrong"));
    for hostile in ["", "../admin", "Notices?x=1", "a b"] {
        let refused = wix
            .insert_item(hostile, json!({}))
            .await
            .expect_err("hostile collection");
        assert!(
            matches!(refused, ConnectorError::InvalidInput(_)),
            "{hostile:?}: {refused}"
        );
    }
}

#[derive(Default)]
struct Site {
    nodes: BTreeMap<String, Value>,
}

type Shared = Arc<Mutex<Site>>;

fn json_api(status: StatusCode, value: Value) -> Response {
    (status, [("content-type", JSON_API)], value.to_string()).into_response()
}

fn json_api_error(status: StatusCode, detail: &str) -> Response {
    json_api(
        status,
        json!({ "errors": [{ "status": status.as_u16().to_string(), "title": "Error", "detail": detail }] }),
    )
}

fn signed_in(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"))
}

async fn token(Form(form): Form<BTreeMap<String, String>>) -> Response {
    if form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET)
    {
        Json(json!({ "token_type": "Bearer", "expires_in": 300, "access_token": TOKEN }))
            .into_response()
    } else {
        (StatusCode::UNAUTHORIZED, Json(json!({ "error": "invalid_client", "error_description": "Client authentication failed." }))).into_response()
    }
}

fn resource(id: &str, attributes: &Value) -> Value {
    json!({ "type": "node--article", "id": id, "attributes": attributes })
}

async fn create(State(site): State<Shared>, headers: HeaderMap, body: String) -> Response {
    if !signed_in(&headers) {
        return json_api_error(
            StatusCode::FORBIDDEN,
            "The current user is not allowed to POST the selected resource.",
        );
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some(JSON_API) {
        return json_api_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/vnd.api+json",
        );
    }
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let attributes = body
        .pointer("/data/attributes")
        .cloned()
        .unwrap_or(json!({}));
    if attributes
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
    {
        return json_api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "title: This value should not be null.",
        );
    }
    let mut site = site.lock().expect("double");
    let id = format!("5f1c9a2e-0000-4000-8000-{:012}", site.nodes.len() + 1);
    site.nodes.insert(id.clone(), attributes.clone());
    json_api(
        StatusCode::CREATED,
        json!({ "data": resource(&id, &attributes) }),
    )
}

async fn one(State(site): State<Shared>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if !signed_in(&headers) {
        return json_api_error(StatusCode::FORBIDDEN, "Not allowed.");
    }
    match site.lock().expect("double").nodes.get(&id) {
        Some(attributes) => json_api(StatusCode::OK, json!({ "data": resource(&id, attributes) })),
        None => json_api_error(
            StatusCode::NOT_FOUND,
            "The requested resource could not be found.",
        ),
    }
}

async fn change(
    State(site): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if !signed_in(&headers) {
        return json_api_error(StatusCode::FORBIDDEN, "Not allowed.");
    }
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let mut site = site.lock().expect("double");
    let Some(attributes) = site.nodes.get_mut(&id) else {
        return json_api_error(
            StatusCode::NOT_FOUND,
            "The requested resource could not be found.",
        );
    };
    if let (Some(current), Some(Value::Object(new))) =
        (attributes.as_object_mut(), body.pointer("/data/attributes"))
    {
        for (key, value) in new {
            current.insert(key.clone(), value.clone());
        }
    }
    let attributes = attributes.clone();
    json_api(
        StatusCode::OK,
        json!({ "data": resource(&id, &attributes) }),
    )
}

async fn list(
    State(site): State<Shared>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !signed_in(&headers) {
        return json_api_error(StatusCode::FORBIDDEN, "Not allowed.");
    }
    let limit: usize = query
        .get("page[limit]")
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let offset: usize = query
        .get("page[offset]")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let site = site.lock().expect("double");
    let data: Vec<Value> = site
        .nodes
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(id, a)| resource(id, a))
        .collect();
    let mut links = json!({});
    if offset + limit < site.nodes.len() {
        links["next"] = json!({ "href": format!("/drupal/jsonapi/node/article?page%5Blimit%5D={limit}&page%5Boffset%5D={}", offset + limit) });
    }
    json_api(StatusCode::OK, json!({ "data": data, "links": links }))
}

async fn drupal_site() -> (String, DrupalClient) {
    let routes = Router::new()
        .route("/oauth/token", post(token))
        .route("/jsonapi/node/article", post(create).get(list))
        .route("/jsonapi/node/article/{id}", get(one).patch(change))
        .with_state(Shared::default());
    let base = format!(
        "{}/drupal",
        serve(Router::new().nest("/drupal", routes)).await
    );
    let client = drupal_client(&base, CLIENT_SECRET);
    (base, client)
}

fn drupal_client(base: &str, secret: &str) -> DrupalClient {
    let settings = DrupalSettings {
        base_url: base.into(),
        auth: DrupalAuth::Oauth {
            client_id: CLIENT_ID.into(),
        },
    };
    DrupalClient::new(&settings, Some(secret), &quick_options(5)).expect("client")
}

#[tokio::test]
async fn a_resolution_becomes_an_article_that_can_be_read_changed_and_listed() {
    let (_base, drupal) = drupal_site().await;
    let created = drupal
        .create_node(
            "article",
            json!({ "title": "Rejected 810s from Provence", "status": false }),
        )
        .await
        .expect("create");
    assert_eq!(created.kind, "node--article");
    for n in 2..=3 {
        drupal
            .create_node("article", json!({ "title": format!("Resolution {n}") }))
            .await
            .expect("more articles");
    }
    let published = drupal
        .update_node("article", &created.id, json!({ "status": true }))
        .await
        .expect("update");
    assert_eq!(published.attributes["status"], true);
    assert_eq!(
        published.attributes["title"], "Rejected 810s from Provence",
        "a PATCH keeps the rest"
    );
    let read = drupal.get_node("article", &created.id).await.expect("get");
    assert_eq!(read.attributes, published.attributes);
    let first = drupal
        .list_nodes("article", 2, None)
        .await
        .expect("first page");
    assert_eq!(first.nodes.len(), 2);
    let next = first.next.expect("a next page");
    let second = drupal
        .list_nodes("article", 2, Some(&next))
        .await
        .expect("second page");
    assert_eq!(second.nodes.len(), 1);
    assert!(second.next.is_none());
    let titles: Vec<String> = first
        .nodes
        .iter()
        .chain(&second.nodes)
        .map(|n| {
            n.attributes["title"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(titles.len(), 3);
}

#[tokio::test]
async fn drupal_refusals_off_site_links_and_hostile_names_are_named() {
    let (base, drupal) = drupal_site().await;
    let invalid = drupal
        .create_node("article", json!({ "title": "" }))
        .await
        .expect_err("no title");
    assert!(
        matches!(invalid, ConnectorError::InvalidInput(_)),
        "{invalid}"
    );
    assert!(
        invalid.to_string().contains("title"),
        "Drupal's own words: {invalid}"
    );
    let missing = drupal
        .get_node("article", "5f1c9a2e-0000-4000-8000-000000000999")
        .await
        .expect_err("unknown node");
    assert_eq!(missing.code(), ErrorCode::ApiNotFound);
    let off_site = drupal
        .list_nodes(
            "article",
            2,
            Some("https://elsewhere.example/jsonapi/node/article"),
        )
        .await
        .expect_err("off-site next link");
    assert!(
        off_site.to_string().contains("outside the site"),
        "{off_site}"
    );
    let refused = drupal_client(&base, "wrong-secret")
        .get_node("article", "any")
        .await
        .expect_err("wrong secret");
    assert_eq!(refused.code(), ErrorCode::AuthUnauthorized);
    assert!(!refused.to_string().contains("wrong-secret"));
    for hostile in ["", "article/../user", "node--article?x", "a b"] {
        let refused = drupal
            .create_node(hostile, json!({ "title": "x" }))
            .await
            .expect_err("hostile bundle");
        assert!(
            matches!(refused, ConnectorError::InvalidInput(_)),
            "{hostile:?}: {refused}"
        );
    }
}
