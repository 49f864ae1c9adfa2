//! The crate's one error enum: what stops the server from starting or running, each with a
//! message an operator can act on.

use pd_collab::StoreError;

/// Why the server cannot start or keep running.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The command line or config file is not usable.
    #[error("configuration: {0}")]
    Config(String),
    /// The database could not be opened, migrated or reached.
    #[error("database: {0}")]
    Database(#[from] StoreError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Socket or file failure while serving.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// Shorthand for results in this crate.
pub type Result<T, E = ServerError> = std::result::Result<T, E>;
