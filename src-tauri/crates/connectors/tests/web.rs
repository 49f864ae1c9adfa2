//! Wix and Drupal "Test connection" against contract doubles: small axum servers on 127.0.0.1
//! that follow the vendors' public API documentation (Wix: API key in `Authorization`, site in
//! `wix-site-id`, `GET /wix-data/v2/collections`, `{"message": ...}` error bodies; Drupal:
//! JSON:API index with `meta.links.me` for a recognised user, simple_oauth's `/oauth/token`,
//! JSON:API `errors[]` bodies, unrecognised Basic credentials treated as anonymous). No real
//! Wix or Drupal runs on Linux here. Also the HTTP network failures: DNS, TLS, refused, timeout.

mod common;

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use common::*;
use pd_connectors::{test_drupal_with, test_wix_with, ConnectorOptions};
use pd_domain::{DrupalAuth, DrupalSettings, WixSettings};
use serde_json::json;

const WIX_KEY: &str = "IST.eyJraWQiOiJQb3pIX2FDMiIsImFsZyI6IlJTMjU2In0.good";
const WIX_READONLY_KEY: &str = "IST.eyJraWQiOiJQb3pIX2FDMiIsImFsZyI6IlJTMjU2In0.noperm";
const SITE_ID: &str = "7d6e2a8c-13f4-4e4b-9d8e-2f6c1a0b9e11";

const CLIENT_ID: &str = "partnerdesk";
const CLIENT_SECRET: &str = "s3cr3t-client-value";
const ACCESS_TOKEN: &str = "token-issued-by-the-double";
const EDITOR_PASSWORD: &str = "editor-password-42";
const VIEWER_PASSWORD: &str = "viewer-password-42";

fn wix_error(status: StatusCode, message: &str, code: &str) -> Response {
    let body = json!({
        "message": message,
        "details": { "applicationError": { "description": message, "code": code, "data": {} } }
    });
    (status, Json(body)).into_response()
}

async fn wix_collections(
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let key = headers.get("authorization").and_then(|v| v.to_str().ok());
    let site = headers.get("wix-site-id").and_then(|v| v.to_str().ok());
    match key {
        Some(WIX_KEY) | Some(WIX_READONLY_KEY) => {}
        _ => {
            return wix_error(
                StatusCode::UNAUTHORIZED,
                "Unauthorized: invalid API key",
                "UNAUTHORIZED",
            )
        }
    }
    let Some(site) = site else {
        return wix_error(
            StatusCode::BAD_REQUEST,
            "Missing wix-site-id header",
            "MISSING_SITE_ID",
        );
    };
    if site != SITE_ID {
        return wix_error(StatusCode::NOT_FOUND, "Site not found", "SITE_NOT_FOUND");
    }
    if key == Some(WIX_READONLY_KEY) {
        return wix_error(
            StatusCode::FORBIDDEN,
            "Permission denied: missing WIX_DATA.LIST_COLLECTIONS",
            "PERMISSION_DENIED",
        );
    }
    let limit: usize = query
        .get("paging.limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let collections: Vec<_> = [
        ("PartnerNotices", "Partner notices"),
        ("Requests", "Requests"),
    ]
    .iter()
    .take(limit)
    .map(|(id, name)| json!({ "id": id, "displayName": name, "collectionType": "NATIVE" }))
    .collect();
    Json(json!({
        "collections": collections,
        "pagingMetadata": { "count": collections.len(), "offset": 0, "total": 2, "tooManyToCount": false }
    }))
    .into_response()
}

fn wix_double() -> Router {
    Router::new().route("/wix-data/v2/collections", get(wix_collections))
}

fn wix_options(base: &str) -> ConnectorOptions {
    ConnectorOptions {
        wix_api_base: base.to_owned(),
        ..quick_options(5)
    }
}

fn wix(site: &str) -> WixSettings {
    WixSettings {
        site_id: site.into(),
    }
}

