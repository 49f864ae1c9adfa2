//! The server's HTTP surface: the OAuth2 token endpoint, `collab/v1` (the shared handlers of
//! `pd-collab`), `/healthz`, and a log line per request.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pd_collab::{ApiError, Collab, CollabStore, Directory};
use serde_json::json;

use crate::auth::{token_endpoint, TokenAuthority};

/// The server knows no partner directory: Trading Grid keeps it and the app reads it from
/// there. A case keeps the partner name the app sent with it (the partner id when it sent
/// none), any owner login id is accepted and any
/// transaction id may be linked.
#[derive(Debug)]
pub struct OpenDirectory;

#[async_trait]
impl Directory for OpenDirectory {
    async fn partner_name(&self, partner_id: &str) -> Result<Option<String>, ApiError> {
        Ok(Some(partner_id.to_string()))
    }

    fn knows_partners(&self) -> bool {
        false
    }

    async fn owner_name(&self, login_id: &str) -> Result<Option<String>, ApiError> {
        Ok((!login_id.trim().is_empty() && login_id.len() <= 200).then(|| login_id.to_string()))
    }

    fn has_transaction(&self, _transaction_id: &str) -> bool {
        true
    }
}

/// The whole app.
pub fn router(collab: Arc<Collab>, authority: Arc<TokenAuthority>) -> Router {
    let store = Arc::clone(&collab.store);
    Router::new()
        .route(
            "/v1/oauth2/tokens",
            post(token_endpoint).with_state(authority),
        )
        .route("/healthz", get(health).with_state(store))
        .merge(pd_collab::router(collab))
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .layer(middleware::from_fn(log_request))
}

/// `GET /healthz`: 200 when the database answers, 503 (with why) when not.
async fn health(State(store): State<Arc<dyn CollabStore>>) -> Response {
    match store.ping().await {
        Ok(()) => Json(json!({"status": "ok", "database": "ok"})).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "database": e.to_string()})),
            )
                .into_response()
        }
    }
}

/// One structured line per request: id, method, path, status, milliseconds; the id is also
/// sent back as `X-Request-Id`.
async fn log_request(request: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = Instant::now();
    let mut response = next.run(request).await;
    let status = response.status().as_u16();
    let ms = started.elapsed().as_millis() as u64;
    if status >= 500 {
        tracing::error!(request_id = %id, %method, %path, status, ms, "request");
    } else {
        tracing::info!(request_id = %id, %method, %path, status, ms, "request");
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
