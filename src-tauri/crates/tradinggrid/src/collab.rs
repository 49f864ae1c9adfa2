//! `collab/v1`, PartnerDesk's own collaboration contract (`collab-v1.openapi.yaml`): the case
//! change feed, case writes carrying the outbox operation id as `Idempotency-Key`, and document
//! transfers streamed between disk and network.

use std::path::{Path, PathBuf};

use pd_domain::{
    Case, CaseBundle, CasePage, CasePatch, Comment, Document, NewCase, NewComment, TransactionLink,
};
use rand::Rng;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::client::{error_from_response, file_error, Call, CallBody, TradingGridClient};
use crate::error::{Error, Result};

impl TradingGridClient {
    fn collab_url(&self, tail: &[&str]) -> Result<url::Url> {
        let company = self.inner.config.company_id.as_str();
        let mut segments = vec!["collab", "v1", "companies", company, "cases"];
        segments.extend_from_slice(tail);
        self.url(&segments)
    }

    async fn collab_write<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        url: url::Url,
        op_id: &str,
        body: Option<&B>,
        if_match: Option<i64>,
        what: &str,
    ) -> Result<T> {
        let body = match body {
            Some(body) => {
                CallBody::Json(serde_json::to_vec(body).map_err(|e| Error::InvalidInput {
                    message: e.to_string(),
                })?)
            }
            None => CallBody::None,
        };
        let call = Call {
            method,
            url,
            body,
            idempotency_key: Some(op_id),
            if_match,
            total_timeout: Some(self.inner.config.request_timeout),
        };
        self.call_json(call, what).await
    }

    /// One page of the change feed: cases changed after `cursor` (`None` = from the start).
    pub async fn cases_since(&self, cursor: Option<&str>, limit: u32) -> Result<CasePage> {
        let mut url = self.collab_url(&[])?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(cursor) = cursor {
                query.append_pair("since", cursor);
            }
            query.append_pair("limit", &limit.to_string());
        }
        self.call_json(
            Call::get(url, self.inner.config.request_timeout),
            "case change feed",
        )
        .await
    }

    /// One case with its thread and documents.
    pub async fn case(&self, case_id: &str) -> Result<CaseBundle> {
        let url = self.collab_url(&[case_id])?;
        self.call_json(Call::get(url, self.inner.config.request_timeout), "case")
            .await
    }

    /// Opens a case; `op_id` is the idempotency key (a repeat replays the first answer).
    pub async fn create_case(&self, op_id: &str, case: &NewCase) -> Result<CaseBundle> {
        self.collab_write(
            Method::POST,
            self.collab_url(&[])?,
            op_id,
            Some(case),
            None,
            "created case",
        )
        .await
    }

    /// Appends a comment to a case's thread.
    pub async fn add_comment(
        &self,
        op_id: &str,
        case_id: &str,
        comment: &NewComment,
    ) -> Result<Comment> {
        let url = self.collab_url(&[case_id, "comments"])?;
        self.collab_write(Method::POST, url, op_id, Some(comment), None, "comment")
            .await
    }

    /// Changes some fields of a case.
    pub async fn patch_case(&self, op_id: &str, case_id: &str, patch: &CasePatch) -> Result<Case> {
        self.patch_case_if_match(op_id, case_id, patch, None).await
    }

    /// Changes some fields of a case only if it is still at `expected` (its `version`, sent as
    /// `If-Match`); another version is [`Error::PreconditionFailed`] and nothing changes. A
    /// repeat of an applied request (same `op_id`) gets its first answer whatever the version.
    pub async fn patch_case_if_match(
        &self,
        op_id: &str,
        case_id: &str,
        patch: &CasePatch,
        expected: Option<i64>,
    ) -> Result<Case> {
        let url = self.collab_url(&[case_id])?;
        self.collab_write(Method::PATCH, url, op_id, Some(patch), expected, "case")
            .await
    }

    /// Links a Lens transaction to a case (linking twice is harmless).
    pub async fn link_transaction(
        &self,
        op_id: &str,
        case_id: &str,
        transaction_id: &str,
    ) -> Result<Case> {
        let url = self.collab_url(&[case_id, "transactions"])?;
        let link = TransactionLink {
            transaction_id: transaction_id.to_owned(),
        };
        self.collab_write(Method::POST, url, op_id, Some(&link), None, "case")
            .await
    }

    /// Removes a transaction link (removing a link that is not there is harmless).
    pub async fn unlink_transaction(
        &self,
        op_id: &str,
        case_id: &str,
        transaction_id: &str,
    ) -> Result<Case> {
        let url = self.collab_url(&[case_id, "transactions", transaction_id])?;
        self.collab_write::<(), _>(Method::DELETE, url, op_id, None, None, "case")
            .await
    }

    /// A document's metadata.
    pub async fn document(&self, case_id: &str, document_id: &str) -> Result<Document> {
        let url = self.collab_url(&[case_id, "documents", document_id])?;
        self.call_json(
            Call::get(url, self.inner.config.request_timeout),
            "document",
        )
        .await
    }

    /// Downloads a document's bytes to `dest`: streamed into a temporary file beside it, checked
    /// against the metadata's size and SHA-256, then renamed into place. On any failure `dest`
    /// is untouched and the temporary file removed. Returns the metadata.
    pub async fn download_document(
        &self,
        case_id: &str,
        document_id: &str,
        dest: &Path,
    ) -> Result<Document> {
        self.download_document_with_progress(case_id, document_id, dest, &|_| {})
            .await
    }

    /// [`Self::download_document`], calling `progress` with the bytes received so far after
    /// each chunk (from 0 again when a retry starts over). A full disk is [`Error::DiskFull`].
    pub async fn download_document_with_progress(
        &self,
        case_id: &str,
        document_id: &str,
        dest: &Path,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<Document> {
        let document = self.document(case_id, document_id).await?;
        let url = self.collab_url(&[case_id, "documents", document_id, "content"])?;
        let call = Call {
            total_timeout: None,
            ..Call::get(url, self.inner.config.request_timeout)
        };
        let temp = temp_path_beside(dest)?;
        let policy = &self.inner.config.retry;
        let outcome = self
            .with_retry(policy, || async {
                let response = self.send_authorized(&call, policy).await?;
                stream_to_file(response, &temp, &document, progress).await
            })
            .await
            .and_then(|()| std::fs::rename(&temp, dest).map_err(|e| file_error(dest, e)));
        if outcome.is_err() {
            let _ = tokio::fs::remove_file(&temp).await;
        }
        outcome.map(|()| document)
    }

    /// Uploads a file as a new document of the case, streamed from disk (re-read on a retry).
    /// The name is the file's name; the media type is guessed from its extension.
    pub async fn upload_document(
        &self,
        op_id: &str,
        case_id: &str,
        path: &Path,
    ) -> Result<Document> {
        let name =
            path.file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| Error::InvalidInput {
                    message: format!("{} has no usable file name", path.display()),
                })?;
        self.upload_document_as(op_id, case_id, path, name, None)
            .await
    }

    /// [`Self::upload_document`] with an explicit document name and uploader display name.
    pub async fn upload_document_as(
        &self,
        op_id: &str,
        case_id: &str,
        path: &Path,
        name: &str,
        uploaded_by: Option<&str>,
    ) -> Result<Document> {
        self.upload_document_full(op_id, case_id, path, None, name, None, uploaded_by)
            .await
    }

    /// Records a document attached in the app: the bytes of `path` (a spooled copy) under the
    /// client-chosen `document.id`, its name, media type and uploader
    /// (`POST .../documents?id=...`).
    pub async fn upload_new_document(
        &self,
        op_id: &str,
        case_id: &str,
        path: &Path,
        document: &pd_domain::NewDocument,
    ) -> Result<Document> {
        self.upload_document_full(
            op_id,
            case_id,
            path,
            Some(&document.id),
            &document.name,
            Some(&document.media_type),
            Some(&document.uploaded_by),
        )
        .await
    }

    /// Records a document whose bytes the app already put in the team's S3 bucket
    /// (`POST .../document-links`).
    pub async fn link_document(
        &self,
        op_id: &str,
        case_id: &str,
        link: &pd_domain::NewDocumentLink,
    ) -> Result<Document> {
        let url = self.collab_url(&[case_id, "document-links"])?;
        self.collab_write(
            Method::POST,
            url,
            op_id,
            Some(link),
            None,
            "document record",
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn upload_document_full(
        &self,
        op_id: &str,
        case_id: &str,
        path: &Path,
        id: Option<&str>,
        name: &str,
        media_type: Option<&str>,
        uploaded_by: Option<&str>,
    ) -> Result<Document> {
        let metadata = tokio::fs::metadata(path)
            .await
            .map_err(|e| file_error(path, e))?;
        if !metadata.is_file() {
            return Err(Error::File {
                path: path.display().to_string(),
                detail: "not a regular file".into(),
            });
        }
        let mut url = self.collab_url(&[case_id, "documents"])?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(id) = id {
                query.append_pair("id", id);
            }
            query.append_pair("name", name);
            if let Some(uploaded_by) = uploaded_by {
                query.append_pair("uploadedBy", uploaded_by);
            }
        }
        let call = Call {
            method: Method::POST,
            url,
            body: CallBody::File {
                path,
                media_type: media_type.unwrap_or_else(|| media_type_for(name)),
            },
            idempotency_key: Some(op_id),
            if_match: None,
            total_timeout: None,
        };
        self.call_json(call, "uploaded document").await
    }
}

