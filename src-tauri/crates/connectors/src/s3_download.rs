//! Reading an S3 object into a file on this computer (a case document kept in a bucket, opened
//! or saved by the analyst): fetched through a short-lived presigned link, streamed into a
//! temporary file beside the destination, checked against the size and SHA-256 the case records,
//! then renamed into place. On any failure (network, full disk, a mismatch) the destination is
//! untouched and the temporary file removed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::error::ConnectorError;
use crate::net::{http_failure, same_origin_redirects, Target};
use crate::s3::S3Client;

/// What the object must be.
#[derive(Debug, Clone)]
pub struct ExpectedObject {
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256.
    pub sha256: String,
}

/// How long the link used for one download stays valid.
const LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);

impl S3Client {
    /// Downloads `key` to `dest` (see the module doc), calling `progress` with the bytes
    /// received so far. A full disk is [`ConnectorError::DiskFull`].
    pub async fn download_object(
        &self,
        key: &str,
        dest: &Path,
        expect: &ExpectedObject,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<(), ConnectorError> {
        let link = self.presigned_get_url(key, LINK_LIFETIME)?;
        let url = url::Url::parse(&link)
            .map_err(|error| ConnectorError::Unexpected(format!("S3 link: {error}")))?;
        let target = Target::of(&url, "S3 endpoint")?;
        let http = reqwest::Client::builder()
            .connect_timeout(crate::DEFAULT_STEP_TIMEOUT)
            .read_timeout(crate::DEFAULT_STEP_TIMEOUT)
            .redirect(same_origin_redirects())
            .build()
            .map_err(|error| {
                ConnectorError::Unexpected(format!("Could not start HTTP: {error}"))
            })?;
        let temp = temp_beside(dest)?;
        let outcome = async {
            let mut response = http.get(url).send().await.map_err(|error| {
                http_failure(&error, &target, crate::DEFAULT_STEP_TIMEOUT, "download")
            })?;
            let status = response.status();
            if status.as_u16() == 404 {
                return Err(ConnectorError::NotFound(format!(
                    "The object {key} is not in bucket \"{}\" any more.",
                    self.bucket()
                )));
            }
            if status.as_u16() == 403 {
                return Err(ConnectorError::Forbidden(format!(
                    "S3 refused to read {key} from bucket \"{}\" (403): check the connector's access key and its s3:GetObject permission.",
                    self.bucket()
                )));
            }
            if !status.is_success() {
                return Err(ConnectorError::Unexpected(format!(
                    "S3 answered {status} when {key} was read from bucket \"{}\".",
                    self.bucket()
                )));
            }
            let mut file = tokio::fs::File::create(&temp)
                .await
                .map_err(|error| local_error(&temp, &error))?;
            let mut hasher = Sha256::new();
            let mut written = 0_u64;
            while let Some(chunk) = response.chunk().await.map_err(|error| {
                ConnectorError::Interrupted(format!(
                    "The download of {key} broke off after {written} bytes ({error}); nothing was kept. Try again."
                ))
            })? {
                written += chunk.len() as u64;
                if written > expect.size {
                    return Err(mismatch(key, &format!(
                        "more than the {} bytes the case records",
                        expect.size
                    )));
                }
                hasher.update(&chunk);
                file.write_all(&chunk)
                    .await
                    .map_err(|error| local_error(&temp, &error))?;
                progress(written);
            }
            // A failed buffered write (a full disk) shows at the next write or flush, not at
            // `sync_all`: flush first.
            file.flush()
                .await
                .map_err(|error| local_error(&temp, &error))?;
            file.sync_all()
                .await
                .map_err(|error| local_error(&temp, &error))?;
            drop(file);
            if written != expect.size {
                return Err(mismatch(
                    key,
                    &format!("{written} bytes arrived, the case records {}", expect.size),
                ));
            }
            let digest: String = hasher
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            if !digest.eq_ignore_ascii_case(&expect.sha256) {
                return Err(mismatch(
                    key,
                    &format!("SHA-256 {digest}, the case records {}", expect.sha256),
                ));
            }
            tokio::fs::rename(&temp, dest)
                .await
                .map_err(|error| local_error(dest, &error))
        }
        .await;
        if outcome.is_err() {
            let _ = tokio::fs::remove_file(&temp).await;
        }
        outcome
    }
}

fn temp_beside(dest: &Path) -> Result<PathBuf, ConnectorError> {
    let name = dest
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| ConnectorError::Local(format!("{} is not a file path", dest.display())))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    Ok(dest.with_file_name(format!(".{name}.{}-{nanos:08x}.part", std::process::id())))
}

fn local_error(path: &Path, error: &std::io::Error) -> ConnectorError {
    if error.kind() == std::io::ErrorKind::StorageFull {
        return ConnectorError::DiskFull(format!(
            "The disk is full: {} could not be written. Free some space and try again; nothing half-written was kept.",
            path.display()
        ));
    }
    ConnectorError::Local(format!("{}: {error}", path.display()))
}

fn mismatch(key: &str, detail: &str) -> ConnectorError {
    ConnectorError::Integrity(format!(
        "The object {key} does not match the document on the case ({detail}); nothing was kept."
    ))
}
