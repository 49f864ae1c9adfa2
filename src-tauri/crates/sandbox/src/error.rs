//! The crate's one error enum (start-up and storage failures) and the HTTP error answer every
//! route shares, so a client always gets `{"code","message"}` with a stable code.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pd_domain::ErrorCode;
use serde_json::json;

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
            SandboxError::Database(_) => ErrorCode::SandboxDatabase,
            SandboxError::Io(_) => ErrorCode::SandboxIo,
            SandboxError::Config(_) => ErrorCode::SandboxConfig,
            SandboxError::Corrupt(_) => ErrorCode::SandboxCorrupt,
            SandboxError::Task(_) => ErrorCode::SandboxTask,
        }
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = SandboxError> = std::result::Result<T, E>;

/// A non-2xx answer: status plus the `{"code","message"}` body.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine code (`validation`, `not_found`, ...).
    pub code: &'static str,
    /// Human explanation.
    pub message: String,
    /// `Retry-After` seconds, for 429 and 503.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// Any status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
    /// 400 `validation`.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "validation", message)
    }
    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    /// 401 `unauthorized`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    /// 409 `conflict`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }
    /// 500 `internal`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        ApiError::internal(format!("database error: {err}"))
    }
}

impl From<SandboxError> for ApiError {
    fn from(err: SandboxError) -> Self {
        ApiError::internal(err.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "code": self.code, "message": self.message });
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}
