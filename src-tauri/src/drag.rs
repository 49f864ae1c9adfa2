//! Native drag and drop on the window: Tauri's `DragDropEvent`s go to `pd_app::drops::drag_event`
//! (paths stay in Rust; a drop is registered under an id) and the answer is emitted as
//! `pd://drag` with the pointer in CSS pixels, for the window to highlight and pick the target.
//! Debug builds started with `PARTNERDESK_E2E_DROP_DIR` also read drops the end-to-end test
//! writes there and feed them through the same [`forward`]; release builds have no such hook.

use pd_domain::DragPhase;
use tauri::{AppHandle, DragDropEvent, Emitter, Manager};

/// Handles one native drag-and-drop event of the main window.
pub fn forward(handle: &AppHandle, event: &DragDropEvent) {
    let (phase, paths, position) = match event {
        DragDropEvent::Enter { paths, position } => {
            (DragPhase::Enter, paths.clone(), Some(*position))
        }
        DragDropEvent::Over { position } => (DragPhase::Over, Vec::new(), Some(*position)),
        DragDropEvent::Drop { paths, position } => {
            (DragPhase::Drop, paths.clone(), Some(*position))
        }
        DragDropEvent::Leave => (DragPhase::Leave, Vec::new(), None),
        _ => return,
    };
    let scale = handle
        .get_webview_window("main")
        .and_then(|w| w.scale_factor().ok())
        .unwrap_or(1.0);
    let (x, y) = position.map_or((0.0, 0.0), |p| (p.x / scale, p.y / scale));
    let handle = handle.clone();
    // Reading a dropped folder may take a moment: off the event loop.
    tauri::async_runtime::spawn_blocking(move || {
        let Some(state) = handle.try_state::<pd_app::AppState>() else {
            return;
        };
        let payload = pd_app::drops::drag_event(&state, phase, &paths, x, y);
        if let Err(error) = handle.emit(pd_app::drops::DRAG_EVENT, payload) {
            tracing::warn!(%error, "could not emit drag event");
        }
    });
}

/// The end-to-end hook (debug builds only): each `*.json` file `{"paths": [...], "x": .., "y": ..}`
/// appearing in `PARTNERDESK_E2E_DROP_DIR` is a drop at that point (enter, then the drop), fed
/// through [`forward`]. With `"phase": "enter" | "over" | "leave" | "drop"` it is that one event,
/// so a test can hold files over a target (and look at its highlight) before dropping them.
#[cfg(debug_assertions)]
pub fn start_e2e_hook(handle: &AppHandle) {
    let Some(dir) = std::env::var_os("PARTNERDESK_E2E_DROP_DIR").map(std::path::PathBuf::from)
    else {
        return;
    };
    let handle = handle.clone();
    std::thread::spawn(move || loop {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in read.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let request = std::fs::read(&path)
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
            let _ = std::fs::remove_file(&path);
            let Some(request) = request else { continue };
            let paths: Vec<std::path::PathBuf> = request["paths"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(Into::into))
                .collect();
            let scale = handle
                .get_webview_window("main")
                .and_then(|w| w.scale_factor().ok())
                .unwrap_or(1.0);
            let position = tauri::PhysicalPosition::new(
                request["x"].as_f64().unwrap_or(0.0) * scale,
                request["y"].as_f64().unwrap_or(0.0) * scale,
            );
            match request["phase"].as_str() {
                Some("enter") => forward(&handle, &DragDropEvent::Enter { paths, position }),
                Some("over") => forward(&handle, &DragDropEvent::Over { position }),
                Some("leave") => forward(&handle, &DragDropEvent::Leave),
                Some("drop") => forward(&handle, &DragDropEvent::Drop { paths, position }),
                _ => {
                    forward(
                        &handle,
                        &DragDropEvent::Enter {
                            paths: paths.clone(),
                            position,
                        },
                    );
                    std::thread::sleep(std::time::Duration::from_millis(300));
                    forward(&handle, &DragDropEvent::Drop { paths, position });
                }
            }
        }
    });
}

/// Release builds: no hook.
#[cfg(not(debug_assertions))]
pub fn start_e2e_hook(_handle: &AppHandle) {}
