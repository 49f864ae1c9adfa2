//! The transport every surface shares: one `reqwest` client, the OAuth2 token cache, the retry
//! loop, capped body reading and the mapping of HTTP and network failures onto [`Error`].

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use url::Url;

use crate::config::{parse_retry_after, ClientConfig, RetryPolicy};
use crate::error::{Error, Result};

/// Largest error body read to explain a failure.
const ERROR_BODY_CAP: usize = 64 * 1024;

/// The longest token lifetime believed: a larger `expires_in` (Trading Grid says about 10 hours)
/// is taken as a day, so no server number can overflow the renewal time.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// A Trading Grid (and `collab/v1`) client for one company. Cheap to clone: clones share the
/// connection pool and the access token.
#[derive(Clone)]
pub struct TradingGridClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: ClientConfig,
    pub(crate) http: reqwest::Client,
    token: tokio::sync::Mutex<Option<CachedToken>>,
}

struct CachedToken {
    access_token: String,
    renew_at: Instant,
}

impl std::fmt::Debug for TradingGridClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TradingGridClient")
            .field("config", &self.inner.config)
            .finish()
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default, deserialize_with = "crate::lenient::opt_u64")]
    expires_in: Option<u64>,
}

/// The body of one request, rebuilt for every attempt.
pub(crate) enum CallBody<'a> {
    None,
    Json(Vec<u8>),
    File { path: &'a Path, media_type: &'a str },
}

/// One API request: everything needed to send it again on a retry.
pub(crate) struct Call<'a> {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: CallBody<'a>,
    pub(crate) idempotency_key: Option<&'a str>,
    /// `If-Match: "<version>"`: the case version a conditional write expects.
    pub(crate) if_match: Option<i64>,
    /// Total timeout; `None` for streamed transfers (the idle read timeout still applies).
    pub(crate) total_timeout: Option<Duration>,
}

impl<'a> Call<'a> {
    pub(crate) fn get(url: Url, timeout: Duration) -> Self {
        Call {
            method: Method::GET,
            url,
            body: CallBody::None,
            idempotency_key: None,
            if_match: None,
            total_timeout: Some(timeout),
        }
    }
}

/// Follows a redirect only within the origin (scheme, host, port) of the request, at most three
/// times: requests carry the consumer key and secret or the access token, which must not go to
/// another host. A redirect elsewhere is answered as the 3xx it is.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if same_origin && attempt.previous().len() <= 3 {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

