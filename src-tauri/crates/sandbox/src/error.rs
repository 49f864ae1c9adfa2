//! The crate's one error enum (start-up and storage failures); the HTTP error answer every route
//! shares is `pd_collab::ApiError`, so the sandbox and the server answer errors alike.

use pd_domain::ErrorCode;

pub use pd_collab::ApiError;

/// What can go wrong starting or running the sandbox outside a single request.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite failed.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// The collab tables could not be created or upgraded.
    #[error("database error: {0}")]
    Store(#[from] pd_collab::StoreError),
    /// File system or socket failure.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The configuration or command line is not usable.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The data file holds rows the sandbox cannot read.
    #[error("data file holds unreadable data: {0}")]
    Corrupt(String),
    /// A background task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(String),
}

impl SandboxError {
    /// A stable dotted code for logs and the app's error display.
    pub fn code(&self) -> ErrorCode {
        match self {
            SandboxError::Bind { .. } => ErrorCode::SandboxBind,
            SandboxError::Database(_) | SandboxError::Store(_) => ErrorCode::SandboxDatabase,
            SandboxError::Io(_) => ErrorCode::SandboxIo,
            SandboxError::Config(_) => ErrorCode::SandboxConfig,
            SandboxError::Corrupt(_) => ErrorCode::SandboxCorrupt,
            SandboxError::Task(_) => ErrorCode::SandboxTask,
        }
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = SandboxError> = std::result::Result<T, E>;

impl From<SandboxError> for ApiError {
    fn from(err: SandboxError) -> Self {
        ApiError::internal(err.to_string())
    }
}
