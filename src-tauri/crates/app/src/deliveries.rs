//! "Send to partner…" (issue 11, point 6): a case's document delivered to a partner's SFTP
//! inbox. `deliver_document` queues it durably in the cache (`deliveries`, migration 17); the
//! supervised "Deliveries" job runs the queue (the bytes from the document cache, else
//! downloaded from the case server or S3; then `pd-transfer`'s `Deliverer`: temporary name,
//! rename, record on the case once), shows each delivery in the Transfers view with progress,
//! cancel (the temporary file removed from the server) and retry, and tries a delivery that met
//! the network or a down server again after 2, 4 ... 60 s. A refusal (host key, permission
//! denied, a partner's inbox full of same-named files) waits for the analyst. Deliveries queued
//! offline or before a restart go out once the app runs and the server answers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pd_domain::{
    ConnectorSettings, ConnectorWork, DeliveryState, DeliveryTarget, DeliveryView, ErrorCode,
    SftpSettings, Topic, TransferAction, TransferDirection, TransferState, WorkKind,
};
use pd_settings::CONNECTOR_SECRET;
use pd_store::{DeliveryRecord, NewDelivery, Store};
use pd_transfer::{Delivered, Deliverer};

use crate::error::AppError;
use crate::queue_job::{self, JobContext, JobQueue, Pace, QueueJob};
use crate::state::{ActiveWorkspace, AppState};
use crate::transfers::{NewTransfer, TransferControl};
use crate::CommandResult;

/// How often the queue is looked at while deliveries wait or run, and when nothing waits (a
/// new delivery wakes it sooner).
const PACE: Pace = Pace {
    busy: Duration::from_millis(500),
    idle: Duration::from_secs(30),
};
/// Deliveries running at once.
const AT_ONCE: usize = 2;

/// The deliveries job's shared state; part of the app state.
#[derive(Default, Clone)]
pub struct Deliveries(Arc<Inner>);

#[derive(Default)]
struct Inner {
    /// The queue's bookkeeping; a running delivery's handle is the flag that cancels it.
    queue: JobQueue<Arc<AtomicBool>>,
}

impl QueueJob for Inner {
    type Handle = Arc<AtomicBool>;

    fn queue(&self) -> &JobQueue<Arc<AtomicBool>> {
        &self.queue
    }
}

impl std::fmt::Debug for Deliveries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliveries").finish_non_exhaustive()
    }
}

/// A partner inbox folder as entered in Settings: refused in words when it cannot be used.
pub(crate) fn check_inbox(inbox: Option<&str>) -> Result<(), AppError> {
    let Some(inbox) = inbox else {
        return Err(AppError::reported(
            ErrorCode::InputInvalid,
            "Enter the partner inbox folder on the server (for example /inbound).",
        ));
    };
    if inbox.chars().any(char::is_control) || inbox.len() > 1024 {
        return Err(AppError::reported(
            ErrorCode::InputInvalid,
            "The partner inbox must be a folder path on the server, such as /inbound, without control characters.",
        ));
    }
    if inbox.split('/').any(|part| part == "..") {
        return Err(AppError::reported(
            ErrorCode::InputInvalid,
            "The partner inbox cannot climb out of a folder (\"..\"): enter the folder itself, such as /inbound.",
        ));
    }
    Ok(())
}

/// What the job needs of the app, without keeping a closed app alive (invariant 13).
type Context = JobContext<Inner>;

/// Starts the deliveries job (once, with the app state).
pub(crate) fn start_job(state: &AppState) {
    let job = &state.deliveries.0;
    queue_job::spawn(
        state,
        "Deliveries",
        job,
        PACE,
        |context, inner| async move { turn(&context, &inner).await },
    );
}

/// A delivery's id in the Transfers view (`deliver:<id>`, so the documents panel tells it from
/// an upload of the case's own files).
pub fn transfer_id(delivery_id: &str) -> String {
    format!("deliver:{delivery_id}")
}

fn transfer_of(record: &DeliveryRecord) -> NewTransfer {
    NewTransfer {
        id: transfer_id(&record.delivery.id),
        direction: TransferDirection::Upload,
        name: format!(
            "{} → {} {}",
            record.delivery.document_name, record.delivery.connector_name, record.delivery.inbox
        ),
        case_id: record.delivery.case_id.clone(),
        total_bytes: record.delivery.size,
    }
}

