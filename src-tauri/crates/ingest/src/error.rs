//! The one error type of drop folders, in words an analyst can act on.

use std::path::Path;

use pd_domain::ErrorCode;

/// Everything that can go wrong watching a folder or taking a file.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The folder (or a file in it) cannot be reached: removed, unmounted, no permission.
    #[error("{path}: {detail}")]
    Io {
        /// The path involved.
        path: String,
        /// The operating system's reason, in words.
        detail: String,
        /// Its kind, to tell "gone" from "denied".
        kind: std::io::ErrorKind,
    },
    /// Reading a file failed midway.
    #[error("the file could not be read to the end: {0}")]
    Read(String),
    /// The file changed while it was read (it is taken once it settles again).
    #[error("the file changed while it was read; it is taken once it stays unchanged")]
    Changed,
    /// The cache refused the write.
    #[error(transparent)]
    Store(#[from] pd_store::StoreError),
    /// The SFTP server or its connection failed.
    #[error(transparent)]
    Connector(#[from] pd_connectors::ConnectorError),
    /// The file-system watcher could not start.
    #[error("the folder cannot be watched for changes: {0}")]
    Watch(String),
    /// A folder's settings are not usable.
    #[error("{0}")]
    Invalid(String),
    /// A file above the upload size limit, and no S3 bucket to send it to: it is kept (left in
    /// its folder, on its server) and taken once one is set up.
    #[error("{0}")]
    NoBucket(String),
}

impl IngestError {
    /// An I/O error on `path`, worded.
    pub fn io(path: &Path, error: std::io::Error) -> Self {
        let detail = match error.kind() {
            std::io::ErrorKind::NotFound => "not found (removed or not mounted)".to_string(),
            std::io::ErrorKind::PermissionDenied => {
                "permission denied (PartnerDesk may not read or write here)".to_string()
            }
            _ => error.to_string(),
        };
        IngestError::Io {
            path: path.display().to_string(),
            detail,
            kind: error.kind(),
        }
    }

    /// The stable code the UI receives.
    pub fn code(&self) -> ErrorCode {
        match self {
            IngestError::Store(e) => e.code(),
            IngestError::Connector(e) => e.code(),
            IngestError::Invalid(_) => ErrorCode::InputInvalid,
            IngestError::NoBucket(_) => ErrorCode::TransferNoBucket,
            IngestError::Watch(_) => ErrorCode::AppInternal,
            IngestError::Io { .. } | IngestError::Read(_) | IngestError::Changed => {
                ErrorCode::IoFile
            }
        }
    }
}
