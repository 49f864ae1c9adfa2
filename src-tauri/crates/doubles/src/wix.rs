//! A Wix site's Data Items API v2, as documented at dev.wix.com (REST, "Data Items"):
//! `POST /wix-data/v2/items` (insert; `dataItem.id` may be chosen by the caller, an id that
//! exists is refused 409 `ALREADY_EXISTS`), `PUT /wix-data/v2/items/{dataItemId}` (update,
//! replacing the whole item; 404 when missing), `POST /wix-data/v2/items/query` (`query.filter`
//! with `$eq`/`$gt`/`$gte` on fields, `query.sort`, `query.paging.limit` (≤ 1000) /
//! `offset`; answers `dataItems` and `pagingMetadata {count, offset, total, tooManyToCount}`),
//! and `GET /wix-data/v2/collections`. Calls carry the API key in `Authorization` and the site
//! in `wix-site-id`. Errors are Wix's standard shape: `{"message", "details":
//! {"applicationError": {"code", "description", "data"}}}` or `{"validationError":
//! {"fieldViolations": [...]}}`; 401 `UNAUTHENTICATED`, 403 `PERMISSION_DENIED`, 404
//! `NOT_FOUND`, 409 `ALREADY_EXISTS`, 429 `RESOURCE_EXHAUSTED`. Items get `_id`,
//! `_createdDate`, `_updatedDate` (`{"$date": ISO}`) and `_owner`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::faults::{drop_connection, with_retry_after, Faults};
use crate::Fault;

/// One accepted write.
#[derive(Debug, Clone, PartialEq)]
pub struct WixWrite {
    /// `insert` or `update`.
    pub op: &'static str,
    /// The collection.
    pub collection: String,
    /// The item id.
    pub id: String,
    /// The request body as received.
    pub body: Value,
}

#[derive(Default)]
struct Site {
    collections: BTreeMap<String, BTreeMap<String, Value>>,
    writes: Vec<WixWrite>,
    clock: i64,
}

/// A running Wix double.
#[derive(Clone)]
pub struct WixDouble {
    /// Base URL (the `wix_api_base` of the connector options).
    pub base: String,
    /// The API key it accepts.
    pub api_key: String,
    /// The site id it serves.
    pub site_id: String,
    site: Arc<Mutex<Site>>,
    faults: Faults,
}

#[derive(Clone)]
struct Shared {
    api_key: String,
    site_id: String,
    site: Arc<Mutex<Site>>,
    faults: Faults,
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({
            "message": message,
            "details": { "applicationError": { "code": code, "description": message, "data": {} } }
        })),
    )
        .into_response()
}

fn violation(field: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({
            "message": format!("{field}: {description}"),
            "details": { "validationError": { "fieldViolations": [
                { "field": field, "description": description, "violatedRule": "REQUIRED_FIELD" }
            ] } }
        })),
    )
        .into_response()
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Site> {
        self.site.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Authentication and site, then an injected fault; `Err` is the answer to send.
    fn admit(&self, headers: &HeaderMap) -> Result<Option<Fault>, Response> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if header("authorization") != Some(self.api_key.as_str()) {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "Not authenticated: invalid or missing API key",
            ));
        }
        if header("wix-site-id") != Some(self.site_id.as_str()) {
            return Err(error(StatusCode::NOT_FOUND, "NOT_FOUND", "Site not found"));
        }
        match self.faults.next() {
            Some(Fault::SlowDown(secs)) => Err(with_retry_after(
                error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "RESOURCE_EXHAUSTED",
                    "Too many requests, please try again later",
                ),
                secs,
            )),
            Some(Fault::Status(429)) => Err(error(
                StatusCode::TOO_MANY_REQUESTS,
                "RESOURCE_EXHAUSTED",
                "Too many requests, please try again later",
            )),
            Some(Fault::Status(code)) => Err(error(
                StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "INTERNAL",
                "Internal error",
            )),
            other => Ok(other),
        }
    }
}

fn date(clock: i64) -> Value {
    let at = chrono::DateTime::<chrono::Utc>::from_timestamp(1_767_225_600 + clock, 0)
        .unwrap_or_default();
    json!({ "$date": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true) })
}

