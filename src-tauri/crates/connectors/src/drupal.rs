//! The Drupal client (knowledge articles, imported requests) and its connection test. The
//! client signs in once (OAuth2 client credentials or HTTP Basic) and creates, reads, updates
//! and lists nodes through JSON:API (`application/vnd.api+json`, `links.next` paging).
//!
//! The connection test: the JSON:API index (`GET {base}/jsonapi`) proves the site and
//! the module; then sign-in (OAuth2 client credentials at simple_oauth's `/oauth/token`, or
//! HTTP Basic), a check that the site recognised us (the index's `meta.links.me`: Drupal
//! treats unrecognised credentials as anonymous on public routes), and one authenticated read
//! (`/jsonapi/node/article?page[limit]=1`).

use pd_domain::{ConnectionTestResult, DrupalAuth, DrupalSettings};
use serde_json::{json, Value};

use crate::error::{into_result, server_text, ConnectorError};
use crate::http::{exchange, json_message, when_again, Answer};
use crate::net::{http_client, parse_url, resolve, Target};
use crate::ConnectorOptions;

/// The JSON:API media type.
const JSON_API: &str = "application/vnd.api+json";

/// Tests a Drupal connector with the default [`ConnectorOptions`].
pub async fn test_drupal(config: &DrupalSettings, secret: Option<&str>) -> ConnectionTestResult {
    test_drupal_with(config, secret, &ConnectorOptions::default()).await
}

/// Tests a Drupal connector; `secret` is the OAuth client secret or the user's password.
pub async fn test_drupal_with(
    config: &DrupalSettings,
    secret: Option<&str>,
    options: &ConnectorOptions,
) -> ConnectionTestResult {
    into_result(run(config, secret, options).await)
}

