//! A Drupal site's JSON:API (drupal.org, "JSON:API" module documentation) with simple_oauth:
//! `POST /oauth/token` (client credentials; `invalid_client` 401 otherwise), `GET /jsonapi`
//! (the index), `POST /jsonapi/node/{bundle}` (201; `application/vnd.api+json` required, else
//! 415; a client-generated `data.id` that exists is 409 "Conflict: Entity already exists."; a
//! `data.type` that is not `node--{bundle}` is 409; a missing title is 422), `PATCH
//! /jsonapi/node/{bundle}/{id}` (200; 404 when missing; an id that does not match the path is
//! 409), `GET /jsonapi/node/{bundle}[/{id}]` with `page[limit]` (at most 50) / `page[offset]`,
//! `sort`, a `changed >=` condition filter, and `links.next` while more pages follow. Errors are
//! JSON:API error documents (`{"jsonapi": …, "errors": [{"title", "status", "detail"}]}`). Every
//! call needs HTTP Basic or the bearer token; 429 answers carry `Retry-After`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use serde_json::{json, Value};

use crate::faults::{drop_connection, with_retry_after, Faults};
use crate::Fault;

const JSON_API: &str = "application/vnd.api+json";

/// One accepted write.
#[derive(Debug, Clone, PartialEq)]
pub struct DrupalWrite {
    /// `create` or `update`.
    pub op: &'static str,
    /// The bundle.
    pub bundle: String,
    /// The node UUID.
    pub id: String,
    /// The request body.
    pub body: Value,
}

#[derive(Default)]
struct Site {
    nodes: BTreeMap<String, BTreeMap<String, Value>>,
    writes: Vec<DrupalWrite>,
    clock: i64,
    nid: u64,
    loop_links: bool,
    list_calls: u32,
}

#[derive(Clone)]
struct Shared {
    base: Arc<Mutex<String>>,
    user: String,
    password: String,
    token: String,
    site: Arc<Mutex<Site>>,
    faults: Faults,
}

/// A running Drupal double.
#[derive(Clone)]
pub struct DrupalDouble {
    /// Base URL (the site address).
    pub base: String,
    shared: Shared,
}

fn errors(status: StatusCode, title: &str, detail: &str) -> Response {
    let mut response = (
        status,
        [("content-type", JSON_API)],
        json!({
            "jsonapi": { "version": "1.0", "meta": { "links": { "self": { "href": "http://jsonapi.org/format/1.0/" } } } },
            "errors": [{ "title": title, "status": status.as_u16().to_string(), "detail": detail }]
        })
        .to_string(),
    )
        .into_response();
    if status == StatusCode::TOO_MANY_REQUESTS {
        response
            .headers_mut()
            .insert("retry-after", axum::http::HeaderValue::from_static("1"));
    }
    response
}

