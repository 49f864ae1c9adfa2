//! The crate's one error enum: what a storage backend reports, typed so the handlers turn each
//! into the right HTTP answer (404, 409, 412, 422, 500) without matching on messages.

/// What a [`crate::CollabStore`] call can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The case (or document) does not exist in the company addressed.
    #[error("{0}")]
    NotFound(String),
    /// The id is taken (case or comment created twice with one id).
    #[error("{0}")]
    Conflict(String),
    /// `PATCH` with an expected version that is not the case's current version.
    #[error("case {case_id} is at version {current}, the request expected {expected}")]
    VersionMismatch {
        /// The case.
        case_id: String,
        /// Its version now.
        current: i64,
        /// The version the request named.
        expected: i64,
    },
    /// The idempotency key already holds the answer to a different request.
    #[error("Idempotency-Key {0} was already used with a different request")]
    KeyReused(String),
    /// The request is well formed but refers to something the store refuses.
    #[error("{0}")]
    Invalid(String),
    /// A transient failure (lost connection, serialization failure, lock timeout): retrying may
    /// succeed.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// Anything else the database or its data did wrong.
    #[error("database error: {0}")]
    Backend(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        match &err {
            rusqlite::Error::SqliteFailure(e, _)
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
            {
                StoreError::Unavailable(err.to_string())
            }
            _ => StoreError::Backend(err.to_string()),
        }
    }
}
