//! Uploads on their way to the server (issue 10): where a document an analyst attached stands
//! in its delivery (queued in the case outbox, refused, recorded), for the Transfers view.

use rusqlite::{Connection, OptionalExtension};

use crate::error::Result;

/// Where an attached document's record stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Its outbox entry waits or is being sent.
    Queued,
    /// Its outbox entry was refused or failed for good (the entry's last error).
    Failed(String),
    /// The server has it.
    Sent,
    /// The document is gone (its entry was discarded).
    Gone,
}

/// The delivery of document `document_id`.
pub(crate) fn delivery(conn: &Connection, document_id: &str) -> Result<Delivery> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM documents WHERE id = ?1")?
        .exists([document_id])?;
    let entry: Option<(Option<String>, Option<String>)> = conn
        .prepare_cached(
            "SELECT o.state, o.last_error FROM pending_documents p \
             LEFT JOIN outbox o ON o.op_id = p.op_id WHERE p.document_id = ?1",
        )?
        .query_row([document_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(match (exists, entry) {
        (false, _) => Delivery::Gone,
        (true, None) => Delivery::Sent,
        (true, Some((Some(state), error))) if state == "failed" => {
            Delivery::Failed(error.unwrap_or_default())
        }
        (true, Some((Some(_), _))) => Delivery::Queued,
        // The entry is gone but the row not settled: the push settles it next.
        (true, Some((None, _))) => Delivery::Queued,
    })
}

// ---- the S3 upload queue (migration 14) ----

/// Where a queued upload stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadState {
    /// Waiting for its turn, or running (a restart resumes it).
    Queued,
    /// Paused by the analyst (its confirmed parts are kept).
    Paused,
    /// The object is complete and its record queued.
    Done,
    /// Stopped by an error (kept in `error`); retry queues it again.
    Failed,
    /// Cancelled by the analyst (the incomplete upload was aborted on the server).
    Cancelled,
}

impl UploadState {
    fn as_str(self) -> &'static str {
        match self {
            UploadState::Queued => "queued",
            UploadState::Paused => "paused",
            UploadState::Done => "done",
            UploadState::Failed => "failed",
            UploadState::Cancelled => "cancelled",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        Ok(match text {
            "queued" => UploadState::Queued,
            "paused" => UploadState::Paused,
            "done" => UploadState::Done,
            "failed" => UploadState::Failed,
            "cancelled" => UploadState::Cancelled,
            other => {
                return Err(crate::StoreError::Data(format!(
                    "unknown upload state {other:?}"
                )))
            }
        })
    }
}

/// A file to upload, as queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUpload {
    /// Its id: also the transfer id, the document id and its record's outbox op id.
    pub id: String,
    /// The case it is attached to.
    pub case_id: String,
    /// The file on this computer.
    pub path: std::path::PathBuf,
    /// Size when queued.
    pub size: u64,
    /// Modification time when queued (ns since the epoch).
    pub mtime_ns: i64,
    /// Lower-case hex SHA-256 when queued.
    pub sha256: String,
    /// Sanitized name.
    pub name: String,
    /// Media type.
    pub media_type: String,
    /// Who attached it.
    pub uploaded_by: String,
    /// The S3 connector (none: found by bucket).
    pub connector_id: Option<String>,
    /// Bucket.
    pub bucket: String,
    /// Object key.
    pub object_key: String,
    /// Bytes per part (the last may be smaller).
    pub part_size: u64,
}

/// A part the server confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmedPart {
    /// 1-based part number.
    pub number: u32,
    /// The server's entity tag.
    pub etag: String,
    /// Its size.
    pub size: u64,
}

/// A queued upload with its progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRecord {
    /// What was queued.
    pub upload: NewUpload,
    /// The S3 multipart upload id, once started.
    pub s3_upload_id: Option<String>,
    /// Bytes the server confirmed.
    pub bytes_confirmed: u64,
    /// Where it stands.
    pub state: UploadState,
    /// Why it failed: (error code, words).
    pub error: Option<(String, String)>,
    /// The confirmed parts, by number.
    pub parts: Vec<ConfirmedPart>,
}

