//! The connector push: sends the connector lane of the outbox (entries whose `target` is a
//! connector), each once, in order per case and connector. It claims entries under a lease like
//! the case push, sends them through [`Outside`], and then removes them, puts them back with a
//! backoff (network trouble, 429 but never sooner than its `Retry-After`, 5xx, a refused
//! token), or fails them with the reason (a refusal the analyst must look at: retry, edit or
//! discard in the outbox).
//!
//! Exactly once without idempotency keys: a Wix notice item and a Drupal article node carry ids
//! PartnerDesk chose, so a write repeated after a lost answer is refused as existing (409) and
//! becomes a replace with the same content; outbound events carry the op id as CloudEvents `id`
//! and `Idempotency-Key`, and the receiver keeps the first.

use std::collections::HashMap;
use std::time::Duration;

use pd_connectors::{ConnectorError, DrupalClient, WixClient, XcClient};
use pd_domain::{status_words, ConnectorWrite, OutboxOp, PublicationState};
use pd_store::{OutboxEntry, Store, DEFAULT_LEASE};
use rand::Rng;
use serde_json::json;

use crate::cloudevents::outbound;
use crate::BridgeError;

/// A connector's client for the push.
#[derive(Debug, Clone)]
pub enum ConnectorClient {
    /// An xConnector and its outbound endpoint.
    Xc {
        /// The client.
        client: XcClient,
        /// Where events go.
        endpoint: String,
    },
    /// A Wix site.
    Wix(WixClient),
    /// A Drupal site.
    Drupal(std::sync::Arc<DrupalClient>),
}

/// The clients of the connectors writes go to, by connector id.
#[derive(Debug, Clone, Default)]
pub struct Outside {
    /// By connector id.
    pub clients: HashMap<String, ConnectorClient>,
}

/// What a push did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectorPushReport {
    /// Writes the outside systems took.
    pub sent: usize,
    /// Writes back in the queue for a later attempt.
    pub rescheduled: usize,
    /// Writes refused (failed, held for the analyst).
    pub failed: usize,
}

/// Attempts after which an answer the push cannot read fails the write.
const MAX_UNEXPECTED_ATTEMPTS: u32 = 8;

fn transient(e: &ConnectorError, attempts: u32) -> bool {
    match e {
        ConnectorError::Dns { .. }
        | ConnectorError::Refused { .. }
        | ConnectorError::Unreachable { .. }
        | ConnectorError::Timeout { .. }
        | ConnectorError::Interrupted(_)
        | ConnectorError::RateLimited { .. }
        | ConnectorError::Tls { .. }
        // A refused key waits for the analyst to enter it again, like a case change does.
        | ConnectorError::Unauthorized(_) => true,
        ConnectorError::Unexpected(_) => attempts < MAX_UNEXPECTED_ATTEMPTS,
        _ => false,
    }
}

fn backoff(attempts: u32, max: Duration) -> Duration {
    let ceiling = Duration::from_millis(500)
        .saturating_mul(1u32 << attempts.min(16))
        .min(max);
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(60_000).max(2);
    Duration::from_millis(rand::thread_rng().gen_range(millis / 2..=millis))
}

/// How long a write waits before it goes again: the server's `Retry-After` when it named one
/// (even beyond `max_backoff`: it knows its limits), else the backoff.
fn wait_before_retry(error: &ConnectorError, attempts: u32, max_backoff: Duration) -> Duration {
    let backoff = backoff(attempts, max_backoff);
    match error {
        ConnectorError::RateLimited {
            retry_after: Some(asked),
            ..
        } => backoff.max(*asked),
        _ => backoff,
    }
}