fn temp_path_beside(dest: &Path) -> Result<PathBuf> {
    let name = dest
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::InvalidInput {
            message: format!("{} is not a file path", dest.display()),
        })?;
    let suffix: u64 = rand::thread_rng().gen();
    Ok(dest.with_file_name(format!(".{name}.{suffix:016x}.part")))
}

async fn stream_to_file(
    mut response: reqwest::Response,
    temp: &Path,
    document: &Document,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<()> {
    if !response.status().is_success() {
        return Err(error_from_response(response).await);
    }
    let mut file = tokio::fs::File::create(temp)
        .await
        .map_err(|e| file_error(temp, e))?;
    let mut hasher = Sha256::new();
    let mut written: u64 = 0;
    while let Some(chunk) = response.chunk().await.map_err(|e| Error::Interrupted {
        what: format!("document {}", document.id),
        detail: e.to_string(),
    })? {
        written += chunk.len() as u64;
        if written > document.size {
            return Err(Error::Integrity {
                detail: format!(
                    "more than the {} bytes the metadata announces",
                    document.size
                ),
            });
        }
        hasher.update(&chunk);
        file.write_all(&chunk)
            .await
            .map_err(|e| file_error(temp, e))?;
        progress(written);
    }
    // tokio's File reports a failed buffered write (a full disk) at the next write or flush,
    // not at `sync_all`: flush first.
    file.flush().await.map_err(|e| file_error(temp, e))?;
    file.sync_all().await.map_err(|e| file_error(temp, e))?;
    drop(file);
    if written != document.size {
        return Err(Error::Integrity {
            detail: format!("{written} bytes received, {} announced", document.size),
        });
    }
    let digest = hex(&hasher.finalize());
    if !digest.eq_ignore_ascii_case(&document.sha256) {
        return Err(Error::Integrity {
            detail: format!("SHA-256 {digest}, metadata says {}", document.sha256),
        });
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A media type from the file extension; `application/octet-stream` lets the server guess.
fn media_type_for(name: &str) -> &'static str {
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "xml" => "application/xml",
        "edi" | "x12" | "850" | "810" | "856" => "application/edi-x12",
        "edifact" => "application/edifact",
        _ => "application/octet-stream",
    }
}
