//! Attaching a drop to a case (issue 10, `attach_drop`): each dropped or picked file is read
//! once for its size, SHA-256, media type and safe name (`pd-transfer`), flagged when its content
//! is already on the case, refused in words when it vanished, cannot be read, is empty or is not
//! a file; a file up to the size limit is copied into the spool folder (`pd-ingest`'s
//! `spool_stream`, the copy synced) and its document row + `AttachDocument` outbox entry written
//! in one transaction; a larger one goes to the S3 upload queue (`uploads.rs`). Every queued file
//! shows in the Transfers view until the server has it.

use std::sync::Arc;

use chrono::Utc;
use pd_domain::{
    AttachOutcome, AttachReport, AttachTarget, AttachedFile, CaseReferences, DocumentSource,
    ErrorCode, ErrorInfo, NewCase, NewDocument, Topic, TransferDirection, UploadRoute,
    UploadSettings,
};
use pd_store::{Store, StoreError};
use pd_transfer::{Inspected, TransferError};

use crate::drops::DropFile;
use crate::error::AppError;
use crate::state::AppState;
use crate::transfers::NewTransfer;
use crate::CommandResult;

/// A file of the drop after it was read.
struct Read {
    file: DropFile,
    inspected: Result<Inspected, TransferError>,
}

fn info(error: &TransferError) -> ErrorInfo {
    ErrorInfo {
        code: error.code(),
        message: error.to_string(),
    }
}

/// Attaches a drop's files to a case or a new case; answers each file's outcome. A drop that
/// needs confirmation (many files from folders) is refused unless `confirmed`, and stays
/// waiting; a bad target (unknown case, a new case without title or partner) leaves it waiting
/// too.
pub async fn attach_drop(
    state: &AppState,
    drop_id: String,
    target: AttachTarget,
    confirmed: bool,
) -> CommandResult<AttachReport> {
    let workspace = state.current();
    state.ensure_writable(&workspace)?;
    let settings = state.settings().await.uploads.clone();
    let store = workspace.store.clone();
    match &target {
        AttachTarget::Case { case_id } => {
            let (store, id) = (store.clone(), case_id.clone());
            let known = tokio::task::spawn_blocking(move || store.case(&id)).await??;
            if known.is_none() {
                return Err(AppError::reported(
                    ErrorCode::StoreNotFound,
                    "That case is not in the cache any more; choose another case.",
                ));
            }
        }
        AttachTarget::NewCase { title, partner_id } => {
            if title.trim().is_empty() {
                return Err(AppError::reported(
                    ErrorCode::InputInvalid,
                    "Give the new case a title.",
                ));
            }
            if partner_id.as_deref().is_none_or(|p| p.trim().is_empty()) {
                return Err(AppError::reported(
                    ErrorCode::InputInvalid,
                    "Choose the partner the new case is about.",
                ));
            }
        }
    }
    let files = state.drops.take_confirmed(&drop_id, confirmed)?;
    let read: Vec<Read> = tokio::task::spawn_blocking(move || {
        files
            .into_iter()
            .map(|file| Read {
                inspected: pd_transfer::inspect(&file.path),
                file,
            })
            .collect()
    })
    .await?;
    let case_id = match target {
        AttachTarget::Case { case_id } => case_id,
        AttachTarget::NewCase { title, partner_id } => {
            if read.iter().all(|r| r.inspected.is_err()) {
                let reasons: Vec<String> = read
                    .iter()
                    .filter_map(|r| r.inspected.as_ref().err().map(ToString::to_string))
                    .collect();
                return Err(AppError::reported(
                    ErrorCode::DropEmpty,
                    format!("No case was made: {}", reasons.join(" ")),
                ));
            }
            let new_case = NewCase {
                id: uuid::Uuid::new_v4().to_string(),
                title: title.trim().to_owned(),
                partner_id: partner_id.unwrap_or_default(),
                partner_name: None,
                kind: pd_domain::CaseKind::Other,
                priority: None,
                owner: None,
                sla_due: None,
                linked_transactions: Vec::new(),
                references: CaseReferences::default(),
                description: None,
            };
            let (store, author, keep_here) = (
                store.clone(),
                workspace.info.analyst.clone(),
                workspace.info.keeps_cases_here,
            );
            tokio::task::spawn_blocking(move || {
                crate::api::create_case_in(&store, &new_case, &author, Utc::now(), keep_here)
            })
            .await??
        }
    };
    let mut report = AttachReport {
        case_id: case_id.clone(),
        files: Vec::with_capacity(read.len()),
    };
    for Read { file, inspected } in read {
        let mut attached = AttachedFile {
            name: file.view.name.clone(),
            size: file.view.size,
            folder: file.view.folder.clone(),
            result: AttachOutcome::Refused {
                error: ErrorInfo {
                    code: ErrorCode::AppInternal,
                    message: String::new(),
                },
            },
        };
        attached.result = match inspected {
            Err(error) => AttachOutcome::Refused {
                error: info(&error),
            },
            Ok(inspected) => {
                attached.name = inspected.name.clone();
                attached.size = inspected.identity.size;
                attach_one(state, &store, &case_id, inspected, &settings).await
            }
        };
        tracing::info!(case = %case_id, outcome = ?attached.result, "dropped file attached");
        report.files.push(attached);
    }
    state.changes.report(&[Topic::Cases, Topic::Outbox]);
    workspace.nudge();
    crate::uploads::wake(state);
    Ok(report)
}

