//! The PartnerDesk shell: opens the window, wires the crates (store, sync, sandbox) into Tauri
//! state and exposes the IPC contract of ARCHITECTURE.md. Logic lives in the crates; this stays thin.

pub mod accounts;
pub mod api;
pub mod commands;
pub mod error;
pub mod events;
pub mod exception_case;
pub mod keychain;
pub mod logging;
pub mod state;
pub mod sync;
pub mod workspace;

use std::path::PathBuf;

use tauri::{Emitter, Manager};

use crate::error::AppError;
use crate::state::{AppState, StartOptions};

/// Environment variable that overrides where the cache, logs and demo data live.
pub const DATA_DIR_ENV: &str = "PARTNERDESK_DATA_DIR";
/// Environment variable that overrides where `settings.json` lives.
pub const CONFIG_DIR_ENV: &str = "PARTNERDESK_CONFIG_DIR";
/// The cache file inside the data dir (and inside each account's folder).
pub const CACHE_FILE: &str = "cache.db";

/// The folder for `cache.db`, `logs/` and the demo sandbox's data: `PARTNERDESK_DATA_DIR` when
/// set, else the platform's app-data folder (`~/.local/share/com.partnerdesk.app` on Linux).
pub fn data_dir(app: &tauri::AppHandle) -> Result<PathBuf, AppError> {
    let dir = match std::env::var_os(DATA_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => app.path().app_data_dir()?,
    };
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The folder for `settings.json`: `PARTNERDESK_CONFIG_DIR` when set, else the platform's
/// app-config folder (`~/.config/com.partnerdesk.app` on Linux).
pub fn config_dir(app: &tauri::AppHandle) -> Result<PathBuf, AppError> {
    let dir = match std::env::var_os(CONFIG_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => app.path().app_config_dir()?,
    };
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn setup(app: &mut tauri::App) -> Result<(), AppError> {
    let handle = app.handle().clone();
    let dir = data_dir(&handle)?;
    let guard = logging::init(&dir.join("logs"))?;
    app.manage(guard);
    tracing::info!(data_dir = %dir.display(), version = env!("CARGO_PKG_VERSION"), "PartnerDesk starting");
    let options = StartOptions {
        data_dir: dir,
        config_dir: config_dir(&handle)?,
        keychain_namespace: keychain::namespace_from_env(),
    };
    let state = tauri::async_runtime::block_on(async move {
        let emitter = handle.clone();
        let changes = events::start_batcher(events::BATCH_WINDOW, move |payload| {
            if let Err(error) = emitter.emit(events::CHANGED_EVENT, payload) {
                tracing::warn!(%error, "could not emit change event");
            }
        });
        AppState::start(options, changes).await
    })?;
    app.manage(state);
    Ok(())
}

/// Starts the app and blocks until its last window closes.
pub fn run() {
    let app = tauri::Builder::default()
        .setup(|app| {
            setup(app).map_err(|error| {
                let info = error.to_info();
                eprintln!("PartnerDesk could not start: [{}] {error}", info.code);
                error.to_string().into()
            })
        })
        .invoke_handler(tauri::generate_handler![
            commands::list_cases,
            commands::case_status_counts,
            commands::get_case,
            commands::list_exceptions,
            commands::exception_facets,
            commands::list_partners,
            commands::get_partner,
            commands::list_users,
            commands::sync_status,
            commands::sync_now,
            commands::create_case_from_exception,
            commands::add_comment,
            commands::update_case,
            commands::create_case,
            commands::link_transaction,
            commands::unlink_transaction,
            commands::outbox_list,
            commands::outbox_retry,
            commands::outbox_edit,
            commands::outbox_discard,
            commands::dismiss_conflict,
            commands::keychain_status,
            commands::list_accounts,
            commands::save_account,
            commands::remove_account,
            commands::switch_account,
            commands::test_account,
            commands::list_connectors,
            commands::save_connector,
            commands::remove_connector,
            commands::test_connector,
        ])
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(error) => {
            eprintln!("PartnerDesk could not start: {error}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            if let Some(state) = handle.try_state::<AppState>() {
                tauri::async_runtime::block_on(state.shutdown());
            }
            tracing::info!("PartnerDesk stopped");
        }
    });
}