#[tokio::test]
async fn wix_good_key_and_site_are_confirmed() {
    let base = serve(wix_double()).await;
    let result = test_wix_with(&wix(SITE_ID), Some(WIX_KEY), &wix_options(&base)).await;
    assert_success(&result, &[SITE_ID, "readable"], &[WIX_KEY]);
}

#[tokio::test]
async fn wix_refusals_are_told_apart() {
    let base = serve(wix_double()).await;
    let options = wix_options(&base);
    let wrong_key = "IST.wrong-key-value";
    let result = test_wix_with(&wix(SITE_ID), Some(wrong_key), &options).await;
    assert_failure(
        &result,
        "auth.unauthorized",
        &["API key", "401"],
        &[wrong_key],
    );

    let result = test_wix_with(&wix(SITE_ID), Some(WIX_READONLY_KEY), &options).await;
    assert_failure(
        &result,
        "auth.forbidden",
        &[SITE_ID, "Manage Data Collections", "403"],
        &[WIX_READONLY_KEY],
    );

    let unknown = "00000000-0000-0000-0000-000000000000";
    let result = test_wix_with(&wix(unknown), Some(WIX_KEY), &options).await;
    assert_failure(
        &result,
        "api.not_found",
        &[unknown, "/dashboard/"],
        &[WIX_KEY],
    );

    let result = test_wix_with(&wix(SITE_ID), None, &options).await;
    assert_failure(&result, "input.invalid", &["API key"], &[]);

    let result = test_wix_with(
        &wix("https://manage.wix.com/dashboard/x"),
        Some(WIX_KEY),
        &options,
    )
    .await;
    assert_failure(&result, "input.invalid", &["not a Wix site ID"], &[WIX_KEY]);
}

#[tokio::test]
async fn wix_network_failures_are_precise() {
    let site = wix(SITE_ID);
    let dns = test_wix_with(
        &site,
        Some(WIX_KEY),
        &wix_options("https://nonexistent.invalid"),
    )
    .await;
    assert_failure(&dns, "net.dns", &["nonexistent.invalid"], &[WIX_KEY]);

    let port = silent_server().await;
    let silent = ConnectorOptions {
        timeout: std::time::Duration::from_secs(1),
        ..wix_options(&format!("http://127.0.0.1:{port}"))
    };
    let result = test_wix_with(&site, Some(WIX_KEY), &silent).await;
    assert_failure(&result, "net.timeout", &[&port.to_string()], &[WIX_KEY]);

    let port = free_port();
    let result = test_wix_with(
        &site,
        Some(WIX_KEY),
        &wix_options(&format!("http://127.0.0.1:{port}")),
    )
    .await;
    assert_failure(&result, "net.refused", &[&port.to_string()], &[WIX_KEY]);

    // A plain-HTTP server behind an https:// address: the TLS handshake fails.
    let plain = serve(wix_double()).await.replace("http://", "https://");
    let result = test_wix_with(&site, Some(WIX_KEY), &wix_options(&plain)).await;
    assert_failure(&result, "net.tls", &["TLS", "127.0.0.1"], &[WIX_KEY]);
}

// ---- Drupal ----

enum Caller {
    Anonymous,
    Editor,
    Viewer,
    BadToken,
}

fn caller(headers: &HeaderMap) -> Caller {
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Caller::Anonymous;
    };
    if let Some(token) = value.strip_prefix("Bearer ") {
        return if token == ACCESS_TOKEN {
            Caller::Editor
        } else {
            Caller::BadToken
        };
    }
    let decoded = value
        .strip_prefix("Basic ")
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default();
    match decoded.split_once(':') {
        Some(("editor", EDITOR_PASSWORD)) => Caller::Editor,
        Some(("viewer", VIEWER_PASSWORD)) => Caller::Viewer,
        // Drupal's basic_auth: unrecognised credentials leave the request anonymous.
        _ => Caller::Anonymous,
    }
}

