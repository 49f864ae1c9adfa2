//! Sends the outbox: each entry once, in order within its case, cases side by side. The
//! operation id goes out as the `Idempotency-Key`, so an entry whose answer was lost (server
//! killed, connection dropped, app killed) can be sent again without being applied twice.

use std::sync::Arc;
use std::time::Duration;

use pd_domain::{Case, CasePatch, OutboxOp, Topic};
use pd_store::{OutboxEntry, ServerAnswer, Store};
use pd_tradinggrid::{Error as RemoteError, TradingGridClient};
use rand::Rng;
use tokio::task::JoinSet;

use crate::{Error, Result};

/// How a push behaves.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Cases sent side by side (each case's entries stay in order).
    pub concurrency: usize,
    /// Longest wait before a transient failure is tried again.
    pub max_backoff: Duration,
}

impl Default for PushOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            max_backoff: Duration::from_secs(60),
        }
    }
}

/// What one push did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    /// Entries the server accepted.
    pub sent: usize,
    /// Entries the server refused for good (now marked failed, their case's queue held).
    pub failed: usize,
    /// Entries that hit a transient failure and wait for their next attempt.
    pub rescheduled: usize,
    /// Patch entries that lost to a newer server value (kept as conflicts on the case).
    pub conflicts: usize,
}

impl PushReport {
    /// The UI topics this push made stale.
    pub fn changed_topics(&self) -> Vec<Topic> {
        if self.sent + self.failed + self.rescheduled + self.conflicts == 0 {
            Vec::new()
        } else {
            vec![Topic::Cases, Topic::Outbox]
        }
    }
}

enum Outcome {
    Sent,
    Failed,
    Rescheduled(RemoteError),
    Conflict,
}

/// Sends every due outbox entry. Stops early with the error when the server is unreachable or
/// refuses the credentials (the entries wait for the next push).
pub async fn push(
    store: &Store,
    client: &TradingGridClient,
    options: &PushOptions,
) -> Result<PushReport> {
    let mut report = PushReport::default();
    let limit = u32::try_from(options.concurrency.max(1)).unwrap_or(4);
    loop {
        let now = chrono::Utc::now();
        let batch = blocking(store, move |s| s.outbox_next(limit, now)).await?;
        if batch.is_empty() {
            return Ok(report);
        }
        let mut tasks = JoinSet::new();
        for entry in batch {
            let (store, client, options) = (store.clone(), client.clone(), options.clone());
            tasks.spawn(async move { send_entry(&store, &client, &options, entry).await });
        }
        let mut stop: Option<Error> = None;
        while let Some(joined) = tasks.join_next().await {
            match joined? {
                Ok(Outcome::Sent) => report.sent += 1,
                Ok(Outcome::Failed) => report.failed += 1,
                Ok(Outcome::Conflict) => report.conflicts += 1,
                Ok(Outcome::Rescheduled(e)) => {
                    report.rescheduled += 1;
                    let blocking_all = matches!(
                        e,
                        RemoteError::Offline { .. }
                            | RemoteError::Dns { .. }
                            | RemoteError::Unauthorized { .. }
                            | RemoteError::Tls { .. }
                    );
                    if blocking_all && stop.is_none() {
                        stop = Some(Error::Remote(e));
                    }
                }
                Err(e) => {
                    if stop.is_none() {
                        stop = Some(e);
                    }
                }
            }
        }
        if let Some(e) = stop {
            return Err(e);
        }
    }
}

async fn blocking<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&Store) -> pd_store::Result<T> + Send + 'static,
) -> Result<T> {
    let store = store.clone();
    Ok(tokio::task::spawn_blocking(move || f(&store)).await??)
}

