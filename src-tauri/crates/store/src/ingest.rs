//! The ingest ledger of drop folders (`pd-ingest`): every file taken from a watched folder, written
//! in ONE transaction with the case it opened (and that case's outbox entry), its document row
//! and the routing decision, so a crash leaves either all of it or none of it and a restart never
//! takes a file twice. Also the lookups routing rules make inside that transaction, and the SFTP
//! listing state.

use pd_domain::{DocumentSource, NewCase, NewDocument, Timestamp};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::codec::ts;
use crate::error::{Result, StoreError};
use crate::local;

/// One complete file, read and kept (its bytes copied to the spool folder), ready to be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestFile {
    /// The watched folder's id (from settings).
    pub folder_id: String,
    /// The folder's name, for the ledger and the case title.
    pub folder_name: String,
    /// The path inside the folder as shown (lossy UTF-8).
    pub path: String,
    /// The path exactly as the file system spells it (raw bytes), the ledger's identity.
    pub path_key: Vec<u8>,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Media type.
    pub media_type: String,
    /// The document's display name (sanitized file name).
    pub document_name: String,
    /// Where the bytes are kept until the document is uploaded.
    pub spool_path: Option<String>,
    /// Who the document is attached as.
    pub uploaded_by: String,
    /// An SFTP file: its listing record becomes "stored" (to be moved) in the same transaction.
    pub remote: bool,
    /// A file above the upload size limit: queued for the S3 upload queue in the same
    /// transaction instead of a spooled copy for the case outbox (`None`: the spooled copy).
    pub upload: Option<IngestUpload>,
}

/// Where a file above the upload size limit goes: the S3 upload queue (`uploads`, invariant
/// 12), from the file itself (a local folder's file stays where it is) or from its kept copy
/// (an SFTP download). The upload's id is the ledger row's document id, the document's id and
/// its record's outbox op id, so the document appears once, when the bytes are confirmed.
#[derive(Debug, Clone)]
pub struct IngestUpload {
    /// The file the queue reads.
    pub path: std::path::PathBuf,
    /// That file's modification time (ns), checked before each part.
    pub mtime_ns: i64,
    /// The bucket.
    pub bucket: String,
    /// The S3 connector, if one was chosen in the upload settings.
    pub connector_id: Option<String>,
    /// Bytes per part.
    pub part_size: u64,
    /// The object key of (case id, upload id, document name): `pd_transfer::object_key`, the
    /// upload queue's one key layout (chosen here, inside the transaction, once the case is).
    pub object_key: fn(&str, &str, &str) -> String,
}

/// Two uploads are the same when they read the same file to the same place (the key maker is
/// the upload queue's one function).
impl PartialEq for IngestUpload {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
            && self.mtime_ns == other.mtime_ns
            && self.bucket == other.bucket
            && self.connector_id == other.connector_id
            && self.part_size == other.part_size
    }
}

impl Eq for IngestUpload {}

/// Where routing sends a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteTarget {
    /// Attach to this existing case.
    Existing {
        /// The case id.
        case_id: String,
    },
    /// Open this case (created here, queued for the server) and attach to it.
    New(Box<NewCase>),
}

/// A routing decision with the rule that made it and why, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    /// Where the file goes.
    pub target: RouteTarget,
    /// The rule's stable name (`case_reference`, `po_number`, `unmatched`, ...).
    pub rule: String,
    /// Why it fired, for the analyst ("the file name contains PO 4500012345, on case CASE-1").
    pub reason: String,
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    /// It became a document on a case.
    Taken {
        /// Ledger row.
        ledger_id: i64,
        /// The case.
        case_id: String,
        /// The document.
        document_id: String,
        /// Whether the case was opened for it.
        new_case: bool,
    },
    /// The same bytes were taken before (under another name); linked to that row, nothing new.
    Duplicate {
        /// Ledger row.
        ledger_id: i64,
        /// The earlier row with the same bytes (`None`: the case had them from elsewhere).
        duplicate_of: Option<i64>,
        /// The earlier file's case.
        case_id: Option<String>,
    },
    /// This exact file (folder, path, size, modification time) is in the ledger already.
    AlreadyTaken {
        /// Its ledger row.
        ledger_id: i64,
    },
}

