//! The upload side of the Transfers view (issue 10): one background job under the supervisor
//! follows every attached file until the server has it. A small file's record travels in the
//! case outbox (its entry is followed here: queued, failed with the server's words, done);
//! a large file goes through the persisted S3 upload queue (`pd-transfer` `Uploader`, state in
//! the cache's `uploads` tables), separate from the outbox so a 2 GiB upload never holds a
//! comment behind it: at most `UploadSettings.concurrency` at once, resumed when the app starts,
//! a network failure retried later, pause / resume / cancel / retry from the Transfers view;
//! once a run, the incomplete uploads nothing will complete are aborted on the server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use pd_domain::{
    AttachOutcome, ConnectorSettings, ErrorCode, ErrorInfo, Topic, TransferAction,
    TransferDirection, TransferState, UploadRoute, UploadSettings,
};
use pd_store::{Delivery, Store, UploadRecord, UploadState};
use pd_transfer::{Finished, Inspected, Stop, UploadPlan, Uploader};
use tokio::sync::watch;

use crate::error::AppError;
use crate::queue_job::{self, JobContext, JobQueue, Pace, QueueJob};
use crate::state::{ActiveWorkspace, AppState};
use crate::transfers::{NewTransfer, TransferControl, Transfers};

/// How often followed entries are looked at while some are on their way, and how long the job
/// sleeps when nothing is on its way (a wake comes sooner).
const PACE: Pace = Pace {
    busy: Duration::from_millis(300),
    idle: Duration::from_secs(30),
};

/// A small file whose record is in the case outbox.
#[derive(Clone)]
struct Followed {
    store: Store,
    document_id: String,
}

/// What the uploads job follows; part of the app state.
#[derive(Default, Clone)]
pub struct Uploads(Arc<Inner>);

#[derive(Default)]
struct Inner {
    followed: Mutex<Vec<Followed>>,
    /// The S3 queue's bookkeeping; a running upload's handle is the sender that pauses or
    /// cancels it.
    queue: JobQueue<watch::Sender<Option<Stop>>>,
    /// The sweeps of incomplete uploads, by cache file and connector: done this run (`None`),
    /// or last tried when the server could not be reached.
    swept: Mutex<HashMap<(std::path::PathBuf, String), Option<Instant>>>,
}

impl QueueJob for Inner {
    type Handle = watch::Sender<Option<Stop>>;

    fn queue(&self) -> &JobQueue<Self::Handle> {
        &self.queue
    }
}

impl std::fmt::Debug for Uploads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uploads").finish_non_exhaustive()
    }
}

/// Asks the uploads job to look now.
pub fn wake(state: &AppState) {
    state.uploads.0.queue.wake();
}

/// A hook that wakes the uploads job, holding it weakly (a closed app's job is not kept): drop
/// folders call it when they queue a large file.
pub(crate) fn waker(state: &AppState) -> impl Fn() + Send + Sync + 'static {
    let inner = Arc::downgrade(&state.uploads.0);
    move || {
        if let Some(inner) = inner.upgrade() {
            inner.queue.wake();
        }
    }
}

/// The S3 connector files above the size limit go to: the one the upload settings name, else
/// the first S3 connector (the analyst's drops and drop folders alike).
pub(crate) fn upload_connector<'a>(
    all: &'a pd_settings::Settings,
    settings: &UploadSettings,
) -> Option<&'a pd_settings::Connector> {
    all.connectors
        .iter()
        .filter(|c| matches!(c.settings, ConnectorSettings::S3(_)))
        .find(|c| {
            settings
                .connector_id
                .as_deref()
                .is_none_or(|id| c.id.to_string() == id)
        })
}

/// Follows a small file's outbox entry until the server has its record.
pub(crate) fn track_spooled(state: &AppState, store: &Store, document_id: &str) {
    state
        .uploads
        .0
        .followed
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Followed {
            store: store.clone(),
            document_id: document_id.to_owned(),
        });
    wake(state);
}