async fn run(
    config: &DrupalSettings,
    secret: Option<&str>,
    options: &ConnectorOptions,
) -> Result<String, ConnectorError> {
    let base = parse_url(&config.base_url, "Drupal site address")?;
    let target = Target::of(&base, "Drupal site address")?;
    let (who, secret) = match (&config.auth, secret.filter(|s| !s.is_empty())) {
        (DrupalAuth::Oauth { client_id }, Some(secret)) if !client_id.trim().is_empty() => {
            (format!("OAuth client {}", client_id.trim()), secret)
        }
        (DrupalAuth::Basic { user }, Some(secret)) if !user.trim().is_empty() => {
            (format!("user {}", user.trim()), secret)
        }
        (DrupalAuth::Oauth { client_id }, _) if client_id.trim().is_empty() => {
            return Err(ConnectorError::InvalidInput(
                "Enter the OAuth client id.".into(),
            ))
        }
        (DrupalAuth::Basic { user }, _) if user.trim().is_empty() => {
            return Err(ConnectorError::InvalidInput(
                "Enter the Drupal user name.".into(),
            ))
        }
        (DrupalAuth::Oauth { .. }, _) => {
            return Err(ConnectorError::InvalidInput(
                "No OAuth client secret is stored: enter it and test again.".into(),
            ))
        }
        (DrupalAuth::Basic { .. }, _) => {
            return Err(ConnectorError::InvalidInput(
                "No password is stored: enter it and test again.".into(),
            ))
        }
    };
    resolve(&target.host, target.port, options.timeout).await?;
    let root = base.as_str().trim_end_matches('/').to_owned();
    let site = format!("{}:{}", target.host, target.port);
    let client = http_client(options.timeout)?;

    // 1. The JSON:API index, anonymously: is this a Drupal site with JSON:API on?
    let step = "reading the JSON:API index";
    let Answer { status, body, .. } = exchange(
        client
            .get(format!("{root}/jsonapi"))
            .header("accept", JSON_API),
        &target,
        options.timeout,
        step,
    )
    .await?;
    match status {
        200..=299 => {
            let is_index = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .is_some_and(|value| value.get("links").is_some() || value.get("jsonapi").is_some());
            if !is_index {
                return Err(ConnectorError::Unexpected(format!(
                    "{site} answered at /jsonapi, but not with a JSON:API index. Check the site address."
                )));
            }
        }
        404 => {
            return Err(ConnectorError::NotFound(format!(
                "{root} has no JSON:API at /jsonapi (HTTP 404). Check the site address, and that the JSON:API module is enabled."
            )))
        }
        other => return Err(status_error(other, &body, &site, &who, "the JSON:API index")),
    }

    // 2. Sign in.
    let authorize =
        |request: reqwest::RequestBuilder, token: &Option<String>| match (&config.auth, token) {
            (_, Some(token)) => request.bearer_auth(token),
            (DrupalAuth::Basic { user }, None) => request.basic_auth(user.trim(), Some(secret)),
            (DrupalAuth::Oauth { .. }, None) => request,
        };
    let token = match &config.auth {
        DrupalAuth::Oauth { client_id } => {
            let step = "requesting an OAuth token";
            let Answer { status, body, .. } = exchange(
                client
                    .post(format!("{root}/oauth/token"))
                    .header("accept", "application/json")
                    .form(&[
                        ("grant_type", "client_credentials"),
                        ("client_id", client_id.trim()),
                        ("client_secret", secret),
                    ]),
                &target,
                options.timeout,
                step,
            )
            .await?;
            match status {
                200..=299 => {
                    let token = serde_json::from_str::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|value| value.get("access_token")?.as_str().map(str::to_owned))
                        .filter(|token| !token.is_empty());
                    match token {
                        Some(token) => Some(token),
                        None => {
                            return Err(ConnectorError::Unexpected(format!(
                                "{site} answered the token request without an access token. Check that Simple OAuth is set up."
                            )))
                        }
                    }
                }
                400 | 401 => {
                    return Err(ConnectorError::Unauthorized(format!(
                        "{site} refused the {who} and its secret (HTTP {status}). Check the client id and enter the secret again.{}",
                        said(&body)
                    )))
                }
                404 => {
                    return Err(ConnectorError::NotFound(format!(
                        "{root} has no OAuth token endpoint at /oauth/token (HTTP 404). Is the Simple OAuth module installed, or should this connector use a user name and password?"
                    )))
                }
                other => return Err(status_error(other, &body, &site, &who, "the token request")),
            }
        }
        DrupalAuth::Basic { .. } => None,
    };

    // 3. Who are we? JSON:API's index names the signed-in user (`meta.links.me`); without it
    //    the credentials were ignored and the site treats us as anonymous.
    let step = "checking the signed-in user";
    let Answer { status, body, .. } = exchange(
        authorize(
            client
                .get(format!("{root}/jsonapi"))
                .header("accept", JSON_API),
            &token,
        ),
        &target,
        options.timeout,
        step,
    )
    .await?;
    if !(200..=299).contains(&status) {
        return Err(status_error(
            status,
            &body,
            &site,
            &who,
            "the JSON:API index",
        ));
    }
    let signed_in = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .is_some_and(|value| value.pointer("/meta/links/me").is_some());
    if !signed_in {
        return Err(ConnectorError::Unauthorized(format!(
            "{site} did not recognise the {who}: it treats the requests as anonymous. Check the name and enter the secret again."
        )));
    }

    // 4. One authenticated read of content.
    let step = "reading articles";
    let Answer { status, body, .. } = exchange(
        authorize(
            client
                .get(format!("{root}/jsonapi/node/article?page%5Blimit%5D=1"))
                .header("accept", JSON_API),
            &token,
        ),
        &target,
        options.timeout,
        step,
    )
    .await?;
    match status {
        200..=299 => {
            let has_data = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .is_some_and(|value| value.get("data").is_some());
            if has_data {
                Ok(format!(
                    "Signed in to Drupal at {root} as {who}; JSON:API articles are readable."
                ))
            } else {
                Err(ConnectorError::Unexpected(format!(
                    "{site} answered /jsonapi/node/article, but not with JSON:API data."
                )))
            }
        }
        404 => Err(ConnectorError::NotFound(format!(
            "Signed in to {root} as {who}, but it has no \"article\" content type in JSON:API (/jsonapi/node/article, HTTP 404)."
        ))),
        other => Err(status_error(other, &body, &site, &who, "articles")),
    }
}

fn said(body: &str) -> String {
    json_message(body)
        .map(|message| format!(" Drupal said: \"{message}\""))
        .unwrap_or_default()
}