fn json_api_error(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = json!({
        "jsonapi": { "version": "1.0" },
        "errors": [{ "title": title, "status": status.as_u16().to_string(), "detail": detail }]
    });
    (
        status,
        [("content-type", "application/vnd.api+json")],
        Json(body),
    )
        .into_response()
}

async fn drupal_index(headers: HeaderMap) -> Response {
    let mut body = json!({
        "jsonapi": { "version": "1.0", "meta": { "links": { "self": { "href": "http://jsonapi.org/format/1.0/" } } } },
        "data": [],
        "links": {
            "self": { "href": "/jsonapi" },
            "node--article": { "href": "/jsonapi/node/article" }
        }
    });
    match caller(&headers) {
        Caller::BadToken => {
            return json_api_error(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "The resource owner or authorization server denied the request.",
            )
        }
        Caller::Anonymous => {}
        Caller::Editor | Caller::Viewer => {
            body["meta"] = json!({ "links": { "me": {
                "meta": { "id": "1b1b6e4e-0d6f-4c5c-8d0f-3f3a9d2a5e77" },
                "href": "/jsonapi/user/user/1b1b6e4e-0d6f-4c5c-8d0f-3f3a9d2a5e77"
            } } });
        }
    }
    (
        StatusCode::OK,
        [("content-type", "application/vnd.api+json")],
        Json(body),
    )
        .into_response()
}

async fn drupal_token(Form(form): Form<HashMap<String, String>>) -> Response {
    let grant = form.get("grant_type").map(String::as_str);
    let id = form.get("client_id").map(String::as_str);
    let secret = form.get("client_secret").map(String::as_str);
    if grant != Some("client_credentials") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "unsupported_grant_type" })),
        )
            .into_response();
    }
    if id == Some(CLIENT_ID) && secret == Some(CLIENT_SECRET) {
        Json(json!({ "token_type": "Bearer", "expires_in": 300, "access_token": ACCESS_TOKEN }))
            .into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({
                "error": "invalid_client",
                "error_description": "Client authentication failed",
                "message": "Client authentication failed"
            })),
        )
            .into_response()
    }
}

async fn drupal_articles(
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(query.get("page[limit]").map(String::as_str), Some("1"));
    match caller(&headers) {
        Caller::Editor => Json(json!({
            "jsonapi": { "version": "1.0" },
            "data": [{ "type": "node--article", "id": "9a0f2c1e-2b7d-4d1e-9b55-5a1c0e7d3f10",
                       "attributes": { "title": "How to resend an ASN" } }],
            "links": { "self": { "href": "/jsonapi/node/article?page%5Blimit%5D=1" } }
        }))
        .into_response(),
        Caller::BadToken => {
            json_api_error(StatusCode::UNAUTHORIZED, "Unauthorized", "Invalid token.")
        }
        Caller::Viewer | Caller::Anonymous => json_api_error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "The current user is not permitted to view this resource.",
        ),
    }
}

/// A Drupal site under `/drupal`, so a wrong base path hits the 404 of a site that is not there.
async fn drupal_double() -> String {
    let site = Router::new()
        .route("/jsonapi", get(drupal_index))
        .route("/jsonapi/node/article", get(drupal_articles))
        .route("/oauth/token", post(drupal_token));
    let base = serve(Router::new().nest("/drupal", site)).await;
    format!("{base}/drupal")
}

fn drupal(base: &str, auth: DrupalAuth) -> DrupalSettings {
    DrupalSettings {
        base_url: base.into(),
        auth,
    }
}

fn oauth() -> DrupalAuth {
    DrupalAuth::Oauth {
        client_id: CLIENT_ID.into(),
    }
}

fn basic(user: &str) -> DrupalAuth {
    DrupalAuth::Basic { user: user.into() }
}

