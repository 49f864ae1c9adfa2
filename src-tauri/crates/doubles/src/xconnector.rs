//! An xConnector as `src-tauri/crates/bridge/contract/xconnector.asyncapi.yaml` describes it: the event feed (`GET /feed`
//! with `?cursor=`, bearer token; answers `{"events": [...], "next": "<cursor>"}`, an empty
//! list at the end) and the outbound endpoint (`POST /events`, one CloudEvent in structured
//! mode, bearer token, `Idempotency-Key`; 202, a repeated id is acknowledged again and counted).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::faults::{drop_connection, Faults};
use crate::Fault;

#[derive(Default)]
struct Inner {
    feed: Vec<Value>,
    page: usize,
    delay: Duration,
    pages_served: u32,
    received: Vec<Value>,
}

#[derive(Clone)]
struct Shared {
    token: String,
    inner: Arc<Mutex<Inner>>,
    faults: Faults,
}

/// A running xConnector double.
#[derive(Clone)]
pub struct XcDouble {
    /// Base URL.
    pub base: String,
    shared: Shared,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        headers.get("authorization").and_then(|v| v.to_str().ok())
            == Some(&format!("Bearer {}", self.token))
    }
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

async fn serve_feed(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if !s.authorized(&headers) {
        return refuse(StatusCode::UNAUTHORIZED, "invalid token");
    }
    if let Some(Fault::Status(code)) = s.faults.next() {
        return refuse(
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "fault",
        );
    }
    let start: usize = q.get("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
    let (events, next, delay) = {
        let mut inner = s.lock();
        inner.pages_served += 1;
        let end = (start + inner.page).min(inner.feed.len());
        let events: Vec<Value> = inner
            .feed
            .get(start..end)
            .map(<[Value]>::to_vec)
            .unwrap_or_default();
        (events, end.max(start), inner.delay)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    Json(json!({ "events": events, "next": next.to_string() })).into_response()
}

async fn receive(State(s): State<Shared>, headers: HeaderMap, body: String) -> Response {
    if !s.authorized(&headers) {
        return refuse(StatusCode::UNAUTHORIZED, "invalid token");
    }
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("application/cloudevents+json") {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send application/cloudevents+json",
        );
    }
    let fault = s.faults.next();
    if let Some(Fault::Status(code)) = fault {
        return refuse(
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "fault",
        );
    }
    let Ok(event) = serde_json::from_str::<Value>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "not JSON");
    };
    if event.get("id").and_then(Value::as_str).is_none()
        || event.get("specversion") != Some(&json!("1.0"))
    {
        return refuse(StatusCode::BAD_REQUEST, "not a CloudEvent");
    }
    s.lock().received.push(event);
    if fault == Some(Fault::Drop) {
        drop_connection();
    }
    StatusCode::ACCEPTED.into_response()
}

impl XcDouble {
    /// Starts an xConnector accepting `token`, serving `feed` in pages of `page`.
    pub async fn start(token: &str, feed: Vec<Value>, page: usize) -> XcDouble {
        let shared = Shared {
            token: token.to_owned(),
            inner: Arc::new(Mutex::new(Inner {
                feed,
                page: page.max(1),
                ..Inner::default()
            })),
            faults: Faults::default(),
        };
        let app = Router::new()
            .route("/feed", get(serve_feed))
            .route("/events", post(receive))
            .with_state(shared.clone());
        let base = crate::serve(app).await;
        XcDouble { base, shared }
    }

    /// Waits this long before answering each feed page.
    pub fn slow_pages(&self, delay: Duration) {
        self.shared.lock().delay = delay;
    }

    /// The next `times` requests meet `fault`.
    pub fn inject(&self, fault: Fault, times: usize) {
        self.shared.faults.push(fault, times);
    }

    /// Feed pages served so far.
    pub fn pages_served(&self) -> u32 {
        self.shared.lock().pages_served
    }

    /// Every event received on the outbound endpoint, repeats included, in order.
    pub fn received(&self) -> Vec<Value> {
        self.shared.lock().received.clone()
    }
}
