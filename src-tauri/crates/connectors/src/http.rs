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

/// A connector server's answer: its status, its body (capped) and the wait it asked for.
pub(crate) struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body as text, at most [`MAX_BODY_BYTES`] of it.
    pub body: String,
    /// The `Retry-After` wait, when the server sent one.
    pub retry_after: Option<Duration>,
}

/// The `Retry-After` wait of an answer, clamped to [`pd_domain::retry_after::MAX_RETRY_AFTER`].
pub(crate) fn retry_after_of(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    pd_domain::retry_after::parse_retry_after(value, chrono::Utc::now())
}

/// When a slowed-down push goes again, in words: "in 2 minutes", or "shortly" when the server
/// named no wait.
pub(crate) fn when_again(retry_after: Option<Duration>) -> String {
    match retry_after.map(|wait| wait.as_secs()) {
        None | Some(0..=1) => "shortly".to_owned(),
        Some(secs @ 2..=119) => format!("in {secs} seconds"),
        Some(secs) => format!("in {} minutes", secs.div_ceil(60)),
    }
}

/// Sends `request` to `target` and reads its answer (capped). A failed exchange (refused,
/// timeout, TLS, name resolution) is described with `step`.
pub(crate) async fn exchange(
    request: reqwest::RequestBuilder,
    target: &Target,
    limit: Duration,
    step: &str,
) -> Result<Answer, ConnectorError> {
    let failed = |error: reqwest::Error| http_failure(&error, target, limit, step);
    let response = request.send().await.map_err(failed)?;
    let status = response.status().as_u16();
    let retry_after = retry_after_of(response.headers());
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
    Ok(Answer {
        status,
        body,
        retry_after,
    })
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
