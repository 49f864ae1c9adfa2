//! The one error type of the archive crate, each variant with its words for an analyst.

use pd_domain::ErrorCode;

/// What can go wrong building, reading or exporting an archive.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// A file (a spooled document, the archive being written) could not be read or written.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, naming the file.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The zip could not be written or read.
    #[error("The case archive could not be {what}: {detail}")]
    Zip {
        /// "written" or "read".
        what: &'static str,
        /// The zip library's reason.
        detail: String,
    },
    /// A document's bytes do not match the SHA-256 the case records for it.
    #[error("The document \"{name}\" does not match its recorded SHA-256 (expected {expected}, got {actual}); the archive was not written.")]
    DocumentMismatch {
        /// The document's name.
        name: String,
        /// What the case records.
        expected: String,
        /// What the bytes hash to.
        actual: String,
    },
    /// The cache failed.
    #[error(transparent)]
    Store(#[from] pd_store::StoreError),
    /// The retention bucket refused or could not be reached.
    #[error(transparent)]
    S3(#[from] pd_connectors::ConnectorError),
    /// A document's bytes could not be fetched.
    #[error("The document \"{name}\" could not be fetched for the archive: {detail}")]
    Fetch {
        /// The document's name.
        name: String,
        /// Why.
        detail: String,
    },
    /// No such export.
    #[error("That export is not in the cache.")]
    NotFound,
    /// A JSON part could not be written or read.
    #[error("The archive's {what} could not be read or written: {detail}")]
    Json {
        /// Which part.
        what: &'static str,
        /// Why.
        detail: String,
    },
}

impl ArchiveError {
    /// The stable code the UI keys on.
    pub fn code(&self) -> ErrorCode {
        match self {
            ArchiveError::Io { .. } => ErrorCode::IoFile,
            ArchiveError::Zip { .. } | ArchiveError::Json { .. } => ErrorCode::AppInternal,
            ArchiveError::DocumentMismatch { .. } => ErrorCode::ApiIntegrity,
            ArchiveError::Store(error) => error.code(),
            ArchiveError::S3(error) => error.code(),
            ArchiveError::Fetch { .. } => ErrorCode::NetInterrupted,
            ArchiveError::NotFound => ErrorCode::StoreNotFound,
        }
    }

    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        ArchiveError::Io {
            what: what.into(),
            source,
        }
    }
}
