//! PartnerDesk without Tauri: the workspace lifecycle (demo or an account, switching with
//! rollback), accounts and connectors over the keychain and settings, the command bodies the
//! window calls, and the supervisor of background jobs. The shell wraps the commands declared in
//! `pd-ipc` and turns [`events::ChangeSink`] into Tauri events; everything else lives here, so
//! its tests run without a window or WebKit.

pub mod accounts;
pub mod api;
pub mod commands;
pub mod error;
pub mod events;
pub mod exception_case;
pub mod keychain;
pub mod logging;
pub mod state;
pub mod supervisor;
pub mod sync;
pub mod workspace;

use std::path::PathBuf;

pub use commands::CommandResult;
pub use error::AppError;
pub use state::{AppState, StartOptions};

/// Environment variable that overrides where the cache, logs and demo data live.
pub const DATA_DIR_ENV: &str = "PARTNERDESK_DATA_DIR";
/// Environment variable that overrides where `settings.json` lives.
pub const CONFIG_DIR_ENV: &str = "PARTNERDESK_CONFIG_DIR";
/// The cache file inside the data dir (and inside each account's folder).
pub const CACHE_FILE: &str = "cache.db";

/// `env` when it names a folder, else `platform_default`; the folder is created.
pub fn folder_from_env(env: &str, platform_default: PathBuf) -> Result<PathBuf, AppError> {
    let dir = match std::env::var_os(env) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => platform_default,
    };
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
