//! What every request handler shares: the database, the Lens index, issued tokens, the fault
//! switches and the request counter, plus the auth checks built on them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts, HeaderMap};
use base64::Engine;
use rusqlite::Connection;

use crate::error::ApiError;
use crate::faults::Faults;
use crate::lens::LensIndex;

/// Advertised and default token lifetime (Trading Grid's ten hours).
pub const TOKEN_LIFETIME_SECS: u64 = 36_000;

/// Shared server state.
#[derive(Debug)]
pub struct AppState {
    /// Our company id; other ids answer 404.
    pub company_id: String,
    consumer_key: String,
    consumer_secret: String,
    db: Arc<Mutex<Connection>>,
    faults: RwLock<Faults>,
    tokens: Mutex<HashMap<String, Instant>>,
    /// The searchable transactions.
    pub lens: Arc<LensIndex>,
    requests: AtomicU64,
    keyed: Mutex<HashMap<String, u64>>,
}

impl AppState {
    /// Assembles the state.
    pub fn new(
        company_id: String,
        consumer_key: String,
        consumer_secret: String,
        db: Connection,
        faults: Faults,
        lens: LensIndex,
    ) -> Self {
        AppState {
            company_id,
            consumer_key,
            consumer_secret,
            db: Arc::new(Mutex::new(db)),
            faults: RwLock::new(faults),
            tokens: Mutex::new(HashMap::new()),
            lens: Arc::new(lens),
            requests: AtomicU64::new(0),
            keyed: Mutex::new(HashMap::new()),
        }
    }

    /// The current fault switches.
    pub fn faults(&self) -> Faults {
        self.faults.read().map(|f| f.clone()).unwrap_or_default()
    }

    /// Replaces the fault switches.
    pub fn set_faults(&self, faults: Faults) {
        if let Ok(mut f) = self.faults.write() {
            *f = faults;
        }
    }

    /// Counts one API request.
    pub fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one API request carrying this `Idempotency-Key`.
    pub fn count_keyed_request(&self, key: &str) {
        if let Ok(mut keyed) = self.keyed.lock() {
            *keyed.entry(key.to_string()).or_default() += 1;
        }
    }

    /// API requests seen so far per `Idempotency-Key` (how often each operation was sent).
    pub fn requests_by_key(&self) -> HashMap<String, u64> {
        self.keyed.lock().map(|k| k.clone()).unwrap_or_default()
    }

    /// API requests seen so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The shared connection (the collab store uses it too).
    pub fn connection(&self) -> Arc<Mutex<Connection>> {
        Arc::clone(&self.db)
    }

    /// Runs `work` on the database off the async runtime.
    pub async fn db<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, ApiError> + Send + 'static,
    {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || {
            let mut conn = db
                .lock()
                .map_err(|_| ApiError::internal("database lock poisoned"))?;
            work(&mut conn)
        })
        .await
        .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
    }

    /// Whether the request carries the consumer key and secret as HTTP Basic.
    pub fn basic_ok(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        let Some(encoded) = value
            .strip_prefix("Basic ")
            .or_else(|| value.strip_prefix("basic "))
        else {
            return false;
        };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
            return false;
        };
        let Ok(text) = String::from_utf8(decoded) else {
            return false;
        };
        text.split_once(':')
            .is_some_and(|(k, s)| k == self.consumer_key && s == self.consumer_secret)
    }

    /// Issues a new bearer token.
    pub fn issue_token(&self) -> String {
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.retain(|_, issued| issued.elapsed() < Duration::from_secs(TOKEN_LIFETIME_SECS));
            tokens.insert(token.clone(), Instant::now());
        }
        token
    }

    /// Checks `Authorization: Bearer`; returns the token.
    pub fn check_bearer(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer token"))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(|| ApiError::unauthorized("Authorization must be a Bearer token"))?
            .trim();
        let lifetime = self
            .faults()
            .token_ttl_secs
            .unwrap_or(TOKEN_LIFETIME_SECS)
            .min(TOKEN_LIFETIME_SECS);
        let tokens = self
            .tokens
            .lock()
            .map_err(|_| ApiError::internal("token table poisoned"))?;
        match tokens.get(token) {
            None => Err(ApiError::unauthorized("unknown access token")),
            Some(issued) if issued.elapsed() >= Duration::from_secs(lifetime) => {
                Err(ApiError::unauthorized("access token expired"))
            }
            Some(_) => Ok(token.to_string()),
        }
    }
}

/// Extractor: the request carries a valid bearer token (the token text).
#[derive(Debug)]
pub struct Bearer(pub String);

impl FromRequestParts<Arc<AppState>> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        state.check_bearer(&parts.headers).map(Bearer)
    }
}

/// Extractor: the request carries the consumer key and secret (admin endpoints).
#[derive(Debug)]
pub struct Admin;

impl FromRequestParts<Arc<AppState>> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        if state.basic_ok(&parts.headers) {
            Ok(Admin)
        } else {
            Err(ApiError::unauthorized(
                "admin endpoints need the consumer key and secret as HTTP Basic",
            ))
        }
    }
}
