//! The cache holds partners' cases, comments and document names: on a shared machine no other
//! user may read it. A new cache file is created readable by its owner only (0600) before SQLite
//! opens it, since SQLite gives the -wal and -shm files the main file's mode; a file an older
//! build left readable by others is tightened when it is opened.

use std::path::Path;

/// Creates a missing `path` empty with mode 0600 (unless its folder is read-only: opening then
/// reports that) and removes group and other permissions from `path` and its -wal/-shm. Owner
/// bits are kept, so a read-only file stays read-only and is reported as such. A failure is
/// logged, not fatal: the cache still works, only less private.
#[cfg(unix)]
pub(crate) fn restrict(path: &Path) {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let folder_writable = std::fs::metadata(folder).is_ok_and(|m| !m.permissions().readonly());
    if folder_writable && !path.exists() {
        // create_new: a file that appeared meanwhile (another process) is tightened below.
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
    }
    for suffix in ["", "-wal", "-shm"] {
        let file = crate::db::sibling(path, suffix);
        let Ok(meta) = std::fs::symlink_metadata(&file) else {
            continue;
        };
        let mode = meta.permissions().mode();
        if !meta.is_file() || mode & 0o077 == 0 {
            continue;
        }
        let tightened = std::fs::Permissions::from_mode(mode & !0o077);
        if let Err(error) = std::fs::set_permissions(&file, tightened) {
            tracing::warn!(path = %file.display(), %error, "cannot make the cache file private to its owner");
        }
    }
}

/// Other platforms: the per-user profile folder already keeps other users out.
#[cfg(not(unix))]
pub(crate) fn restrict(_path: &Path) {}
