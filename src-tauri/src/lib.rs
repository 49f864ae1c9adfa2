//! The PartnerDesk shell: opens the window, starts the app core (`pd-app`) with the platform's
//! folders, registers the commands declared in `pd-ipc` and turns change reports into window
//! events. Everything else lives in the crates; this stays Tauri glue.

pub mod commands;
pub mod desk;
pub mod desktop;
pub mod drag;
pub mod events;
pub mod webkit;

use pd_app::events::{start_batcher, BATCH_WINDOW};
use pd_app::{folder_from_env, AppError, AppState, StartOptions, CONFIG_DIR_ENV, DATA_DIR_ENV};
use tauri::Manager;

fn platform_folder(
    folder: Result<std::path::PathBuf, tauri::Error>,
) -> Result<std::path::PathBuf, AppError> {
    folder.map_err(|error| AppError::internal(format!("tauri: {error}")))
}

/// When `run` began, for the start-up phases logged at debug level under `partnerdesk::start`
/// (`RUST_LOG=partnerdesk::start=debug`), which split the cold start (issue 16).
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Milliseconds from when `run` began to `at` (0 before it began).
pub(crate) fn ms_since_start(at: std::time::Instant) -> f64 {
    STARTED.get().map_or(0.0, |t| {
        at.saturating_duration_since(*t).as_secs_f64() * 1000.0
    })
}

/// Logs one start-up phase with the milliseconds since `run` began.
fn phase(name: &str) {
    let ms = ms_since_start(std::time::Instant::now());
    tracing::debug!(target: "partnerdesk::start", phase = name, ms, "start-up");
}

fn setup(app: &mut tauri::App) -> Result<(), AppError> {
    let handle = app.handle().clone();
    if let Some(window) = app.get_webview_window("main") {
        webkit::tune(&window);
    }
    let data_dir = folder_from_env(DATA_DIR_ENV, platform_folder(handle.path().app_data_dir())?)?;
    let config_dir = folder_from_env(
        CONFIG_DIR_ENV,
        platform_folder(handle.path().app_config_dir())?,
    )?;
    let guard = pd_app::logging::init(&data_dir.join("logs"))?;
    app.manage(guard);
    tracing::info!(data_dir = %data_dir.display(), version = env!("CARGO_PKG_VERSION"), "PartnerDesk starting");
    phase("logging started (window created)");
    let options = StartOptions {
        data_dir,
        config_dir,
        keychain_namespace: pd_app::keychain::namespace_from_env(),
    };
    let state = tauri::async_runtime::block_on(async move {
        let changes = start_batcher(BATCH_WINDOW, events::WindowEvents(handle));
        AppState::start(options, changes).await
    })?;
    phase("app state started (keychain, settings, workspace)");
    state
        .desktop
        .install(std::sync::Arc::new(desktop::ShellDesktop(
            app.handle().clone(),
        )));
    desk::connect(app.handle(), &state);
    app.manage(state);
    drag::start_e2e_hook(app.handle());
    // Linux's tray library panics when the system lacks libayatana-appindicator: the app then
    // runs without a tray rather than not at all.
    let tray = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        desk::build_tray(app.handle())
    }));
    match tray {
        Ok(Ok(tray)) => {
            app.manage(tray);
        }
        Ok(Err(error)) => tracing::warn!(%error, "no tray on this desktop"),
        Err(_) => tracing::warn!("no tray on this desktop (its library is missing)"),
    }
    phase("tray built; setup done");
    let tray_app = app.handle().clone();
    tauri::async_runtime::spawn(async move {
        // Counts follow the cache: refreshed every half minute (SLA marks move with the clock).
        loop {
            desk::refresh_tray(&tray_app).await;
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        }
    });
    Ok(())
}

/// One app instance per data folder: a second launch on the same folder hands over to the first
/// (whose window comes to the front) and exits. The D-Bus name (Linux) carries the data folder
/// when `PARTNERDESK_DATA_DIR` chooses one, so instances on different folders run side by side.
/// The cache's own lock file (`pd_store::CacheLock`) backs this up where no session bus runs.
fn single_instance() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    // With the `deep-link` feature a second launch's `partnerdesk://` argument reaches the
    // deep-link plugin (and so `desk::connect`'s handler) before this callback runs.
    let builder = tauri_plugin_single_instance::Builder::new().callback(|app, _args, _cwd| {
        desk::second_launch(app);
    });
    let builder = match std::env::var_os(DATA_DIR_ENV) {
        Some(dir) => {
            // FNV-1a: stable across builds, so two launches agree on the name.
            let hash = dir
                .as_encoded_bytes()
                .iter()
                .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                    (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
                });
            builder.dbus_id(format!("com.partnerdesk.app.d{hash:016x}"))
        }
        None => builder,
    };
    builder.build()
}

/// Starts the app and blocks until its last window closes.
pub fn run() {
    let _ = STARTED.set(std::time::Instant::now());
    webkit::before_start();
    let app = tauri::Builder::default()
        .plugin(single_instance())
        .plugin(tauri_plugin_dialog::init())
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::DragDrop(drop) = event {
                drag::forward(window.app_handle(), drop);
            }
        })
        .on_page_load(|_, payload| match payload.event() {
            tauri::webview::PageLoadEvent::Started => phase("page load started"),
            tauri::webview::PageLoadEvent::Finished => phase("page load finished"),
        })
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .setup(|app| {
            setup(app).map_err(|error| {
                let info = error.to_info();
                eprintln!("PartnerDesk could not start: [{}] {error}", info.code);
                error.to_string().into()
            })
        })
        .invoke_handler(commands::handler())
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(error) => {
            eprintln!("PartnerDesk could not start: {error}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let tauri::RunEvent::WindowEvent {
            event: tauri::WindowEvent::CloseRequested { api, .. },
            label,
            ..
        } = &event
        {
            // Close-to-tray: the window hides, the sync and notifications go on.
            if desk::keeps_running_in_tray(handle) {
                api.prevent_close();
                if let Some(window) = handle.get_webview_window(label) {
                    let _ = window.hide();
                }
            }
        }
        if let tauri::RunEvent::Exit = event {
            if let Some(state) = handle.try_state::<AppState>() {
                tauri::async_runtime::block_on(state.shutdown());
            }
            tracing::info!("PartnerDesk stopped");
        }
    });
}