/// What the uploads job needs of the app, without keeping a closed app alive.
type Context = JobContext<Inner>;

impl Context {
    /// The S3 client of an S3 connector, with its secret from the keychain.
    async fn s3_of(
        &self,
        connector: &pd_settings::Connector,
    ) -> Result<pd_connectors::S3Client, AppError> {
        let ConnectorSettings::S3(s3) = &connector.settings else {
            return Err(AppError::internal("connector kind changed"));
        };
        let secret = self
            .keychain
            .get(connector.id, pd_settings::CONNECTOR_SECRET)
            .await?;
        pd_connectors::S3Client::new(
            s3,
            secret.as_ref().map(|s| s.expose_secret()),
            &pd_connectors::ConnectorOptions::default(),
        )
        .map_err(crate::documents::connector_error)
    }

    /// The S3 client and bucket for an upload: its connector, else the connector of its bucket.
    async fn s3_for(&self, upload: &UploadRecord) -> Result<pd_connectors::S3Client, AppError> {
        let settings = pd_settings::load(&self.settings_path).unwrap_or_default();
        let connector = settings
            .connectors
            .iter()
            .find(|c| {
                upload.upload.connector_id.as_deref() == Some(c.id.to_string().as_str())
                    && matches!(c.settings, ConnectorSettings::S3(_))
            })
            .or_else(|| {
                settings.connectors.iter().find(|c| {
                    matches!(&c.settings, ConnectorSettings::S3(s) if s.bucket.trim() == upload.upload.bucket)
                })
            })
            .cloned()
            .ok_or_else(|| {
                AppError::reported(
                    ErrorCode::DocumentNoConnector,
                    format!(
                        "{} goes to the bucket \"{}\", and no S3 connector in Settings reaches it any more. Add the connector again, then retry.",
                        upload.upload.name, upload.upload.bucket
                    ),
                )
            })?;
        self.s3_of(&connector).await
    }
}

/// How long a sweep the server did not answer waits before it is tried again.
const SWEEP_RETRY: Duration = Duration::from_secs(300);

/// Once a run per cache and S3 connector, and only while no upload of this job runs (one
/// started and not yet recorded would look like a crash's leftover): aborts the incomplete
/// multipart uploads nothing will complete ([`Uploader::sweep_orphans`]). A server that cannot
/// be reached is asked again [`SWEEP_RETRY`] later; one that refuses the listing is not.
async fn sweep_orphans(context: &Context, inner: &Inner, workspace: &ActiveWorkspace) {
    let settings = pd_settings::load(&context.settings_path).unwrap_or_default();
    let now = Instant::now();
    for connector in &settings.connectors {
        if !matches!(connector.settings, ConnectorSettings::S3(_)) {
            continue;
        }
        let key = (
            workspace.store.path().to_path_buf(),
            connector.id.to_string(),
        );
        let due = match inner
            .swept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            None => true,
            Some(None) => false,
            Some(Some(tried)) => now.duration_since(*tried) >= SWEEP_RETRY,
        };
        if !due {
            continue;
        }
        let outcome = match context.s3_of(connector).await {
            Ok(s3) => Uploader::new(workspace.store.clone(), s3)
                .sweep_orphans(chrono::Utc::now())
                .await
                .map_err(|error| (error.code(), error.to_string())),
            Err(error) => {
                let info = error.to_info();
                Err((info.code, info.message))
            }
        };
        let again = match outcome {
            Ok(swept) => {
                if !swept.aborted.is_empty() {
                    tracing::info!(
                        connector = %connector.name,
                        aborted = swept.aborted.len(),
                        "incomplete uploads nothing would complete were aborted"
                    );
                }
                None
            }
            Err((code, words)) => {
                tracing::debug!(connector = %connector.name, %words, "the sweep of incomplete uploads did not run");
                code.is_transient().then_some(now)
            }
        };
        inner
            .swept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, again);
    }
}

