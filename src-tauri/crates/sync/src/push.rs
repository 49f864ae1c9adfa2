//! Sends the outbox: each entry once, in order within its case, cases side by side. Entries are
//! claimed atomically under a lease (renewed while a send runs), so two senders on one cache
//! file never send the same entry; a sender that died gives its entries back when its lease runs
//! out. The operation id goes out as the `Idempotency-Key`, so an entry whose answer was lost
//! (server killed, connection dropped, app killed) can be sent again without being applied twice.
//! Every failure after a send puts the entry back in the queue with a backoff.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use pd_domain::{
    Case, CasePatch, DocumentSource, NewDocument, NewDocumentLink, OutboxOp, OutboxState, Topic,
};
use pd_store::{OutboxEntry, ServerAnswer, Store, DEFAULT_LEASE};
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
    /// How long a claimed entry stays this sender's without a renewal (renewed every third of
    /// it while the send runs). A sender that dies gives its entries back after this.
    pub lease: Duration,
}

impl Default for PushOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            max_backoff: Duration::from_secs(60),
            lease: DEFAULT_LEASE,
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
    /// Back in the queue after a local failure (the answer could not be stored).
    Requeued,
    Conflict,
    /// Another sender settled the entry first (it took the claim over after this one's lease
    /// ran out): nothing to do here.
    Settled,
}

/// Times the server may accept an entry whose answer the cache cannot store before the entry
/// is failed with the reason (instead of being sent at every start).
pub const MAX_UNAPPLIED_ATTEMPTS: u32 = 5;

/// Times a patch is re-read and re-sent when the case changed between the read and the write
/// (412) before it is reported as a conflict.
pub const MAX_PRECONDITION_RETRIES: u32 = 3;

/// A name for one push run, stored with the entries it claims.
fn claimer_name() -> String {
    format!(
        "push:{}:{:016x}",
        std::process::id(),
        rand::thread_rng().gen::<u64>()
    )
}

/// Sends every due outbox entry. Stops early with the error when the server is unreachable or
/// refuses the credentials (the entries wait for the next push).
pub async fn push(
    store: &Store,
    client: &TradingGridClient,
    options: &PushOptions,
) -> Result<PushReport> {
    push_with(
        store,
        client,
        options,
        |store, client, options, entry| async move {
            send_entry(&store, &client, &options, entry).await
        },
    )
    .await
}

