//! The case package (issue 10): a case's documents and its partner-visible thread as one zip
//! (`pd-archive`'s layout: thread as JSON and HTML, documents, linked transactions, a SHA-256
//! manifest; internal notes and the audit trail stay out, since the partner gets it), uploaded to
//! an S3 connector's bucket (the bucket stays private), and its presigned link posted on the case
//! as a partner-visible comment (queued like any comment). The upload shows in the Transfers view
//! and can be cancelled; a failure leaves no comment and no half-uploaded object.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use pd_domain::{CasePackage, ErrorCode, Topic, TransferDirection, TransferState, Visibility};

use crate::documents::{connector_error, local_copy, s3_client_for_connector, AbortControl};
use crate::error::AppError;
use crate::state::AppState;
use crate::transfers::NewTransfer;
use crate::CommandResult;

/// How long a package link works (S3's longest: 7 days).
pub const PACKAGE_LINK_LIFETIME: std::time::Duration = pd_connectors::MAX_PRESIGN;
/// Parts of a multipart upload (a package up to this size goes in one request).
const PART_SIZE: usize = 8 * 1024 * 1024;

/// Builds the case package, uploads it and posts its link on the case.
pub async fn share_case_package(
    state: &AppState,
    case_id: String,
    connector_id: Option<String>,
) -> CommandResult<CasePackage> {
    let workspace = state.current();
    state.ensure_writable(&workspace)?;
    let (client, bucket) = s3_client_for_connector(state, connector_id.as_deref()).await?;
    let store = workspace.store.clone();
    let id = case_id.clone();
    let detail =
        tokio::task::spawn_blocking(move || store.case_detail(&id, chrono::Utc::now())).await??;
    let mut documents = Vec::with_capacity(detail.documents.len());
    for document in detail.documents.iter().map(|d| &d.document) {
        let path = local_copy(state, &workspace, document).await?;
        documents.push(pd_archive::ArchiveDocument {
            document: document.clone(),
            path,
        });
    }
    let input = pd_archive::ArchiveInput {
        case: detail.case.clone(),
        comments: detail
            .comments
            .iter()
            .filter(|c| c.comment.visibility == Visibility::Partner)
            .map(|c| c.comment.clone())
            .collect(),
        documents,
        audit: Vec::new(),
        transactions: detail.linked_transactions.clone(),
        export_version: 1,
        closed_at: None,
    };
    let now = chrono::Utc::now();
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let reference = safe_key_part(&detail.case.reference);
    let file_name = format!("{reference}-package-{stamp}.zip");
    let folder = workspace.folder.join("packages");
    crate::create_private_dir(&folder)?;
    let zip_path = folder.join(&file_name);
    let built_path = zip_path.clone();
    let built = tokio::task::spawn_blocking(move || -> Result<(u64, String), AppError> {
        let file = std::fs::File::create(&built_path)?;
        pd_archive::build_archive(&input, std::io::BufWriter::new(file))
            .map_err(|error| AppError::reported(error.code(), error.to_string()))?;
        let size = std::fs::metadata(&built_path)?.len();
        let sha = crate::documents::file_sha256(&built_path)?;
        Ok((size, sha))
    })
    .await?;
    let (size, sha256) = match built {
        Ok(built) => built,
        Err(error) => {
            let _ = std::fs::remove_file(&zip_path);
            return Err(error);
        }
    };
    let key = format!("partnerdesk/packages/{reference}/{file_name}");
    let transfer_id = format!("package:{case_id}:{stamp}");
    let control = Arc::new(AbortControl::default());
    state.transfers.begin(
        NewTransfer {
            id: transfer_id.clone(),
            direction: TransferDirection::Upload,
            name: format!("Case package {file_name}"),
            case_id: case_id.clone(),
            total_bytes: size,
        },
        Some(control.clone()),
    );
    let upload = {
        let (client, key, path, transfers, id) = (
            client.clone(),
            key.clone(),
            zip_path.clone(),
            state.transfers.clone(),
            transfer_id.clone(),
        );
        tokio::spawn(async move {
            upload_file(&client, &key, &path, &|done| transfers.progress(&id, done)).await
        })
    };
    control.set(upload.abort_handle());
    let uploaded = match upload.await {
        Ok(outcome) => outcome,
        Err(_) if control.cancelled() => {
            let _ = std::fs::remove_file(&zip_path);
            state
                .transfers
                .finish(&transfer_id, TransferState::Cancelled, None);
            return Err(AppError::reported(
                ErrorCode::InputInvalid,
                "The case package upload was cancelled; nothing was posted on the case.",
            ));
        }
        Err(error) => Err(AppError::from(error)),
    };
    let _ = std::fs::remove_file(&zip_path);
    if let Err(error) = uploaded {
        state
            .transfers
            .finish(&transfer_id, TransferState::Failed, Some(error.to_info()));
        return Err(error);
    }
    state
        .transfers
        .finish(&transfer_id, TransferState::Done, None);
    let link = client
        .presigned_get_url(&key, PACKAGE_LINK_LIFETIME)
        .map_err(connector_error)?;
    let expires_at = now
        + chrono::Duration::from_std(PACKAGE_LINK_LIFETIME)
            .unwrap_or_else(|_| chrono::Duration::days(7));
    let body = format!(
        "Case package for {}: {} documents and the conversation, one zip ({}; SHA-256 {sha256}). Download it here until {}:\n{link}",
        detail.case.reference,
        detail.documents.len(),
        human_size(size),
        expires_at.format("%Y-%m-%d %H:%M UTC"),
    );
    let comment = crate::api::add_comment(state, case_id, body, Visibility::Partner).await?;
    state.changes.report(&[Topic::Cases, Topic::Outbox]);
    tracing::info!(case = %detail.case.id, %bucket, %key, size, "case package shared");
    Ok(CasePackage {
        bucket,
        key,
        link,
        size,
        sha256,
        comment_id: comment.comment.id,
        expires_at,
    })
}

