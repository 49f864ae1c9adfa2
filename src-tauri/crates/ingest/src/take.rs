//! Taking a complete file: its bytes streamed (never whole in memory) into the cache's spool
//! folder while hashed, the copy made durable, then the ledger row, case and document written in
//! one store transaction. A file that changed while it was read is put back to settle again.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use pd_store::{IngestFile, IngestOutcome, IngestUpload, Store};
use sha2::{Digest, Sha256};

use crate::error::IngestError;
use crate::names::display_name;
use crate::routing::{FileFacts, FolderDefaults, Router, HEAD_BYTES};

/// A file whose bytes are kept and hashed, waiting for its transaction.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// What goes to the store.
    pub file: IngestFile,
    /// Its first bytes, for routing.
    pub head: Vec<u8>,
    /// Its bytes: the kept copy, or for a large local file the file itself.
    pub spool: PathBuf,
    /// The file name (last component) as shown.
    pub file_name: String,
}

/// Streams `reader` into the spool folder, hashing as it goes; the copy is named by its SHA-256
/// (`<spool>/<sha256>`, replacing an older copy of the same bytes), so the same bytes are kept
/// once. Returns (sha256, size, head, kept path). The copy is not synced yet: call
/// [`make_durable`] on a batch before its transaction.
pub fn spool_stream(
    spool_dir: &Path,
    reader: &mut dyn Read,
) -> Result<(String, u64, Vec<u8>, PathBuf), IngestError> {
    std::fs::create_dir_all(spool_dir).map_err(|e| IngestError::io(spool_dir, e))?;
    let tmp = spool_dir.join(format!("{}.incoming", uuid::Uuid::new_v4()));
    let result = (|| {
        let mut out = File::create(&tmp).map_err(|e| IngestError::io(&tmp, e))?;
        let mut hasher = Sha256::new();
        let mut head = Vec::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(IngestError::Read(e.to_string())),
            };
            let chunk = buf.get(..n).unwrap_or_default();
            hasher.update(chunk);
            if head.len() < HEAD_BYTES {
                let take = (HEAD_BYTES - head.len()).min(n);
                head.extend_from_slice(chunk.get(..take).unwrap_or_default());
            }
            out.write_all(chunk).map_err(|e| IngestError::io(&tmp, e))?;
            size += n as u64;
        }
        let sha = hex(&hasher.finalize());
        let kept = spool_dir.join(&sha);
        std::fs::rename(&tmp, &kept).map_err(|e| IngestError::io(&kept, e))?;
        Ok((sha, size, head, kept))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Reads `reader` to its end, hashing as it goes, without keeping a copy (a file above the
/// upload size limit, uploaded from where it is). Returns (sha256, size, head).
pub fn hash_stream(reader: &mut dyn Read) -> Result<(String, u64, Vec<u8>), IngestError> {
    let mut hasher = Sha256::new();
    let mut head = Vec::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 1024 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(IngestError::Read(e.to_string())),
        };
        let chunk = buf.get(..n).unwrap_or_default();
        hasher.update(chunk);
        if head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - head.len()).min(n);
            head.extend_from_slice(chunk.get(..take).unwrap_or_default());
        }
        size += n as u64;
    }
    Ok((hex(&hasher.finalize()), size, head))
}

/// The words for a file above the upload size limit when no S3 bucket is set up.
pub fn no_bucket_words(name: &str, size: u64, threshold: u64, why: &str) -> String {
    format!(
        "{} is {}, above the {} the case server takes, and {why}; it stays where it is and is taken once one is set up",
        display_name(name),
        pd_transfer::human_size(size),
        pd_transfer::human_size(threshold)
    )
}

/// The upload a large file's ledger row queues, for `route`'s bucket.
pub fn upload_of(path: &Path, mtime_ns: i64, target: &crate::S3Target) -> IngestUpload {
    IngestUpload {
        path: path.to_path_buf(),
        mtime_ns,
        bucket: target.bucket.clone(),
        connector_id: target.connector_id.clone(),
        part_size: target.part_size,
        object_key: pd_transfer::object_key,
    }
}

/// Syncs kept copies and their folder to disk: written first, synced together (one journal
/// commit covers most of them), before the ledger transaction that refers to them.
pub fn make_durable(spool_dir: &Path, kept: &[&Path]) -> Result<(), IngestError> {
    for path in kept {
        File::open(path)
            .and_then(|f| f.sync_all())
            .map_err(|e| IngestError::io(path, e))?;
    }
    #[cfg(unix)]
    File::open(spool_dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| IngestError::io(spool_dir, e))?;
    #[cfg(not(unix))]
    let _ = spool_dir;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The media type from the first bytes, then the name's extension.
pub fn media_type(head: &[u8], name: &str) -> String {
    let trimmed = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let by_content = if head.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if trimmed.starts_with(b"ISA") {
        Some("application/edi-x12")
    } else if trimmed.starts_with(b"UNA") || trimmed.starts_with(b"UNB") {
        Some("application/edifact")
    } else if head.starts_with(b"\x89PNG") {
        Some("image/png")
    } else if head.starts_with(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else if head.starts_with(b"PK\x03\x04") {
        Some("application/zip")
    } else if trimmed.starts_with(b"<?xml") {
        Some("application/xml")
    } else {
        None
    };
    if let Some(t) = by_content {
        return t.to_string();
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_lowercase());
    match ext.as_deref() {
        Some("pdf") => "application/pdf",
        Some("csv") => "text/csv",
        Some("txt") => "text/plain",
        Some("xml") => "application/xml",
        Some("json") => "application/json",
        Some("x12" | "edi" | "850" | "810" | "856" | "997") => "application/edi-x12",
        Some("edifact" | "edf") => "application/edifact",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
    .to_string()
}

/// Writes prepared files in one transaction, routing each new one. Returns each outcome.
pub fn commit(
    store: &Store,
    router: &Router,
    folder: &FolderDefaults,
    prepared: &[Prepared],
) -> Result<Vec<IngestOutcome>, IngestError> {
    let by_key: HashMap<&[u8], &Prepared> = prepared
        .iter()
        .map(|p| (p.file.path_key.as_slice(), p))
        .collect();
    let files: Vec<IngestFile> = prepared.iter().map(|p| p.file.clone()).collect();
    let mut route = |tx: &pd_store::IngestTx<'_>, file: &IngestFile| {
        let p = by_key.get(file.path_key.as_slice()).copied();
        let facts = FileFacts {
            folder,
            file_name: p.map_or(file.path.as_str(), |p| p.file_name.as_str()),
            path: &file.path,
            size: file.size,
            sha256: &file.sha256,
            media_type: &file.media_type,
            head: p.map_or(&[][..], |p| p.head.as_slice()),
            content: p.map(|p| p.spool.as_path()),
        };
        router.route(&facts, tx)
    };
    // Kept copies are synced before the transaction that names them; a large local file is
    // read from where it is by the upload queue, which checks it before each part.
    let kept: Vec<&Path> = prepared
        .iter()
        .filter(|p| p.file.spool_path.is_some())
        .map(|p| p.spool.as_path())
        .collect();
    if let Some(first) = kept.first() {
        let dir = first.parent().unwrap_or(Path::new("."));
        make_durable(dir, &kept)?;
    }
    Ok(store.ingest_take(&files, &mut route, chrono::Utc::now())?)
}
