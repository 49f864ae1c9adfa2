//! `POST /visibility_transaction_search`: Postman's GraphQL body (`{"query","variables"}`) or
//! raw `application/graphql`, answered by the Lens index.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::Json;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::lens::LensRequest;
use crate::state::{AppState, Bearer};

/// Searches transactions.
pub async fn search(
    State(state): State<Arc<AppState>>,
    Bearer(token): Bearer,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let bytes =
        body.map_err(|e| ApiError::validation(format!("cannot read the request body: {e}")))?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let request = if content_type.starts_with("application/graphql") {
        let query = String::from_utf8(bytes.to_vec())
            .map_err(|_| ApiError::validation("the GraphQL text is not UTF-8"))?;
        LensRequest {
            query,
            variables: Map::new(),
        }
    } else {
        let body: Value = super::json_body(Ok(bytes))?;
        let query = body
            .get("query")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ApiError::validation(
                    "body must be {\"query\": \"<GraphQL text>\", \"variables\": {...}}",
                )
            })?
            .to_string();
        let variables = match body.get("variables") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::String(s)) if s.trim().is_empty() => Map::new(),
            Some(Value::String(s)) => {
                serde_json::from_str::<Map<String, Value>>(s).map_err(|e| {
                    ApiError::validation(format!("variables is not a JSON object: {e}"))
                })?
            }
            Some(Value::Object(map)) => map.clone(),
            Some(_) => return Err(ApiError::validation("variables must be an object")),
        };
        LensRequest { query, variables }
    };
    let lens = Arc::clone(&state.lens);
    let answer = tokio::task::spawn_blocking(move || lens.answer(&request, &token))
        .await
        .map_err(|e| ApiError::internal(format!("search task failed: {e}")))?;
    Ok(Json(answer))
}