/// Uploads a file: one request up to one part's size, else a multipart upload (aborted on the
/// server when a part fails, so nothing half-uploaded stays in the bucket).
async fn upload_file(
    client: &pd_connectors::S3Client,
    key: &str,
    path: &Path,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<(), AppError> {
    let size = std::fs::metadata(path)?.len();
    if size <= PART_SIZE as u64 {
        let bytes = tokio::fs::read(path).await?;
        client
            .put_object(key, bytes, Some("application/zip"))
            .await
            .map_err(connector_error)?;
        progress(size);
        return Ok(());
    }
    let upload_id = client
        .create_multipart_upload(key, Some("application/zip"))
        .await
        .map_err(connector_error)?;
    let outcome = async {
        let mut parts = Vec::new();
        let mut file = std::fs::File::open(path)?;
        let mut sent = 0_u64;
        for number in 1_u32.. {
            let mut buffer = vec![0_u8; PART_SIZE];
            let read = read_full(&mut file, &mut buffer)?;
            if read == 0 {
                break;
            }
            buffer.truncate(read);
            let etag = client
                .upload_part(key, &upload_id, number, buffer)
                .await
                .map_err(connector_error)?;
            parts.push((number, etag));
            sent += read as u64;
            progress(sent);
        }
        client
            .complete_multipart_upload(key, &upload_id, &parts)
            .await
            .map_err(connector_error)?;
        Ok::<(), AppError>(())
    }
    .await;
    if outcome.is_err() {
        let _ = client.abort_multipart_upload(key, &upload_id).await;
    }
    outcome
}

fn read_full(file: &mut std::fs::File, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        let read = file.read(&mut buffer[filled..])?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    Ok(filled)
}

/// A case reference as part of an object key and file name.
fn safe_key_part(reference: &str) -> String {
    let cleaned: String = reference
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "case".to_owned()
    } else {
        cleaned
    }
}

fn human_size(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if bytes < 1024 * 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MB", bytes as f64 / MIB)
    }
}
