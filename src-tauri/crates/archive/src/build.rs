//! Writing and reading the archive zip: what goes in, in which order, with which fixed
//! settings, and the manifest that lists every file with its size and SHA-256.

use std::io::{Read, Seek, Write};
use std::path::PathBuf;

use pd_domain::{AuditEntry, Case, Comment, Document, Timestamp, Transaction};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::error::ArchiveError;
use crate::html;

/// The manifest's file name inside the zip (and the suffix of its copy beside it).
pub const MANIFEST_NAME: &str = "manifest.json";
/// The manifest's format name.
pub const MANIFEST_FORMAT: &str = "partnerdesk-case-archive/1";

/// One document and where its bytes were spooled.
#[derive(Debug, Clone)]
pub struct ArchiveDocument {
    /// The case's record of it (name, size, SHA-256, who and when).
    pub document: Document,
    /// The bytes, on this computer.
    pub path: PathBuf,
}

/// Everything an archive holds.
#[derive(Debug, Clone)]
pub struct ArchiveInput {
    /// The case fields.
    pub case: Case,
    /// The thread.
    pub comments: Vec<Comment>,
    /// The documents with their bytes.
    pub documents: Vec<ArchiveDocument>,
    /// Status, owner, priority and SLA changes, and legal holds.
    pub audit: Vec<AuditEntry>,
    /// Linked transactions found in the cache, with their Lens fields.
    pub transactions: Vec<Transaction>,
    /// 1 for the first export of the case, then 2, 3, ... after each reopen and close.
    pub export_version: u32,
    /// When the case was closed (the audit trail's last change to closed).
    pub closed_at: Option<Timestamp>,
}

/// One file of the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestFile {
    /// Path inside the zip.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Hex SHA-256.
    pub sha256: String,
}

/// The archive object itself, as the manifest copy beside it names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestArchive {
    /// Object key of the zip.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Hex SHA-256 of the zip.
    pub sha256: String,
}

/// What the archive holds, with a hash per file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`].
    pub format: String,
    /// Case id.
    pub case_id: String,
    /// Case reference.
    pub case_reference: String,
    /// Partner company id.
    pub partner_id: String,
    /// Partner name.
    pub partner_name: String,
    /// Case kind.
    pub kind: String,
    /// Export version (1, 2, ...).
    pub export_version: u32,
    /// The server revision of the case archived.
    pub case_version: i64,
    /// When the case was closed.
    pub closed_at: Option<Timestamp>,
    /// Every other file of the zip, in zip order.
    pub files: Vec<ManifestFile>,
    /// The zip object (only in the copy stored beside the archive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<ManifestArchive>,
}

/// A written archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The manifest inside it.
    pub manifest: Manifest,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ThreadJson<'a> {
    case: &'a Case,
    comments: &'a [Comment],
    documents: Vec<&'a Document>,
}

fn options() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644)
}

fn zip_error(what: &'static str) -> impl Fn(zip::result::ZipError) -> ArchiveError {
    move |error| ArchiveError::Zip {
        what,
        detail: error.to_string(),
    }
}

