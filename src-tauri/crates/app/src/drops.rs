//! Files dropped on the window or picked in a dialog (issue 10). Their paths stay here, in Rust:
//! the window receives a drop id with the names and sizes ([`DropView`]) and later says which
//! case to attach the drop to, so no command ever takes a path from the page. A dropped folder
//! becomes the files inside it (the window asks for a confirmation above
//! [`CONFIRM_ABOVE`] files). The shell feeds the native drag-and-drop events through
//! [`drag_event`]; the end-to-end test feeds the very same function.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use pd_domain::{DragPayload, DragPhase, DropView, DroppedFile, ErrorCode};

use crate::error::AppError;
use crate::state::AppState;
use crate::CommandResult;

/// The event the shell emits with a [`DragPayload`] while files are dragged over the window.
pub const DRAG_EVENT: &str = "pd://drag";
/// A drop of more files than this (from folders) is attached only after the analyst confirms.
pub const CONFIRM_ABOVE: usize = 20;
/// At most this many files are taken from one drop (a dropped home folder is not attached).
pub const MAX_FILES: usize = 2_000;
/// Drops kept waiting for the window's answer.
const KEEP_DROPS: usize = 16;

/// One file of a drop: where it is, and what the window was told.
#[derive(Debug, Clone)]
pub struct DropFile {
    /// Its path.
    pub path: PathBuf,
    /// What the window sees.
    pub view: DroppedFile,
}

#[derive(Debug, Default)]
struct Inner {
    drops: HashMap<String, (u64, Vec<DropFile>, bool)>,
    counter: u64,
    /// What was dropped, as dropped (a folder stays a folder): for adding a drop folder.
    roots: HashMap<String, Vec<PathBuf>>,
}

/// The drops waiting for the window to say where they go.
#[derive(Debug, Default, Clone)]
pub struct Drops(Arc<Mutex<Inner>>);

impl Drops {
    /// Reads what was dropped (folders expanded) and keeps it under a new id.
    pub fn register(&self, paths: &[PathBuf]) -> DropView {
        let mut files = Vec::new();
        let mut skipped = Vec::new();
        let mut folders = 0_u32;
        for path in paths {
            collect(path, path, &mut files, &mut skipped, &mut folders);
        }
        let total_size = files.iter().map(|f: &DropFile| f.view.size).sum();
        let from_folders = files.iter().filter(|f| !f.view.folder.is_empty()).count();
        let mut inner = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        inner.counter += 1;
        let serial = inner.counter;
        let id = format!("drop-{serial}-{}", uuid::Uuid::new_v4().simple());
        let view = DropView {
            id: id.clone(),
            files: files.iter().map(|f| f.view.clone()).collect(),
            total_size,
            folders,
            needs_confirmation: from_folders > CONFIRM_ABOVE,
            skipped,
        };
        inner.roots.insert(id.clone(), paths.to_vec());
        inner
            .drops
            .insert(id, (serial, files, view.needs_confirmation));
        if inner.drops.len() > KEEP_DROPS {
            if let Some(oldest) = inner
                .drops
                .iter()
                .min_by_key(|(_, (serial, _, _))| *serial)
                .map(|(id, _)| id.clone())
            {
                inner.drops.remove(&oldest);
            }
        }
        let Inner { drops, roots, .. } = &mut *inner;
        roots.retain(|id, _| drops.contains_key(id));
        view
    }