fn status_error(status: u16, body: &str, site: &str, who: &str, what: &str) -> ConnectorError {
    let said = said(body);
    match status {
        401 => ConnectorError::Unauthorized(format!(
            "{site} refused the {who} (HTTP 401). Check the name and enter the secret again.{said}"
        )),
        403 => ConnectorError::Forbidden(format!(
            "{site} accepted the {who} but it may not read {what} (HTTP 403). Ask the site's administrator for the permission.{said}"
        )),
        other => ConnectorError::Unexpected(format!(
            "{site} answered HTTP {other} for {what}.{said} Try again later; if it persists, ask the site's administrator."
        )),
    }
}

/// One node as JSON:API gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct DrupalNode {
    /// The node's UUID (JSON:API `id`).
    pub id: String,
    /// `node--{bundle}`.
    pub kind: String,
    /// The node's attributes (`title`, `body`, `status`, ...).
    pub attributes: Value,
}

/// One page of a node listing.
#[derive(Debug, Clone, PartialEq)]
pub struct DrupalPage {
    /// The nodes.
    pub nodes: Vec<DrupalNode>,
    /// The next page's URL (`links.next.href`), if there is one.
    pub next: Option<String>,
}

/// A signed-in client for one Drupal site's JSON:API.
pub struct DrupalClient {
    http: reqwest::Client,
    root: String,
    target: Target,
    auth: DrupalAuth,
    secret: String,
    token: tokio::sync::Mutex<Option<String>>,
    options: ConnectorOptions,
}