fn path_bytes(path: &std::path::Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().into_owned().into_bytes()
    }
}

fn path_from(bytes: Vec<u8>) -> std::path::PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        std::path::PathBuf::from(std::ffi::OsString::from_vec(bytes))
    }
    #[cfg(not(unix))]
    {
        std::path::PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
    }
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Queues an upload. Refused ([`crate::StoreError::DuplicateDocument`]) when the same content
/// is already on the case or on its way there.
pub(crate) fn queue(
    tx: &rusqlite::Transaction<'_>,
    upload: &NewUpload,
    now: pd_domain::Timestamp,
) -> Result<()> {
    crate::local::case_for_change(tx, &upload.case_id)?;
    if let Some(existing) =
        crate::documents::document_with_sha256(tx, &upload.case_id, &upload.sha256)?
    {
        return Err(crate::StoreError::DuplicateDocument {
            name: existing.document.name,
            existing_id: existing.document.id,
        });
    }
    let queued: Option<(String, String)> = tx
        .prepare_cached(
            "SELECT id, name FROM uploads WHERE case_id = ?1 AND sha256 = ?2 \
             AND state IN ('queued', 'paused', 'failed') LIMIT 1",
        )?
        .query_row(rusqlite::params![upload.case_id, upload.sha256], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    if let Some((existing_id, name)) = queued {
        return Err(crate::StoreError::DuplicateDocument { name, existing_id });
    }
    let at = crate::codec::ts(now);
    tx.prepare_cached(
        "INSERT INTO uploads (id, case_id, path, size, mtime_ns, sha256, name, media_type, \
         uploaded_by, connector_id, bucket, object_key, part_size, state, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'queued', ?14, ?14)",
    )?
    .execute(rusqlite::params![
        upload.id,
        upload.case_id,
        path_bytes(&upload.path),
        to_i64(upload.size),
        upload.mtime_ns,
        upload.sha256,
        upload.name,
        upload.media_type,
        upload.uploaded_by,
        upload.connector_id,
        upload.bucket,
        upload.object_key,
        to_i64(upload.part_size),
        at
    ])?;
    Ok(())
}

const UPLOAD_COLUMNS: &str = "id, case_id, path, size, mtime_ns, sha256, name, media_type, \
    uploaded_by, connector_id, bucket, object_key, part_size, s3_upload_id, bytes_confirmed, \
    state, error_code, error_message";

fn record_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(UploadRecord, String)> {
    let state: String = r.get(15)?;
    let code: Option<String> = r.get(16)?;
    let message: Option<String> = r.get(17)?;
    Ok((
        UploadRecord {
            upload: NewUpload {
                id: r.get(0)?,
                case_id: r.get(1)?,
                path: path_from(r.get(2)?),
                size: to_u64(r.get(3)?),
                mtime_ns: r.get(4)?,
                sha256: r.get(5)?,
                name: r.get(6)?,
                media_type: r.get(7)?,
                uploaded_by: r.get(8)?,
                connector_id: r.get(9)?,
                bucket: r.get(10)?,
                object_key: r.get(11)?,
                part_size: to_u64(r.get(12)?),
            },
            s3_upload_id: r.get(13)?,
            bytes_confirmed: to_u64(r.get(14)?),
            state: UploadState::Queued,
            error: code.map(|code| (code, message.unwrap_or_default())),
            parts: Vec::new(),
        },
        state,
    ))
}

fn with_parts(conn: &Connection, found: (UploadRecord, String)) -> Result<UploadRecord> {
    let (mut record, state) = found;
    record.state = UploadState::parse(&state)?;
    let mut stmt = conn.prepare_cached(
        "SELECT part_number, etag, size FROM upload_parts WHERE upload_id = ?1 ORDER BY part_number",
    )?;
    let rows = stmt.query_map([&record.upload.id], |r| {
        Ok(ConfirmedPart {
            number: u32::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
            etag: r.get(1)?,
            size: to_u64(r.get(2)?),
        })
    })?;
    for part in rows {
        record.parts.push(part?);
    }
    Ok(record)
}

/// One upload with its confirmed parts.
pub(crate) fn get(conn: &Connection, id: &str) -> Result<Option<UploadRecord>> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = ?1"
        ))?
        .query_row([id], record_from_row)
        .optional()?;
    found.map(|found| with_parts(conn, found)).transpose()
}