async fn send_entry(
    store: &Store,
    client: &TradingGridClient,
    options: &PushOptions,
    entry: OutboxEntry,
) -> Result<Outcome> {
    let op_id = Arc::<str>::from(entry.op_id.as_str());
    if let Err(unreadable) = &entry.op {
        // Never sent: failed with the reason, its case's queue held, other cases go on.
        return failed(store, &op_id, unreadable.reason()).await;
    }
    {
        let op_id = op_id.clone();
        blocking(store, move |s| s.outbox_mark_in_flight(&op_id)).await?;
    }
    let answer = match request(client, &entry).await {
        Ok(Request::Answer(answer)) => answer,
        Ok(Request::Conflict(server)) => return conflict(store, &op_id, server).await,
        Ok(Request::Unreadable(reason)) => return failed(store, &op_id, reason).await,
        Err(e) if worth_retrying(&e, entry.attempts) => {
            let wait = backoff(options, entry.attempts, &e);
            let next = chrono::Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
            let reason = e.to_string();
            let id = op_id.clone();
            blocking(store, move |s| s.outbox_reschedule(&id, &reason, next)).await?;
            tracing::info!(op_id = %op_id, code = %e.code(), "outbox entry will be retried");
            return Ok(Outcome::Rescheduled(e));
        }
        Err(RemoteError::Conflict { .. }) => {
            let server = client.case(&entry.case_id).await?.case;
            return conflict(store, &op_id, server).await;
        }
        Err(e) => return failed(store, &op_id, refusal(&e)).await,
    };
    let now = chrono::Utc::now();
    blocking(store, move |s| s.outbox_mark_sent(&op_id, &answer, now)).await?;
    Ok(Outcome::Sent)
}

async fn conflict(store: &Store, op_id: &Arc<str>, server: Case) -> Result<Outcome> {
    let (id, now) = (op_id.clone(), chrono::Utc::now());
    blocking(store, move |s| s.outbox_mark_conflict(&id, &server, now)).await?;
    Ok(Outcome::Conflict)
}

async fn failed(store: &Store, op_id: &Arc<str>, reason: String) -> Result<Outcome> {
    let id = op_id.clone();
    blocking(store, move |s| s.outbox_mark_failed(&id, &reason)).await?;
    tracing::warn!(op_id = %op_id, "outbox entry refused by the server");
    Ok(Outcome::Failed)
}

/// Transient trouble, a refused token (the analyst fixes the account, the change waits), or an
/// answer garbled in transit: the write may have been applied, and the idempotency key makes
/// the resend safe. A server that garbles the same answer again and again is given up on.
fn worth_retrying(e: &RemoteError, attempts: u32) -> bool {
    e.is_transient()
        || matches!(e, RemoteError::Unauthorized { .. })
        || (matches!(e, RemoteError::MalformedBody { .. }) && attempts < MAX_GARBLED_ATTEMPTS)
}

/// Attempts after which an entry whose answers keep arriving garbled is marked failed.
const MAX_GARBLED_ATTEMPTS: u32 = 8;

/// The server's refusal in words an analyst can act on.
fn refusal(e: &RemoteError) -> String {
    match e {
        RemoteError::Validation { message } => format!("The server refused this change: {message}"),
        RemoteError::NotFound { message } => {
            format!("The case no longer exists on the server: {message}")
        }
        RemoteError::Forbidden { message } => {
            format!("You are not allowed to make this change: {message}")
        }
        other => other.to_string(),
    }
}

fn backoff(options: &PushOptions, attempts: u32, e: &RemoteError) -> Duration {
    if let RemoteError::RateLimited {
        retry_after: Some(after),
        ..
    } = e
    {
        return (*after).min(options.max_backoff);
    }
    let ceiling = Duration::from_millis(500)
        .saturating_mul(1u32 << attempts.min(16))
        .min(options.max_backoff);
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(60_000);
    Duration::from_millis(rand::thread_rng().gen_range(millis / 2..=millis.max(1)))
}

enum Request {
    Answer(ServerAnswer),
    Conflict(Case),
    Unreadable(String),
}