/// One read file: flagged as a duplicate, queued, or refused.
async fn attach_one(
    state: &AppState,
    store: &Store,
    case_id: &str,
    inspected: Inspected,
    settings: &UploadSettings,
) -> AttachOutcome {
    let duplicate = {
        let (store, case, sha) = (
            store.clone(),
            case_id.to_owned(),
            inspected.identity.sha256.clone(),
        );
        tokio::task::spawn_blocking(move || store.document_with_sha256(&case, &sha)).await
    };
    match duplicate {
        Ok(Ok(Some(existing))) => {
            return AttachOutcome::Duplicate {
                existing_document_id: existing.document.id,
                existing_name: existing.document.name,
            }
        }
        Ok(Ok(None)) => {}
        Ok(Err(error)) => return refused(&AppError::from(error)),
        Err(error) => return refused(&AppError::from(error)),
    }
    if inspected.identity.size > settings.threshold_bytes {
        return match crate::uploads::queue_large(state, store, case_id, &inspected, settings).await
        {
            Ok(outcome) => outcome,
            Err(error) => refused(&error),
        };
    }
    let analyst = state.current().info.analyst.clone();
    let (spool_store, case, file) = (store.clone(), case_id.to_owned(), inspected.clone());
    let spooled =
        tokio::task::spawn_blocking(move || spool_and_record(&spool_store, &case, &file, &analyst))
            .await;
    match spooled {
        Ok(Ok(Spooled::Queued { document_id, op_id })) => {
            state.transfers.begin(
                NewTransfer {
                    id: document_id.clone(),
                    direction: TransferDirection::Upload,
                    name: inspected.name.clone(),
                    case_id: case_id.to_owned(),
                    total_bytes: inspected.identity.size,
                },
                Some(Arc::new(crate::uploads::SpooledControl::new(
                    state, store, &op_id,
                ))),
            );
            crate::uploads::track_spooled(state, store, &document_id);
            AttachOutcome::Queued {
                transfer_id: document_id.clone(),
                document_id,
                route: UploadRoute::Collab,
            }
        }
        Ok(Ok(Spooled::Duplicate { existing_id, name })) => AttachOutcome::Duplicate {
            existing_document_id: existing_id,
            existing_name: name,
        },
        Ok(Err(error)) => AttachOutcome::Refused {
            error: info(&error),
        },
        Err(error) => refused(&AppError::from(error)),
    }
}

fn refused(error: &AppError) -> AttachOutcome {
    AttachOutcome::Refused {
        error: error.to_info(),
    }
}

enum Spooled {
    Queued { document_id: String, op_id: String },
    Duplicate { existing_id: String, name: String },
}