fn item_answer(collection: &str, id: &str, data: &Value) -> Value {
    json!({ "id": id, "dataCollectionId": collection, "data": data })
}

async fn insert(State(s): State<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let fault = match s.admit(&headers) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(collection) = body.get("dataCollectionId").and_then(Value::as_str) else {
        return violation("dataCollectionId", "must not be empty");
    };
    let Some(item) = body.get("dataItem").filter(|v| v.is_object()) else {
        return violation("dataItem", "must not be empty");
    };
    let answer = {
        let mut site = s.lock();
        site.clock += 1;
        let clock = site.clock;
        let Some(items) = site.collections.get_mut(collection) else {
            return error(
                StatusCode::NOT_FOUND,
                "WDE0025",
                &format!("The {collection} collection does not exist."),
            );
        };
        let id = item
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{:08x}-{clock:04x}", clock * 7919));
        if items.contains_key(&id) {
            return error(
                StatusCode::CONFLICT,
                "WDE0074",
                &format!("An item with _id [{id}] already exists in the collection."),
            );
        }
        let mut data = item.get("data").cloned().unwrap_or_else(|| json!({}));
        data["_id"] = json!(id);
        data["_createdDate"] = date(clock);
        data["_updatedDate"] = date(clock);
        data["_owner"] = json!("00000000-0000-0000-0000-000000000001");
        items.insert(id.clone(), data.clone());
        site.writes.push(WixWrite {
            op: "insert",
            collection: collection.to_owned(),
            id: id.clone(),
            body: body.clone(),
        });
        json!({ "dataItem": item_answer(collection, &id, &data) })
    };
    if fault == Some(Fault::Drop) {
        drop_connection();
    }
    Json(answer).into_response()
}

async fn update(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let fault = match s.admit(&headers) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(collection) = body.get("dataCollectionId").and_then(Value::as_str) else {
        return violation("dataCollectionId", "must not be empty");
    };
    let Some(item) = body.get("dataItem").filter(|v| v.is_object()) else {
        return violation("dataItem", "must not be empty");
    };
    if item
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|i| i != id)
    {
        return violation("dataItem.id", "must match the id in the path");
    }
    let answer = {
        let mut site = s.lock();
        site.clock += 1;
        let clock = site.clock;
        let Some(items) = site.collections.get_mut(collection) else {
            return error(
                StatusCode::NOT_FOUND,
                "WDE0025",
                &format!("The {collection} collection does not exist."),
            );
        };
        let Some(old) = items.get(&id).cloned() else {
            return error(
                StatusCode::NOT_FOUND,
                "WDE0073",
                &format!("Item [{id}] does not exist in collection [{collection}]."),
            );
        };
        let mut data = item.get("data").cloned().unwrap_or_else(|| json!({}));
        data["_id"] = json!(id);
        data["_createdDate"] = old["_createdDate"].clone();
        data["_updatedDate"] = date(clock);
        data["_owner"] = old["_owner"].clone();
        items.insert(id.clone(), data.clone());
        site.writes.push(WixWrite {
            op: "update",
            collection: collection.to_owned(),
            id: id.clone(),
            body: body.clone(),
        });
        json!({ "dataItem": item_answer(collection, &id, &data) })
    };
    if fault == Some(Fault::Drop) {
        drop_connection();
    }
    Json(answer).into_response()
}

fn comparable(v: &Value) -> Value {
    v.get("$date").cloned().unwrap_or_else(|| v.clone())
}

fn matches(data: &Value, filter: &Value) -> bool {
    let Some(filter) = filter.as_object() else {
        return true;
    };
    filter.iter().all(|(field, cond)| {
        let have = comparable(data.get(field).unwrap_or(&Value::Null));
        let cmp = |op: &str| cond.get(op).map(comparable);
        let as_text = |v: &Value| {
            v.as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| v.to_string())
        };
        if let Some(want) = cmp("$eq") {
            return have == want;
        }
        if let Some(want) = cmp("$gt") {
            return as_text(&have) > as_text(&want);
        }
        if let Some(want) = cmp("$gte") {
            return as_text(&have) >= as_text(&want);
        }
        have == comparable(cond)
    })
}

