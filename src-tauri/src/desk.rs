//! The desktop glue of issue 14: OS notifications through `tauri-plugin-notification` (a click
//! goes back to `AppState::notification_clicked`), the window brought forward for a
//! navigation request, `partnerdesk://` links, the tray with its counts and quick actions, and
//! close-to-tray. The decisions live in `pd_app` (`notify`, `navigate`, `desk`).

use std::sync::atomic::{AtomicBool, Ordering};

use pd_app::navigate::OPEN_EVENT;
use pd_app::notify::{NotificationSink, Shown};
use pd_app::AppState;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Wry};
use tauri_plugin_deep_link::DeepLinkExt;
use tauri_plugin_notification::NotificationExt;

/// The main window's label.
const MAIN: &str = "main";

/// Shows, unminimizes and focuses the main window.
pub fn bring_forward(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// What the window hears when a second launch handed over to it.
const SECOND_LAUNCH_EVENT: &str = "pd://second-launch";

/// A second launch of the app handed over to this one: its window comes to the front.
pub fn second_launch(app: &AppHandle) {
    tracing::info!("a second launch handed over to this window");
    bring_forward(app);
    let _ = app.emit(SECOND_LAUNCH_EVENT, ());
}

/// Shows each batched notification through the OS notification service.
struct OsNotifications(AppHandle);

impl NotificationSink for OsNotifications {
    fn show(&self, shown: &Shown) {
        let result = self
            .0
            .notification()
            .builder()
            .id(shown.id)
            .title(&shown.title)
            .body(&shown.body)
            .show();
        if let Err(error) = result {
            tracing::warn!(%error, "could not show a notification");
        }
    }
}

/// Connects notifications, navigation and links to the app state (after it started).
pub fn connect(app: &AppHandle, state: &AppState) {
    state.notifier.connect(OsNotifications(app.clone()));
    let front = app.clone();
    state.navigation.connect(move || {
        bring_forward(&front);
        if let Err(error) = front.emit(OPEN_EVENT, ()) {
            tracing::warn!(%error, "could not tell the window where to go");
        }
    });
    let clicks = app.clone();
    let listened = app.notification().on_action(move |action| {
        if action.action_id() != "tap" {
            return;
        }
        let Some(id) = action.notification().map(|n| n.id()) else {
            return;
        };
        if let Some(state) = clicks.try_state::<AppState>() {
            state.notification_clicked(id);
        }
    });
    if let Err(error) = listened {
        tracing::warn!(%error, "notification clicks will not open cases");
    }
    let links = app.clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            open_link(&links, url.to_string());
        }
    });
    if let Ok(Some(urls)) = app.deep_link().get_current() {
        for url in urls {
            open_link(app, url.to_string());
        }
    }
}

fn open_link(app: &AppHandle, link: String) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let Some(state) = app.try_state::<AppState>() else {
            return;
        };
        if let Err(error) = pd_app::commands::open_link(&state, link).await {
            tracing::warn!(code = %error.code(), %error, "link not opened");
            bring_forward(&app);
        }
    });
}

/// The tray's menu items whose text or check mark follows the app.
pub struct Tray {
    breached: MenuItem<Wry>,
    failed: MenuItem<Wry>,
    pause: CheckMenuItem<Wry>,
}

/// Builds the tray icon and its menu. Fails (and the app runs without a tray) where the
/// platform has no tray support.
pub fn build_tray(app: &AppHandle) -> tauri::Result<Tray> {
    let open = MenuItem::with_id(app, "open", "Open PartnerDesk", true, None::<&str>)?;
    let breached = MenuItem::with_id(app, "mine", "My breached cases: 0", true, None::<&str>)?;
    let failed = MenuItem::with_id(app, "outbox", "Failed actions: 0", true, None::<&str>)?;
    let sync = MenuItem::with_id(app, "sync", "Sync now", true, None::<&str>)?;
    let pause = CheckMenuItem::with_id(
        app,
        "pause",
        "Pause notifications",
        true,
        false,
        None::<&str>,
    )?;
    let quit = MenuItem::with_id(app, "quit", "Quit PartnerDesk", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &open,
            &PredefinedMenuItem::separator(app)?,
            &breached,
            &failed,
            &PredefinedMenuItem::separator(app)?,
            &sync,
            &pause,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id("partnerdesk")
        .menu(&menu)
        .tooltip("PartnerDesk")
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()));
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(Tray {
        breached,
        failed,
        pause,
    })
}

fn on_menu(app: &AppHandle, id: &str) {
    let route = match id {
        "open" => {
            bring_forward(app);
            return;
        }
        "quit" => {
            app.exit(0);
            return;
        }
        "mine" => Some(pd_domain::OpenRoute::Mine),
        "outbox" => Some(pd_domain::OpenRoute::Outbox),
        _ => None,
    };
    let app = app.clone();
    let id = id.to_owned();
    tauri::async_runtime::spawn(async move {
        let Some(state) = app.try_state::<AppState>() else {
            return;
        };
        if let Some(route) = route {
            state.navigation.open(route);
            return;
        }
        match id.as_str() {
            "sync" => {
                let _ = pd_app::commands::sync_now(&state).await;
            }
            "pause" => {
                let paused = state.notifier.settings().paused;
                if let Err(error) = pd_app::commands::pause_notifications(&state, !paused).await {
                    tracing::warn!(%error, "could not pause notifications");
                }
            }
            _ => {}
        }
        refresh_tray(&app).await;
    });
}

/// A refresh of the tray is running / another was asked for meanwhile (a sync reports changes
/// every 100 ms: at most one count runs, and one more after it).
static REFRESHING: AtomicBool = AtomicBool::new(false);
static REFRESH_AGAIN: AtomicBool = AtomicBool::new(false);

/// Updates the tray's counts and pause mark from the app state.
pub async fn refresh_tray(app: &AppHandle) {
    if REFRESHING.swap(true, Ordering::AcqRel) {
        REFRESH_AGAIN.store(true, Ordering::Release);
        return;
    }
    loop {
        refresh_tray_once(app).await;
        if !REFRESH_AGAIN.swap(false, Ordering::AcqRel) {
            break;
        }
    }
    REFRESHING.store(false, Ordering::Release);
}

async fn refresh_tray_once(app: &AppHandle) {
    let (Some(state), Some(tray)) = (app.try_state::<AppState>(), app.try_state::<Tray>()) else {
        return;
    };
    let Ok(counts) = pd_app::commands::my_work_counts(&state).await else {
        return;
    };
    let _ = tray
        .breached
        .set_text(format!("My breached cases: {}", counts.breached));
    let _ = tray
        .failed
        .set_text(format!("Failed actions: {}", counts.failed_actions));
    let _ = tray.pause.set_checked(state.notifier.settings().paused);
    if let Some(icon) = app.tray_by_id("partnerdesk") {
        let _ = icon.set_tooltip(Some(format!(
            "PartnerDesk: {} breached, {} failed",
            counts.breached, counts.failed_actions
        )));
    }
}

/// Whether closing the main window should only hide it (the app keeps syncing in the tray).
pub fn keeps_running_in_tray(app: &AppHandle) -> bool {
    app.try_state::<Tray>().is_some()
        && app
            .try_state::<AppState>()
            .is_some_and(|state| state.close_to_tray())
}