async fn request(client: &TradingGridClient, entry: &OutboxEntry) -> Result<Request, RemoteError> {
    let op = entry.op_id.as_str();
    let case_id = entry.case_id.as_str();
    let answer = match &entry.op {
        Err(unreadable) => return Ok(Request::Unreadable(unreadable.reason())),
        Ok(OutboxOp::CreateCase(new)) => ServerAnswer::Bundle(client.create_case(op, new).await?),
        Ok(OutboxOp::AddComment(comment)) => {
            ServerAnswer::Comment(client.add_comment(op, case_id, comment).await?)
        }
        Ok(OutboxOp::PatchCase(patch)) => {
            let base: Option<CasePatch> = entry
                .base
                .clone()
                .and_then(|b| serde_json::from_value(b).ok());
            if let Some(base) = base {
                let server = client.case(case_id).await?.case;
                if overtaken(patch, &base, &server) {
                    return Ok(Request::Conflict(server));
                }
            }
            ServerAnswer::Case(client.patch_case(op, case_id, patch).await?)
        }
        Ok(OutboxOp::LinkTransaction(link)) => ServerAnswer::Case(
            client
                .link_transaction(op, case_id, &link.transaction_id)
                .await?,
        ),
        Ok(OutboxOp::UnlinkTransaction(link)) => ServerAnswer::Case(
            client
                .unlink_transaction(op, case_id, &link.transaction_id)
                .await?,
        ),
    };
    Ok(Request::Answer(answer))
}

/// A field the analyst changed was also changed on the server since the value the analyst saw
/// (and not to the same value): the server's value wins.
fn overtaken(patch: &CasePatch, base: &CasePatch, server: &Case) -> bool {
    fn moved<T: PartialEq>(mine: Option<&T>, seen: Option<&T>, now: &T) -> bool {
        match (mine, seen) {
            (Some(mine), Some(seen)) => seen != now && mine != now,
            _ => false,
        }
    }
    moved(patch.status.as_ref(), base.status.as_ref(), &server.status)
        || moved(
            patch.priority.as_ref(),
            base.priority.as_ref(),
            &server.priority,
        )
        || moved(patch.owner.as_ref(), base.owner.as_ref(), &server.owner)
        || moved(
            patch.sla_due.as_ref(),
            base.sla_due.as_ref(),
            &server.sla_due,
        )
        || moved(patch.title.as_ref(), base.title.as_ref(), &server.title)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pd_domain::{CaseKind, CaseReferences, CaseStatus, Priority};

    fn server_case(status: CaseStatus) -> Case {
        let at = chrono::Utc::now();
        Case {
            id: "c1".into(),
            reference: "CASE-1".into(),
            title: "t".into(),
            partner_id: "p".into(),
            partner_name: "P".into(),
            kind: CaseKind::Order,
            status,
            priority: Priority::Normal,
            owner: None,
            sla_due: None,
            created_at: at,
            updated_at: at,
            linked_transactions: vec![],
            references: CaseReferences::default(),
            version: 3,
        }
    }

    #[test]
    fn a_field_changed_on_both_sides_is_overtaken() {
        let mine = CasePatch {
            status: Some(CaseStatus::Resolved),
            ..Default::default()
        };
        let seen = CasePatch {
            status: Some(CaseStatus::Open),
            ..Default::default()
        };
        assert!(overtaken(
            &mine,
            &seen,
            &server_case(CaseStatus::WaitingOnPartner)
        ));
        assert!(
            !overtaken(&mine, &seen, &server_case(CaseStatus::Open)),
            "server unchanged"
        );
        assert!(
            !overtaken(&mine, &seen, &server_case(CaseStatus::Resolved)),
            "same value"
        );
    }

    #[test]
    fn a_field_changed_only_on_the_server_is_not_a_conflict_for_another_field() {
        let mine = CasePatch {
            priority: Some(Priority::High),
            ..Default::default()
        };
        let seen = CasePatch {
            priority: Some(Priority::Normal),
            ..Default::default()
        };
        assert!(!overtaken(&mine, &seen, &server_case(CaseStatus::Closed)));
    }
}
