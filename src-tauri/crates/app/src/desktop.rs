//! What the app asks of the desktop (issue 10): open a file with its default application, ask
//! where to save one, let the analyst pick files. The shell implements [`Desktop`] with
//! `tauri-plugin-opener` and `tauri-plugin-dialog` (dialogs opened from Rust, so chosen paths
//! never cross to the page); tests implement it with a recorder. Nothing here depends on Tauri.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use pd_domain::ErrorCode;

use crate::error::AppError;

/// The desktop's file dialogs and default applications. The dialog methods block until the
/// analyst answers: call them off the async threads.
pub trait Desktop: Send + Sync + 'static {
    /// Opens `path` with the OS default application for it.
    fn open_path(&self, path: &Path) -> Result<(), String>;
    /// Asks where to save a file, suggesting `name`; `None` when the analyst cancels.
    fn choose_save_path(&self, name: &str) -> Option<PathBuf>;
    /// Lets the analyst pick files to attach; empty when cancelled.
    fn choose_files(&self) -> Vec<PathBuf>;
}

/// The desktop the shell installed (none in tests that do not set one).
#[derive(Default, Clone)]
pub struct DesktopSlot(Arc<OnceLock<Arc<dyn Desktop>>>);

impl std::fmt::Debug for DesktopSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DesktopSlot")
            .field("installed", &self.0.get().is_some())
            .finish()
    }
}

impl DesktopSlot {
    /// Installs the desktop (once; a second call is ignored).
    pub fn install(&self, desktop: Arc<dyn Desktop>) {
        let _ = self.0.set(desktop);
    }

    /// The installed desktop.
    pub fn get(&self) -> Result<Arc<dyn Desktop>, AppError> {
        self.0.get().cloned().ok_or_else(|| {
            AppError::reported(
                ErrorCode::DesktopUnavailable,
                ErrorCode::DesktopUnavailable.words(),
            )
        })
    }
}
