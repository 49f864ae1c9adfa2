//! OAuth2 client credentials for a team: clients (analysts, integrations) are configured with a
//! display name; access tokens are signed with HMAC-SHA256 under the configured `token_secret`,
//! so any process sharing the key verifies a token another process issued, with no session
//! table. A token names its client; the client's name (looked up in the configuration at each
//! request) is the author of what it writes.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use pd_collab::{ApiError, Authenticate, Caller};
use serde_json::json;
use sha2::Sha256;

use crate::config::ClientConfig;
use crate::error::ServerError;

const PREFIX: &str = "pdt1";

/// Issues and checks tokens.
pub struct TokenAuthority {
    mac: Hmac<Sha256>,
    lifetime_secs: u64,
    clients: HashMap<String, ClientConfig>,
}

impl std::fmt::Debug for TokenAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAuthority")
            .field("lifetime_secs", &self.lifetime_secs)
            .field("clients", &self.clients.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl TokenAuthority {
    /// From the checked settings.
    pub fn new(
        secret: &str,
        lifetime_secs: u64,
        clients: &[ClientConfig],
    ) -> Result<Self, ServerError> {
        let mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
            .map_err(|e| ServerError::Config(format!("token_secret is not usable: {e}")))?;
        Ok(TokenAuthority {
            mac,
            lifetime_secs,
            clients: clients.iter().map(|c| (c.id.clone(), c.clone())).collect(),
        })
    }

    /// How long a token lives.
    pub fn lifetime_secs(&self) -> u64 {
        self.lifetime_secs
    }

    fn mac(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        mac.update(payload.as_bytes());
        mac
    }

    /// The client whose id and secret these are.
    pub fn client(&self, id: &str, secret: &str) -> Option<&ClientConfig> {
        let client = self.clients.get(id)?;
        // Compare digests so the time taken does not depend on where the secrets differ.
        let a = self.mac(&format!("secret:{}", client.secret)).finalize();
        let b = self.mac(&format!("secret:{secret}")).finalize();
        (a == b).then_some(client)
    }

    /// A token for the client, valid for the lifetime from `now` (unix seconds).
    pub fn issue(&self, client_id: &str, now: i64) -> String {
        let expires = now.saturating_add(i64::try_from(self.lifetime_secs).unwrap_or(i64::MAX));
        let payload = format!(
            "{PREFIX}.{}.{expires}",
            URL_SAFE_NO_PAD.encode(client_id.as_bytes())
        );
        let signature = URL_SAFE_NO_PAD.encode(self.mac(&payload).finalize().into_bytes());
        format!("{payload}.{signature}")
    }

    /// The client a token was issued to, if the signature holds, it has not expired at `now`
    /// and the client is still configured.
    pub fn verify(&self, token: &str, now: i64) -> Result<&ClientConfig, ApiError> {
        let unknown = || ApiError::unauthorized("unknown access token");
        let (payload, signature) = token.rsplit_once('.').ok_or_else(unknown)?;
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| unknown())?;
        self.mac(payload)
            .verify_slice(&signature)
            .map_err(|_| unknown())?;
        let mut parts = payload.split('.');
        let (Some(PREFIX), Some(client), Some(expires), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(unknown());
        };
        let expires: i64 = expires.parse().map_err(|_| unknown())?;
        if now >= expires {
            return Err(ApiError::unauthorized("access token expired"));
        }
        let client = URL_SAFE_NO_PAD.decode(client).map_err(|_| unknown())?;
        let client = String::from_utf8(client).map_err(|_| unknown())?;
        self.clients.get(&client).ok_or_else(|| {
            ApiError::unauthorized("the client of this token is no longer configured")
        })
    }
}

impl Authenticate for TokenAuthority {
    fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer token"))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(|| ApiError::unauthorized("Authorization must be a Bearer token"))?
            .trim();
        let client = self.verify(token, chrono::Utc::now().timestamp())?;
        Ok(Caller {
            name: Some(client.name.clone()),
        })
    }
}

/// The client id and secret of an HTTP Basic header.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let text = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// `POST /v1/oauth2/tokens?grant_type=client_credentials` with the client id and secret as HTTP
/// Basic: the same endpoint and answer as Trading Grid's (and the sandbox's).
pub async fn token_endpoint(
    State(authority): State<Arc<TokenAuthority>>,
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
    let client = basic(&headers).and_then(|(id, secret)| authority.client(&id, &secret).cloned());
    let Some(client) = client else {
        tracing::warn!("token refused: unknown client id or wrong secret");
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client", "error_description": "unknown client id or wrong secret"})),
        )
            .into_response();
    };
    tracing::info!(client = %client.id, "token issued");
    Json(json!({
        "access_token": authority.issue(&client.id, chrono::Utc::now().timestamp()),
        "token_type": "Bearer",
        "expires_in": authority.lifetime_secs(),
        "scope": "collab",
    }))
    .into_response()
}
