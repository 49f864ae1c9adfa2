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
        }
    }

    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        ArchiveError::Io {
            what: what.into(),
            source,
        }
    }
}
