//! Documents attached here: the local row a case shows at once (marked not yet on the server)
//! and the `OutboxOp::AttachDocument` entry that records it on the server, written together
//! inside the caller's transaction so a drop-folder ledger row or a finished upload can join the
//! same commit; the duplicate check by SHA-256; the spool folder of copies waiting to be sent.

use std::path::{Path, PathBuf};

use pd_domain::{
    Document, DocumentLocation, DocumentSource, DocumentView, NewDocument, OutboxOp, SendState,
    Timestamp,
};
use rusqlite::{params, Connection, OptionalExtension};

use crate::cases::DOCUMENT_COLUMNS;
use crate::error::{Result, StoreError};

/// Longest document name kept, in characters.
pub const MAX_DOCUMENT_NAME_CHARS: usize = 255;

/// The spool folder of a cache file: `<cache file>.spool` beside it. Copies of files waiting to
/// be sent to `collab/v1` live there (named in [`DocumentSource::Spooled`]).
pub fn spool_dir_for(cache: &Path) -> PathBuf {
    let mut name = cache
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".spool");
    cache.with_file_name(name)
}

/// Whether a spool file name is a plain name inside the folder (no directories, no `..`).
pub fn is_plain_spool_name(file: &str) -> bool {
    !file.is_empty()
        && file != "."
        && file != ".."
        && !file.contains(['/', '\\', '\0'])
        && !file.chars().any(char::is_control)
}

fn check(doc: &NewDocument) -> Result<()> {
    if doc.id.trim().is_empty() || doc.id.chars().count() > 100 {
        return Err(StoreError::Invalid(
            "a document needs an id of 1 to 100 characters".into(),
        ));
    }
    if doc.name.trim().is_empty() {
        return Err(StoreError::Invalid("a document needs a name".into()));
    }
    if doc.name.chars().count() > MAX_DOCUMENT_NAME_CHARS {
        return Err(StoreError::Invalid(format!(
            "a document name can have at most {MAX_DOCUMENT_NAME_CHARS} characters"
        )));
    }
    if doc.sha256.len() != 64
        || !doc
            .sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(StoreError::Invalid(format!(
            "{:?} is not a lower-case hex SHA-256",
            doc.sha256
        )));
    }
    if let DocumentSource::Spooled { file } = &doc.source {
        if !is_plain_spool_name(file) {
            return Err(StoreError::Invalid(format!(
                "{file:?} is not a file name in the spool folder"
            )));
        }
    }
    if let DocumentSource::S3 { bucket, key } = &doc.source {
        if bucket.trim().is_empty() || key.trim().is_empty() {
            return Err(StoreError::Invalid(
                "an S3 document needs a bucket and a key".into(),
            ));
        }
    }
    Ok(())
}

/// The location a document's bytes will have once recorded.
pub(crate) fn location_of(source: &DocumentSource) -> DocumentLocation {
    match source {
        DocumentSource::Spooled { .. } => DocumentLocation::Collab,
        DocumentSource::S3 { bucket, key } => DocumentLocation::S3 {
            bucket: bucket.clone(),
            key: key.clone(),
        },
    }
}

/// Writes the local row of a document (tagged with its outbox entry).
pub(crate) fn write_local_document(
    conn: &Connection,
    case_id: &str,
    doc: &NewDocument,
    op_id: &str,
    now: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO documents (id, case_id, name, size, sha256, media_type, location_json, \
         uploaded_by, uploaded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        doc.id,
        case_id,
        doc.name,
        i64::try_from(doc.size).unwrap_or(i64::MAX),
        doc.sha256,
        doc.media_type,
        serde_json::to_string(&location_of(&doc.source))?,
        doc.uploaded_by,
        crate::codec::ts(now)
    ])?;
    conn.prepare_cached(
        "INSERT OR REPLACE INTO pending_documents (document_id, op_id) VALUES (?1, ?2)",
    )?
    .execute(params![doc.id, op_id])?;
    Ok(())
}

/// Attaches a document to a case inside the caller's transaction: the case shows it at once
/// (send state pending) and an `OutboxOp::AttachDocument` entry records it on the server once.
/// Answers the outbox operation id. Refused (nothing written) when the case is unknown, the
/// document id is taken, the fields are not usable, or a document with the same SHA-256 is
/// already on the case ([`StoreError::DuplicateDocument`]).
pub fn attach_document_in(
    tx: &rusqlite::Transaction<'_>,
    case_id: &str,
    doc: &NewDocument,
    now: Timestamp,
) -> Result<String> {
    attach_document_as(tx, &uuid::Uuid::new_v4().to_string(), case_id, doc, now)
}

