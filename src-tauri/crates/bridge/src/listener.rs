//! The loopback listener a local integration agent posts CloudEvents to: bound to 127.0.0.1
//! only, every request checked for the bearer token (the connector's keychain secret), bodies
//! over [`MAX_BODY_BYTES`] refused with 413 before they are read whole. Each request's events
//! are stored in one transaction; unknown or broken events are kept aside (and a single broken
//! event is also answered 400 in words), so nothing received is lost.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use pd_store::{CaseHome, Inbound, IngestReport, Store};
use serde_json::json;

use crate::cloudevents::{read_body, unreadable, UNKNOWN_TYPE};
use crate::BridgeError;

/// The largest request body taken (one event or a batch).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Called after each stored request (the app reports the changed topics).
pub type OnIngest = Arc<dyn Fn(&IngestReport) + Send + Sync>;

/// What the listener needs.
#[derive(Clone)]
pub struct ListenerConfig {
    /// The cache.
    pub store: Store,
    /// The xConnector connector.
    pub connector_id: String,
    /// Where opened cases go.
    pub home: CaseHome,
    /// The token callers present as `Authorization: Bearer …`.
    pub token: String,
    /// Told after each stored request.
    pub on_ingest: OnIngest,
}

/// Binds `127.0.0.1:port` (0: any free port). Only loopback is ever bound.
pub async fn bind(port: u16) -> Result<tokio::net::TcpListener, BridgeError> {
    tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| BridgeError::Listen(format!("127.0.0.1:{port}: {e}")))
}

/// Serves until `stop` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: ListenerConfig,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), BridgeError> {
    if config.token.trim().is_empty() {
        return Err(BridgeError::Listen(
            "no token is stored for the listener; set one in Settings".into(),
        ));
    }
    let app = Router::new()
        .route("/events", post(receive))
        .layer(DefaultBodyLimit::disable())
        .with_state(Arc::new(config));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop)
    .await
    .map_err(|e| BridgeError::Listen(e.to_string()))
}

fn refuse(status: StatusCode, message: String) -> axum::response::Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// The body when it fits in [`MAX_BODY_BYTES`]. A larger one is read to its end (up to
/// [`DRAIN_BYTES`], discarding it) so the sender reads the refusal instead of a reset.
async fn read_limited(body: Body) -> Option<Vec<u8>> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.ok()?;
        total += chunk.len();
        if total <= MAX_BODY_BYTES {
            kept.extend_from_slice(&chunk);
        } else if total > DRAIN_BYTES {
            return None;
        }
    }
    (total <= MAX_BODY_BYTES).then_some(kept)
}

/// How much of an oversized body is read (and dropped) before the refusal.
const DRAIN_BYTES: usize = 16 * 1024 * 1024;

fn token_matches(given: &str, expected: &str) -> bool {
    // Compared in constant time for equal lengths.
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

async fn receive(
    State(config): State<Arc<ListenerConfig>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> axum::response::Response {
    if !peer.ip().is_loopback() {
        return refuse(
            StatusCode::FORBIDDEN,
            "Only programs on this computer may post events.".into(),
        );
    }
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !token_matches(given, &config.token) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "The token is missing or wrong: send Authorization: Bearer <the token shown in PartnerDesk's Settings>.".into(),
        );
    }
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let batch = content_type.starts_with("application/cloudevents-batch+json");
    if !(batch
        || content_type.starts_with("application/cloudevents+json")
        || content_type.starts_with("application/json"))
    {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Content type {content_type:?} is not read: send application/cloudevents+json (one event) or application/cloudevents-batch+json (a batch)."),
        );
    }
    let body = match read_limited(body).await {
        Some(body) => body,
        None => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "The body is larger than {} KB, the most PartnerDesk takes in one request: send events one by one or in smaller batches.",
                    MAX_BODY_BYTES / 1024
                ),
            )
        }
    };
    let (events, refusal) = match read_body(&body) {
        Ok(events) => (events, None),
        Err(refused) => (vec![unreadable(&body, &refused.0)], Some(refused.0)),
    };
    let single_broken = match (events.as_slice(), batch) {
        // A single broken event is refused in words (and kept); an unknown type is accepted
        // and kept aside.
        ([Inbound::Aside(a)], false) if !a.reason.starts_with(UNKNOWN_TYPE) => {
            Some(a.reason.clone())
        }
        _ => None,
    };
    let store = config.store.clone();
    let connector = config.connector_id.clone();
    let home = config.home;
    let stored = tokio::task::spawn_blocking(move || {
        store.ingest_events(&connector, home, &events, None, chrono::Utc::now())
    })
    .await;
    let report = match stored {
        Ok(Ok(report)) => report,
        Ok(Err(e)) => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("PartnerDesk could not store the events ({e}); send them again."),
            )
        }
        Err(e) => {
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("PartnerDesk failed while storing the events ({e}); send them again."),
            )
        }
    };
    (config.on_ingest)(&report);
    if let Some(reason) = refusal.or(single_broken) {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!("{reason} The body was kept aside in PartnerDesk for a look."),
        );
    }
    (
        StatusCode::ACCEPTED,
        Json(json!({
            "opened": report.opened,
            "updated": report.updated,
            "late": report.late,
            "duplicates": report.duplicates,
            "keptAside": report.aside,
            "partners": report.partners,
        })),
    )
        .into_response()
}