impl Outside {
    /// Sends one write.
    pub async fn send(&self, write: &ConnectorWrite, op_id: &str) -> Result<(), ConnectorError> {
        let connector = write.connector_id();
        let client = self.clients.get(connector).ok_or_else(|| {
            ConnectorError::NotFound(format!(
                "The connector this change goes to ({connector}) is not configured any more: add it again in Settings, or discard the change."
            ))
        })?;
        match (write, client) {
            (ConnectorWrite::XcEvent(event), ConnectorClient::Xc { client, endpoint }) => {
                client
                    .post_event(endpoint, &outbound(event, op_id), op_id)
                    .await
            }
            (ConnectorWrite::WixNotice(notice), ConnectorClient::Wix(wix)) => {
                let data = json!({
                    "title": notice.notice.title,
                    "affected": notice.notice.affected,
                    "nextSteps": notice.notice.next_steps,
                    "expectedResolution": notice.notice.expected_resolution,
                    "caseReference": notice.case_reference,
                    "partnerId": notice.partner_id,
                    "caseStatus": status_words(notice.case_status),
                    "state": notice.state.as_str(),
                    "withdrawn": notice.state == PublicationState::Withdrawn,
                });
                let inserted = if notice.state == PublicationState::Published {
                    wix.insert_item_with_id(&notice.collection, &notice.item_id, data.clone())
                        .await
                } else {
                    Err(ConnectorError::Conflict(String::new()))
                };
                match inserted {
                    Ok(_) => Ok(()),
                    // There already (a repeat, or a later state): replace it whole.
                    Err(ConnectorError::Conflict(_)) => wix
                        .update_item(&notice.collection, &notice.item_id, data)
                        .await
                        .map(|_| ()),
                    Err(e) => Err(e),
                }
            }
            (ConnectorWrite::DrupalArticle(article), ConnectorClient::Drupal(drupal)) => {
                let attributes = json!({
                    "title": article.article.title,
                    "body": { "value": article.article.body, "format": "plain_text" },
                    "field_pd_tags": article.article.tags,
                    "status": true,
                });
                match drupal
                    .create_node_with_id(&article.bundle, &article.node_id, attributes.clone())
                    .await
                {
                    Ok(_) => Ok(()),
                    Err(ConnectorError::Conflict(_)) => drupal
                        .update_node(&article.bundle, &article.node_id, attributes)
                        .await
                        .map(|_| ()),
                    Err(e) => Err(e),
                }
            }
            (ConnectorWrite::DrupalRequestStatus(status), ConnectorClient::Drupal(drupal)) => {
                let attributes = json!({
                    "field_pd_status": status_words(status.status),
                    "field_pd_case": status.case_reference,
                });
                drupal
                    .update_node(&status.bundle, &status.node_id, attributes)
                    .await
                    .map(|_| ())
            }
            _ => Err(ConnectorError::InvalidInput(format!(
                "The connector {connector} is not of the kind this change needs ({}).",
                write.describe()
            ))),
        }
    }
}

/// Sends every due connector write; `max_backoff` caps the wait before a retry.
pub async fn push_connectors(
    store: &Store,
    outside: &Outside,
    max_backoff: Duration,
) -> Result<ConnectorPushReport, BridgeError> {
    let claimer = format!(
        "connectors:{}:{:016x}",
        std::process::id(),
        rand::thread_rng().gen::<u64>()
    );
    let mut report = ConnectorPushReport::default();
    loop {
        let batch = blocking(store, {
            let claimer = claimer.clone();
            move |s| s.connector_claim(&claimer, 8, chrono::Utc::now(), DEFAULT_LEASE)
        })
        .await?;
        if batch.is_empty() {
            return Ok(report);
        }
        let mut sends = tokio::task::JoinSet::new();
        for entry in batch {
            let (store, outside) = (store.clone(), outside.clone());
            sends.spawn(async move { send_one(&store, &outside, entry, max_backoff).await });
        }
        while let Some(joined) = sends.join_next().await {
            match joined {
                Ok(Ok(Outcome::Sent)) => report.sent += 1,
                Ok(Ok(Outcome::Rescheduled)) => report.rescheduled += 1,
                Ok(Ok(Outcome::Failed)) => report.failed += 1,
                Ok(Err(e)) => return Err(e),
                // The lease brings the entry back.
                Err(e) => tracing::error!(error = %e, "a connector send panicked"),
            }
        }
    }
}

enum Outcome {
    Sent,
    Rescheduled,
    Failed,
}

async fn blocking<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&Store) -> pd_store::Result<T> + Send + 'static,
) -> Result<T, BridgeError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|e| BridgeError::Unreadable(format!("a cache task stopped: {e}")))?
        .map_err(BridgeError::from)
}

async fn send_one(
    store: &Store,
    outside: &Outside,
    entry: OutboxEntry,
    max_backoff: Duration,
) -> Result<Outcome, BridgeError> {
    let op_id = entry.op_id.clone();
    let write = match &entry.op {
        Ok(OutboxOp::Connector(write)) => write.clone(),
        Ok(other) => {
            let reason = format!("{} is not a connector change.", other.name());
            blocking(store, move |s| s.outbox_mark_failed(&op_id, &reason)).await?;
            return Ok(Outcome::Failed);
        }
        Err(unreadable) => {
            let reason = unreadable.reason();
            blocking(store, move |s| s.outbox_mark_failed(&op_id, &reason)).await?;
            return Ok(Outcome::Failed);
        }
    };
    match outside.send(&write, &op_id).await {
        Ok(()) => {
            blocking(store, move |s| s.connector_settle(&op_id)).await?;
            Ok(Outcome::Sent)
        }
        Err(e) if transient(&e, entry.attempts) => {
            let next = chrono::Utc::now()
                + chrono::Duration::from_std(wait_before_retry(&e, entry.attempts, max_backoff))
                    .unwrap_or_default();
            let reason = e.to_string();
            blocking(store, move |s| s.outbox_reschedule(&op_id, &reason, next)).await?;
            Ok(Outcome::Rescheduled)
        }
        Err(e) => {
            let reason = e.to_string();
            blocking(store, move |s| s.outbox_mark_failed(&op_id, &reason)).await?;
            Ok(Outcome::Failed)
        }
    }
}
