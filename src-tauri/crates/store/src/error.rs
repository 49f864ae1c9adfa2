//! The one error type of the store, with stable dotted codes the shell shows to the UI.

use pd_domain::ErrorCode;
use std::path::PathBuf;

/// Everything that can go wrong in the cache.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file is not a SQLite database, is malformed or truncated.
    #[error("the cache file {path} is damaged ({detail}); it can be set aside and rebuilt from the server")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What SQLite or the header check said.
        detail: String,
    },
    /// The file or its folder cannot be written.
    #[error("the cache file {path} cannot be written (read-only file or folder): {detail}")]
    ReadOnly {
        /// The database file.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// The database was written by a newer PartnerDesk.
    #[error("the cache was written by a newer PartnerDesk (schema {found}, this version knows up to {supported}); update the app")]
    NewerSchema {
        /// `user_version` found in the file.
        found: i64,
        /// Highest migration this build carries.
        supported: i64,
    },
    /// Another writer held the database for longer than the retry budget.
    #[error("the cache stayed busy; try again")]
    Busy,
    /// The thing asked for is not in the cache.
    #[error("{what} {id} is not in the cache")]
    NotFound {
        /// "case", "partner", "outbox entry", ...
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// The outbox entry is being sent (claimed by a push whose lease still runs): it cannot be
    /// discarded or edited until the send has settled.
    #[error(
        "the change {op_id} is being sent right now; wait until it has gone through or failed"
    )]
    InFlight {
        /// The entry.
        op_id: String,
    },
    /// Another process holds the data folder's lock (the app, or a `partnerdesk-push` run).
    #[error("{path} is in use by another PartnerDesk program ({holder})")]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// What the lock file says about its holder.
        holder: String,
    },
    /// The request cannot be applied (bad input, wrong state).
    #[error("{0}")]
    Invalid(String),
    /// A document with the same content (SHA-256) is already on the case.
    #[error("{name} is already on this case (same content); it was not attached again")]
    DuplicateDocument {
        /// The name of the document already there.
        name: String,
        /// Its id.
        existing_id: String,
    },
    /// A stored JSON column could not be read or written.
    #[error("stored data could not be decoded: {0}")]
    Data(String),
    /// File system error around the database file.
    #[error("file system error: {0}")]
    Io(#[from] std::io::Error),
    /// Any other SQLite error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl StoreError {
    /// Stable machine code for the UI.
    pub fn code(&self) -> ErrorCode {
        match self {
            StoreError::Corrupt { .. } => ErrorCode::StoreCorrupt,
            StoreError::ReadOnly { .. } => ErrorCode::StoreReadOnly,
            StoreError::NewerSchema { .. } => ErrorCode::StoreNewerSchema,
            StoreError::Busy => ErrorCode::StoreBusy,
            StoreError::NotFound { .. } => ErrorCode::StoreNotFound,
            StoreError::InFlight { .. } => ErrorCode::StoreInFlight,
            StoreError::Locked { .. } => ErrorCode::StoreLocked,
            StoreError::Invalid(_) => ErrorCode::StoreInvalid,
            StoreError::DuplicateDocument { .. } => ErrorCode::DocumentDuplicate,
            StoreError::Data(_) => ErrorCode::StoreData,
            StoreError::Io(_) => ErrorCode::StoreIo,
            StoreError::Sqlite(_) => ErrorCode::StoreSqlite,
        }
    }

    pub(crate) fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        StoreError::NotFound {
            what,
            id: id.into(),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Data(e.to_string())
    }
}

/// Shorthand used across the crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Whether a SQLite error means "someone else holds the lock".
pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Whether a SQLite error means the file is damaged.
pub(crate) fn is_corrupt(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt) | Some(rusqlite::ErrorCode::NotADatabase)
    )
}

/// Whether a SQLite error means the file or folder cannot be written.
pub(crate) fn is_read_only(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::ReadOnly) | Some(rusqlite::ErrorCode::CannotOpen)
    )
}