/// [`attach_document_in`] under an outbox operation id the caller chose (a finished upload
/// queues its record under its own id, so the record exists once).
pub fn attach_document_as(
    tx: &rusqlite::Transaction<'_>,
    op_id: &str,
    case_id: &str,
    doc: &NewDocument,
    now: Timestamp,
) -> Result<String> {
    check(doc)?;
    crate::local::case_for_change(tx, case_id)?;
    if let Some(existing) = document_with_sha256(tx, case_id, &doc.sha256)? {
        return Err(StoreError::DuplicateDocument {
            name: existing.document.name,
            existing_id: existing.document.id,
        });
    }
    let taken = tx
        .prepare_cached("SELECT 1 FROM documents WHERE id = ?1")?
        .exists([&doc.id])?;
    if taken {
        return Err(StoreError::Invalid(format!(
            "document {} already exists",
            doc.id
        )));
    }
    let op = OutboxOp::AttachDocument(doc.clone());
    let op_id = crate::outbox::append_as(tx, op_id, case_id, &op, None, now)?;
    write_local_document(tx, case_id, doc, &op_id, now)?;
    crate::local::apply_new(tx, case_id, &op, now)?;
    // Outbound xConnector routes hear of every added document (dropped, picked, taken from a
    // folder, uploaded to S3) in this same transaction.
    crate::outside::on_case_change(
        tx,
        case_id,
        &pd_domain::CaseChange::DocumentAdded {
            document_id: doc.id.clone(),
            name: doc.name.clone(),
        },
        now,
    )?;
    Ok(op_id)
}

/// The document of the case with this SHA-256 (on the server or on its way), if any.
pub fn document_with_sha256(
    conn: &Connection,
    case_id: &str,
    sha256: &str,
) -> Result<Option<DocumentView>> {
    let cols = DOCUMENT_COLUMNS
        .split(", ")
        .map(|c| format!("d.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    conn.prepare_cached(&format!(
        "SELECT {cols}, (SELECT o.state FROM pending_documents p JOIN outbox o ON o.op_id = p.op_id \
         WHERE p.document_id = d.id), (SELECT p.op_id FROM pending_documents p WHERE p.document_id = d.id) \
         FROM documents d WHERE d.case_id = ?1 AND d.sha256 = ?2 ORDER BY d.uploaded_at LIMIT 1"
    ))?
    .query_row(params![case_id, sha256.to_ascii_lowercase()], |r| {
        Ok(view_from_row(r))
    })
    .optional()?
    .transpose()
}

/// A document row followed by its outbox state and op id (see [`document_views`]).
fn view_from_row(r: &rusqlite::Row<'_>) -> Result<DocumentView> {
    let document: Document = crate::cases::document_from_row(r)?;
    let state: Option<String> = r.get(9)?;
    let op_id: Option<String> = r.get(10)?;
    let send_state = match (state.as_deref(), op_id) {
        (Some("failed"), _) => SendState::Failed,
        (Some(_), _) => SendState::Pending,
        // A row whose entry is gone but not settled (should not happen): not on the server.
        (None, Some(_)) => SendState::Pending,
        (None, None) => SendState::Sent,
    };
    Ok(DocumentView {
        document,
        send_state,
    })
}

/// The case's documents, oldest first, with whether each is on the server.
pub(crate) fn document_views(conn: &Connection, case_id: &str) -> Result<Vec<DocumentView>> {
    let cols = DOCUMENT_COLUMNS
        .split(", ")
        .map(|c| format!("d.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {cols}, (SELECT o.state FROM pending_documents p JOIN outbox o ON o.op_id = p.op_id \
         WHERE p.document_id = d.id), (SELECT p.op_id FROM pending_documents p WHERE p.document_id = d.id) \
         FROM documents d WHERE d.case_id = ?1 ORDER BY d.uploaded_at, d.id"
    ))?;
    let mut rows = stmt.query([case_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(view_from_row(r)?);
    }
    Ok(out)
}

/// Spool file names still referenced by a queued document.
pub(crate) fn spooled_files_in_use(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT op_json FROM outbox")?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let json: String = r.get(0)?;
        if let Ok(OutboxOp::AttachDocument(NewDocument {
            source: DocumentSource::Spooled { file },
            ..
        })) = OutboxOp::decode(&json)
        {
            out.push(file);
        }
    }
    // A kept copy the S3 upload queue still reads (an SFTP drop-folder file above the limit).
    let mut stmt = conn
        .prepare_cached("SELECT path FROM uploads WHERE state IN ('queued', 'paused', 'failed')")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let path: Vec<u8> = r.get(0)?;
        if let Some(name) = Path::new(&*String::from_utf8_lossy(&path)).file_name() {
            out.push(name.to_string_lossy().into_owned());
        }
    }
    Ok(out)
}

/// Removes the documents an entry would have recorded (the entry was discarded or lost).
pub(crate) fn drop_pending(conn: &Connection, op_id: &str) -> Result<()> {
    conn.prepare_cached(
        "DELETE FROM documents WHERE id IN (SELECT document_id FROM pending_documents WHERE op_id = ?1)",
    )?
    .execute([op_id])?;
    conn.prepare_cached("DELETE FROM pending_documents WHERE op_id = ?1")?
        .execute([op_id])?;
    Ok(())
}
