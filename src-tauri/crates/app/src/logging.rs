//! Writes the app's log to a daily file under `<data dir>/logs`, keeping a week, so an analyst can
//! send support a log without a console. Secrets (consumer secret, tokens) are never logged:
//! callers log ids and codes, never credentials or request headers.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

use crate::error::AppError;

/// How many daily files are kept.
pub const KEPT_LOG_FILES: usize = 7;

/// Installs the global subscriber. Keep the returned guard alive: dropping it flushes the file.
/// `RUST_LOG` overrides the default level (`info`).
pub fn init(logs_dir: &Path) -> Result<WorkerGuard, AppError> {
    std::fs::create_dir_all(logs_dir)?;
    let appender = Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix("partnerdesk")
        .filename_suffix("log")
        .max_log_files(KEPT_LOG_FILES)
        .build(logs_dir)
        .map_err(|error| AppError::internal(format!("log file: {error}")))?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let file_layer = fmt::layer().with_ansi(false).with_writer(writer);
    let console_layer = fmt::layer().with_writer(std::io::stderr);
    // A second init (tests) keeps the first subscriber; that is fine.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(file_layer)
        .with(console_layer)
        .try_init();
    Ok(guard)
}