/// Starts the uploads job (once, with the app state).
pub(crate) fn start_job(state: &AppState) {
    let job = &state.uploads.0;
    queue_job::spawn(state, "Uploads", job, PACE, |context, inner| async move {
        let following = follow(&inner, &context.transfers).await;
        let uploading = queue_turn(&context, &inner).await;
        following || uploading
    });
}

fn transfer_of(record: &UploadRecord) -> NewTransfer {
    NewTransfer {
        id: record.upload.id.clone(),
        direction: TransferDirection::Upload,
        name: record.upload.name.clone(),
        case_id: record.upload.case_id.clone(),
        total_bytes: record.upload.size,
    }
}

fn error_of(record: &UploadRecord) -> Option<ErrorInfo> {
    record.error.as_ref().map(|(code, message)| ErrorInfo {
        code: ErrorCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == code)
            .unwrap_or(ErrorCode::AppInternal),
        message: message.clone(),
    })
}

/// Shows the queue's uploads (those of an earlier run too) and starts what may run; answers
/// whether any upload is running or waiting.
async fn queue_turn(context: &Context, inner: &Arc<Inner>) -> bool {
    let Some(workspace) = context.workspace() else {
        return false;
    };
    let store = workspace.store.clone();
    let Ok(Ok(open)) = tokio::task::spawn_blocking(move || {
        store.uploads_in(&[
            UploadState::Queued,
            UploadState::Paused,
            UploadState::Failed,
        ])
    })
    .await
    else {
        return false;
    };
    for record in &open {
        if inner.queue.show(&record.upload.id) {
            let control = S3Control::new(context, &workspace.store, &record.upload.id);
            context
                .transfers
                .begin(transfer_of(record), Some(Arc::new(control)));
            if record.bytes_confirmed > 0 {
                context
                    .transfers
                    .progress(&record.upload.id, record.bytes_confirmed);
            }
            match record.state {
                UploadState::Paused => {
                    context
                        .transfers
                        .finish(&record.upload.id, TransferState::Paused, None)
                }
                UploadState::Failed => context.transfers.finish(
                    &record.upload.id,
                    TransferState::Failed,
                    error_of(record),
                ),
                _ => context
                    .transfers
                    .finish(&record.upload.id, TransferState::Queued, None),
            }
        }
    }
    if !inner.queue.busy() {
        sweep_orphans(context, inner, &workspace).await;
    }
    let limit = pd_settings::load(&context.settings_path)
        .map(|s| s.uploads.concurrency)
        .unwrap_or(UploadSettings::default().concurrency)
        .clamp(1, 8) as usize;
    let now = Instant::now();
    let mut waiting = false;
    for record in open.into_iter().filter(|r| r.state == UploadState::Queued) {
        waiting = true;
        let (tx, rx) = watch::channel(None);
        if !inner.queue.claim(&record.upload.id, now, limit, tx) {
            continue;
        }
        tokio::spawn(run_upload(context.clone(), workspace.clone(), record, rx));
    }
    waiting || inner.queue.busy()
}

