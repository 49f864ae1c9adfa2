//! The xConnector client: reads the event feed (`GET {feed}?cursor=…`, a page of CloudEvents
//! and the next cursor) and posts case changes as CloudEvents to the outbound endpoint, with
//! the bearer token from the keychain and the event id as `Idempotency-Key`. The contract is
//! `src-tauri/crates/bridge/contract/xconnector.asyncapi.yaml`.

use serde_json::Value;

use crate::error::{server_text, ConnectorError};
use crate::http::{json_message, read_up_to, retry_after_of, when_again, Answer};
use crate::net::{http_client, http_failure, parse_url, Target};
use crate::ConnectorOptions;

/// The largest feed page read (a page over it is refused, not cut).
pub const MAX_FEED_PAGE_BYTES: usize = 8 * 1024 * 1024;

/// A client for one xConnector (feed and outbound endpoint on one integration host or two).
#[derive(Clone)]
pub struct XcClient {
    http: reqwest::Client,
    token: String,
    options: ConnectorOptions,
}

impl std::fmt::Debug for XcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XcClient").finish_non_exhaustive()
    }
}

impl XcClient {
    /// A client with the connector's token.
    pub fn new(token: Option<&str>, options: &ConnectorOptions) -> Result<Self, ConnectorError> {
        let token = token
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ConnectorError::InvalidInput(
                    "No xConnector token is stored: enter it in Settings.".into(),
                )
            })?;
        Ok(Self {
            http: http_client(options.timeout)?,
            token: token.to_owned(),
            options: options.clone(),
        })
    }

    /// One feed page as text: `{"events": [CloudEvent…], "next": "<cursor>"}`.
    pub async fn feed_page(
        &self,
        feed: &str,
        cursor: Option<&str>,
    ) -> Result<String, ConnectorError> {
        let mut url = parse_url(feed, "xConnector feed address")?;
        if let Some(cursor) = cursor {
            url.query_pairs_mut().append_pair("cursor", cursor);
        }
        let target = Target::of(&url, "xConnector feed address")?;
        let request = self
            .http
            .get(url.as_str())
            .bearer_auth(&self.token)
            .header("accept", "application/json");
        let answer = self
            .send(request, &target, "reading the event feed")
            .await?;
        let (status, length) = (answer.status, answer.body.len());
        match status {
            200..=299 if length > MAX_FEED_PAGE_BYTES => Err(ConnectorError::Unexpected(format!(
                "The event feed at {} sent a page larger than {} MB; PartnerDesk reads pages up to that size. Ask for smaller pages.",
                target.host,
                MAX_FEED_PAGE_BYTES / (1024 * 1024)
            ))),
            200..=299 => Ok(answer.body),
            _ => Err(status_error(&answer, &target, "the event feed")),
        }
    }

    /// Posts one CloudEvent (structured mode, `application/cloudevents+json`). A 409 (the
    /// receiver already has this event id) counts as delivered.
    pub async fn post_event(
        &self,
        endpoint: &str,
        event: &Value,
        id: &str,
    ) -> Result<(), ConnectorError> {
        let url = parse_url(endpoint, "xConnector outbound address")?;
        let target = Target::of(&url, "xConnector outbound address")?;
        let request = self
            .http
            .post(url.as_str())
            .bearer_auth(&self.token)
            .header("content-type", "application/cloudevents+json")
            .header("idempotency-key", id)
            .body(event.to_string());
        let answer = self.send(request, &target, "sending an event").await?;
        match answer.status {
            200..=299 | 409 => Ok(()),
            _ => Err(status_error(&answer, &target, "the outbound endpoint")),
        }
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        target: &Target,
        step: &str,
    ) -> Result<Answer, ConnectorError> {
        let limit = self.options.timeout;
        let failed = |error: reqwest::Error| http_failure(&error, target, limit, step);
        let response = tokio::time::timeout(limit, request.send())
            .await
            .map_err(|_| ConnectorError::Timeout {
                step: format!("{}:{} ({step})", target.host, target.port),
                seconds: limit.as_secs(),
            })?
            .map_err(failed)?;
        let status = response.status().as_u16();
        let retry_after = retry_after_of(response.headers());
        let body = read_up_to(response, MAX_FEED_PAGE_BYTES + 1)
            .await
            .map_err(failed)?;
        Ok(Answer {
            status,
            body,
            retry_after,
        })
    }
}

fn status_error(answer: &Answer, target: &Target, what: &str) -> ConnectorError {
    let (status, retry_after) = (answer.status, answer.retry_after);
    let said = json_message(&answer.body)
        .map(|m| format!(" It said: \"{m}\""))
        .unwrap_or_default();
    let host = server_text(&format!("{}:{}", target.host, target.port));
    match status {
        401 => ConnectorError::Unauthorized(format!(
            "{host} refused the xConnector token for {what} (HTTP 401). Enter the token again in Settings.{said}"
        )),
        403 => ConnectorError::Forbidden(format!(
            "{host} does not allow this token to use {what} (HTTP 403).{said}"
        )),
        404 => ConnectorError::NotFound(format!("{host} has no {what} at that address (HTTP 404).{said}")),
        400 | 422 => ConnectorError::InvalidInput(format!("{host} refused the request to {what} as invalid (HTTP {status}).{said}")),
        429 => ConnectorError::RateLimited {
            message: format!(
                "{host} asks to slow down (HTTP 429); PartnerDesk will try again {}.",
                when_again(retry_after)
            ),
            retry_after,
        },
        other => ConnectorError::Unexpected(format!(
            "{host} answered HTTP {other} for {what}; PartnerDesk will try again.{said}"
        )),
    }
}
