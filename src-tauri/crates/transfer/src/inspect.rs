//! What a dropped file is, read once and streamed: its size, SHA-256, media type (from its
//! content with `infer`, from its name with `mime_guess`), its safe name, and the identity
//! (size, modification time, SHA-256) that later tells whether it changed on disk. Folders
//! become their files. Also the duplicate check against the case's documents.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Result, TransferError};
use crate::name::sanitize_name;

/// How much of the file the content sniffers read.
const SNIFF_BYTES: usize = 8192;
/// Read buffer of the streaming hash.
const READ_BUFFER: usize = 1024 * 1024;

/// What identifies a file's content on disk at one moment: any difference later means it
/// changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileIdentity {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch (0 when the system has none).
    pub mtime_ns: i64,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
}

/// A file ready to be queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    /// Where it is.
    pub path: PathBuf,
    /// Its safe display and storage name.
    pub name: String,
    /// Media type.
    pub media_type: String,
    /// Size, mtime and SHA-256 when read.
    pub identity: FileIdentity,
}

fn display_name(path: &Path) -> String {
    sanitize_name(
        &path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )
}

/// Size and modification time of `path` as it is now (the cheap part of the identity).
pub fn stat(path: &Path) -> Result<(u64, i64)> {
    let name = display_name(path);
    let meta = std::fs::metadata(path).map_err(|e| TransferError::io(&name, path, &e))?;
    if !meta.is_file() {
        return Err(TransferError::NotAFile { name });
    }
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    Ok((meta.len(), mtime_ns))
}

/// Reads `path` once: size, SHA-256, media type and name. A missing, unreadable, empty or
/// special file is refused with its reason; a file that changes while it is read is refused as
/// changed.
pub fn inspect(path: &Path) -> Result<Inspected> {
    let name = display_name(path);
    let (size, mtime_ns) = stat(path)?;
    if size == 0 {
        return Err(TransferError::Empty { name });
    }
    let mut file = std::fs::File::open(path).map_err(|e| TransferError::io(&name, path, &e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; READ_BUFFER];
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
    let mut read_total: u64 = 0;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(TransferError::io(&name, path, &e)),
        };
        let chunk = buf.get(..n).unwrap_or_default();
        if head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - head.len()).min(n);
            head.extend_from_slice(chunk.get(..take).unwrap_or_default());
        }
        hasher.update(chunk);
        read_total += n as u64;
    }
    let (size_after, mtime_after) = stat(path)?;
    if read_total != size || size_after != size || mtime_after != mtime_ns {
        return Err(TransferError::Changed {
            name,
            detail: format!("it was being written while it was read ({read_total} bytes read, {size_after} now)"),
        });
    }
    let media_type = media_type(&name, &head);
    Ok(Inspected {
        path: path.to_path_buf(),
        name,
        media_type,
        identity: FileIdentity {
            size,
            mtime_ns,
            sha256: hex(&hasher.finalize()),
        },
    })
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The media type of a file: from its content when the content says (magic numbers; EDI
/// envelopes), else from its name, else `application/octet-stream`.
pub fn media_type(name: &str, head: &[u8]) -> String {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_string();
    }
    let text = String::from_utf8_lossy(head.get(..head.len().min(16)).unwrap_or_default());
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.starts_with("ISA") && head.len() > 106 {
        return "application/edi-x12".to_string();
    }
    if text.starts_with("UNA") || text.starts_with("UNB+") {
        return "application/edifact".to_string();
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "edi" | "x12" | "850" | "810" | "856" | "997" => return "application/edi-x12".to_string(),
        "edifact" | "edf" => return "application/edifact".to_string(),
        _ => {}
    }
    mime_guess::from_path(name)
        .first()
        .map(|m| m.essence_str().to_string())
        .unwrap_or_else(|| "application/octet-stream".to_string())
}

/// Files found under dropped paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expansion {
    /// Regular files, in a stable order (each dropped path in turn, a folder's files by name).
    pub files: Vec<PathBuf>,
    /// What was left out and why (links, special files, system clutter, unreadable folders).
    pub skipped: Vec<(PathBuf, String)>,
}

/// System files no analyst means to attach.
fn is_clutter(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        ".ds_store" | "thumbs.db" | "desktop.ini" | ".localized"
    ) || name.starts_with("._")
        || name.starts_with("~$")
}

/// Turns dropped paths into files: a file stays itself, a folder becomes its files (walked
/// without following links, hidden system clutter left out). A path that does not exist is
/// listed as skipped. The caller asks the analyst to confirm above a count.
pub fn expand(paths: &[PathBuf]) -> Expansion {
    let mut out = Expansion::default();
    for path in paths {
        let meta = match std::fs::symlink_metadata(path) {
            Ok(meta) => meta,
            Err(e) => {
                out.skipped.push((path.clone(), e.to_string()));
                continue;
            }
        };
        if meta.is_file() || (meta.file_type().is_symlink() && path.is_file()) {
            out.files.push(path.clone());
            continue;
        }
        if !meta.is_dir() {
            out.skipped
                .push((path.clone(), "not a regular file".into()));
            continue;
        }
        for entry in walkdir::WalkDir::new(path)
            .follow_links(false)
            .sort_by_file_name()
        {
            match entry {
                Ok(entry) => {
                    let name = entry.file_name().to_string_lossy();
                    if entry.file_type().is_file() {
                        if is_clutter(&name) {
                            continue;
                        }
                        out.files.push(entry.into_path());
                    } else if entry.file_type().is_symlink() {
                        out.skipped
                            .push((entry.into_path(), "a link (not followed)".into()));
                    } else if !entry.file_type().is_dir() {
                        out.skipped
                            .push((entry.into_path(), "not a regular file".into()));
                    }
                }
                Err(e) => {
                    let at = e
                        .path()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| path.clone());
                    out.skipped.push((at, e.to_string()));
                }
            }
        }
    }
    out
}

/// The document of the case with this content, if any: such a file is flagged, not uploaded.
pub fn duplicate_on_case(
    store: &pd_store::Store,
    case_id: &str,
    sha256: &str,
) -> Result<Option<pd_domain::DocumentView>> {
    Ok(store.document_with_sha256(case_id, sha256)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_come_from_content_first_then_the_name() {
        assert_eq!(media_type("scan.pdf", b"%PDF-1.7\n..."), "application/pdf");
        // A PNG named .pdf is a PNG.
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];
        assert_eq!(media_type("scan.pdf", &png), "image/png");
        assert_eq!(media_type("orders.csv", b"a,b\n1,2\n"), "text/csv");
        assert_eq!(
            media_type("po.txt", b"UNA:+.? 'UNB+UNOC:3+..."),
            "application/edifact"
        );
        assert_eq!(media_type("po.edi", b"ISA*00*"), "application/edi-x12");
        assert_eq!(media_type("blob", b"\x01\x02"), "application/octet-stream");
    }
}