impl std::fmt::Debug for DrupalClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DrupalClient")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl DrupalClient {
    /// Checks the settings and the secret (no network yet; sign-in happens on first use).
    pub fn new(
        config: &DrupalSettings,
        secret: Option<&str>,
        options: &ConnectorOptions,
    ) -> Result<Self, ConnectorError> {
        let base = parse_url(&config.base_url, "Drupal site address")?;
        let target = Target::of(&base, "Drupal site address")?;
        let secret = secret.filter(|secret| !secret.is_empty()).ok_or_else(|| {
            ConnectorError::InvalidInput(match config.auth {
                DrupalAuth::Oauth { .. } => {
                    "No OAuth client secret is stored: enter it and test again.".into()
                }
                DrupalAuth::Basic { .. } => {
                    "No password is stored: enter it and test again.".into()
                }
            })
        })?;
        Ok(Self {
            http: http_client(options.timeout)?,
            root: base.as_str().trim_end_matches('/').to_owned(),
            target,
            auth: config.auth.clone(),
            secret: secret.to_owned(),
            token: tokio::sync::Mutex::new(None),
            options: options.clone(),
        })
    }

    /// Creates a node of `bundle` (e.g. `article`) with `attributes`; returns it as stored.
    pub async fn create_node(
        &self,
        bundle: &str,
        attributes: Value,
    ) -> Result<DrupalNode, ConnectorError> {
        check_name(bundle)?;
        let body =
            json!({ "data": { "type": format!("node--{bundle}"), "attributes": attributes } });
        let answer = self
            .call(
                reqwest::Method::POST,
                &format!("{}/jsonapi/node/{bundle}", self.root),
                Some(&body),
                bundle,
            )
            .await?;
        node_of(answer.get("data"), &self.target.host)
    }

    /// Creates a node with the UUID PartnerDesk chose (a JSON:API client-generated id): a repeat
    /// (the first answer was lost) is refused as existing (HTTP 409), and the caller updates it.
    pub async fn create_node_with_id(
        &self,
        bundle: &str,
        id: &str,
        attributes: Value,
    ) -> Result<DrupalNode, ConnectorError> {
        let url = format!("{}/jsonapi/node/{bundle}", self.root);
        self.send_node(reqwest::Method::POST, &url, bundle, id, attributes)
            .await
    }

    /// The first page of nodes of `bundle` changed at or after `since` (RFC 3339), oldest
    /// change first, `limit` (at most 50) per page; follow [`DrupalPage::next`] with
    /// [`DrupalClient::list_nodes`].
    pub async fn list_changed_since(
        &self,
        bundle: &str,
        limit: u32,
        since: Option<&str>,
    ) -> Result<DrupalPage, ConnectorError> {
        check_name(bundle)?;
        let mut url = url::Url::parse(&format!("{}/jsonapi/node/{bundle}", self.root))
            .map_err(|e| ConnectorError::InvalidInput(format!("bad Drupal address: {e}")))?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("sort", "changed,id");
            query.append_pair("page[limit]", &limit.clamp(1, 50).to_string());
            if let Some(since) = since {
                query.append_pair("filter[since][condition][path]", "changed");
                query.append_pair("filter[since][condition][operator]", ">=");
                query.append_pair("filter[since][condition][value]", since);
            }
        }
        self.list_nodes(bundle, limit, Some(url.as_str())).await
    }

    /// Changes some attributes of node `id`.
    pub async fn update_node(
        &self,
        bundle: &str,
        id: &str,
        attributes: Value,
    ) -> Result<DrupalNode, ConnectorError> {
        let url = format!("{}/jsonapi/node/{bundle}/{id}", self.root);
        self.send_node(reqwest::Method::PATCH, &url, bundle, id, attributes)
            .await
    }

    /// Sends node `id` of `bundle` with `attributes` to `url` (POST: create it with that id;
    /// PATCH: change it) and answers the node as the site now has it.
    async fn send_node(
        &self,
        method: reqwest::Method,
        url: &str,
        bundle: &str,
        id: &str,
        attributes: Value,
    ) -> Result<DrupalNode, ConnectorError> {
        check_name(bundle)?;
        check_name(id)?;
        let body = json!({ "data": { "type": format!("node--{bundle}"), "id": id, "attributes": attributes } });
        let answer = self.call(method, url, Some(&body), bundle).await?;
        node_of(answer.get("data"), &self.target.host)
    }

    /// Reads node `id` of `bundle`.
    pub async fn get_node(&self, bundle: &str, id: &str) -> Result<DrupalNode, ConnectorError> {
        check_name(bundle)?;
        check_name(id)?;
        let answer = self
            .call(
                reqwest::Method::GET,
                &format!("{}/jsonapi/node/{bundle}/{id}", self.root),
                None,
                bundle,
            )
            .await?;
        node_of(answer.get("data"), &self.target.host)
    }

    /// One page of nodes of `bundle` (`page[limit]` of them); pass the previous page's `next`
    /// to continue. A `next` outside this site is refused.
    pub async fn list_nodes(
        &self,
        bundle: &str,
        limit: u32,
        next: Option<&str>,
    ) -> Result<DrupalPage, ConnectorError> {
        check_name(bundle)?;
        let url = match next {
            Some(next) => {
                let absolute = if next.starts_with('/') {
                    let origin = url::Url::parse(&self.root)
                        .map(|url| url.origin().ascii_serialization())
                        .unwrap_or_default();
                    format!("{origin}{next}")
                } else {
                    next.to_owned()
                };
                if !absolute.starts_with(&self.root) {
                    return Err(ConnectorError::Unexpected(format!(
                        "{} sent a next-page link outside the site; PartnerDesk does not follow it.",
                        self.target.host
                    )));
                }
                absolute
            }
            None => format!(
                "{}/jsonapi/node/{bundle}?page%5Blimit%5D={}",
                self.root,
                limit.clamp(1, 50)
            ),
        };
        let answer = self.call(reqwest::Method::GET, &url, None, bundle).await?;
        let Some(items) = answer.get("data").and_then(Value::as_array) else {
            return Err(ConnectorError::Unexpected(format!(
                "{} answered the listing without JSON:API data.",
                self.target.host
            )));
        };
        Ok(DrupalPage {
            nodes: items
                .iter()
                .map(|item| node_of(Some(item), &self.target.host))
                .collect::<Result<_, _>>()?,
            next: answer
                .pointer("/links/next/href")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    async fn authorized(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, ConnectorError> {
        match &self.auth {
            DrupalAuth::Basic { user } => Ok(request.basic_auth(user.trim(), Some(&self.secret))),
            DrupalAuth::Oauth { client_id } => {
                let mut token = self.token.lock().await;
                if token.is_none() {
                    *token = Some(self.fetch_token(client_id.trim()).await?);
                }
                Ok(request.bearer_auth(token.as_deref().unwrap_or_default()))
            }
        }
    }

    async fn fetch_token(&self, client_id: &str) -> Result<String, ConnectorError> {
        let step = "requesting an OAuth token";
        let Answer { status, body, .. } = exchange(
            self.http
                .post(format!("{}/oauth/token", self.root))
                .header("accept", "application/json")
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id),
                    ("client_secret", self.secret.as_str()),
                ]),
            &self.target,
            self.options.timeout,
            step,
        )
        .await?;
        match status {
            200..=299 => serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|value| value.get("access_token")?.as_str().map(str::to_owned))
                .filter(|token| !token.is_empty())
                .ok_or_else(|| {
                    ConnectorError::Unexpected(format!(
                        "{} answered the token request without an access token.",
                        self.target.host
                    ))
                }),
            400 | 401 => Err(ConnectorError::Unauthorized(format!(
                "{} refused the OAuth client {client_id} and its secret (HTTP {status}). Check the client id and enter the secret again.{}",
                self.target.host,
                said(&body)
            ))),
            other => Err(status_error(
                other,
                &body,
                &self.target.host,
                &format!("OAuth client {client_id}"),
                "the token request",
            )),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<&Value>,
        bundle: &str,
    ) -> Result<Value, ConnectorError> {
        let step = "calling JSON:API";
        let mut request = self.http.request(method, url).header("accept", JSON_API);
        if let Some(body) = body {
            request = request
                .header("content-type", JSON_API)
                .body(body.to_string());
        }
        let Answer {
            status,
            body: text,
            retry_after,
        } = exchange(
            self.authorized(request).await?,
            &self.target,
            self.options.timeout,
            step,
        )
        .await?;
        let who = match &self.auth {
            DrupalAuth::Oauth { client_id } => format!("OAuth client {}", client_id.trim()),
            DrupalAuth::Basic { user } => format!("user {}", user.trim()),
        };
        let site = format!("{}:{}", self.target.host, self.target.port);
        match status {
            200..=299 => serde_json::from_str(&text).map_err(|_| {
                ConnectorError::Unexpected(format!("{site} answered, but not with JSON:API."))
            }),
            404 => Err(ConnectorError::NotFound(format!(
                "{site} has no such {} content (HTTP 404).{}",
                server_text(bundle),
                said(&text)
            ))),
            409 => Err(ConnectorError::Conflict(format!(
                "{site} already holds that {} content (HTTP 409).{}",
                server_text(bundle),
                said(&text)
            ))),
            422 => Err(ConnectorError::InvalidInput(format!(
                "{site} refused the {} content as invalid (HTTP 422).{}",
                server_text(bundle),
                said(&text)
            ))),
            429 => Err(ConnectorError::RateLimited {
                message: format!(
                    "{site} asks to slow down (HTTP 429); PartnerDesk will try again {}.",
                    when_again(retry_after)
                ),
                retry_after,
            }),
            other => Err(status_error(
                other,
                &text,
                &site,
                &who,
                &format!("{} content", server_text(bundle)),
            )),
        }
    }
}

fn check_name(name: &str) -> Result<(), ConnectorError> {
    if name.is_empty()
        || name.len() > 128
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    {
        return Err(ConnectorError::InvalidInput(format!(
            "\"{}\" is not a Drupal content type or node id.",
            server_text(name)
        )));
    }
    Ok(())
}

fn node_of(data: Option<&Value>, host: &str) -> Result<DrupalNode, ConnectorError> {
    let data = data.ok_or_else(|| {
        ConnectorError::Unexpected(format!("{host} answered without JSON:API data."))
    })?;
    let id = data
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty());
    let kind = data.get("type").and_then(Value::as_str);
    match (id, kind) {
        (Some(id), Some(kind)) => Ok(DrupalNode {
            id: id.to_owned(),
            kind: kind.to_owned(),
            attributes: data.get("attributes").cloned().unwrap_or(Value::Null),
        }),
        _ => Err(ConnectorError::Unexpected(format!(
            "{host} answered with a JSON:API resource without id or type."
        ))),
    }
}
