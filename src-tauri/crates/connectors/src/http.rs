//! Small helpers for the HTTP connectors: bounded body reads and the error message a JSON
//! error body carries.

use std::time::Duration;

use crate::error::{server_text, ConnectorError};
use crate::net::{http_failure, Target};

/// The largest answer read from a connector test request; real answers are far smaller.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// The body as text, at most [`MAX_BODY_BYTES`] of it (a hostile server cannot fill memory).
pub(crate) async fn read_capped(response: reqwest::Response) -> Result<String, reqwest::Error> {
    read_up_to(response, MAX_BODY_BYTES).await
}

/// The body as text, at most `cap` bytes of it.
pub(crate) async fn read_up_to(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<String, reqwest::Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = cap.saturating_sub(bytes.len());
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if bytes.len() >= cap {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Sends `request` to `target` and reads its answer (capped): the status and the body. A failed
/// exchange (refused, timeout, TLS, name resolution) is described with `step`.
pub(crate) async fn exchange(
    request: reqwest::RequestBuilder,
    target: &Target,
    limit: Duration,
    step: &str,
) -> Result<(u16, String), ConnectorError> {
    let failed = |error: reqwest::Error| http_failure(&error, target, limit, step);
    let response = request.send().await.map_err(failed)?;
    let status = response.status().as_u16();
    if response.status().is_redirection() {
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(server_text)
            .unwrap_or_else(|| "another address".to_owned());
        return Err(ConnectorError::Unexpected(format!(
            "{}:{} sent the request on to {location} (HTTP {status}). PartnerDesk does not follow \
             a redirect to another server with your credentials: check the address in the \
             settings and enter the one the service really answers at.",
            target.host, target.port
        )));
    }
    let body = read_capped(response).await.map_err(failed)?;
    Ok((status, body))
}

/// The human message of a JSON error body: Wix's `message`, OAuth2's `error_description` /
/// `error`, JSON:API's `errors[0].detail` / `title`. Cleaned for display.
pub(crate) fn json_message(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    let found = value
        .get("message")
        .and_then(text)
        .or_else(|| value.get("error_description").and_then(text))
        .or_else(|| {
            let first = value.get("errors")?.get(0)?;
            first
                .get("detail")
                .and_then(text)
                .or_else(|| first.get("title").and_then(text))
        })
        .or_else(|| value.get("error").and_then(text))?;
    let cleaned = server_text(&found);
    (!cleaned.is_empty()).then_some(cleaned)
}
