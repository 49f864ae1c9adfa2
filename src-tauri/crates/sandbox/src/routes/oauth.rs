//! `POST /v1/oauth2/tokens?grant_type=client_credentials`: the consumer key and secret as HTTP
//! Basic buy a bearer token.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::state::{AppState, TOKEN_LIFETIME_SECS};

/// Issues a token.
pub async fn token(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if query.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "unsupported_grant_type", "error_description": "grant_type must be client_credentials"})),
        )
            .into_response();
    }
    if !state.basic_ok(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client", "error_description": "unknown consumer key or wrong secret"})),
        )
            .into_response();
    }
    let token = state.issue_token();
    let expires_in = state
        .faults()
        .token_expires_in
        .unwrap_or(TOKEN_LIFETIME_SECS);
    Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": "tgms lens community collab",
    }))
    .into_response()
}
