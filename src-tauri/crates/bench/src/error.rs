//! The one error type of the benchmark programs, so a failed run says which part failed.

/// Why a benchmark run stopped.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A command-line flag was unknown or its value did not parse.
    #[error("bad argument: {0}")]
    Args(String),
    /// The in-process sandbox failed to start, stop or answer an admin call.
    #[error("sandbox: {0}")]
    Sandbox(#[from] partnerdesk_sandbox::SandboxError),
    /// The cache refused an operation.
    #[error("cache: {0}")]
    Store(#[from] pd_store::StoreError),
    /// A pull or push failed.
    #[error("sync: {0}")]
    Sync(#[from] pd_sync::Error),
    /// The Trading Grid client could not be built or a call failed.
    #[error("client: {0}")]
    Client(#[from] pd_tradinggrid::Error),
    /// A temp dir or file could not be made.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The run finished but its result is wrong (e.g. the cache does not hold what was seeded).
    #[error("check failed: {0}")]
    Check(String),
}

impl BenchError {
    /// A stable dotted code.
    pub fn code(&self) -> &'static str {
        match self {
            BenchError::Args(_) => "bench.args",
            BenchError::Sandbox(_) => "bench.sandbox",
            BenchError::Store(_) => "bench.store",
            BenchError::Sync(_) => "bench.sync",
            BenchError::Client(_) => "bench.client",
            BenchError::Io(_) => "bench.io",
            BenchError::Check(_) => "bench.check",
        }
    }
}

/// Result with [`BenchError`].
pub type Result<T> = std::result::Result<T, BenchError>;