    /// Takes a drop's files out of the registry.
    pub fn take(&self, id: &str) -> Result<Vec<DropFile>, AppError> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drops
            .remove(id)
            .map(|(_, files, _)| files)
            .ok_or_else(|| {
                AppError::reported(ErrorCode::DropUnknown, ErrorCode::DropUnknown.words())
            })
    }

    /// Takes a drop's files to attach them; a drop that needs the analyst's confirmation stays
    /// waiting (refused in words) unless `confirmed`.
    pub fn take_confirmed(&self, id: &str, confirmed: bool) -> Result<Vec<DropFile>, AppError> {
        let mut inner = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match inner.drops.get(id) {
            None => Err(AppError::reported(
                ErrorCode::DropUnknown,
                ErrorCode::DropUnknown.words(),
            )),
            Some((_, files, true)) if !confirmed => Err(AppError::reported(
                ErrorCode::DropNeedsConfirmation,
                format!(
                    "This drop brings {} files from folders: confirm that all of them should be attached.",
                    files.len()
                ),
            )),
            Some(_) => Ok(inner
                .drops
                .remove(id)
                .map(|(_, files, _)| files)
                .unwrap_or_default()),
        }
    }

    /// The folder of a drop that is one folder, as a folder (not expanded into its files): the
    /// drop folder the analyst dropped on the Folders view. Anything else is refused in words.
    /// The drop stays registered (so a refused form can be sent again) until discarded.
    pub fn dropped_folder(&self, id: &str) -> Result<PathBuf, AppError> {
        let inner = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(roots) = inner.roots.get(id).filter(|_| inner.drops.contains_key(id)) else {
            return Err(AppError::reported(
                ErrorCode::DropUnknown,
                ErrorCode::DropUnknown.words(),
            ));
        };
        let refuse = |message: String| Err(AppError::reported(ErrorCode::InputInvalid, message));
        let [root] = roots.as_slice() else {
            return refuse(format!(
                "Drop one folder to watch it; this drop holds {} items.",
                roots.len()
            ));
        };
        let shown = display_name(root);
        let is_link = std::fs::symlink_metadata(root).is_ok_and(|m| m.file_type().is_symlink());
        match std::fs::metadata(root) {
            Ok(meta) if meta.is_dir() && !is_link => {}
            Ok(meta) if meta.is_dir() => {
                return refuse(format!(
                    "{shown} is a link to a folder; drop the folder itself."
                ))
            }
            Ok(_) => {
                return refuse(format!(
                    "{shown} is a file, not a folder: drop the folder it is in to watch it, or drop the file on a case to attach it."
                ))
            }
            Err(error) => return refuse(format!("{shown} cannot be read ({error}).")),
        }
        Ok(root.clone())
    }

    /// Forgets a drop.
    pub fn discard(&self, id: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drops
            .remove(id)
            .is_some()
    }
}

fn collect(
    root: &Path,
    path: &Path,
    files: &mut Vec<DropFile>,
    skipped: &mut Vec<String>,
    folders: &mut u32,
) {
    let shown = display_name(path);
    if files.len() >= MAX_FILES {
        if skipped
            .last()
            .is_none_or(|last| !last.starts_with("More than"))
        {
            skipped.push(format!(
                "More than {MAX_FILES} files were dropped; only the first {MAX_FILES} are kept."
            ));
        }
        return;
    }
    // Symbolic links are followed for files, never for folders (no loops).
    let link = std::fs::symlink_metadata(path).map(|m| m.file_type().is_symlink());
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            skipped.push(format!("{shown} is no longer there."));
            return;
        }
        Err(error) => {
            skipped.push(format!("{shown} cannot be read ({error})."));
            return;
        }
    };
    if meta.is_dir() {
        if matches!(link, Ok(true)) {
            skipped.push(format!(
                "{shown} is a link to a folder; drop the folder itself."
            ));
            return;
        }
        *folders += 1;
        let mut children: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(read) => read.flatten().map(|e| e.path()).collect(),
            Err(error) => {
                skipped.push(format!("The folder {shown} cannot be read ({error})."));
                return;
            }
        };
        children.sort();
        for child in children {
            collect(root, &child, files, skipped, folders);
        }
        return;
    }
    if !meta.is_file() {
        skipped.push(format!("{shown} is not a regular file."));
        return;
    }
    if let Err(error) = std::fs::File::open(path) {
        skipped.push(format!("{shown} cannot be read ({error})."));
        return;
    }
    let folder = if path == root {
        String::new()
    } else {
        let base = root.parent().unwrap_or(root);
        path.parent()
            .and_then(|p| p.strip_prefix(base).ok())
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    };
    files.push(DropFile {
        path: path.to_owned(),
        view: DroppedFile {
            name: shown,
            size: meta.len(),
            folder,
        },
    });
}