/// Runs one upload to its end (done, paused, cancelled, failed) and shows how it ended.
async fn run_upload(
    context: Context,
    workspace: Arc<ActiveWorkspace>,
    record: UploadRecord,
    mut stop: watch::Receiver<Option<Stop>>,
) {
    let id = record.upload.id.clone();
    let source = record.upload.path.clone();
    let transfers = context.transfers.clone();
    let ended = match context.s3_for(&record).await {
        Err(error) => Err(error),
        Ok(s3) => {
            let uploader = Uploader::new(workspace.store.clone(), s3);
            let progress: pd_transfer::Progress = {
                let (transfers, id) = (transfers.clone(), id.clone());
                Arc::new(move |bytes| transfers.progress(&id, bytes))
            };
            uploader
                .run(&id, &mut stop, &progress)
                .await
                .map_err(|error| AppError::reported(error.code(), error.to_string()))
        }
    };
    let Some(inner) = context.job.upgrade() else {
        return;
    };
    inner.queue.ended(&id);
    match ended {
        Ok(Finished::Done) => {
            inner.queue.clear_back_off(&id);
            transfers.finish(&id, TransferState::Done, None);
            // A copy the queue owned (an SFTP drop-folder file kept in the spool) goes now.
            let store = workspace.store.clone();
            if let (Ok(rest), Some(name)) = (
                source.strip_prefix(store.spool_dir()),
                source.file_name().map(|n| n.to_string_lossy().into_owned()),
            ) {
                if rest.components().count() == 1 {
                    let _ = tokio::task::spawn_blocking(move || store.release_spooled(&name)).await;
                }
            }
            context
                .changes
                .report(&[Topic::Cases, Topic::Outbox, Topic::Folders]);
            workspace.nudge();
        }
        Ok(Finished::Paused) => transfers.finish(&id, TransferState::Paused, None),
        Ok(Finished::Cancelled) => transfers.finish(&id, TransferState::Cancelled, None),
        Err(error) => {
            let info = error.to_info();
            let store = workspace.store.clone();
            let uid = id.clone();
            let now = tokio::task::spawn_blocking(move || store.upload(&uid))
                .await
                .ok()
                .and_then(Result::ok)
                .flatten()
                .map(|r| r.state);
            if now == Some(UploadState::Cancelled) {
                // Cancelled, though the server could not be told (its words are kept).
                transfers.finish(&id, TransferState::Cancelled, Some(info));
            } else if info.code.is_transient() {
                // The network or the server: tried again later, from the last confirmed part.
                inner.queue.back_off(&id);
                transfers.finish(&id, TransferState::Queued, Some(info));
            } else {
                // Refused (a changed file, credentials, a missing bucket): the analyst decides.
                let store = workspace.store.clone();
                let (uid, code, words) = (id.clone(), info.code.as_str(), info.message.clone());
                let _ = tokio::task::spawn_blocking(move || {
                    store.set_upload_state(
                        &uid,
                        UploadState::Failed,
                        Some((code, &words)),
                        chrono::Utc::now(),
                    )
                })
                .await;
                transfers.finish(&id, TransferState::Failed, Some(info));
            }
        }
    }
    inner.queue.wake();
}

/// One look at every followed entry; answers whether some are still on their way.
async fn follow(inner: &Arc<Inner>, transfers: &Transfers) -> bool {
    let followed: Vec<Followed> = inner
        .followed
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    if followed.is_empty() {
        return false;
    }
    let mut settled = Vec::new();
    for entry in followed {
        let store = entry.store.clone();
        let id = entry.document_id.clone();
        let delivery = match tokio::task::spawn_blocking(move || store.document_delivery(&id)).await
        {
            Ok(Ok(delivery)) => delivery,
            Ok(Err(error)) => {
                tracing::debug!(%error, "document delivery not readable now");
                continue;
            }
            Err(_) => continue,
        };
        match delivery {
            Delivery::Queued => {}
            Delivery::Failed(message) => {
                transfers.finish(
                    &entry.document_id,
                    TransferState::Failed,
                    Some(ErrorInfo {
                        code: ErrorCode::ApiServer,
                        message: if message.is_empty() {
                            "The case server did not take the document; retry it.".into()
                        } else {
                            message
                        },
                    }),
                );
                settled.push(entry.document_id);
            }
            Delivery::Sent => {
                transfers.finish(&entry.document_id, TransferState::Done, None);
                settled.push(entry.document_id);
            }
            Delivery::Gone => {
                transfers.finish(&entry.document_id, TransferState::Cancelled, None);
                settled.push(entry.document_id);
            }
        }
    }
    let mut list = inner
        .followed
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    list.retain(|f| !settled.contains(&f.document_id));
    !list.is_empty()
}