fn json<T: Serialize>(value: &T, what: &'static str) -> Result<Vec<u8>, ArchiveError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|error| ArchiveError::Json {
        what,
        detail: error.to_string(),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// A document's name as a zip entry: letters, digits, `.`, `-` and `_` kept, the rest `_`,
/// at most 100 characters, prefixed with its position so two equal names stay apart.
fn entry_name(position: usize, name: &str) -> String {
    let mut clean: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    while clean.starts_with('.') {
        clean.replace_range(0..1, "_");
    }
    if clean.is_empty() {
        clean.push_str("document");
    }
    format!("documents/{:03}-{clean}", position + 1)
}

struct Writer<W: Write + Seek> {
    zip: ZipWriter<W>,
    files: Vec<ManifestFile>,
}

impl<W: Write + Seek> Writer<W> {
    fn add(&mut self, path: &str, bytes: &[u8]) -> Result<(), ArchiveError> {
        self.zip
            .start_file(path, options())
            .map_err(zip_error("written"))?;
        self.zip
            .write_all(bytes)
            .map_err(|e| ArchiveError::io(format!("writing {path} into the archive"), e))?;
        self.files.push(ManifestFile {
            path: path.to_owned(),
            size: bytes.len() as u64,
            sha256: hex(&Sha256::digest(bytes)),
        });
        Ok(())
    }

    fn add_file(&mut self, path: &str, document: &ArchiveDocument) -> Result<(), ArchiveError> {
        let source = &document.path;
        let mut file = std::fs::File::open(source)
            .map_err(|e| ArchiveError::io(format!("reading {}", source.display()), e))?;
        self.zip
            .start_file(path, options())
            .map_err(zip_error("written"))?;
        let mut hasher = Sha256::new();
        let mut size = 0_u64;
        let mut buffer = vec![0_u8; 256 * 1024];
        loop {
            let read = file
                .read(&mut buffer)
                .map_err(|e| ArchiveError::io(format!("reading {}", source.display()), e))?;
            if read == 0 {
                break;
            }
            let chunk = &buffer[..read];
            hasher.update(chunk);
            size += read as u64;
            self.zip
                .write_all(chunk)
                .map_err(|e| ArchiveError::io(format!("writing {path} into the archive"), e))?;
        }
        let sha256 = hex(&hasher.finalize());
        let expected = document.document.sha256.to_ascii_lowercase();
        if !expected.is_empty() && expected != sha256 {
            return Err(ArchiveError::DocumentMismatch {
                name: document.document.name.clone(),
                expected,
                actual: sha256,
            });
        }
        self.files.push(ManifestFile {
            path: path.to_owned(),
            size,
            sha256,
        });
        Ok(())
    }
}

/// Writes the archive of `input` to `out` (a file or a buffer). Entries, in this order:
/// `case.json` (the case, its thread and document records), `thread.html`, `audit.json`,
/// `transactions.json`, `documents/NNN-name` for each document (ordered by upload time, then
/// id), and `manifest.json` last. The same input always gives the same bytes.
pub fn build_archive<W: Write + Seek>(input: &ArchiveInput, out: W) -> Result<Built, ArchiveError> {
    let mut comments = input.comments.clone();
    comments.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    let mut documents: Vec<&ArchiveDocument> = input.documents.iter().collect();
    documents.sort_by(|a, b| {
        a.document
            .uploaded_at
            .cmp(&b.document.uploaded_at)
            .then(a.document.id.cmp(&b.document.id))
    });
    let mut audit = input.audit.clone();
    audit.sort_by(|a, b| {
        a.at.cmp(&b.at)
            .then(a.field.as_str().cmp(b.field.as_str()))
            .then(a.to.cmp(&b.to))
    });
    let mut transactions = input.transactions.clone();
    transactions.sort_by(|a, b| a.transaction_id.cmp(&b.transaction_id));

    let mut writer = Writer {
        zip: ZipWriter::new(out),
        files: Vec::new(),
    };
    let thread = ThreadJson {
        case: &input.case,
        comments: &comments,
        documents: documents.iter().map(|d| &d.document).collect(),
    };
    writer.add("case.json", &json(&thread, "thread")?)?;
    let names: Vec<String> = documents
        .iter()
        .enumerate()
        .map(|(i, d)| entry_name(i, &d.document.name))
        .collect();
    let page = html::render(
        &input.case,
        &comments,
        &documents
            .iter()
            .zip(&names)
            .map(|(d, name)| (&d.document, name.as_str()))
            .collect::<Vec<_>>(),
        &audit,
        &transactions,
        input.export_version,
    );
    writer.add("thread.html", page.as_bytes())?;
    writer.add("audit.json", &json(&audit, "audit trail")?)?;
    writer.add("transactions.json", &json(&transactions, "transactions")?)?;
    for (document, name) in documents.iter().zip(&names) {
        writer.add_file(name, document)?;
    }
    let manifest = Manifest {
        format: MANIFEST_FORMAT.to_owned(),
        case_id: input.case.id.clone(),
        case_reference: input.case.reference.clone(),
        partner_id: input.case.partner_id.clone(),
        partner_name: input.case.partner_name.clone(),
        kind: input.case.kind.as_str().to_owned(),
        export_version: input.export_version,
        case_version: input.case.version,
        closed_at: input.closed_at,
        files: writer.files.clone(),
        archive: None,
    };
    let manifest_bytes = json(&manifest, "manifest")?;
    writer
        .zip
        .start_file(MANIFEST_NAME, options())
        .map_err(zip_error("written"))?;
    writer
        .zip
        .write_all(&manifest_bytes)
        .map_err(|e| ArchiveError::io("writing the manifest into the archive", e))?;
    writer.zip.finish().map_err(zip_error("written"))?;
    Ok(Built { manifest })
}

/// Reads an archive back: its manifest, and every entry's path, size and SHA-256 as found
/// (what "Verify" compares).
pub fn read_archive<R: Read + Seek>(
    input: R,
) -> Result<(Manifest, Vec<ManifestFile>), ArchiveError> {
    let mut zip = ZipArchive::new(input).map_err(zip_error("read"))?;
    let mut manifest = None;
    let mut found = Vec::new();
    for index in 0..zip.len() {
        let mut entry = zip.by_index(index).map_err(zip_error("read"))?;
        let path = entry.name().to_owned();
        let mut hasher = Sha256::new();
        let mut bytes = Vec::new();
        let mut buffer = vec![0_u8; 256 * 1024];
        let mut size = 0_u64;
        loop {
            let read = entry
                .read(&mut buffer)
                .map_err(|e| ArchiveError::io(format!("reading {path} from the archive"), e))?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
            size += read as u64;
            if path == MANIFEST_NAME {
                bytes.extend_from_slice(&buffer[..read]);
            }
        }
        if path == MANIFEST_NAME {
            manifest = Some(serde_json::from_slice::<Manifest>(&bytes).map_err(|error| {
                ArchiveError::Json {
                    what: "manifest",
                    detail: error.to_string(),
                }
            })?);
        } else {
            found.push(ManifestFile {
                path,
                size,
                sha256: hex(&hasher.finalize()),
            });
        }
    }
    let manifest = manifest.ok_or_else(|| ArchiveError::Json {
        what: "manifest",
        detail: "the archive has no manifest.json".into(),
    })?;
    Ok((manifest, found))
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::entry_name;

    #[test]
    fn document_entry_names_are_safe_and_numbered() {
        assert_eq!(
            entry_name(0, "invoice 4711.pdf"),
            "documents/001-invoice_4711.pdf"
        );
        assert_eq!(
            entry_name(1, "../../etc/passwd"),
            "documents/002-_._.._etc_passwd"
        );
        assert_eq!(entry_name(2, ""), "documents/003-document");
        assert_eq!(entry_name(3, "a\u{202e}b"), "documents/004-a_b");
    }
}