/// The case lookups a routing rule may make, inside the ingest transaction.
pub struct IngestTx<'a> {
    conn: &'a Connection,
}

/// A case found by a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseHit {
    /// Case id.
    pub case_id: String,
    /// Its reference (`CASE-1042`).
    pub reference: String,
    /// How many cases matched (the most recently updated one is `case_id`).
    pub matches: u32,
}

/// Kinds of business reference kept in the case reference index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceKind {
    /// Purchase order number.
    Po,
    /// Invoice number.
    Invoice,
    /// Shipment number (ASN / BOL).
    Shipment,
}

impl ReferenceKind {
    fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::Po => "po",
            ReferenceKind::Invoice => "invoice",
            ReferenceKind::Shipment => "shipment",
        }
    }
}

impl IngestTx<'_> {
    /// The case whose reference (`CASE-1042`, `LOCAL-1A2B3C4D`) is `reference`, any letter case.
    pub fn case_by_reference(&self, reference: &str) -> Result<Option<CaseHit>> {
        let upper = reference.to_uppercase();
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, reference FROM cases WHERE reference = ?1 OR reference = ?2 \
             ORDER BY updated_at DESC, rid DESC",
        )?;
        let rows: Vec<(String, String)> = stmt
            .query_map(params![reference, upper], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(hit(rows))
    }

    /// The case carrying business reference `value` of `kind` (the most recently updated one when
    /// several do).
    pub fn case_by_business_reference(
        &self,
        kind: ReferenceKind,
        value: &str,
    ) -> Result<Option<CaseHit>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.reference FROM case_reference_index i JOIN cases c ON c.id = i.case_id \
             WHERE i.value = ?1 AND i.kind = ?2 ORDER BY c.updated_at DESC, c.rid DESC",
        )?;
        let rows: Vec<(String, String)> = stmt
            .query_map(params![value, kind.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(hit(rows))
    }

    /// The raw connection, for rules added later (EDI addresses, linked transactions) that need
    /// other read-only lookups inside the same transaction.
    pub fn connection(&self) -> &Connection {
        self.conn
    }
}

fn hit(rows: Vec<(String, String)>) -> Option<CaseHit> {
    let matches = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    rows.into_iter().next().map(|(case_id, reference)| CaseHit {
        case_id,
        reference,
        matches,
    })
}

/// Whether this exact file is in the ledger already (its row id).
pub(crate) fn ledger_row(
    conn: &Connection,
    folder_id: &str,
    path_key: &[u8],
    size: u64,
    mtime_ns: i64,
) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM ingest_ledger WHERE folder_id = ?1 AND path_key = ?2 AND size = ?3 \
             AND mtime_ns = ?4",
        )?
        .query_row(
            params![folder_id, path_key, size_i64(size), mtime_ns],
            |r| r.get(0),
        )
        .optional()?)
}

fn size_i64(size: u64) -> i64 {
    i64::try_from(size).unwrap_or(i64::MAX)
}

/// What a taken file's ledger row says besides the file itself.
enum Entry {
    /// It became (or is becoming) a document.
    Taken,
    /// Its bytes were already there; linked, not taken again.
    Duplicate,
}

/// The parts of a ledger row that differ between outcomes (`None` leaves a column empty).
#[derive(Default)]
struct Recorded<'a> {
    detail: Option<String>,
    case_id: Option<&'a str>,
    document_id: Option<&'a str>,
    duplicate_of: Option<i64>,
    routed: Option<&'a Routed>,
    spool_path: Option<&'a str>,
}

