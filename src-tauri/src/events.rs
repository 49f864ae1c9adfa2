//! Change events to the window: the app core's batched [`ChangedPayload`]s become the Tauri
//! event the UI listens to.

use pd_app::events::{ChangeSink, CHANGED_EVENT};
use pd_domain::{ChangedPayload, Topic};
use tauri::{AppHandle, Emitter};

/// Emits each batch as `pd://changed` to every window.
pub struct WindowEvents(pub AppHandle);

impl ChangeSink for WindowEvents {
    fn emit(&self, payload: ChangedPayload) {
        let tray_counts_moved = payload
            .topics
            .iter()
            .any(|t| matches!(t, Topic::Cases | Topic::Outbox | Topic::Settings));
        if let Err(error) = self.0.emit(CHANGED_EVENT, payload) {
            tracing::warn!(%error, "could not emit change event");
        }
        if tray_counts_moved {
            let app = self.0.clone();
            tauri::async_runtime::spawn(async move { crate::desk::refresh_tray(&app).await });
        }
    }
}