/// Cancel / retry of a small file whose record waits in the case outbox.
pub(crate) struct SpooledControl {
    store: Store,
    op_id: String,
    uploads: Weak<Inner>,
}

impl SpooledControl {
    /// The control of the entry `op_id`.
    pub(crate) fn new(state: &AppState, store: &Store, op_id: &str) -> Self {
        Self {
            store: store.clone(),
            op_id: op_id.to_owned(),
            uploads: Arc::downgrade(&state.uploads.0),
        }
    }
}

impl TransferControl for SpooledControl {
    fn act(&self, action: TransferAction) -> Result<(), AppError> {
        match action {
            TransferAction::Cancel => {
                self.store.outbox_discard(&self.op_id)?;
            }
            TransferAction::Retry => {
                self.store
                    .outbox_retry(&pd_store::RetryTarget::One(self.op_id.clone()))?;
            }
            TransferAction::Pause | TransferAction::Resume => {
                return Err(AppError::reported(
                    ErrorCode::TransferState,
                    "A file up to the size limit goes to the case server in one request; it cannot be paused. Cancel it instead.",
                ))
            }
        }
        if let Some(inner) = self.uploads.upgrade() {
            inner.queue.wake();
        }
        Ok(())
    }
}

/// Pause / resume / cancel / retry of an upload in the S3 queue.
pub(crate) struct S3Control {
    context: Context,
    store: Store,
    id: String,
}

impl S3Control {
    fn new(context: &Context, store: &Store, id: &str) -> Self {
        Self {
            context: context.clone(),
            store: store.clone(),
            id: id.to_owned(),
        }
    }

    fn running(&self) -> Option<watch::Sender<Option<Stop>>> {
        self.context.job.upgrade()?.queue.running(&self.id)
    }

    fn wake(&self) {
        self.context.retry_now(&self.id);
    }

    fn state(&self) -> Result<UploadRecord, AppError> {
        self.store.upload(&self.id)?.ok_or_else(|| {
            AppError::reported(
                ErrorCode::TransferNotFound,
                ErrorCode::TransferNotFound.words(),
            )
        })
    }

    fn refuse(what: &str) -> AppError {
        AppError::reported(ErrorCode::TransferState, what.to_owned())
    }
}

impl TransferControl for S3Control {
    fn act(&self, action: TransferAction) -> Result<(), AppError> {
        let record = self.state()?;
        let now = chrono::Utc::now();
        match (action, record.state) {
            (_, UploadState::Done) => {
                return Err(Self::refuse(&format!(
                    "{} is already uploaded.",
                    record.upload.name
                )))
            }
            (_, UploadState::Cancelled) => {
                return Err(Self::refuse(&format!(
                    "{} was cancelled; attach the file again to send it.",
                    record.upload.name
                )))
            }
            (TransferAction::Pause, UploadState::Queued | UploadState::Failed) => {
                self.store
                    .set_upload_state(&self.id, UploadState::Paused, None, now)?;
                match self.running() {
                    Some(stop) => {
                        let _ = stop.send(Some(Stop::Pause));
                    }
                    None => self
                        .context
                        .transfers
                        .finish(&self.id, TransferState::Paused, None),
                }
            }
            (TransferAction::Resume, UploadState::Paused)
            | (TransferAction::Retry, UploadState::Failed | UploadState::Paused) => {
                self.store
                    .set_upload_state(&self.id, UploadState::Queued, None, now)?;
                self.context
                    .transfers
                    .finish(&self.id, TransferState::Queued, None);
                self.wake();
            }
            (TransferAction::Retry, UploadState::Queued) => self.wake(),
            (TransferAction::Cancel, _) => match self.running() {
                Some(stop) => {
                    let _ = stop.send(Some(Stop::Cancel));
                }
                None => {
                    // Cancelled here first, so the queue does not start it meanwhile; a run
                    // that starts from an older look finds it cancelled and stops.
                    self.store
                        .set_upload_state(&self.id, UploadState::Cancelled, None, now)?;
                    // A run claimed between the look above and that write may have read the
                    // upload as queued: it is told, and carries the cancel out itself.
                    if let Some(stop) = self.running() {
                        let _ = stop.send(Some(Stop::Cancel));
                        return Ok(());
                    }
                    let (context, store, id) =
                        (self.context.clone(), self.store.clone(), self.id.clone());
                    let handle = tokio::runtime::Handle::try_current()
                        .map_err(|e| AppError::internal(format!("no runtime: {e}")))?;
                    handle.spawn(async move {
                        let ended = match context.s3_for(&record).await {
                            Ok(s3) => Uploader::new(store, s3)
                                .cancel(&id)
                                .await
                                .map_err(|e| AppError::reported(e.code(), e.to_string())),
                            Err(error) => Err(error),
                        };
                        match ended {
                            Ok(()) => context
                                .transfers
                                .finish(&id, TransferState::Cancelled, None),
                            Err(error) => context.transfers.finish(
                                &id,
                                TransferState::Failed,
                                Some(error.to_info()),
                            ),
                        }
                    });
                }
            },
            (TransferAction::Pause, UploadState::Paused) => {}
            (TransferAction::Resume, _) => {
                return Err(Self::refuse(&format!(
                    "{} is not paused.",
                    record.upload.name
                )))
            }
        }
        Ok(())
    }
}

