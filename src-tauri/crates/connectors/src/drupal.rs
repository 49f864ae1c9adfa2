//! The Drupal connection test: the JSON:API index (`GET {base}/jsonapi`) proves the site and
//! the module; then sign-in (OAuth2 client credentials at simple_oauth's `/oauth/token`, or
//! HTTP Basic), a check that the site recognised us (the index's `meta.links.me`: Drupal
//! treats unrecognised credentials as anonymous on public routes), and one authenticated read
//! (`/jsonapi/node/article?page[limit]=1`).

use pd_domain::ConnectionTestResult;
use pd_settings::{DrupalAuth, DrupalConfig};

use crate::error::{into_result, ConnectorError};
use crate::http::{json_message, read_capped};
use crate::net::{http_client, http_failure, parse_url, resolve, Target};
use crate::TestOptions;

/// The JSON:API media type.
const JSON_API: &str = "application/vnd.api+json";

/// Tests a Drupal connector with the default [`TestOptions`].
pub async fn test_drupal(config: &DrupalConfig, secret: Option<&str>) -> ConnectionTestResult {
    test_drupal_with(config, secret, &TestOptions::default()).await
}

/// Tests a Drupal connector; `secret` is the OAuth client secret or the user's password.
pub async fn test_drupal_with(
    config: &DrupalConfig,
    secret: Option<&str>,
    options: &TestOptions,
) -> ConnectionTestResult {
    into_result(run(config, secret, options).await)
}

async fn run(
    config: &DrupalConfig,
    secret: Option<&str>,
    options: &TestOptions,
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
    let failed = |step: &'static str| {
        let target = target.clone();
        let limit = options.timeout;
        move |error: reqwest::Error| http_failure(&error, &target, limit, step)
    };

    // 1. The JSON:API index, anonymously: is this a Drupal site with JSON:API on?
    let step = "reading the JSON:API index";
    let response = client
        .get(format!("{root}/jsonapi"))
        .header("accept", JSON_API)
        .send()
        .await
        .map_err(failed(step))?;
    let status = response.status().as_u16();
    let body = read_capped(response).await.map_err(failed(step))?;
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
            let response = client
                .post(format!("{root}/oauth/token"))
                .header("accept", "application/json")
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.trim()),
                    ("client_secret", secret),
                ])
                .send()
                .await
                .map_err(failed(step))?;
            let status = response.status().as_u16();
            let body = read_capped(response).await.map_err(failed(step))?;
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
    let response = authorize(
        client
            .get(format!("{root}/jsonapi"))
            .header("accept", JSON_API),
        &token,
    )
    .send()
    .await
    .map_err(failed(step))?;
    let status = response.status().as_u16();
    let body = read_capped(response).await.map_err(failed(step))?;
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
    let response = authorize(
        client
            .get(format!("{root}/jsonapi/node/article?page%5Blimit%5D=1"))
            .header("accept", JSON_API),
        &token,
    )
    .send()
    .await
    .map_err(failed(step))?;
    let status = response.status().as_u16();
    let body = read_capped(response).await.map_err(failed(step))?;
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