#[tokio::test]
async fn drupal_oauth_client_credentials_sign_in() {
    let base = drupal_double().await;
    let result = test_drupal_with(
        &drupal(&base, oauth()),
        Some(CLIENT_SECRET),
        &quick_options(5),
    )
    .await;
    assert_success(
        &result,
        &[CLIENT_ID, "articles are readable"],
        &[CLIENT_SECRET, ACCESS_TOKEN],
    );

    let wrong = "not-the-client-secret";
    let result = test_drupal_with(&drupal(&base, oauth()), Some(wrong), &quick_options(5)).await;
    assert_failure(
        &result,
        "auth.unauthorized",
        &[CLIENT_ID, "Client authentication failed"],
        &[wrong],
    );
}

#[tokio::test]
async fn drupal_basic_sign_in_permission_and_anonymous_fallback() {
    let base = drupal_double().await;
    let options = quick_options(5);
    let result = test_drupal_with(
        &drupal(&base, basic("editor")),
        Some(EDITOR_PASSWORD),
        &options,
    )
    .await;
    assert_success(&result, &["user editor", "readable"], &[EDITOR_PASSWORD]);

    let result = test_drupal_with(
        &drupal(&base, basic("viewer")),
        Some(VIEWER_PASSWORD),
        &options,
    )
    .await;
    assert_failure(
        &result,
        "auth.forbidden",
        &["viewer", "403", "not permitted"],
        &[VIEWER_PASSWORD],
    );

    // A wrong password: Drupal answers public routes as if anonymous; the test must notice.
    let wrong = "wrong-password";
    let result = test_drupal_with(&drupal(&base, basic("editor")), Some(wrong), &options).await;
    assert_failure(
        &result,
        "auth.unauthorized",
        &["editor", "anonymous"],
        &[wrong],
    );

    let result = test_drupal_with(&drupal(&base, basic("editor")), None, &options).await;
    assert_failure(&result, "input.invalid", &["password"], &[]);
}

#[tokio::test]
async fn drupal_unknown_site_and_missing_oauth_are_named() {
    let base = drupal_double().await;
    let options = quick_options(5);
    let elsewhere = base.replace("/drupal", "/no-such-site");
    let result = test_drupal_with(
        &drupal(&elsewhere, basic("editor")),
        Some(EDITOR_PASSWORD),
        &options,
    )
    .await;
    assert_failure(
        &result,
        "api.not_found",
        &["/no-such-site", "JSON:API"],
        &[EDITOR_PASSWORD],
    );

    // JSON:API on, but no simple_oauth module: /oauth/token is 404.
    let site = Router::new().route("/jsonapi", get(drupal_index));
    let no_oauth = serve(site).await;
    let result = test_drupal_with(&drupal(&no_oauth, oauth()), Some(CLIENT_SECRET), &options).await;
    assert_failure(
        &result,
        "api.not_found",
        &["/oauth/token", "Simple OAuth"],
        &[CLIENT_SECRET],
    );
}

#[tokio::test]
async fn drupal_network_failures_are_precise() {
    let options = quick_options(5);
    let result = test_drupal_with(
        &drupal("https://nonexistent.invalid", oauth()),
        Some(CLIENT_SECRET),
        &options,
    )
    .await;
    assert_failure(
        &result,
        "net.dns",
        &["nonexistent.invalid"],
        &[CLIENT_SECRET],
    );

    let plain = drupal_double().await.replace("http://", "https://");
    let result = test_drupal_with(&drupal(&plain, oauth()), Some(CLIENT_SECRET), &options).await;
    assert_failure(&result, "net.tls", &["TLS"], &[CLIENT_SECRET]);

    let port = silent_server().await;
    let result = test_drupal_with(
        &drupal(&format!("http://127.0.0.1:{port}"), oauth()),
        Some(CLIENT_SECRET),
        &quick_options(1),
    )
    .await;
    assert_failure(
        &result,
        "net.timeout",
        &[&port.to_string()],
        &[CLIENT_SECRET],
    );

    let result = test_drupal_with(
        &drupal("drupal.example.com", oauth()),
        Some(CLIENT_SECRET),
        &options,
    )
    .await;
    assert_failure(
        &result,
        "input.invalid",
        &["not a valid URL"],
        &[CLIENT_SECRET],
    );
}