/// A file's name for the window (control and bidirectional characters made visible as `_`).
fn display_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    crate::documents::file_name_for(&name)
}

/// What the shell's drag-and-drop handler (and the end-to-end hook) calls: positions pass
/// through; a drop is registered and described.
pub fn drag_event(
    state: &AppState,
    phase: DragPhase,
    paths: &[PathBuf],
    x: f64,
    y: f64,
) -> DragPayload {
    let count = u32::try_from(paths.len()).unwrap_or(u32::MAX);
    let dropped = (phase == DragPhase::Drop).then(|| state.drops.register(paths));
    if let Some(drop) = &dropped {
        tracing::info!(drop = %drop.id, files = drop.files.len(), folders = drop.folders, skipped = drop.skipped.len(), "files dropped on the window");
    }
    DragPayload {
        phase,
        x,
        y,
        count,
        dropped,
        error: None,
    }
}

/// Lets the analyst pick files (the keyboard way to drop); `None` when cancelled.
pub async fn pick_files(state: &AppState) -> CommandResult<Option<DropView>> {
    let desktop = state.desktop.get()?;
    let paths = tokio::task::spawn_blocking(move || desktop.choose_files()).await?;
    if paths.is_empty() {
        return Ok(None);
    }
    let drops = state.drops.clone();
    Ok(Some(
        tokio::task::spawn_blocking(move || drops.register(&paths)).await?,
    ))
}

/// Forgets a drop the analyst did not attach.
pub async fn discard_drop(state: &AppState, drop_id: String) -> CommandResult<()> {
    state.drops.discard(&drop_id);
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_drop_keeps_its_paths_here_and_describes_files_folders_and_what_was_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("invoice.pdf");
        std::fs::write(&file, b"%PDF-1.4").unwrap();
        let folder = dir.path().join("scans");
        std::fs::create_dir_all(folder.join("day 2")).unwrap();
        for i in 0..CONFIRM_ABOVE {
            std::fs::write(folder.join(format!("scan-{i:02}.png")), [i as u8]).unwrap();
        }
        std::fs::write(folder.join("day 2/late\u{202E}gpj.exe"), b"x").unwrap();
        let gone = dir.path().join("vanished.txt");
        let drops = Drops::default();
        let view = drops.register(&[file.clone(), folder.clone(), gone]);
        assert_eq!(view.files.len(), 1 + CONFIRM_ABOVE + 1);
        assert_eq!(view.folders, 2);
        assert!(
            view.needs_confirmation,
            "more than {CONFIRM_ABOVE} files from folders"
        );
        assert_eq!(view.files[0].name, "invoice.pdf");
        assert_eq!(view.files[0].folder, "");
        assert_eq!(view.files[0].size, 8);
        assert!(view
            .files
            .iter()
            .any(|f| f.name == "late_gpj.exe" && f.folder == "scans/day 2"));
        assert_eq!(
            view.skipped,
            vec!["vanished.txt is no longer there.".to_owned()]
        );
        let json = serde_json::to_string(&view).unwrap();
        assert!(
            !json.contains(&dir.path().display().to_string()),
            "no path crosses to the window"
        );
        let files = drops.take(&view.id).unwrap();
        assert_eq!(files[0].path, file);
        let again = drops.take(&view.id).unwrap_err();
        assert_eq!(again.code(), ErrorCode::DropUnknown);
    }

    #[test]
    fn a_few_files_need_no_confirmation() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"a").unwrap();
        let view = Drops::default().register(&[dir.path().to_owned()]);
        assert_eq!(view.files.len(), 1);
        assert!(!view.needs_confirmation);
    }
}
