//! The PartnerDesk shell: opens the window, wires the crates (store, sync, sandbox) into Tauri
//! state and exposes the IPC contract of ARCHITECTURE.md. Logic lives in the crates; this stays thin.

pub mod error;
pub mod events;
pub mod logging;

use std::path::PathBuf;

use tauri::{Emitter, Manager};

use crate::error::AppError;

/// Environment variable that overrides where the cache, logs and demo data live.
pub const DATA_DIR_ENV: &str = "PARTNERDESK_DATA_DIR";

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

fn setup(app: &mut tauri::App) -> Result<(), AppError> {
    let handle = app.handle().clone();
    let dir = data_dir(&handle)?;
    let guard = logging::init(&dir.join("logs"))?;
    app.manage(guard);
    tracing::info!(data_dir = %dir.display(), "PartnerDesk starting");
    let emitter = handle.clone();
    let reporter = tauri::async_runtime::block_on(async move {
        events::start_batcher(events::BATCH_WINDOW, move |payload| {
            if let Err(error) = emitter.emit(events::CHANGED_EVENT, payload) {
                tracing::warn!(%error, "could not emit change event");
            }
        })
    });
    app.manage(reporter);
    Ok(())
}

/// Starts the app and blocks until its last window closes.
pub fn run() {
    let result = tauri::Builder::default()
        .setup(|app| setup(app).map_err(|error| error.to_string().into()))
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("PartnerDesk could not start: {error}");
        std::process::exit(1);
    }
}
