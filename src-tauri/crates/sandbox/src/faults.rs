//! Fault injection for the API routes: latency, 500/503s, 429 with `Retry-After`, dropped
//! connections, malformed bodies, early token expiry, stale idempotent replays, absurd numbers
//! (a token lifetime, a `Retry-After`) and a change feed that never moves on, switchable while
//! the server runs.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::state::AppState;

/// The fault switches. Rates are probabilities per request in `0.0..=1.0`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Faults {
    /// Added to every API request before it is handled.
    pub latency_ms: u64,
    /// Share of requests answered 503 or 500 (nothing applied).
    pub error_rate: f64,
    /// Share of requests answered 429 with `Retry-After` (nothing applied).
    pub rate_limit_rate: f64,
    /// The `Retry-After` seconds sent with 429 and 503.
    pub retry_after_secs: u64,
    /// Share of requests whose connection is cut after the headers, mid-body. The request
    /// itself WAS applied: this is the "response lost" case idempotency keys exist for.
    pub drop_rate: f64,
    /// Share of successful answers whose JSON body is truncated (status stays 200).
    pub malformed_rate: f64,
    /// When set, tokens die this many seconds after issue (while `expires_in` still says
    /// 36000): also applies to tokens issued before the switch.
    pub token_ttl_secs: Option<u64>,
    /// Share of keyed writes (with an `Idempotency-Key`, answered 2xx) after which a partner
    /// replies on the same case at once and the answer is lost (connection cut mid-body): the
    /// client's resend gets the idempotent replay of an answer older than the server's case.
    pub stale_replay_rate: f64,
    /// When set, token answers say `expires_in` is this (the token itself lives as usual): a
    /// client must survive `10000000000000000000`.
    pub token_expires_in: Option<u64>,
    /// When set, the case change feed answers every request with the cases after the cursor it
    /// was given, `hasMore: true` and that same cursor back: a feed that never moves on.
    pub stuck_change_feed: bool,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            latency_ms: 0,
            error_rate: 0.0,
            rate_limit_rate: 0.0,
            retry_after_secs: 1,
            drop_rate: 0.0,
            malformed_rate: 0.0,
            token_ttl_secs: None,
            stale_replay_rate: 0.0,
            token_expires_in: None,
            stuck_change_feed: false,
        }
    }
}

impl Faults {
    /// Checks the rates are probabilities.
    pub fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("errorRate", self.error_rate),
            ("rateLimitRate", self.rate_limit_rate),
            ("dropRate", self.drop_rate),
            ("malformedRate", self.malformed_rate),
            ("staleReplayRate", self.stale_replay_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0.0 and 1.0, got {rate}"));
            }
        }
        if self.latency_ms > 600_000 {
            return Err("latencyMs must be at most 600000".into());
        }
        Ok(())
    }
}

fn roll(rate: f64) -> bool {
    rate > 0.0 && rand::random::<f64>() < rate
}

/// Middleware in front of every non-admin route.
pub async fn inject(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    state.count_request();
    let key = request
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string());
    if let Some(key) = &key {
        state.count_keyed_request(key);
    }
    let path = request.uri().path().to_string();
    let feed_cursor = (request.method() == axum::http::Method::GET && path.ends_with("/cases"))
        .then(|| since_of(request.uri().query()));
    let faults = state.faults();
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    if roll(faults.rate_limit_rate) {
        let mut err = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests, slow down",
        );
        err.retry_after = Some(faults.retry_after_secs);
        return err.into_response();
    }
    if roll(faults.error_rate) {
        let mut err = if rand::random::<bool>() {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "injected fault: service unavailable",
            )
        } else {
            ApiError::internal("injected fault: internal server error")
        };
        if err.status == StatusCode::SERVICE_UNAVAILABLE {
            err.retry_after = Some(faults.retry_after_secs);
        }
        return err.into_response();
    }
    let response = next.run(request).await;
    if key.is_some() && response.status().is_success() && roll(faults.stale_replay_rate) {
        return stale_replay(&state, &path, response).await;
    }
    if roll(faults.drop_rate) {
        return dropped(response).await;
    }
    if response.status().is_success() && roll(faults.malformed_rate) {
        return malformed(response).await;
    }
    match feed_cursor {
        Some(since) if faults.stuck_change_feed && response.status().is_success() => {
            stuck_feed(response, since).await
        }
        _ => response,
    }
}

/// The change feed's `since` as the request gave it ("" when absent).
fn since_of(query: Option<&str>) -> String {
    query
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("since="))
        .unwrap_or_default()
        .to_string()
}

/// The change feed's page as it was, but with the cursor it was asked for and "more to come":
/// a feed that never moves on.
async fn stuck_feed(response: Response, since: String) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let Ok(mut page) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    page["nextCursor"] = serde_json::Value::String(since);
    page["hasMore"] = serde_json::Value::Bool(true);
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = serde_json::to_vec(&page).unwrap_or_default();
    Response::from_parts(parts, Body::from(body))
}

/// The write was applied; a partner replies on its case before the answer leaves, and the
/// answer is lost, so the client's resend is answered from the idempotency store with a case
/// older than the server's.
async fn stale_replay(state: &AppState, path: &str, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let case_id = case_of_write(path, &bytes);
    if let Some(case_id) = case_id {
        if let Err(e) = crate::routes::admin::partner_reply_on(state, case_id).await {
            tracing::warn!(error = %e.message, "stale replay fault: the partner reply failed");
        }
    }
    dropped(Response::from_parts(parts, Body::from(bytes))).await
}

/// The case a `collab/v1` write addressed: from the path, or for a create from its answer.
fn case_of_write(path: &str, answer: &[u8]) -> Option<String> {
    let mut segments = path.split('/').skip_while(|s| *s != "cases").skip(1);
    if let Some(id) = segments.next().filter(|s| !s.is_empty()) {
        return Some(id.to_string());
    }
    let value: serde_json::Value = serde_json::from_slice(answer).ok()?;
    value["case"]["id"].as_str().map(str::to_string)
}

/// Same status and headers, then half the body, then the connection is cut.
async fn dropped(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = bytes.slice(..bytes.len() / 2);
    parts.headers.remove(header::CONTENT_LENGTH);
    let stream = futures_util::stream::iter(vec![
        Ok::<Bytes, std::io::Error>(half),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected fault: connection dropped",
        )),
    ]);
    Response::from_parts(parts, Body::from_stream(stream))
}

/// Status 200 and the original content type, but the body cut short and garbled.
async fn malformed(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let mut garbled = bytes[..bytes.len() / 2].to_vec();
    garbled.extend_from_slice(b"\x00}]\"<html>");
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.status = StatusCode::OK;
    Response::from_parts(parts, Body::from(garbled))
}
