//! PartnerDesk without Tauri: the workspace lifecycle (demo or an account, switching with
//! rollback), accounts and connectors over the keychain and settings, the command bodies the
//! window calls, and the supervisor of background jobs. The shell wraps the commands declared in
//! `pd-ipc` and turns [`events::ChangeSink`] into Tauri events; everything else lives here, so
//! its tests run without a window or WebKit.

pub mod accounts;
pub mod api;
pub mod attach;
pub mod commands;
pub mod connector_work;
pub mod deliveries;
pub mod desk;
pub mod desktop;
pub mod documents;
pub mod drops;
pub mod error;
pub mod events;
pub mod exception_case;
pub mod folders;
pub mod keychain;
pub mod logging;
pub mod navigate;
pub mod notify;
pub mod package;
pub mod probe;
mod queue_job;
pub mod retention;
pub mod state;
pub mod stream;
pub mod supervisor;
pub mod sync;
pub mod transfers;
pub mod uploads;
pub mod watch;
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

/// `env` when it names a folder, else `platform_default`; the folder is created readable by
/// the analyst only ([`create_private_dir`]).
pub fn folder_from_env(env: &str, platform_default: PathBuf) -> Result<PathBuf, AppError> {
    let dir = match std::env::var_os(env) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => platform_default,
    };
    create_private_dir(&dir)?;
    Ok(dir)
}

/// Creates `dir` (and missing parents) readable by its owner only (0700 on Unix), and removes
/// group and other permissions from it if it already exists: the app's folders hold the cache,
/// logs and settings, which name partners and cases. Other platforms keep the per-user
/// profile's own permissions.
pub fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & !0o077))?;
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)?;
    Ok(())
}
