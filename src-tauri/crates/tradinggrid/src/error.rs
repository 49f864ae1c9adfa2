//! One error type for everything the client can run into, so callers (the sync worker, the shell)
//! can show a precise message and decide whether to try again later.

use pd_domain::ErrorCode;
use std::time::Duration;

/// What went wrong talking to Trading Grid or `collab/v1`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No connection could be made (refused, reset, network unreachable).
    #[error("cannot reach the server: {detail}")]
    Offline {
        /// What the network stack said, e.g. "connection refused by 127.0.0.1:8080".
        detail: String,
    },
    /// The host name does not resolve.
    #[error("the server's host name could not be resolved: {detail}")]
    Dns {
        /// Resolver message.
        detail: String,
    },
    /// The TLS handshake failed (certificate, protocol).
    #[error("the secure connection failed: {detail}")]
    Tls {
        /// Handshake message.
        detail: String,
    },
    /// The server did not answer in time.
    #[error("the server did not answer in time: {detail}")]
    Timeout {
        /// Which step timed out.
        detail: String,
    },
    /// The connection broke while the answer was arriving.
    #[error("the connection broke while receiving {what}: {detail}")]
    Interrupted {
        /// What was being received.
        what: String,
        /// Transport message.
        detail: String,
    },
    /// Credentials or token refused.
    #[error("not authorized: {message}")]
    Unauthorized {
        /// E.g. "the consumer key or secret was refused".
        message: String,
    },
    /// Authenticated, but not allowed to do this.
    #[error("forbidden: {message}")]
    Forbidden {
        /// Server explanation.
        message: String,
    },
    /// The company, user, case or document does not exist.
    #[error("not found: {message}")]
    NotFound {
        /// Server explanation.
        message: String,
    },
    /// The server rejected the request as invalid (400, 422).
    #[error("rejected as invalid: {message}")]
    Validation {
        /// Server explanation.
        message: String,
    },
    /// The request conflicts with the server's state (409).
    #[error("conflict: {message}")]
    Conflict {
        /// Server explanation.
        message: String,
    },
    /// A conditional write found the case at another version than the one it expected (412):
    /// nothing was applied. Read the case again and decide.
    #[error("the case changed on the server: {message}")]
    PreconditionFailed {
        /// Server explanation (names both versions).
        message: String,
    },
    /// Too many requests (429) and the retry budget did not allow waiting.
    #[error("rate limited by the server{}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// How long the server asked to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// The server failed (5xx) or answered with a status the client does not expect.
    #[error("server error {status}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// Server explanation (or the start of its page).
        message: String,
    },
    /// A 2xx answer whose body is not what the contract says (truncated, wrong types, HTML,
    /// too large).
    #[error("unreadable answer for {what}: {detail}")]
    MalformedBody {
        /// Which answer, e.g. "partner directory".
        what: String,
        /// Parser message.
        detail: String,
    },
    /// Lens answered with GraphQL `errors`.
    #[error("Lens rejected the query: {}", messages.join("; "))]
    GraphQl {
        /// The `errors[].message` texts.
        messages: Vec<String>,
    },
    /// A downloaded document does not match its metadata (size or SHA-256).
    #[error("downloaded document does not match its metadata: {detail}")]
    Integrity {
        /// What differed.
        detail: String,
    },
    /// A local file could not be read or written.
    #[error("file {path}: {detail}")]
    File {
        /// The path.
        path: String,
        /// OS message.
        detail: String,
    },
    /// The disk filled up while a file was written (nothing half-written is kept).
    #[error("the disk is full: {path} could not be written")]
    DiskFull {
        /// The file that could not be written.
        path: String,
    },
    /// The caller's input cannot be sent (bad base URL, invalid Lens field name).
    #[error("invalid input: {message}")]
    InvalidInput {
        /// What is wrong.
        message: String,
    },
}

impl Error {
    /// Stable dotted code the shell hands to the UI.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Offline { .. } => ErrorCode::NetOffline,
            Error::Dns { .. } => ErrorCode::NetDns,
            Error::Tls { .. } => ErrorCode::NetTls,
            Error::Timeout { .. } => ErrorCode::NetTimeout,
            Error::Interrupted { .. } => ErrorCode::NetInterrupted,
            Error::Unauthorized { .. } => ErrorCode::AuthUnauthorized,
            Error::Forbidden { .. } => ErrorCode::AuthForbidden,
            Error::NotFound { .. } => ErrorCode::ApiNotFound,
            Error::Validation { .. } => ErrorCode::ApiValidation,
            Error::Conflict { .. } => ErrorCode::ApiConflict,
            Error::PreconditionFailed { .. } => ErrorCode::ApiPreconditionFailed,
            Error::RateLimited { .. } => ErrorCode::ApiRateLimited,
            Error::Server { .. } => ErrorCode::ApiServer,
            Error::MalformedBody { .. } => ErrorCode::ApiMalformed,
            Error::GraphQl { .. } => ErrorCode::ApiGraphql,
            Error::Integrity { .. } => ErrorCode::ApiIntegrity,
            Error::File { .. } => ErrorCode::IoFile,
            Error::DiskFull { .. } => ErrorCode::IoDiskFull,
            Error::InvalidInput { .. } => ErrorCode::InputInvalid,
        }
    }

    /// Whether trying again later may succeed (network trouble, 5xx, 429).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Offline { .. }
            | Error::Dns { .. }
            | Error::Timeout { .. }
            | Error::Interrupted { .. }
            | Error::RateLimited { .. } => true,
            Error::Server { status, .. } => *status >= 500,
            _ => false,
        }
    }

    pub(crate) fn malformed(what: &str, detail: impl ToString) -> Self {
        Error::MalformedBody {
            what: what.to_owned(),
            detail: detail.to_string(),
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_transience_is_right() {
        let offline = Error::Offline {
            detail: "refused".into(),
        };
        assert_eq!(offline.code(), "net.offline");
        assert!(offline.is_transient());
        let server = Error::Server {
            status: 503,
            message: "down".into(),
        };
        assert!(server.is_transient());
        let teapot = Error::Server {
            status: 418,
            message: "?".into(),
        };
        assert!(!teapot.is_transient());
        let unauthorized = Error::Unauthorized {
            message: "x".into(),
        };
        assert_eq!(unauthorized.code(), "auth.unauthorized");
        assert!(!unauthorized.is_transient());
        assert_eq!(
            Error::RateLimited { retry_after: None }.code(),
            "api.rate_limited"
        );
        assert!(Error::malformed("company", "eof")
            .to_string()
            .contains("company"));
    }
}
