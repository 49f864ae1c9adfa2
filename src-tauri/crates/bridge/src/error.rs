//! The one error type of `pd-bridge`: what stopped a connector run, in words.

use pd_connectors::ConnectorError;
use pd_domain::ErrorCode;

/// Why a connector run stopped (what it stored before stays stored).
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// The outside system failed or refused.
    #[error("{0}")]
    Connector(#[from] ConnectorError),
    /// The cache failed.
    #[error("The cache could not store what was received: {0}")]
    Store(#[from] pd_store::StoreError),
    /// What arrived cannot be read (a feed page, a listing).
    #[error("{0}")]
    Unreadable(String),
    /// A listing's next-page link loops.
    #[error("{0}")]
    Loop(String),
    /// The listener could not start.
    #[error("The event listener could not start: {0}")]
    Listen(String),
}

impl BridgeError {
    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            BridgeError::Connector(e) => e.code(),
            BridgeError::Store(_) => ErrorCode::AppInternal,
            BridgeError::Unreadable(_) | BridgeError::Loop(_) => ErrorCode::ApiUnexpected,
            BridgeError::Listen(_) => ErrorCode::AppInternal,
        }
    }
}