/// Queues a file above the size limit for the S3 upload queue: to the connector the upload
/// settings name, else the first S3 connector; none is [`ErrorCode::TransferNoBucket`].
pub(crate) async fn queue_large(
    state: &AppState,
    store: &Store,
    case_id: &str,
    inspected: &Inspected,
    settings: &UploadSettings,
) -> Result<AttachOutcome, AppError> {
    let connector = {
        let all = state.settings().await;
        upload_connector(&all, settings).cloned()
    };
    let Some(connector) = connector else {
        let error = pd_transfer::TransferError::NoBucket {
            name: inspected.name.clone(),
            size: pd_transfer::human_size(inspected.identity.size),
            threshold: pd_transfer::human_size(settings.threshold_bytes),
        };
        return Err(AppError::reported(error.code(), error.to_string()));
    };
    let ConnectorSettings::S3(s3) = &connector.settings else {
        return Err(AppError::internal("connector kind changed"));
    };
    let plan = UploadPlan {
        bucket: s3.bucket.trim().to_owned(),
        connector_id: Some(connector.id.to_string()),
        part_size: settings.part_size,
        uploaded_by: state.current().info.analyst.clone(),
    };
    let (queue_store, case, file) = (store.clone(), case_id.to_owned(), inspected.clone());
    let queued = tokio::task::spawn_blocking(move || {
        pd_transfer::queue_upload(&queue_store, &case, &file, &plan)
    })
    .await?;
    let id = match queued {
        Ok(id) => id,
        Err(pd_transfer::TransferError::Store(pd_store::StoreError::DuplicateDocument {
            name,
            existing_id,
        })) => {
            return Ok(AttachOutcome::Duplicate {
                existing_document_id: existing_id,
                existing_name: name,
            })
        }
        Err(error) => return Err(AppError::reported(error.code(), error.to_string())),
    };
    let context = Context::of(state, &state.uploads.0);
    state.uploads.0.queue.show(&id);
    state.transfers.begin(
        NewTransfer {
            id: id.clone(),
            direction: TransferDirection::Upload,
            name: inspected.name.clone(),
            case_id: case_id.to_owned(),
            total_bytes: inspected.identity.size,
        },
        Some(Arc::new(S3Control::new(&context, store, &id))),
    );
    wake(state);
    Ok(AttachOutcome::Queued {
        transfer_id: id.clone(),
        document_id: id,
        route: UploadRoute::S3,
    })
}