/// Shows the queue (an earlier run's deliveries too) and starts what may run; answers whether
/// any delivery waits or runs.
async fn turn(context: &Context, inner: &Arc<Inner>) -> bool {
    let Some(workspace) = context.workspace() else {
        return false;
    };
    let store = workspace.store.clone();
    let Ok(Ok(open)) = tokio::task::spawn_blocking(move || {
        store.deliveries_in(&[DeliveryState::Queued, DeliveryState::Failed])
    })
    .await
    else {
        return false;
    };
    for record in &open {
        if inner.queue.show(&record.delivery.id) {
            show(context, &workspace.store, record);
        }
    }
    let now = Instant::now();
    let mut waiting = false;
    for record in open
        .into_iter()
        .filter(|r| r.state == DeliveryState::Queued)
    {
        waiting = true;
        let cancel = Arc::new(AtomicBool::new(false));
        if !inner
            .queue
            .claim(&record.delivery.id, now, AT_ONCE, cancel.clone())
        {
            continue;
        }
        tokio::spawn(run_delivery(
            context.clone(),
            workspace.clone(),
            record,
            cancel,
        ));
    }
    waiting || inner.queue.busy()
}

/// Puts a delivery in the Transfers view with its control, in its stored state.
fn show(context: &Context, store: &Store, record: &DeliveryRecord) {
    let control = DeliveryControl {
        context: context.clone(),
        store: store.clone(),
        id: record.delivery.id.clone(),
    };
    context
        .transfers
        .begin(transfer_of(record), Some(Arc::new(control)));
    let view = record.view();
    let tid = transfer_id(&view.id);
    match record.state {
        DeliveryState::Failed => context
            .transfers
            .finish(&tid, TransferState::Failed, view.error),
        _ => context
            .transfers
            .finish(&tid, TransferState::Queued, view.error),
    }
}

/// The SFTP connector of a delivery and its secret, from the settings file and the keychain.
async fn connector_of(
    context: &Context,
    record: &DeliveryRecord,
) -> Result<(SftpSettings, Option<String>, pd_settings::Settings), AppError> {
    let settings = pd_settings::load(&context.settings_path)?;
    let connector = settings
        .connectors
        .iter()
        .find(|c| c.id.to_string() == record.delivery.connector_id)
        .cloned();
    let Some(connector) = connector else {
        return Err(AppError::reported(
            ErrorCode::DeliveryConnectorGone,
            format!(
                "{} was to go through the SFTP connector {}, which is no longer in Settings. Add it again, then retry.",
                record.delivery.document_name, record.delivery.connector_name
            ),
        ));
    };
    let ConnectorSettings::Sftp(sftp) = connector.settings.clone() else {
        return Err(AppError::reported(
            ErrorCode::DeliveryConnectorGone,
            format!(
                "The connector {} is no longer an SFTP connector.",
                connector.name
            ),
        ));
    };
    let secret = context
        .keychain
        .get(connector.id, CONNECTOR_SECRET)
        .await?
        .map(|s| s.expose_secret().to_owned());
    Ok((sftp, secret, settings))
}

