//! The upload side of the Transfers view (issue 10): one background job under the supervisor
//! follows every attached file until the server has it. A small file's record travels in the
//! case outbox (its entry is followed here: queued, failed with the server's words, done);
//! a large file goes through the persisted S3 upload queue (next), separate from the outbox so
//! a 2 GiB upload never holds a comment behind it.

use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use pd_domain::{ErrorCode, ErrorInfo, TransferAction, TransferState, UploadSettings};
use pd_store::{Delivery, Store};
use pd_transfer::Inspected;

use crate::error::AppError;
use crate::state::AppState;
use crate::transfers::{TransferControl, Transfers};

/// How often followed entries are looked at while some are on their way.
const FOLLOW_EVERY: Duration = Duration::from_millis(300);
/// How long the job sleeps when nothing is on its way (a wake comes sooner).
const IDLE: Duration = Duration::from_secs(30);

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
    wake: tokio::sync::Notify,
}

impl std::fmt::Debug for Uploads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uploads").finish_non_exhaustive()
    }
}

/// Asks the uploads job to look now.
pub fn wake(state: &AppState) {
    state.uploads.0.wake.notify_one();
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

/// Starts the uploads job (once, with the app state).
pub(crate) fn start_job(state: &AppState) {
    let uploads = Arc::downgrade(&state.uploads.0);
    let transfers = state.transfers.clone();
    state.supervisor.spawn("Uploads", move || {
        let (uploads, transfers) = (uploads.clone(), transfers.clone());
        async move {
            loop {
                let Some(inner) = uploads.upgrade() else {
                    return;
                };
                let busy = follow(&inner, &transfers).await;
                let pause = if busy { FOLLOW_EVERY } else { IDLE };
                let wake = async { inner.wake.notified().await };
                let _ = tokio::time::timeout(pause, wake).await;
            }
        }
    });
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
            inner.wake.notify_one();
        }
        Ok(())
    }
}

/// Queues a file above the size limit for the S3 upload queue.
pub(crate) async fn queue_large(
    state: &AppState,
    _store: &Store,
    _case_id: &str,
    inspected: &Inspected,
    settings: &UploadSettings,
) -> Result<pd_domain::AttachOutcome, AppError> {
    let has_s3 = state
        .settings()
        .await
        .connectors
        .iter()
        .any(|c| matches!(c.settings, pd_domain::ConnectorSettings::S3(_)));
    if !has_s3 {
        let error = pd_transfer::TransferError::NoBucket {
            name: inspected.name.clone(),
            size: pd_transfer::human_size(inspected.identity.size),
            threshold: pd_transfer::human_size(settings.threshold_bytes),
        };
        return Err(AppError::reported(error.code(), error.to_string()));
    }
    Err(AppError::reported(
        ErrorCode::TransferState,
        format!(
            "{} is larger than {}; uploads of large files to S3 are not available in this build yet.",
            inspected.name,
            pd_transfer::human_size(settings.threshold_bytes)
        ),
    ))
}