impl TradingGridClient {
    /// Builds a client. Fails only if the base URL cannot carry paths or TLS cannot initialise.
    pub fn new(config: ClientConfig) -> Result<Self> {
        if config.base_url.cannot_be_a_base() {
            return Err(Error::InvalidInput {
                message: format!("{} is not an http(s) base URL", config.base_url),
            });
        }
        let http = reqwest::Client::builder()
            .redirect(same_origin_redirects())
            .connect_timeout(config.request_timeout.min(Duration::from_secs(10)))
            .read_timeout(config.request_timeout)
            .user_agent(concat!("PartnerDesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Tls {
                detail: format!("cannot initialise HTTP client: {e}"),
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                http,
                token: tokio::sync::Mutex::new(None),
            }),
        })
    }

    /// The settings this client was built with.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// `base_url` with `segments` appended (each percent-encoded as one path segment).
    pub(crate) fn url(&self, segments: &[&str]) -> Result<Url> {
        let mut url = self.inner.config.base_url.clone();
        {
            let mut path = url.path_segments_mut().map_err(|()| Error::InvalidInput {
                message: "the base URL cannot carry a path".into(),
            })?;
            path.pop_if_empty();
            path.extend(segments);
        }
        Ok(url)
    }

    /// Forgets the cached access token, so the next call fetches a new one.
    pub async fn forget_token(&self) {
        *self.inner.token.lock().await = None;
    }

    /// A valid access token: the cached one, or a new one from the token endpoint.
    pub(crate) async fn bearer(&self, policy: &RetryPolicy) -> Result<String> {
        let mut slot = self.inner.token.lock().await;
        if let Some(token) = slot.as_ref() {
            if Instant::now() < token.renew_at {
                return Ok(token.access_token.clone());
            }
        }
        let fetched = self.with_retry(policy, || self.fetch_token()).await?;
        let token = fetched.access_token.clone();
        *slot = Some(fetched);
        Ok(token)
    }

    async fn invalidate_token(&self, used: &str) {
        let mut slot = self.inner.token.lock().await;
        if slot.as_ref().is_some_and(|t| t.access_token == used) {
            *slot = None;
        }
    }

    async fn fetch_token(&self) -> Result<CachedToken> {
        let config = &self.inner.config;
        let mut url = self.url(&["v1", "oauth2", "tokens"])?;
        url.query_pairs_mut()
            .append_pair("grant_type", "client_credentials");
        let requested_at = Instant::now();
        let response = self
            .inner
            .http
            .post(url)
            .basic_auth(&config.consumer_key, Some(&config.consumer_secret))
            .timeout(config.request_timeout)
            .send()
            .await
            .map_err(|e| classify_transport(&e, "the access token"))?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::BAD_REQUEST {
            let refused = status == StatusCode::UNAUTHORIZED || is_invalid_client(response).await;
            return Err(if refused {
                Error::Unauthorized {
                    message: "the consumer key or secret was refused".into(),
                }
            } else {
                Error::Validation {
                    message: "the token endpoint rejected the request".into(),
                }
            });
        }
        let response = self.checked(status, response).await?;
        let body = read_capped(response, config.max_response_bytes, "the access token").await?;
        let answer: TokenAnswer = parse_json(&body, "the access token")?;
        if answer.access_token.is_empty() {
            return Err(Error::malformed(
                "the access token",
                "access_token is empty",
            ));
        }
        // Renew a little before the server's expiry: a tenth of the lifetime, at most a minute.
        // A lifetime beyond MAX_TOKEN_LIFETIME (a server's typo, or 2^64 - 1) is taken as that.
        let lifetime =
            Duration::from_secs(answer.expires_in.unwrap_or(300)).min(MAX_TOKEN_LIFETIME);
        let margin = (lifetime / 10).min(Duration::from_secs(60));
        tracing::debug!(
            lifetime_secs = lifetime.as_secs(),
            "obtained a Trading Grid access token"
        );
        Ok(CachedToken {
            access_token: answer.access_token,
            // Instant arithmetic panics on overflow; clamped above, checked here all the same.
            renew_at: requested_at
                .checked_add(lifetime - margin)
                .unwrap_or(requested_at),
        })
    }

    async fn checked(&self, status: StatusCode, response: Response) -> Result<Response> {
        if status.is_success() {
            Ok(response)
        } else {
            Err(error_from_response(response).await)
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, or the policy's budget runs out.
    pub(crate) async fn with_retry<T, F, Fut>(
        &self,
        policy: &RetryPolicy,
        mut attempt: F,
    ) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let started = Instant::now();
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let error = match attempt().await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            if !error.is_transient() || attempts >= policy.max_attempts {
                return Err(error);
            }
            let wait = match &error {
                Error::RateLimited {
                    retry_after: Some(after),
                } => *after,
                _ => policy.backoff(attempts - 1),
            };
            if started.elapsed().saturating_add(wait) > policy.max_elapsed {
                return Err(error);
            }
            tracing::debug!(
                attempt = attempts,
                wait_ms = wait.as_millis() as u64,
                code = %error.code(),
                "retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    fn build(&self, call: &Call<'_>, token: &str) -> impl Future<Output = Result<Response>> + Send {
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), call.url.clone())
            .bearer_auth(token);
        if let Some(timeout) = call.total_timeout {
            request = request.timeout(timeout);
        }
        if let Some(key) = call.idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(version) = call.if_match {
            request = request.header(reqwest::header::IF_MATCH, format!("\"{version}\""));
        }
        let json = match &call.body {
            CallBody::Json(bytes) => Some(bytes.clone()),
            _ => None,
        };
        let file = match &call.body {
            CallBody::File { path, media_type } => {
                Some((path.to_path_buf(), media_type.to_string()))
            }
            _ => None,
        };
        async move {
            if let Some(bytes) = json {
                request = request.header(CONTENT_TYPE, "application/json").body(bytes);
            }
            if let Some((path, media_type)) = file {
                let file = tokio::fs::File::open(&path)
                    .await
                    .map_err(|e| file_error(&path, e))?;
                let length = file
                    .metadata()
                    .await
                    .map_err(|e| file_error(&path, e))?
                    .len();
                let stream = tokio_util::io::ReaderStream::new(file);
                request = request
                    .header(CONTENT_TYPE, media_type)
                    .header(CONTENT_LENGTH, length)
                    .body(reqwest::Body::wrap_stream(stream));
            }
            request
                .send()
                .await
                .map_err(|e| classify_transport(&e, "the answer"))
        }
    }

    /// Sends once with a bearer token; on a 401 renews the token once and sends once more.
    /// Non-2xx answers become errors.
    pub(crate) async fn send_authorized(
        &self,
        call: &Call<'_>,
        policy: &RetryPolicy,
    ) -> Result<Response> {
        let token = self.bearer(policy).await?;
        let response = self.build(call, &token).await?;
        let response = if response.status() == StatusCode::UNAUTHORIZED {
            self.invalidate_token(&token).await;
            let token = self.bearer(policy).await?;
            let again = self.build(call, &token).await?;
            if again.status() == StatusCode::UNAUTHORIZED {
                let reason = error_from_response(again).await;
                return Err(Error::Unauthorized {
                    message: format!("a freshly issued access token was refused ({reason})"),
                });
            }
            again
        } else {
            response
        };
        let status = response.status();
        self.checked(status, response).await
    }

    /// A JSON request with retries; `what` names the answer in errors ("partner directory").
    pub(crate) async fn call_json<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
        what: &str,
    ) -> Result<T> {
        self.call_with(call, what, |body| parse_json(body, what))
            .await
    }

    /// A request with retries whose 2xx body is read (capped) and handed to `parse`.
    pub(crate) async fn call_with<T, P>(&self, call: Call<'_>, what: &str, parse: P) -> Result<T>
    where
        P: Fn(&[u8]) -> Result<T>,
    {
        self.call_with_policy(&self.inner.config.retry, call, what, parse)
            .await
    }

    /// [`Self::call_with`] under an explicit retry policy.
    pub(crate) async fn call_with_policy<T, P>(
        &self,
        policy: &RetryPolicy,
        call: Call<'_>,
        what: &str,
        parse: P,
    ) -> Result<T>
    where
        P: Fn(&[u8]) -> Result<T>,
    {
        let call = &call;
        let parse = &parse;
        self.with_retry(policy, || async move {
            let response = self.send_authorized(call, policy).await?;
            let body = read_capped(response, self.inner.config.max_response_bytes, what).await?;
            parse(&body)
        })
        .await
    }
}