/// Runs one delivery to its end (sent, cancelled, failed, or back in the queue for later).
async fn run_delivery(
    context: Context,
    workspace: Arc<ActiveWorkspace>,
    record: DeliveryRecord,
    cancel: Arc<AtomicBool>,
) {
    let id = record.delivery.id.clone();
    let tid = transfer_id(&id);
    let transfers = context.transfers.clone();
    transfers.progress(&tid, 0);
    let ended = async {
        let (sftp, secret, settings) = connector_of(&context, &record).await?;
        let document = crate::documents::find_document(
            &workspace,
            &record.delivery.case_id,
            &record.delivery.document_id,
        )
        .await?;
        let source =
            crate::documents::source_in(&workspace, &settings, &context.keychain, &document);
        let path = crate::documents::local_copy_with(
            &transfers,
            &context.changes,
            &workspace,
            &document,
            source,
        )
        .await?;
        let progress: pd_transfer::Progress = {
            let (transfers, tid) = (transfers.clone(), tid.clone());
            Arc::new(move |bytes| transfers.progress(&tid, bytes))
        };
        Deliverer::new(workspace.store.clone(), sftp, secret)
            .run(&id, &path, &cancel, &progress)
            .await
            .map_err(|error| AppError::reported(error.code(), error.to_string()))
    }
    .await;
    let Some(inner) = context.job.upgrade() else {
        return;
    };
    inner.queue.ended(&id);
    let store = workspace.store.clone();
    let set_state = |state: DeliveryState, error: Option<(ErrorCode, String)>| {
        let (store, id) = (store.clone(), id.clone());
        tokio::task::spawn_blocking(move || {
            store.set_delivery_state(
                &id,
                state,
                error
                    .as_ref()
                    .map(|(code, words)| (code.as_str(), words.as_str())),
                chrono::Utc::now(),
            )
        })
    };
    match ended {
        Ok(Delivered::Sent | Delivered::Recovered | Delivered::AlreadySent) => {
            inner.queue.clear_back_off(&id);
            transfers.finish(&tid, TransferState::Done, None);
            context
                .changes
                .report(&[Topic::Cases, Topic::Documents, Topic::Outbox]);
            workspace.nudge();
        }
        Ok(Delivered::Cancelled) => {
            let _ = set_state(DeliveryState::Cancelled, None).await;
            transfers.finish(&tid, TransferState::Cancelled, None);
            context.changes.report(&[Topic::Documents]);
        }
        Err(_) if cancel.load(Ordering::SeqCst) => {
            let _ = set_state(DeliveryState::Cancelled, None).await;
            transfers.finish(&tid, TransferState::Cancelled, None);
            context.changes.report(&[Topic::Documents]);
        }
        Err(error) => {
            let info = error.to_info();
            if is_network(info.code) {
                // The network or the server: the same delivery again later, from the start of
                // its temporary file (the final name stays as chosen).
                let pause = inner.queue.back_off(&id);
                let words = format!("{} Trying again in {} s.", info.message, pause.as_secs());
                let _ = set_state(DeliveryState::Queued, Some((info.code, words.clone()))).await;
                transfers.finish(
                    &tid,
                    TransferState::Queued,
                    Some(pd_domain::ErrorInfo {
                        code: info.code,
                        message: words,
                    }),
                );
            } else {
                let _ = set_state(
                    DeliveryState::Failed,
                    Some((info.code, info.message.clone())),
                )
                .await;
                transfers.finish(&tid, TransferState::Failed, Some(info));
            }
            context.changes.report(&[Topic::Documents]);
        }
    }
    inner.queue.wake();
}

/// Whether a failure is tried again later: the network or the server away or busy
/// ([`ErrorCode::is_transient`]), or the document's bytes not reachable now.
fn is_network(code: ErrorCode) -> bool {
    code.is_transient() || code == ErrorCode::DocumentOffline
}

/// Cancel and retry of a delivery from the Transfers view.
struct DeliveryControl {
    context: Context,
    store: Store,
    id: String,
}

impl DeliveryControl {
    fn running(&self) -> Option<Arc<AtomicBool>> {
        self.context.job.upgrade()?.queue.running(&self.id)
    }

    fn refuse(words: String) -> AppError {
        AppError::reported(ErrorCode::TransferState, words)
    }
}

impl TransferControl for DeliveryControl {
    fn act(&self, action: TransferAction) -> Result<(), AppError> {
        let record = self.store.delivery(&self.id)?.ok_or_else(|| {
            AppError::reported(
                ErrorCode::TransferNotFound,
                ErrorCode::TransferNotFound.words(),
            )
        })?;
        let name = &record.delivery.document_name;
        let now = chrono::Utc::now();
        match (action, record.state) {
            (_, DeliveryState::Sent) => Err(Self::refuse(format!(
                "{name} is already in the partner's inbox."
            ))),
            (TransferAction::Pause | TransferAction::Resume, _) => Err(Self::refuse(format!(
                "A delivery cannot be paused: cancel it, and send {name} again later."
            ))),
            (TransferAction::Cancel, DeliveryState::Cancelled) => Ok(()),
            (TransferAction::Cancel, _) => {
                if let Some(flag) = self.running() {
                    // The run stops, removes its temporary file and says so.
                    flag.store(true, Ordering::SeqCst);
                    return Ok(());
                }
                self.store
                    .set_delivery_state(&self.id, DeliveryState::Cancelled, None, now)?;
                self.context.transfers.finish(
                    &transfer_id(&self.id),
                    TransferState::Cancelled,
                    None,
                );
                self.context.changes.report(&[Topic::Documents]);
                // A run that failed midway may have left its temporary file: removed if the
                // server answers (it is a dot-name the partner's pickup skips either way).
                let context = self.context.clone();
                let (store, id) = (self.store.clone(), self.id.clone());
                if let Ok(handle) = tokio::runtime::Handle::try_current() {
                    handle.spawn(async move {
                        if let Ok((sftp, secret, _)) = connector_of(&context, &record).await {
                            if let Err(error) = Deliverer::new(store, sftp, secret)
                                .remove_temporary(&id)
                                .await
                            {
                                tracing::info!(%error, "temporary file of a cancelled delivery not removed");
                            }
                        }
                    });
                }
                Ok(())
            }
            (TransferAction::Retry, _) => {
                if record.state != DeliveryState::Queued {
                    self.store
                        .set_delivery_state(&self.id, DeliveryState::Queued, None, now)?;
                    self.context.transfers.finish(
                        &transfer_id(&self.id),
                        TransferState::Queued,
                        None,
                    );
                }
                self.context.changes.report(&[Topic::Documents]);
                self.context.retry_now(&self.id);
                Ok(())
            }
        }
    }
}