/// Copies the file into the spool folder (hashed again while copied: a file that changed since
/// it was read is refused) and writes the document row and its outbox entry in one
/// transaction. A refusal leaves no row, no entry and no unused copy.
fn spool_and_record(
    store: &Store,
    case_id: &str,
    file: &Inspected,
    analyst: &str,
) -> Result<Spooled, TransferError> {
    let spool = store.spool_dir();
    let mut reader = std::fs::File::open(&file.path)
        .map_err(|e| TransferError::io(&file.name, &file.path, &e))?;
    let (sha, size, _head, kept) = pd_ingest::take::spool_stream(&spool, &mut reader)
        .map_err(|e| spool_error(&file.name, &e))?;
    let kept_name = kept
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let release = |store: &Store| {
        if let Err(error) = store.release_spooled(&kept_name) {
            tracing::warn!(%error, "an unused spool copy could not be removed");
        }
    };
    let now_stat = pd_transfer::stat(&file.path);
    let unchanged = sha == file.identity.sha256
        && size == file.identity.size
        && now_stat
            .as_ref()
            .is_ok_and(|(s, m)| *s == file.identity.size && *m == file.identity.mtime_ns);
    if !unchanged {
        release(store);
        return Err(TransferError::Changed {
            name: file.name.clone(),
            detail: "it was written to after it was dropped".into(),
        });
    }
    if let Err(error) = pd_ingest::take::make_durable(&spool, &[kept.as_path()]) {
        release(store);
        return Err(spool_error(&file.name, &error));
    }
    let document = NewDocument {
        id: uuid::Uuid::new_v4().to_string(),
        name: file.name.clone(),
        size,
        sha256: sha,
        media_type: file.media_type.clone(),
        uploaded_by: analyst.to_owned(),
        source: DocumentSource::Spooled {
            file: kept_name.clone(),
        },
    };
    match store.write_with(|tx| pd_store::attach_document_in(tx, case_id, &document, Utc::now())) {
        Ok(op_id) => Ok(Spooled::Queued {
            document_id: document.id,
            op_id,
        }),
        Err(StoreError::DuplicateDocument { name, existing_id }) => {
            release(store);
            Ok(Spooled::Duplicate { existing_id, name })
        }
        Err(error) => {
            release(store);
            Err(error.into())
        }
    }
}

/// The spool copy failed: a full disk in its words, else what the system said.
fn spool_error(name: &str, error: &pd_ingest::IngestError) -> TransferError {
    match error {
        pd_ingest::IngestError::Io {
            kind: std::io::ErrorKind::StorageFull,
            ..
        } => TransferError::Local(format!(
            "{name} could not be copied for sending: the disk is full. Free some space and drop it again; nothing was attached."
        )),
        pd_ingest::IngestError::Read(detail) => TransferError::Unreadable {
            name: name.to_owned(),
            detail: detail.clone(),
        },
        other => TransferError::Local(format!(
            "{name} could not be copied for sending ({other}); nothing was attached."
        )),
    }
}

/// How attached files are uploaded.
pub async fn upload_settings(state: &AppState) -> CommandResult<UploadSettings> {
    Ok(state.settings().await.uploads.clone())
}

/// Checks and saves how attached files are uploaded.
pub async fn save_upload_settings(
    state: &AppState,
    settings: UploadSettings,
) -> CommandResult<UploadSettings> {
    settings
        .validate()
        .map_err(|message| AppError::reported(ErrorCode::InputInvalid, message))?;
    let mut guard = state.settings().await;
    let mut all = guard.clone();
    if let Some(id) = settings.connector_id.as_deref() {
        let s3 = all.connectors.iter().any(|c| {
            c.id.to_string() == id && matches!(c.settings, pd_domain::ConnectorSettings::S3(_))
        });
        if !s3 {
            return Err(AppError::reported(
                ErrorCode::InputInvalid,
                "That connector is not an S3 connector in Settings.",
            ));
        }
    }
    all.uploads = settings.clone();
    state.save_settings(&all).await?;
    *guard = all;
    drop(guard);
    state.changes.report(&[Topic::Settings]);
    crate::uploads::wake(state);
    Ok(settings)
}
