//! The desktop as `pd-app` asks for it: "Open" through `tauri-plugin-opener`, "Save as" and the
//! file picker through `tauri-plugin-dialog`, opened from Rust so the chosen paths stay here.

use std::path::{Path, PathBuf};

use tauri::{AppHandle, Manager};
use tauri_plugin_dialog::DialogExt;

/// The shell's [`pd_app::desktop::Desktop`].
pub struct ShellDesktop(pub AppHandle);

impl ShellDesktop {
    fn dialog(&self) -> tauri_plugin_dialog::FileDialogBuilder<tauri::Wry> {
        let builder = self.0.dialog().file();
        match self.0.get_webview_window("main") {
            Some(window) => builder.set_parent(&window),
            None => builder,
        }
    }
}

impl pd_app::desktop::Desktop for ShellDesktop {
    fn open_path(&self, path: &Path) -> Result<(), String> {
        tauri_plugin_opener::open_path(path, None::<&str>).map_err(|error| error.to_string())
    }

    fn choose_save_path(&self, name: &str) -> Option<PathBuf> {
        let chosen = self
            .dialog()
            .set_title("Save document as")
            .set_file_name(name)
            .blocking_save_file()?;
        chosen.into_path().ok()
    }

    fn choose_files(&self) -> Vec<PathBuf> {
        let chosen = self
            .dialog()
            .set_title("Attach files")
            .blocking_pick_files()
            .unwrap_or_default();
        chosen
            .into_iter()
            .filter_map(|file| file.into_path().ok())
            .collect()
    }
}