/// Uploads in any of `states`, oldest first.
pub(crate) fn list(conn: &Connection, states: &[UploadState]) -> Result<Vec<UploadRecord>> {
    let wanted: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {UPLOAD_COLUMNS} FROM uploads ORDER BY created_at, id"
    ))?;
    let found: Vec<(UploadRecord, String)> = stmt
        .query_map([], record_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    found
        .into_iter()
        .filter(|(_, state)| wanted.contains(&state.as_str()))
        .map(|found| with_parts(conn, found))
        .collect()
}

/// Records the S3 upload id (a new one forgets the parts of the old).
pub(crate) fn set_s3_upload(
    conn: &Connection,
    id: &str,
    s3_upload_id: Option<&str>,
    now: pd_domain::Timestamp,
) -> Result<()> {
    conn.prepare_cached("DELETE FROM upload_parts WHERE upload_id = ?1")?
        .execute([id])?;
    conn.prepare_cached(
        "UPDATE uploads SET s3_upload_id = ?2, bytes_confirmed = 0, updated_at = ?3 WHERE id = ?1",
    )?
    .execute(rusqlite::params![id, s3_upload_id, crate::codec::ts(now)])?;
    Ok(())
}

/// Records a part the server confirmed.
pub(crate) fn confirm_part(
    conn: &Connection,
    id: &str,
    part: &ConfirmedPart,
    now: pd_domain::Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO upload_parts (upload_id, part_number, etag, size) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(rusqlite::params![
        id,
        i64::from(part.number),
        part.etag,
        to_i64(part.size)
    ])?;
    conn.prepare_cached(
        "UPDATE uploads SET bytes_confirmed = \
         (SELECT COALESCE(SUM(size), 0) FROM upload_parts WHERE upload_id = ?1), updated_at = ?2 \
         WHERE id = ?1",
    )?
    .execute(rusqlite::params![id, crate::codec::ts(now)])?;
    Ok(())
}

/// Sets an upload's state (and its error for a failure; cleared otherwise).
pub(crate) fn set_state(
    conn: &Connection,
    id: &str,
    state: UploadState,
    error: Option<(&str, &str)>,
    now: pd_domain::Timestamp,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE uploads SET state = ?2, error_code = ?3, error_message = ?4, updated_at = ?5 \
             WHERE id = ?1 AND state != 'done'",
        )?
        .execute(rusqlite::params![
            id,
            state.as_str(),
            error.map(|e| e.0),
            error.map(|e| e.1),
            crate::codec::ts(now)
        ])?;
    Ok(n == 1)
}

/// The object is complete: marks the upload done and queues the document's record (outbox op
/// id = the upload's id, document id = the upload's id) in one transaction. Answers `false`
/// (nothing written) when it was already done.
pub(crate) fn finish(
    tx: &rusqlite::Transaction<'_>,
    id: &str,
    now: pd_domain::Timestamp,
) -> Result<bool> {
    let Some(record) = get(tx, id)? else {
        return Err(crate::StoreError::Invalid(format!("no upload {id}")));
    };
    if record.state == UploadState::Done {
        return Ok(false);
    }
    let upload = &record.upload;
    let document = pd_domain::NewDocument {
        id: upload.id.clone(),
        name: upload.name.clone(),
        size: upload.size,
        sha256: upload.sha256.clone(),
        media_type: upload.media_type.clone(),
        uploaded_by: upload.uploaded_by.clone(),
        source: pd_domain::DocumentSource::S3 {
            bucket: upload.bucket.clone(),
            key: upload.object_key.clone(),
        },
    };
    crate::documents::attach_document_as(tx, &upload.id, &upload.case_id, &document, now)?;
    set_state(tx, id, UploadState::Done, None, now)?;
    Ok(true)
}
