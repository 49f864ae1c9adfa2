//! The sync's one error type: either side of the pipe failed, and the codes say which.

use pd_domain::ErrorCode;
/// What stopped a pull or a push.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server could not be reached or answered badly.
    #[error(transparent)]
    Remote(#[from] pd_tradinggrid::Error),
    /// The cache refused the write or read.
    #[error(transparent)]
    Store(#[from] pd_store::StoreError),
    /// The case change feed kept saying "more" without moving on.
    #[error("the server's case feed does not move on: {detail}")]
    FeedStuck {
        /// What it did.
        detail: String,
    },
    /// A blocking cache task could not finish (the runtime is shutting down).
    #[error("background task stopped: {0}")]
    Task(String),
}

impl Error {
    /// Stable dotted code for the UI (the underlying crate's code).
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Remote(e) => e.code(),
            Error::Store(e) => e.code(),
            Error::FeedStuck { .. } => ErrorCode::SyncFeedStuck,
            Error::Task(_) => ErrorCode::SyncTask,
        }
    }

    /// Whether the server was unreachable (the cache keeps serving; retry when back).
    pub fn is_offline(&self) -> bool {
        matches!(
            self,
            Error::Remote(
                pd_tradinggrid::Error::Offline { .. }
                    | pd_tradinggrid::Error::Dns { .. }
                    | pd_tradinggrid::Error::Timeout { .. }
                    | pd_tradinggrid::Error::Interrupted { .. }
            )
        )
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        Error::Task(e.to_string())
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