/// Writes `file`'s ledger row in `tx`; returns its id.
fn insert_ledger(
    tx: &Transaction<'_>,
    file: &IngestFile,
    entry: Entry,
    recorded: Recorded<'_>,
    now: Timestamp,
) -> Result<i64> {
    let outcome = match entry {
        Entry::Taken => "taken",
        Entry::Duplicate => "duplicate",
    };
    tx.prepare_cached(
        "INSERT INTO ingest_ledger (folder_id, folder_name, path, path_key, size, mtime_ns, \
            sha256, media_type, seen_at, outcome, detail, case_id, document_id, duplicate_of, \
            rule, rule_reason, spool_path) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        file.folder_id,
        file.folder_name,
        file.path,
        file.path_key,
        size_i64(file.size),
        file.mtime_ns,
        file.sha256,
        file.media_type,
        ts(now),
        outcome,
        recorded.detail,
        recorded.case_id,
        recorded.document_id,
        recorded.duplicate_of,
        recorded.routed.map(|r| r.rule.as_str()),
        recorded.routed.map(|r| r.reason.as_str()),
        recorded.spool_path,
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Takes one file: ledger row + case (when routing opens one) + document, all in `tx`.
pub(crate) fn take(
    tx: &Transaction<'_>,
    file: &IngestFile,
    route: &mut dyn FnMut(&IngestTx<'_>, &IngestFile) -> Result<Routed>,
    now: Timestamp,
) -> Result<IngestOutcome> {
    let outcome = take_file(tx, file, route, now)?;
    if file.remote {
        let ledger_id = match &outcome {
            IngestOutcome::Taken { ledger_id, .. }
            | IngestOutcome::Duplicate { ledger_id, .. }
            | IngestOutcome::AlreadyTaken { ledger_id } => *ledger_id,
        };
        let record = RemoteFile {
            path: file.path.clone(),
            size: file.size,
            mtime_ns: file.mtime_ns,
            state: RemoteState::Stored,
            ledger_id: Some(ledger_id),
            error: None,
        };
        set_remote(tx, &file.folder_id, &record, now)?;
    }
    Ok(outcome)
}

fn take_file(
    tx: &Transaction<'_>,
    file: &IngestFile,
    route: &mut dyn FnMut(&IngestTx<'_>, &IngestFile) -> Result<Routed>,
    now: Timestamp,
) -> Result<IngestOutcome> {
    if let Some(ledger_id) = ledger_row(
        tx,
        &file.folder_id,
        &file.path_key,
        file.size,
        file.mtime_ns,
    )? {
        return Ok(IngestOutcome::AlreadyTaken { ledger_id });
    }
    let earlier: Option<(i64, Option<String>)> = tx
        .prepare_cached(
            "SELECT id, case_id FROM ingest_ledger WHERE sha256 = ?1 AND size = ?2 \
             AND outcome = 'taken' ORDER BY id LIMIT 1",
        )?
        .query_row(params![file.sha256, size_i64(file.size)], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    if let Some((duplicate_of, case_id)) = earlier {
        let ledger_id = insert_ledger(
            tx,
            file,
            Entry::Duplicate,
            Recorded {
                detail: Some(
                    "the same bytes were taken before under another name; linked to that file"
                        .to_owned(),
                ),
                case_id: case_id.as_deref(),
                duplicate_of: Some(duplicate_of),
                ..Recorded::default()
            },
            now,
        )?;
        return Ok(IngestOutcome::Duplicate {
            ledger_id,
            duplicate_of: Some(duplicate_of),
            case_id,
        });
    }
    let routed = route(&IngestTx { conn: tx }, file)?;
    if matches!(routed.target, RouteTarget::New(_)) {
        // Rather than open a case for bytes a case already has (taken before this cache was
        // rebuilt, its ledger row lost; or attached by hand): linked to that document.
        if let Some((case_id, document_id, name, reference)) =
            document_anywhere(tx, &file.sha256, file.size)?
        {
            let ledger_id = insert_ledger(
                tx,
                file,
                Entry::Duplicate,
                Recorded {
                    detail: Some(format!(
                        "{reference} already has these bytes as \"{name}\"; linked to that document instead of opening a new case"
                    )),
                    case_id: Some(&case_id),
                    document_id: Some(&document_id),
                    ..Recorded::default()
                },
                now,
            )?;
            return Ok(IngestOutcome::Duplicate {
                ledger_id,
                duplicate_of: None,
                case_id: Some(case_id),
            });
        }
    }
    let (case_id, new_case) = match &routed.target {
        RouteTarget::Existing { case_id } => {
            let exists: Option<i64> = tx
                .prepare_cached("SELECT rid FROM cases WHERE id = ?1")?
                .query_row([case_id], |r| r.get(0))
                .optional()?;
            if exists.is_none() {
                return Err(StoreError::not_found("case", case_id));
            }
            (case_id.clone(), false)
        }
        RouteTarget::New(new) => (
            local::create_local_case(tx, new, &file.uploaded_by, now)?,
            true,
        ),
    };
    // The same bytes already on the case (attached by the analyst or another source): linked,
    // not uploaded twice.
    if let Some(existing) = crate::documents::document_with_sha256(tx, &case_id, &file.sha256)? {
        let ledger_id = insert_ledger(
            tx,
            file,
            Entry::Duplicate,
            Recorded {
                detail: Some(format!(
                    "the case already has these bytes as \"{}\"; linked to that document",
                    existing.document.name
                )),
                case_id: Some(&case_id),
                document_id: Some(&existing.document.id),
                routed: Some(&routed),
                ..Recorded::default()
            },
            now,
        )?;
        return Ok(IngestOutcome::Duplicate {
            ledger_id,
            duplicate_of: None,
            case_id: Some(case_id),
        });
    }
    if let Some(large) = &file.upload {
        return queue_large(tx, file, large, &case_id, new_case, &routed, now);
    }
    // The document row and its AttachDocument outbox entry (the spooled copy is what the push
    // sends), in this same transaction as the ledger row.
    let spooled = file
        .spool_path
        .as_deref()
        .and_then(|path| std::path::Path::new(path).file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .ok_or_else(|| StoreError::Invalid(format!("{} has no kept copy to upload", file.path)))?;
    let document = NewDocument {
        id: uuid::Uuid::new_v4().to_string(),
        name: file.document_name.clone(),
        size: file.size,
        sha256: file.sha256.clone(),
        media_type: file.media_type.clone(),
        uploaded_by: file.uploaded_by.clone(),
        source: DocumentSource::Spooled { file: spooled },
    };
    // The document and its outbound event (for xConnector routes) in this same transaction.
    crate::documents::attach_document_in(tx, &case_id, &document, now)?;
    let ledger_id = insert_ledger(
        tx,
        file,
        Entry::Taken,
        Recorded {
            case_id: Some(&case_id),
            document_id: Some(&document.id),
            routed: Some(&routed),
            spool_path: file.spool_path.as_deref(),
            ..Recorded::default()
        },
        now,
    )?;
    Ok(IngestOutcome::Taken {
        ledger_id,
        case_id,
        document_id: document.id,
        new_case,
    })
}

/// The oldest document in the cache with these bytes: (case id, document id, name, case
/// reference).
fn document_anywhere(
    conn: &Connection,
    sha256: &str,
    size: u64,
) -> Result<Option<(String, String, String, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT d.case_id, d.id, d.name, c.reference FROM documents d \
             JOIN cases c ON c.id = d.case_id \
             WHERE d.sha256 = ?1 AND d.size = ?2 ORDER BY d.uploaded_at, d.id LIMIT 1",
        )?
        .query_row(params![sha256.to_ascii_lowercase(), size_i64(size)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?)
}

/// A file above the upload size limit: its upload queued (S3, invariant 12) with the ledger row
/// in this transaction; the document is recorded when the upload completes
/// ([`crate::Store::finish_upload`]), under the upload's id, which the ledger row names now.
/// The same bytes already on their way to the case are a linked duplicate.
fn queue_large(
    tx: &Transaction<'_>,
    file: &IngestFile,
    large: &IngestUpload,
    case_id: &str,
    new_case: bool,
    routed: &Routed,
    now: Timestamp,
) -> Result<IngestOutcome> {
    let queued: Option<(String, String)> = tx
        .prepare_cached(
            "SELECT id, name FROM uploads WHERE case_id = ?1 AND sha256 = ?2 \
             AND state IN ('queued', 'paused', 'failed', 'done') ORDER BY created_at LIMIT 1",
        )?
        .query_row(params![case_id, file.sha256], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    if let Some((upload_id, name)) = queued {
        let ledger_id = insert_ledger(
            tx,
            file,
            Entry::Duplicate,
            Recorded {
                detail: Some(format!("the same bytes are already uploading to this case as \"{name}\"; linked to that upload")),
                case_id: Some(case_id),
                document_id: Some(&upload_id),
                routed: Some(routed),
                ..Recorded::default()
            },
            now,
        )?;
        return Ok(IngestOutcome::Duplicate {
            ledger_id,
            duplicate_of: None,
            case_id: Some(case_id.to_owned()),
        });
    }
    let id = uuid::Uuid::new_v4().to_string();
    let upload = crate::NewUpload {
        id: id.clone(),
        case_id: case_id.to_owned(),
        path: large.path.clone(),
        size: file.size,
        mtime_ns: large.mtime_ns,
        sha256: file.sha256.clone(),
        name: file.document_name.clone(),
        media_type: file.media_type.clone(),
        uploaded_by: file.uploaded_by.clone(),
        connector_id: large.connector_id.clone(),
        bucket: large.bucket.clone(),
        object_key: (large.object_key)(case_id, &id, &file.document_name),
        part_size: large.part_size,
    };
    crate::uploads::queue(tx, &upload, now)?;
    let ledger_id = insert_ledger(
        tx,
        file,
        Entry::Taken,
        Recorded {
            detail: Some(format!(
                "above the case server's size limit: uploading to the S3 bucket \"{}\"; the document shows on the case once its bytes are confirmed",
                large.bucket
            )),
            case_id: Some(case_id),
            document_id: Some(&id),
            routed: Some(routed),
            spool_path: file.spool_path.as_deref(),
            ..Recorded::default()
        },
        now,
    )?;
    Ok(IngestOutcome::Taken {
        ledger_id,
        case_id: case_id.to_owned(),
        document_id: id,
        new_case,
    })
}

/// One row of the ingest ledger, as the Folders view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    /// Row id.
    pub id: i64,
    /// Folder id.
    pub folder_id: String,
    /// Folder name.
    pub folder_name: String,
    /// Path inside the folder.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Hex SHA-256.
    pub sha256: String,
    /// Media type.
    pub media_type: String,
    /// When it was taken (RFC 3339).
    pub seen_at: String,
    /// `taken`, `duplicate` or `failed`.
    pub outcome: String,
    /// Words about the outcome (duplicate, failure).
    pub detail: Option<String>,
    /// The case it went to.
    pub case_id: Option<String>,
    /// That case's reference.
    pub case_reference: Option<String>,
    /// The document it became.
    pub document_id: Option<String>,
    /// The rule that decided.
    pub rule: Option<String>,
    /// Why it fired.
    pub rule_reason: Option<String>,
    /// The earlier row with the same bytes.
    pub duplicate_of: Option<i64>,
}

/// Filters for [`crate::Store::ingest_ledger`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerFilter {
    /// Only this folder.
    pub folder_id: Option<String>,
    /// Only this outcome (`taken`, `duplicate`, `failed`).
    pub outcome: Option<String>,
    /// Seen at or after (RFC 3339).
    pub since: Option<String>,
    /// Seen before (RFC 3339).
    pub until: Option<String>,
    /// At most this many rows (newest first); 0 means 500.
    pub limit: u32,
}

pub(crate) fn ledger(conn: &Connection, filter: &LedgerFilter) -> Result<Vec<LedgerRow>> {
    let limit = if filter.limit == 0 { 500 } else { filter.limit };
    let mut stmt = conn.prepare_cached(
        "SELECT l.id, l.folder_id, l.folder_name, l.path, l.size, l.sha256, l.media_type, \
            l.seen_at, l.outcome, l.detail, l.case_id, c.reference, l.document_id, l.rule, \
            l.rule_reason, l.duplicate_of \
         FROM ingest_ledger l LEFT JOIN cases c ON c.id = l.case_id \
         WHERE (?1 IS NULL OR l.folder_id = ?1) AND (?2 IS NULL OR l.outcome = ?2) \
           AND (?3 IS NULL OR l.seen_at >= ?3) AND (?4 IS NULL OR l.seen_at < ?4) \
         ORDER BY l.id DESC LIMIT ?5",
    )?;
    let rows = stmt
        .query_map(
            params![
                filter.folder_id,
                filter.outcome,
                filter.since,
                filter.until,
                i64::from(limit)
            ],
            |r| {
                Ok(LedgerRow {
                    id: r.get(0)?,
                    folder_id: r.get(1)?,
                    folder_name: r.get(2)?,
                    path: r.get(3)?,
                    size: u64::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
                    sha256: r.get(5)?,
                    media_type: r.get(6)?,
                    seen_at: r.get(7)?,
                    outcome: r.get(8)?,
                    detail: r.get(9)?,
                    case_id: r.get(10)?,
                    case_reference: r.get(11)?,
                    document_id: r.get(12)?,
                    rule: r.get(13)?,
                    rule_reason: r.get(14)?,
                    duplicate_of: r.get(15)?,
                })
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Per-folder counts and the last file, for the Folders view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderCounts {
    /// Files taken as documents.
    pub taken: u64,
    /// Same bytes seen again.
    pub duplicates: u64,
    /// Files that could not be taken.
    pub failed: u64,
    /// The last file's path and when.
    pub last: Option<(String, String)>,
}

pub(crate) fn folder_counts(conn: &Connection, folder_id: &str) -> Result<FolderCounts> {
    let mut counts = FolderCounts::default();
    let mut stmt = conn.prepare_cached(
        "SELECT outcome, COUNT(*) FROM ingest_ledger WHERE folder_id = ?1 GROUP BY outcome",
    )?;
    let rows = stmt.query_map([folder_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (outcome, n) = row?;
        let n = u64::try_from(n).unwrap_or(0);
        match outcome.as_str() {
            "taken" => counts.taken = n,
            "duplicate" => counts.duplicates = n,
            _ => counts.failed += n,
        }
    }
    counts.last = conn
        .prepare_cached(
            "SELECT path, seen_at FROM ingest_ledger WHERE folder_id = ?1 ORDER BY id DESC LIMIT 1",
        )?
        .query_row([folder_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(counts)
}

/// How far an SFTP file has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteState {
    /// Seen in a listing, not stored yet.
    Listed,
    /// Stored (ledger row written); still to be moved on the server.
    Stored,
    /// Moved to `processed/` or `failed/` on the server.
    Moved,
    /// The move failed (the error is kept); retried, never taken again.
    MoveFailed,
}

impl RemoteState {
    fn as_str(self) -> &'static str {
        match self {
            RemoteState::Listed => "listed",
            RemoteState::Stored => "stored",
            RemoteState::Moved => "moved",
            RemoteState::MoveFailed => "move_failed",
        }
    }

    fn parse(s: &str) -> RemoteState {
        match s {
            "stored" => RemoteState::Stored,
            "moved" => RemoteState::Moved,
            "move_failed" => RemoteState::MoveFailed,
            _ => RemoteState::Listed,
        }
    }
}

/// One remote file's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    /// Path on the server.
    pub path: String,
    /// Size listed.
    pub size: u64,
    /// Modification time listed (ns).
    pub mtime_ns: i64,
    /// How far it got.
    pub state: RemoteState,
    /// The ledger row once stored.
    pub ledger_id: Option<i64>,
    /// The last error (a failed move).
    pub error: Option<String>,
}

pub(crate) fn remote_files(conn: &Connection, folder_id: &str) -> Result<Vec<RemoteFile>> {
    let mut stmt = conn.prepare_cached(
        "SELECT path, size, mtime_ns, state, ledger_id, error FROM ingest_remote \
         WHERE folder_id = ?1 ORDER BY path",
    )?;
    let rows = stmt
        .query_map([folder_id], |r| {
            Ok(RemoteFile {
                path: r.get(0)?,
                size: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                mtime_ns: r.get(2)?,
                state: RemoteState::parse(&r.get::<_, String>(3)?),
                ledger_id: r.get(4)?,
                error: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub(crate) fn set_remote(
    conn: &Connection,
    folder_id: &str,
    file: &RemoteFile,
    now: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO ingest_remote (folder_id, path, size, mtime_ns, state, ledger_id, error, \
            updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
         ON CONFLICT(folder_id, path) DO UPDATE SET size = excluded.size, \
            mtime_ns = excluded.mtime_ns, state = excluded.state, ledger_id = excluded.ledger_id, \
            error = excluded.error, updated_at = excluded.updated_at",
    )?
    .execute(params![
        folder_id,
        file.path,
        size_i64(file.size),
        file.mtime_ns,
        file.state.as_str(),
        file.ledger_id,
        file.error,
        ts(now),
    ])?;
    Ok(())
}

pub(crate) fn forget_remote(conn: &Connection, folder_id: &str, path: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM ingest_remote WHERE folder_id = ?1 AND path = ?2")?
        .execute(params![folder_id, path])?;
    Ok(())
}

/// A drop-folder file that could not be taken (its bytes never read), for the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedFile {
    /// The folder's id.
    pub folder_id: String,
    /// The folder's name.
    pub folder_name: String,
    /// The path inside the folder, as shown.
    pub path: String,
    /// The name as the file system spells it.
    pub path_key: Vec<u8>,
    /// Its size when listed.
    pub size: u64,
    /// Its modification time when listed.
    pub mtime_ns: i64,
    /// Why, in words.
    pub reason: String,
}

pub(crate) fn record_failed(conn: &Connection, file: &FailedFile, now: Timestamp) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO ingest_ledger (folder_id, folder_name, path, path_key, size, mtime_ns, \
            sha256, media_type, seen_at, outcome, detail) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, '', 'application/octet-stream', ?7, 'failed', ?8) \
         ON CONFLICT (folder_id, path_key, size, mtime_ns) DO NOTHING",
    )?
    .execute(params![
        file.folder_id,
        file.folder_name,
        file.path,
        file.path_key,
        i64::try_from(file.size).unwrap_or(i64::MAX),
        file.mtime_ns,
        ts(now),
        file.reason
    ])?;
    Ok(conn
        .prepare_cached(
            "SELECT id FROM ingest_ledger WHERE folder_id = ?1 AND path_key = ?2 AND size = ?3 \
             AND mtime_ns = ?4",
        )?
        .query_row(
            params![
                file.folder_id,
                file.path_key,
                i64::try_from(file.size).unwrap_or(i64::MAX),
                file.mtime_ns
            ],
            |r| r.get(0),
        )?)
}
