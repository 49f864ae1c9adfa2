//! Fault injection for the API routes: latency, 500/503s, 429 with `Retry-After`, dropped
//! connections, malformed bodies and early token expiry, switchable while the server runs.

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
    if roll(faults.drop_rate) {
        return dropped(response).await;
    }
    if response.status().is_success() && roll(faults.malformed_rate) {
        return malformed(response).await;
    }
    response
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