/// [`push`] with the send of one entry given (tests make one panic).
async fn push_with<F, Fut>(
    store: &Store,
    client: &TradingGridClient,
    options: &PushOptions,
    send: F,
) -> Result<PushReport>
where
    F: Fn(Store, TradingGridClient, PushOptions, OutboxEntry) -> Fut,
    Fut: std::future::Future<Output = Result<Outcome>> + Send + 'static,
{
    let mut report = PushReport::default();
    let limit = u32::try_from(options.concurrency.max(1)).unwrap_or(4);
    let claimer: Arc<str> = Arc::from(claimer_name());
    let lease = options.lease.max(Duration::from_millis(300));
    loop {
        let now = chrono::Utc::now();
        let who = claimer.clone();
        let batch = blocking(store, move |s| s.outbox_claim(&who, limit, now, lease)).await?;
        if batch.is_empty() {
            return Ok(report);
        }
        let mut tasks = JoinSet::new();
        let mut claimed = HashMap::new();
        for entry in batch {
            let (op_id, attempts) = (Arc::<str>::from(entry.op_id.as_str()), entry.attempts);
            let (who, id) = (claimer.clone(), op_id.clone());
            let sending = send(store.clone(), client.clone(), options.clone(), entry);
            let (store, options) = (store.clone(), options.clone());
            let task = tasks.spawn(async move {
                with_renewed_lease(&store, &options, &who, &id, sending).await
            });
            claimed.insert(task.id(), (op_id, attempts));
        }
        let mut stop: Option<Error> = None;
        while let Some(joined) = tasks.join_next_with_id().await {
            let outcome = match joined {
                Ok((id, outcome)) => {
                    claimed.remove(&id);
                    outcome
                }
                Err(join_error) => {
                    // A sibling's panic: its entry goes back to the queue with a backoff; the
                    // other sends run to their end.
                    let reason = format!("sending stopped unexpectedly: {join_error}");
                    if let Some((op_id, attempts)) = claimed.remove(&join_error.id()) {
                        let wait = backoff(options, attempts, None);
                        requeue(store, &op_id, reason.clone(), wait).await;
                    }
                    tracing::error!(%reason, "an outbox send panicked");
                    Err(Error::from(join_error))
                }
            };
            match outcome {
                Ok(Outcome::Sent) => report.sent += 1,
                Ok(Outcome::Failed) => report.failed += 1,
                Ok(Outcome::Conflict) => report.conflicts += 1,
                Ok(Outcome::Requeued) => report.rescheduled += 1,
                Ok(Outcome::Settled) => {}
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

/// Runs one send while renewing its lease every third of the lease.
async fn with_renewed_lease(
    store: &Store,
    options: &PushOptions,
    claimer: &Arc<str>,
    op_id: &str,
    sending: impl std::future::Future<Output = Result<Outcome>>,
) -> Result<Outcome> {
    let lease = options.lease.max(Duration::from_millis(300));
    let renewing = async {
        loop {
            tokio::time::sleep(lease / 3).await;
            let until = chrono::Utc::now() + chrono::Duration::from_std(lease).unwrap_or_default();
            let (who, id) = (claimer.clone(), op_id.to_string());
            match blocking(store, move |s| s.outbox_renew(&id, &who, until)).await {
                Ok(true) => {}
                Ok(false) => tracing::warn!(op_id, "the claim on an outbox entry was lost"),
                Err(e) => tracing::warn!(op_id, error = %e, "could not renew an outbox lease"),
            }
        }
    };
    tokio::select! {
        outcome = sending => outcome,
        never = renewing => never,
    }
}

/// Puts an entry back in the queue after a local failure; when even that write fails, its lease
/// brings it back.
async fn requeue(store: &Store, op_id: &Arc<str>, reason: String, wait: Duration) {
    let next = chrono::Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
    let id = op_id.clone();
    if let Err(e) = blocking(store, move |s| s.outbox_reschedule(&id, &reason, next)).await {
        tracing::error!(op_id = %op_id, error = %e, "could not re-queue an outbox entry; its lease will");
    }
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
    let answer = match request(store, client, &entry).await {
        Ok(Request::Answer(answer)) => answer,
        Ok(Request::Conflict(server)) => {
            return settle_conflict(store, options, &entry, server).await
        }
        Ok(Request::Unreadable(reason)) => return failed(store, &op_id, reason).await,
        Err(e) if worth_retrying(&e, entry.attempts) => {
            return reschedule(store, options, &entry, e).await
        }
        Err(RemoteError::Conflict { .. }) => match client.case(&entry.case_id).await {
            Ok(bundle) => return settle_conflict(store, options, &entry, bundle.case).await,
            // The refusal is known, the server's case is not: try again later.
            Err(e) => return reschedule(store, options, &entry, e).await,
        },
        Err(e) => return failed(store, &op_id, refusal(&e)).await,
    };
    let now = chrono::Utc::now();
    let id = op_id.clone();
    match blocking(store, move |s| s.outbox_mark_sent(&id, &answer, now)).await {
        Ok(()) => {
            if let Ok(OutboxOp::AttachDocument(NewDocument {
                source: DocumentSource::Spooled { file },
                ..
            })) = &entry.op
            {
                // The server has the bytes: the spooled copy has done its job (unless the same
                // bytes are queued on another case too).
                let file = file.clone();
                if let Err(e) = blocking(store, move |s| s.release_spooled(&file)).await {
                    tracing::warn!(error = %e, "a sent document's spooled copy could not be removed");
                }
            }
            Ok(Outcome::Sent)
        }
        Err(e) => unapplied(store, options, &entry, e).await,
    }
}

/// A transient failure: back to pending with a backoff.
async fn reschedule(
    store: &Store,
    options: &PushOptions,
    entry: &OutboxEntry,
    e: RemoteError,
) -> Result<Outcome> {
    let wait = backoff(options, entry.attempts, Some(&e));
    let next = chrono::Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
    let reason = e.to_string();
    let id = entry.op_id.clone();
    match blocking(store, move |s| s.outbox_reschedule(&id, &reason, next)).await {
        Ok(()) => {}
        Err(Error::Store(pd_store::StoreError::NotFound { .. })) => return Ok(Outcome::Settled),
        Err(store_error) => return Err(store_error),
    }
    tracing::info!(op_id = %entry.op_id, code = %e.code(), "outbox entry will be retried");
    Ok(Outcome::Rescheduled(e))
}

/// The server answered but the cache could not take the answer in: back to pending with a
/// backoff (the resend is answered from the server's idempotency store), failed with the reason
/// after [`MAX_UNAPPLIED_ATTEMPTS`].
async fn unapplied(
    store: &Store,
    options: &PushOptions,
    entry: &OutboxEntry,
    e: Error,
) -> Result<Outcome> {
    if let Error::Store(pd_store::StoreError::NotFound { .. }) = e {
        return Ok(Outcome::Settled);
    }
    let reason =
        format!("The server accepted this change, but the cache could not store its answer: {e}");
    let wait = backoff(options, entry.attempts, None);
    let next = chrono::Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
    let id = entry.op_id.clone();
    tracing::warn!(op_id = %entry.op_id, error = %e, "an accepted change could not be stored");
    let state = blocking(store, move |s| {
        s.outbox_answer_unapplied(&id, &reason, next, MAX_UNAPPLIED_ATTEMPTS)
    })
    .await?;
    Ok(if state == OutboxState::Failed {
        Outcome::Failed
    } else {
        Outcome::Requeued
    })
}

async fn settle_conflict(
    store: &Store,
    options: &PushOptions,
    entry: &OutboxEntry,
    server: Case,
) -> Result<Outcome> {
    let (id, now) = (entry.op_id.clone(), chrono::Utc::now());
    match blocking(store, move |s| s.outbox_mark_conflict(&id, &server, now)).await {
        Ok(()) => Ok(Outcome::Conflict),
        Err(e) => unapplied(store, options, entry, e).await,
    }
}

async fn failed(store: &Store, op_id: &Arc<str>, reason: String) -> Result<Outcome> {
    let id = op_id.clone();
    match blocking(store, move |s| s.outbox_mark_failed(&id, &reason)).await {
        Ok(()) => {}
        Err(Error::Store(pd_store::StoreError::NotFound { .. })) => return Ok(Outcome::Settled),
        Err(e) => return Err(e),
    }
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

fn backoff(options: &PushOptions, attempts: u32, e: Option<&RemoteError>) -> Duration {
    if let Some(RemoteError::RateLimited {
        retry_after: Some(after),
        ..
    }) = e
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

async fn request(
    store: &Store,
    client: &TradingGridClient,
    entry: &OutboxEntry,
) -> Result<Request, RemoteError> {
    let op = entry.op_id.as_str();
    let case_id = entry.case_id.as_str();
    let answer = match &entry.op {
        Err(unreadable) => return Ok(Request::Unreadable(unreadable.reason())),
        // Claimed only by the connector push (its lane); never sent to the case server.
        Ok(OutboxOp::Connector(write)) => {
            return Ok(Request::Unreadable(format!(
                "{} belongs to a connector, not to the case server.",
                write.describe()
            )))
        }
        Ok(OutboxOp::CreateCase(new)) => ServerAnswer::Bundle(client.create_case(op, new).await?),
        Ok(OutboxOp::AddComment(comment)) => {
            ServerAnswer::Comment(client.add_comment(op, case_id, comment).await?)
        }
        Ok(OutboxOp::PatchCase(patch)) => {
            let base: Option<CasePatch> = entry
                .base
                .clone()
                .and_then(|b| serde_json::from_value(b).ok());
            let Some(base) = base else {
                return Ok(Request::Answer(ServerAnswer::Case(
                    client.patch_case(op, case_id, patch).await?,
                )));
            };
            // Read, compare, then write only if the case is still at the version read: a change
            // made on the server in between is a 412, and the read starts again.
            let mut tries = 0;
            loop {
                let server = client.case(case_id).await?.case;
                if overtaken(patch, &base, &server) {
                    return Ok(Request::Conflict(server));
                }
                match client
                    .patch_case_if_match(op, case_id, patch, Some(server.version))
                    .await
                {
                    Ok(case) => break ServerAnswer::Case(case),
                    Err(RemoteError::PreconditionFailed { .. })
                        if tries < MAX_PRECONDITION_RETRIES =>
                    {
                        tries += 1;
                    }
                    Err(RemoteError::PreconditionFailed { .. }) => {
                        // The case keeps changing under this patch: the server's case wins and
                        // the analyst's values are kept as conflicts.
                        return Ok(Request::Conflict(client.case(case_id).await?.case));
                    }
                    Err(e) => return Err(e),
                }
            }
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
        Ok(OutboxOp::AttachDocument(doc)) => match &doc.source {
            DocumentSource::Spooled { file } => {
                if !pd_store::is_plain_spool_name(file) {
                    return Ok(Request::Unreadable(format!(
                        "The queued document {} names no file of the spool folder; discard it and attach the file again.",
                        doc.name
                    )));
                }
                let path = store.spool_dir().join(file);
                if !path.is_file() {
                    return Ok(Request::Unreadable(format!(
                        "The copy of {} kept for sending is gone from {}; discard this change and attach the file again.",
                        doc.name,
                        store.spool_dir().display()
                    )));
                }
                ServerAnswer::Document(client.upload_new_document(op, case_id, &path, doc).await?)
            }
            DocumentSource::S3 { bucket, key } => ServerAnswer::Document(
                client
                    .link_document(
                        op,
                        case_id,
                        &NewDocumentLink {
                            id: doc.id.clone(),
                            name: doc.name.clone(),
                            size: doc.size,
                            sha256: doc.sha256.clone(),
                            media_type: doc.media_type.clone(),
                            uploaded_by: Some(doc.uploaded_by.clone()),
                            bucket: bucket.clone(),
                            key: key.clone(),
                        },
                    )
                    .await?,
            ),
        },
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
    use pd_domain::{CaseKind, CaseReferences, CaseStatus, Priority, Visibility};

    #[tokio::test]
    async fn a_send_that_panics_goes_back_to_the_queue_and_its_siblings_finish() {
        let sandbox = partnerdesk_sandbox::Sandbox::start(partnerdesk_sandbox::SandboxConfig {
            cases: 10,
            ..Default::default()
        })
        .await
        .expect("sandbox");
        let defaults = partnerdesk_sandbox::SandboxConfig::default();
        let client = TradingGridClient::new(pd_tradinggrid::ClientConfig::new(
            url::Url::parse(&sandbox.base_url()).expect("url"),
            sandbox.company_id(),
            defaults.consumer_key,
            defaults.consumer_secret,
        ))
        .expect("client");
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path().join("cache.db")).expect("store");
        crate::pull(
            &store,
            &client,
            &crate::PullOptions::default(),
            chrono::Utc::now(),
        )
        .await
        .expect("pull");
        let cases: Vec<String> = store
            .list_cases(&pd_domain::CaseQuery::default(), chrono::Utc::now())
            .expect("cases")
            .rows
            .into_iter()
            .take(3)
            .map(|r| r.id)
            .collect();
        for (i, case_id) in cases.iter().enumerate() {
            let body = if i == 1 { "boom" } else { "fine" };
            store
                .add_local_comment(
                    case_id,
                    "Ann",
                    body,
                    Visibility::Internal,
                    chrono::Utc::now(),
                )
                .expect("comment");
        }
        let options = PushOptions {
            max_backoff: Duration::from_millis(50),
            ..PushOptions::default()
        };
        let started = chrono::Utc::now();
        let outcome = push_with(
            &store,
            &client,
            &options,
            |store, client, options, entry| async move {
                if let Ok(OutboxOp::AddComment(comment)) = &entry.op {
                    assert!(comment.body != "boom", "a bug in one send");
                }
                send_entry(&store, &client, &options, entry).await
            },
        )
        .await;
        assert!(outcome.is_err(), "the panic is reported");
        let left = store.outbox_entries().expect("entries");
        assert_eq!(left.len(), 1, "the two other sends finished: {left:?}");
        let entry = &left[0];
        assert_eq!(entry.case_id, cases[1]);
        assert_eq!(
            entry.state,
            pd_domain::OutboxState::Pending,
            "not stuck in flight"
        );
        assert!(
            entry.next_attempt_at.is_some_and(|t| t > started),
            "with a backoff"
        );
        assert!(
            entry
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("stopped unexpectedly")),
            "{:?}",
            entry.last_error
        );
        sandbox.shutdown().await.expect("stop");
    }

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
