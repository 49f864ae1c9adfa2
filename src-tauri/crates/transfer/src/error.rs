//! The one error enum of `pd-transfer`: each way attaching or uploading a file can fail, with
//! the analyst's sentence as its `Display` and a stable [`ErrorCode`].

use std::path::Path;

use pd_domain::ErrorCode;

/// What inspecting, queueing or uploading a file can fail with.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The file is gone (moved, renamed, deleted) since it was dropped or queued.
    #[error("{name} is no longer where it was ({path}): it was moved, renamed or deleted. Nothing was uploaded.")]
    Vanished {
        /// Display name.
        name: String,
        /// Where it was.
        path: String,
    },
    /// The file exists but cannot be read.
    #[error("{name} could not be read ({detail}). Check its permissions, or close the program that holds it, and try again. Nothing was uploaded.")]
    Unreadable {
        /// Display name.
        name: String,
        /// The operating system's reason.
        detail: String,
    },
    /// The file has no bytes.
    #[error("{name} is empty (0 bytes); there is nothing to attach.")]
    Empty {
        /// Display name.
        name: String,
    },
    /// Not a regular file (device, socket, fifo, a link to nowhere).
    #[error("{name} is not a regular file; it cannot be attached.")]
    NotAFile {
        /// Display name.
        name: String,
    },
    /// The file on disk is not the one queued (size, modification time or content differ).
    #[error("{name} changed on disk after it was queued ({detail}), so it was not uploaded: never half old, half new. Attach it again to send the new version.")]
    Changed {
        /// Display name.
        name: String,
        /// What differs.
        detail: String,
    },
    /// The same content is already on the case.
    #[error(
        "{name} is already on this case as {existing} (same content); it was not uploaded again."
    )]
    Duplicate {
        /// The dropped file's name.
        name: String,
        /// The name of the document already there.
        existing: String,
    },
    /// A large file needs the S3 connector, and none is set up.
    #[error("{name} is {size} and goes to the S3 connector's bucket (files over {threshold}), but no S3 connector is set up. Add one in Settings, or raise the limit.")]
    NoBucket {
        /// Display name.
        name: String,
        /// Its size, in words.
        size: String,
        /// The threshold, in words.
        threshold: String,
    },
    /// No transfer with that id.
    #[error("transfer {0} is no longer in the queue")]
    NotFound(String),
    /// The transfer cannot do that now (e.g. resume a finished one).
    #[error("{0}")]
    State(String),
    /// The analyst cancelled it.
    #[error("{name} was cancelled; nothing of it is kept on the server.")]
    Cancelled {
        /// Display name.
        name: String,
    },
    /// The S3 server refused or failed (its own sentence).
    #[error("{0}")]
    S3(#[from] pd_connectors::ConnectorError),
    /// The local cache failed.
    #[error("{0}")]
    Store(#[from] pd_store::StoreError),
    /// A local file could not be written (the spool copy).
    #[error("{0}")]
    Local(String),
}

impl TransferError {
    /// Stable code for the UI.
    pub fn code(&self) -> ErrorCode {
        match self {
            TransferError::Vanished { .. } => ErrorCode::TransferFileVanished,
            TransferError::Unreadable { .. } => ErrorCode::TransferFileUnreadable,
            TransferError::Empty { .. } => ErrorCode::TransferEmptyFile,
            TransferError::NotAFile { .. } => ErrorCode::TransferNotAFile,
            TransferError::Changed { .. } => ErrorCode::TransferFileChanged,
            TransferError::Duplicate { .. } => ErrorCode::DocumentDuplicate,
            TransferError::NoBucket { .. } => ErrorCode::TransferNoBucket,
            TransferError::NotFound(_) => ErrorCode::TransferNotFound,
            TransferError::State(_) => ErrorCode::TransferState,
            TransferError::Cancelled { .. } => ErrorCode::TransferCancelled,
            TransferError::S3(e) => e.code(),
            TransferError::Store(e) => e.code(),
            TransferError::Local(_) => ErrorCode::IoFile,
        }
    }

    /// Whether trying again later may succeed (network, server busy) rather than needing the
    /// analyst (a changed file, a refusal).
    pub fn is_transient(&self) -> bool {
        self.code().is_transient()
    }

    /// Maps an I/O error on `path` to the analyst's words.
    pub fn io(name: &str, path: &Path, e: &std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::NotFound => TransferError::Vanished {
                name: name.to_string(),
                path: path.display().to_string(),
            },
            _ => TransferError::Unreadable {
                name: name.to_string(),
                detail: e.to_string(),
            },
        }
    }
}

/// Shorthand.
pub type Result<T, E = TransferError> = std::result::Result<T, E>;

/// A byte count in words ("1.5 GiB").
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}