async fn is_invalid_client(response: Response) -> bool {
    #[derive(Deserialize)]
    struct OAuthError {
        error: String,
    }
    let Ok(body) = read_capped(response, ERROR_BODY_CAP, "an error").await else {
        return false;
    };
    serde_json::from_slice::<OAuthError>(&body).is_ok_and(|e| e.error == "invalid_client")
}

pub(crate) fn file_error(path: &Path, error: std::io::Error) -> Error {
    if error.kind() == std::io::ErrorKind::StorageFull {
        return Error::DiskFull {
            path: path.display().to_string(),
        };
    }
    Error::File {
        path: path.display().to_string(),
        detail: error.to_string(),
    }
}

/// Parses JSON, reporting where it broke.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        let looks_like_html = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
        if looks_like_html {
            Error::malformed(
                what,
                format!("expected JSON, got an HTML page ({})", page_summary(body)),
            )
        } else {
            Error::malformed(what, e)
        }
    })
}

/// Reads the whole body, refusing more than `cap` bytes.
pub(crate) async fn read_capped(mut response: Response, cap: usize, what: &str) -> Result<Vec<u8>> {
    if let Some(length) = response.content_length() {
        if length > cap as u64 {
            return Err(Error::malformed(
                what,
                format!("the answer is {length} bytes, over the {cap}-byte limit"),
            ));
        }
    }
    let mut body = Vec::with_capacity(response.content_length().unwrap_or(0).min(1 << 20) as usize);
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| classify_body(&e, what))?
    {
        if body.len() + chunk.len() > cap {
            return Err(Error::malformed(
                what,
                format!("the answer is over the {cap}-byte limit"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Turns a non-2xx answer into the matching error.
pub(crate) async fn error_from_response(response: Response) -> Error {
    let status = response.status();
    let retry_after = retry_after(response.headers());
    let body = read_capped(response, ERROR_BODY_CAP, "an error")
        .await
        .unwrap_or_default();
    let message = explain(&body, status);
    match status.as_u16() {
        400 | 422 => Error::Validation { message },
        401 => Error::Unauthorized { message },
        403 => Error::Forbidden { message },
        404 => Error::NotFound { message },
        409 => Error::Conflict { message },
        412 => Error::PreconditionFailed { message },
        429 => Error::RateLimited { retry_after },
        408 => Error::Timeout { detail: message },
        code => Error::Server {
            status: code,
            message,
        },
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, chrono::Utc::now())
}

/// A one-line explanation from an error body: `message`/`error_description` from JSON, the title
/// of an HTML page, or the start of the text.
fn explain(body: &[u8], status: StatusCode) -> String {
    #[derive(Deserialize)]
    struct Explained {
        message: Option<String>,
        error_description: Option<String>,
        error: Option<String>,
    }
    if let Ok(explained) = serde_json::from_slice::<Explained>(body) {
        if let Some(text) = explained
            .message
            .or(explained.error_description)
            .or(explained.error)
        {
            return text;
        }
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return status
            .canonical_reason()
            .unwrap_or("no explanation")
            .to_owned();
    }
    page_summary(body)
}

/// The `<title>` of an HTML page, or the first 200 characters of the text.
fn page_summary(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(ERROR_BODY_CAP)]);
    let lower = text.to_ascii_lowercase();
    if let (Some(start), Some(end)) = (lower.find("<title>"), lower.find("</title>")) {
        if start + 7 <= end {
            return text[start + 7..end].trim().to_owned();
        }
    }
    text.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// Maps a failure to send (or to receive headers) onto the network error variants.
pub(crate) fn classify_transport(error: &reqwest::Error, what: &str) -> Error {
    let chain = error_chain(error);
    // Classify on the causes only: the top-level message carries the URL, whose host could
    // contain any of the words below.
    let lower = std::error::Error::source(error)
        .map(error_chain)
        .unwrap_or_default()
        .to_ascii_lowercase();
    if error.is_timeout() {
        return Error::Timeout {
            detail: format!("waiting for {what}: {chain}"),
        };
    }
    if lower.contains("dns error")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
    {
        return Error::Dns { detail: chain };
    }
    // rustls reports handshake failures as `InvalidData` I/O errors inside the connect error.
    let invalid_data = io_error_kinds(error).contains(&std::io::ErrorKind::InvalidData);
    let tls_words = [
        "certificate",
        "tls",
        "handshake",
        "invalid peer",
        "corrupt message",
        "alert",
    ];
    if (error.is_connect() && invalid_data) || tls_words.iter().any(|w| lower.contains(w)) {
        return Error::Tls { detail: chain };
    }
    if error.is_connect() {
        return Error::Offline { detail: chain };
    }
    if error.is_body() || error.is_decode() {
        return Error::Interrupted {
            what: what.to_owned(),
            detail: chain,
        };
    }
    if error.is_builder() {
        return Error::InvalidInput { message: chain };
    }
    // Connection closed or reset before the answer started: the request may not have arrived.
    Error::Offline { detail: chain }
}

fn classify_body(error: &reqwest::Error, what: &str) -> Error {
    if error.is_timeout() {
        Error::Timeout {
            detail: format!("receiving {what}: {}", error_chain(error)),
        }
    } else {
        Error::Interrupted {
            what: what.to_owned(),
            detail: error_chain(error),
        }
    }
}

fn io_error_kinds(error: &(dyn std::error::Error + 'static)) -> Vec<std::io::ErrorKind> {
    let mut kinds = Vec::new();
    let mut current = Some(error);
    while let Some(inner) = current {
        if let Some(io) = inner.downcast_ref::<std::io::Error>() {
            kinds.push(io.kind());
        }
        current = inner.source();
    }
    kinds
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let part = inner.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = inner.source();
    }
    text
}