async fn query(State(s): State<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if let Err(r) = s.admit(&headers) {
        return r;
    }
    let Some(collection) = body.get("dataCollectionId").and_then(Value::as_str) else {
        return violation("dataCollectionId", "must not be empty");
    };
    let q = body.get("query").cloned().unwrap_or_else(|| json!({}));
    let limit = q
        .pointer("/paging/limit")
        .and_then(Value::as_u64)
        .unwrap_or(50);
    if limit > 1000 {
        return violation("query.paging.limit", "must be at most 1000");
    }
    let offset = q
        .pointer("/paging/offset")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let site = s.lock();
    let Some(items) = site.collections.get(collection) else {
        return error(
            StatusCode::NOT_FOUND,
            "WDE0025",
            &format!("The {collection} collection does not exist."),
        );
    };
    let mut found: Vec<(&String, &Value)> = items
        .iter()
        .filter(|(_, d)| matches(d, q.get("filter").unwrap_or(&Value::Null)))
        .collect();
    if let Some(sort) = q
        .get("sort")
        .and_then(Value::as_array)
        .and_then(|s| s.first())
    {
        let field = sort
            .get("fieldName")
            .and_then(Value::as_str)
            .unwrap_or("_id")
            .to_owned();
        let desc = sort.get("order").and_then(Value::as_str) == Some("DESC");
        found.sort_by(|a, b| {
            let (x, y) = (
                comparable(&a.1[&field]).to_string(),
                comparable(&b.1[&field]).to_string(),
            );
            let o = x.cmp(&y).then(a.0.cmp(b.0));
            if desc {
                o.reverse()
            } else {
                o
            }
        });
    }
    let total = found.len();
    let page: Vec<Value> = found
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(50))
        .map(|(id, d)| item_answer(collection, id, d))
        .collect();
    Json(json!({
        "dataItems": page,
        "pagingMetadata": { "count": page.len(), "offset": offset, "total": total, "tooManyToCount": false }
    }))
    .into_response()
}

async fn list_collections(State(s): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(r) = s.admit(&headers) {
        return r;
    }
    let names: Vec<Value> = s
        .lock()
        .collections
        .keys()
        .map(|id| json!({ "id": id }))
        .collect();
    Json(json!({ "collections": names })).into_response()
}

impl WixDouble {
    /// Starts a site with these collections (empty).
    pub async fn start(api_key: &str, site_id: &str, collections: &[&str]) -> WixDouble {
        let mut site = Site::default();
        for c in collections {
            site.collections.insert((*c).to_owned(), BTreeMap::new());
        }
        let shared = Shared {
            api_key: api_key.to_owned(),
            site_id: site_id.to_owned(),
            site: Arc::new(Mutex::new(site)),
            faults: Faults::default(),
        };
        let app = Router::new()
            .route("/wix-data/v2/items", post(insert))
            .route("/wix-data/v2/items/query", post(query))
            .route("/wix-data/v2/items/{id}", put(update))
            .route("/wix-data/v2/collections", get(list_collections))
            .with_state(shared.clone());
        let base = crate::serve(app).await;
        WixDouble {
            base,
            api_key: shared.api_key,
            site_id: shared.site_id,
            site: shared.site,
            faults: shared.faults,
        }
    }

    /// The next `times` requests meet `fault`.
    pub fn inject(&self, fault: Fault, times: usize) {
        self.faults.push(fault, times);
    }

    /// Adds an item as a site visitor's form submission would (with system fields).
    pub fn submit(&self, collection: &str, id: &str, data: Value) {
        let mut site = self.site.lock().unwrap_or_else(|p| p.into_inner());
        site.clock += 1;
        let clock = site.clock;
        let mut data = data;
        data["_id"] = json!(id);
        data["_createdDate"] = date(clock);
        data["_updatedDate"] = date(clock);
        site.collections
            .entry(collection.to_owned())
            .or_default()
            .insert(id.to_owned(), data);
    }

    /// The items of a collection, by id.
    pub fn items(&self, collection: &str) -> BTreeMap<String, Value> {
        let site = self.site.lock().unwrap_or_else(|p| p.into_inner());
        site.collections
            .get(collection)
            .cloned()
            .unwrap_or_default()
    }

    /// Every accepted write, in order.
    pub fn writes(&self) -> Vec<WixWrite> {
        self.site
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .writes
            .clone()
    }
}