fn document(status: StatusCode, body: Value) -> Response {
    (status, [("content-type", JSON_API)], body.to_string()).into_response()
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Site> {
        self.site.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn admit(&self, headers: &HeaderMap) -> Result<Option<Fault>, Response> {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", self.user, self.password))
        );
        let bearer = format!("Bearer {}", self.token);
        if auth != basic && auth != bearer {
            return Err(errors(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "The credentials are missing or not valid.",
            ));
        }
        match self.faults.next() {
            Some(Fault::SlowDown(secs)) => Err(with_retry_after(
                errors(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too Many Requests",
                    "Rate limit exceeded.",
                ),
                secs,
            )),
            Some(Fault::Status(429)) => Err(errors(
                StatusCode::TOO_MANY_REQUESTS,
                "Too Many Requests",
                "Rate limit exceeded.",
            )),
            Some(Fault::Status(code)) => {
                let status =
                    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                Err(errors(
                    status,
                    status.canonical_reason().unwrap_or("Error"),
                    "The website encountered an unexpected error.",
                ))
            }
            other => Ok(other),
        }
    }

    fn base(&self) -> String {
        self.base.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn stamp(clock: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp(1_767_225_600 + clock, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

async fn token(State(s): State<Shared>, Form(form): Form<BTreeMap<String, String>>) -> Response {
    let ok = form.get("grant_type").map(String::as_str) == Some("client_credentials")
        && form.get("client_id") == Some(&s.user)
        && form.get("client_secret") == Some(&s.password);
    if !ok {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_client", "error_description": "Client authentication failed", "message": "Client authentication failed" })),
        )
            .into_response();
    }
    Json(json!({ "token_type": "Bearer", "expires_in": 300, "access_token": s.token }))
        .into_response()
}

async fn index(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let base = s.base();
    let me = s.admit(&headers).is_ok();
    let mut meta = json!({});
    if me {
        meta = json!({ "links": { "me": { "meta": { "id": "4b3c1f2e-0000-4000-8000-000000000001" }, "href": format!("{base}/jsonapi/user/user/4b3c1f2e-0000-4000-8000-000000000001") } } });
    }
    document(
        StatusCode::OK,
        json!({ "jsonapi": { "version": "1.0" }, "data": [], "meta": meta, "links": { "self": { "href": format!("{base}/jsonapi") } } }),
    )
}

fn resource(base: &str, bundle: &str, node: &Value) -> Value {
    let id = node["id"].as_str().unwrap_or_default();
    json!({
        "type": format!("node--{bundle}"),
        "id": id,
        "attributes": node["attributes"],
        "links": { "self": { "href": format!("{base}/jsonapi/node/{bundle}/{id}") } }
    })
}

fn checked_body(headers: &HeaderMap, body: &str, bundle: &str) -> Result<Value, Response> {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with(JSON_API) {
        return Err(errors(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type",
            &format!("No route found that matches \"Content-Type: {ct}\""),
        ));
    }
    let value: Value = serde_json::from_str(body).map_err(|e| {
        errors(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            &format!("Syntax error: {e}"),
        )
    })?;
    let kind = value
        .pointer("/data/type")
        .and_then(Value::as_str)
        .unwrap_or("");
    if kind != format!("node--{bundle}") {
        return Err(errors(StatusCode::CONFLICT, "Conflict", &format!("The provided type ({kind}) does not match the destination resource types (node--{bundle}).")));
    }
    Ok(value)
}

async fn create(
    State(s): State<Shared>,
    Path(bundle): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let fault = match s.admit(&headers) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let value = match checked_body(&headers, &body, &bundle) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let base = s.base();
    let answer = {
        let mut site = s.lock();
        site.clock += 1;
        site.nid += 1;
        let (clock, nid) = (site.clock, site.nid);
        let id = value
            .pointer("/data/id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("00000000-0000-4000-8000-{nid:012}"));
        let nodes = site.nodes.entry(bundle.clone()).or_default();
        if nodes.contains_key(&id) {
            return errors(
                StatusCode::CONFLICT,
                "Conflict",
                "Conflict: Entity already exists.",
            );
        }
        let mut attributes = value
            .pointer("/data/attributes")
            .cloned()
            .unwrap_or_else(|| json!({}));
        if attributes
            .get("title")
            .and_then(Value::as_str)
            .is_none_or(|t| t.trim().is_empty())
        {
            return errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Unprocessable Entity",
                "title: This value should not be null.",
            );
        }
        attributes["drupal_internal__nid"] = json!(nid);
        attributes["created"] = json!(stamp(clock));
        attributes["changed"] = json!(stamp(clock));
        let node = json!({ "id": id, "attributes": attributes });
        nodes.insert(id.clone(), node.clone());
        site.writes.push(DrupalWrite {
            op: "create",
            bundle: bundle.clone(),
            id: id.clone(),
            body: value.clone(),
        });
        json!({ "jsonapi": { "version": "1.0" }, "data": resource(&base, &bundle, &node) })
    };
    if fault == Some(Fault::Drop) {
        drop_connection();
    }
    document(StatusCode::CREATED, answer)
}

async fn update(
    State(s): State<Shared>,
    Path((bundle, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let fault = match s.admit(&headers) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let value = match checked_body(&headers, &body, &bundle) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if value.pointer("/data/id").and_then(Value::as_str) != Some(id.as_str()) {
        return errors(
            StatusCode::CONFLICT,
            "Conflict",
            "The resource ID in the request body does not match the ID in the URL.",
        );
    }
    let base = s.base();
    let answer = {
        let mut site = s.lock();
        site.clock += 1;
        let clock = site.clock;
        let Some(node) = site.nodes.get_mut(&bundle).and_then(|n| n.get_mut(&id)) else {
            return errors(
                StatusCode::NOT_FOUND,
                "Not Found",
                &format!("The \"node\" entity with ID \"{id}\" does not exist."),
            );
        };
        if let Some(attrs) = value.pointer("/data/attributes").and_then(Value::as_object) {
            for (k, v) in attrs {
                node["attributes"][k] = v.clone();
            }
        }
        node["attributes"]["changed"] = json!(stamp(clock));
        let node = node.clone();
        site.writes.push(DrupalWrite {
            op: "update",
            bundle: bundle.clone(),
            id: id.clone(),
            body: value.clone(),
        });
        json!({ "jsonapi": { "version": "1.0" }, "data": resource(&base, &bundle, &node) })
    };
    if fault == Some(Fault::Drop) {
        drop_connection();
    }
    document(StatusCode::OK, answer)
}

async fn list(
    State(s): State<Shared>,
    Path(bundle): Path<String>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Err(r) = s.admit(&headers) {
        return r;
    }
    let limit: usize = q
        .get("page[limit]")
        .and_then(|l| l.parse().ok())
        .unwrap_or(50)
        .min(50);
    let offset: usize = q
        .get("page[offset]")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let since = q.get("filter[since][condition][value]").cloned();
    let base = s.base();
    let mut site = s.lock();
    site.list_calls += 1;
    let looping = site.loop_links;
    let mut nodes: Vec<Value> = site
        .nodes
        .get(&bundle)
        .map(|n| n.values().cloned().collect())
        .unwrap_or_default();
    if let Some(since) = &since {
        nodes.retain(|n| n["attributes"]["changed"].as_str().unwrap_or("") >= since.as_str());
    }
    nodes.sort_by(|a, b| {
        let key = |n: &Value| {
            (
                n["attributes"]["changed"].as_str().unwrap_or("").to_owned(),
                n["id"].as_str().unwrap_or("").to_owned(),
            )
        };
        key(a).cmp(&key(b))
    });
    let total = nodes.len();
    let data: Vec<Value> = nodes
        .iter()
        .skip(offset)
        .take(limit)
        .map(|n| resource(&base, &bundle, n))
        .collect();
    let mut extra = String::new();
    if let Some(since) = &since {
        extra = format!("&filter%5Bsince%5D%5Bcondition%5D%5Bpath%5D=changed&filter%5Bsince%5D%5Bcondition%5D%5Boperator%5D=%3E%3D&filter%5Bsince%5D%5Bcondition%5D%5Bvalue%5D={}", since.replace(':', "%3A").replace('+', "%2B"));
    }
    let page_url = |offset: usize| {
        format!("{base}/jsonapi/node/{bundle}?sort=changed%2Cid&page%5Blimit%5D={limit}&page%5Boffset%5D={offset}{extra}")
    };
    let mut links = json!({ "self": { "href": page_url(offset) } });
    if offset + limit < total {
        // A broken site whose next link leads back to the first page.
        let next = if looping && offset > 0 {
            0
        } else {
            offset + limit
        };
        links["next"] = json!({ "href": page_url(next) });
    }
    document(
        StatusCode::OK,
        json!({ "jsonapi": { "version": "1.0" }, "data": data, "links": links }),
    )
}

async fn one(
    State(s): State<Shared>,
    Path((bundle, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = s.admit(&headers) {
        return r;
    }
    let base = s.base();
    let site = s.lock();
    match site.nodes.get(&bundle).and_then(|n| n.get(&id)) {
        Some(node) => document(
            StatusCode::OK,
            json!({ "jsonapi": { "version": "1.0" }, "data": resource(&base, &bundle, node) }),
        ),
        None => errors(
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("The \"node\" entity with ID \"{id}\" does not exist."),
        ),
    }
}

impl DrupalDouble {
    /// Starts a site accepting Basic `user`/`password` and the OAuth client `user` with secret
    /// `password`.
    pub async fn start(user: &str, password: &str) -> DrupalDouble {
        let shared = Shared {
            base: Arc::new(Mutex::new(String::new())),
            user: user.to_owned(),
            password: password.to_owned(),
            token: "drupal-double-access-token".to_owned(),
            site: Arc::new(Mutex::new(Site::default())),
            faults: Faults::default(),
        };
        let app = Router::new()
            .route("/oauth/token", post(token))
            .route("/jsonapi", get(index))
            .route("/jsonapi/node/{bundle}", get(list).post(create))
            .route("/jsonapi/node/{bundle}/{id}", get(one).patch(update))
            .with_state(shared.clone());
        let base = crate::serve(app).await;
        *shared.base.lock().unwrap_or_else(|p| p.into_inner()) = base.clone();
        DrupalDouble { base, shared }
    }

    /// The next `times` requests meet `fault`.
    pub fn inject(&self, fault: Fault, times: usize) {
        self.shared.faults.push(fault, times);
    }

    /// Makes `links.next` of every page after the first lead back to the first page.
    pub fn loop_next_links(&self, on: bool) {
        self.shared.lock().loop_links = on;
    }

    /// Adds a node as an editor would.
    pub fn add_node(&self, bundle: &str, id: &str, attributes: Value) {
        let mut site = self.shared.lock();
        site.clock += 1;
        site.nid += 1;
        let (clock, nid) = (site.clock, site.nid);
        let mut attributes = attributes;
        attributes["drupal_internal__nid"] = json!(nid);
        attributes["created"] = json!(stamp(clock));
        attributes["changed"] = json!(stamp(clock));
        site.nodes
            .entry(bundle.to_owned())
            .or_default()
            .insert(id.to_owned(), json!({ "id": id, "attributes": attributes }));
    }

    /// The nodes of a bundle (attributes), by UUID.
    pub fn nodes(&self, bundle: &str) -> BTreeMap<String, Value> {
        self.shared
            .lock()
            .nodes
            .get(bundle)
            .map(|n| {
                n.iter()
                    .map(|(k, v)| (k.clone(), v["attributes"].clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every accepted write, in order.
    pub fn writes(&self) -> Vec<DrupalWrite> {
        self.shared.lock().writes.clone()
    }

    /// How many listing pages were served.
    pub fn list_calls(&self) -> u32 {
        self.shared.lock().list_calls
    }
}