fn works(store: &Store) -> pd_store::Result<Vec<ConnectorWork>> {
    Ok(store
        .connector_work()?
        .into_iter()
        .filter_map(|(_, json)| serde_json::from_value(json).ok())
        .collect())
}

/// The SFTP connectors with a partner inbox (and their work switched on).
async fn targets(state: &AppState, store: &Store) -> CommandResult<Vec<DeliveryTarget>> {
    let store = store.clone();
    let works = tokio::task::spawn_blocking(move || works(&store)).await??;
    let settings = state.settings().await;
    Ok(works
        .iter()
        .filter(|w| w.kind == WorkKind::Sftp && w.enabled)
        .filter_map(|w| {
            let inbox = w.partner_inbox.clone()?;
            let connector = settings
                .connectors
                .iter()
                .find(|c| c.id.to_string() == w.connector_id)?;
            let ConnectorSettings::Sftp(sftp) = &connector.settings else {
                return None;
            };
            let server = if sftp.port == 22 {
                format!("{}@{}", sftp.user, sftp.host)
            } else {
                format!("{}@{}:{}", sftp.user, sftp.host, sftp.port)
            };
            Some(DeliveryTarget {
                connector_id: connector.id.to_string(),
                name: connector.name.clone(),
                inbox,
                server,
            })
        })
        .collect())
}

/// Where "Send to partner…" can send: SFTP connectors with a partner inbox.
pub async fn delivery_targets(state: &AppState) -> CommandResult<Vec<DeliveryTarget>> {
    targets(state, &state.current().store).await
}

/// Queues a case's document for a partner's SFTP inbox; answers the delivery.
pub async fn deliver_document(
    state: &AppState,
    case_id: String,
    document_id: String,
    connector_id: String,
) -> CommandResult<DeliveryView> {
    let workspace = state.current();
    state.ensure_writable(&workspace)?;
    let all = targets(state, &workspace.store).await?;
    let target = match all.iter().find(|t| t.connector_id == connector_id) {
        Some(target) => target.clone(),
        None if all.is_empty() => {
            return Err(AppError::reported(
                ErrorCode::DeliveryNoInbox,
                ErrorCode::DeliveryNoInbox.words(),
            ))
        }
        None => {
            return Err(AppError::reported(
                ErrorCode::DeliveryNoInbox,
                "That connector has no partner inbox any more: choose another, or set its inbox in Settings → Connector work.",
            ))
        }
    };
    let document = crate::documents::find_document(&workspace, &case_id, &document_id).await?;
    let new = NewDelivery {
        id: uuid::Uuid::new_v4().to_string(),
        case_id,
        document_id,
        document_name: document.name.clone(),
        size: document.size,
        sha256: document.sha256.to_ascii_lowercase(),
        connector_id: target.connector_id.clone(),
        connector_name: target.name.clone(),
        inbox: target.inbox.clone(),
        queued_by: workspace.info.analyst.clone(),
    };
    let (store, queued) = (workspace.store.clone(), new.clone());
    let record = tokio::task::spawn_blocking(move || {
        store.queue_delivery(&queued, chrono::Utc::now())?;
        store.delivery(&queued.id)
    })
    .await??
    .ok_or_else(|| AppError::internal("a queued delivery could not be read back"))?;
    let context = Context::of(state, &state.deliveries.0);
    state.deliveries.0.queue.show(&new.id);
    show(&context, &workspace.store, &record);
    context.wake();
    state.changes.report(&[Topic::Documents]);
    tracing::info!(delivery = %new.id, "document queued for a partner inbox");
    Ok(record.view())
}

/// A case's deliveries, newest first.
pub async fn case_deliveries(
    state: &AppState,
    case_id: String,
) -> CommandResult<Vec<DeliveryView>> {
    let store = state.current().store.clone();
    let records = tokio::task::spawn_blocking(move || store.case_deliveries(&case_id)).await??;
    Ok(records.iter().map(DeliveryRecord::view).collect())
}
