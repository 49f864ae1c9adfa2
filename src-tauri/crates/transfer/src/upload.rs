//! The resumable S3 multipart upload of one queued file (issue 10), below the shell: every
//! step's result is in the cache before the next step (the S3 upload id, each part the server
//! confirmed), so a pause, a crash, a reboot or a lost network resumes from the last confirmed
//! part. A resume asks the server (ListParts) which parts it holds; a part the server holds but
//! the cache missed (killed between its answer and the record) is taken when its ETag is the
//! MD5 of the local bytes, so a confirmed part is never sent again. The file's size and mtime
//! are checked before each part and its SHA-256 (hashed as the parts are read, in order) before
//! completion: a file that changed is refused, its incomplete upload aborted, nothing
//! completed. After CompleteMultipartUpload the object's size (and stored SHA-256) is checked,
//! then the upload turns done and its document record is queued in one transaction
//! ([`pd_store::Store::finish_upload`]): bytes confirmed before the record, the record once.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use pd_connectors::{ConnectorError, S3Client};
use pd_store::{ConfirmedPart, NewUpload, Store, UploadRecord, UploadState};
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::error::{Result, TransferError};
use crate::inspect::{hex, Inspected};

/// Where the crash tests stop an upload (`pd-upload-once`, `PD_UPLOAD_PAUSE_AT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PausePoint {
    /// A run picked the upload up; nothing done yet.
    Started,
    /// CreateMultipartUpload answered; its id not yet recorded.
    Created,
    /// The upload id is recorded.
    UploadRecorded,
    /// The server confirmed part n; not yet recorded.
    PartSent(u32),
    /// Part n is recorded.
    PartRecorded(u32),
    /// Every part is confirmed and the file checked; CompleteMultipartUpload not yet sent.
    BeforeComplete,
    /// The object is complete; the upload not yet done, no record queued.
    Completed,
    /// The upload is done and its record queued.
    Recorded,
}

impl PausePoint {
    /// Its name: `started`, `created`, `upload_recorded`, `part_sent:N`, `part_recorded:N`,
    /// `before_complete`, `completed`, `recorded`.
    pub fn name(&self) -> String {
        match self {
            PausePoint::Started => "started".into(),
            PausePoint::Created => "created".into(),
            PausePoint::UploadRecorded => "upload_recorded".into(),
            PausePoint::PartSent(n) => format!("part_sent:{n}"),
            PausePoint::PartRecorded(n) => format!("part_recorded:{n}"),
            PausePoint::BeforeComplete => "before_complete".into(),
            PausePoint::Completed => "completed".into(),
            PausePoint::Recorded => "recorded".into(),
        }
    }
}

/// Called at each [`PausePoint`].
pub type PauseHook = Arc<dyn Fn(PausePoint) + Send + Sync>;

/// What the analyst asked of a running upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Stop and keep the confirmed parts.
    Pause,
    /// Stop, abort the incomplete upload on the server.
    Cancel,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    /// The object is complete and its record queued (now or before).
    Done,
    /// Paused; the confirmed parts are kept.
    Paused,
    /// Cancelled; nothing is left on the server.
    Cancelled,
}

/// Parts of one upload on the wire at once, by default.
pub const DEFAULT_PARALLEL_PARTS: usize = 4;

/// A part's number, its size, and its ETag (or how the analyst stopped it).
type PartSent = (u32, u64, Result<std::result::Result<String, Finished>>);

/// Reports bytes confirmed so far.
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// Uploads queued files of one cache to one S3 bucket.
#[derive(Clone)]
pub struct Uploader {
    pub(crate) store: Store,
    pub(crate) s3: S3Client,
    pause: Option<PauseHook>,
    /// Attempts per part on a network failure before the run gives up (the queue retries).
    pub attempts: u32,
    /// First pause between attempts (doubles).
    pub backoff: Duration,
    /// Parts on the wire at once (each held in memory, part size each).
    pub parallel: usize,
}

impl std::fmt::Debug for Uploader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uploader")
            .field("bucket", &self.s3.bucket())
            .finish_non_exhaustive()
    }
}

/// Where the upload queue keeps its objects in a bucket.
pub const UPLOADS_PREFIX: &str = "partnerdesk/uploads/";

/// The object key of an upload: `partnerdesk/uploads/<case>/<upload id>/<name>` (characters
/// outside `A-Z a-z 0-9 . _ -` become `_`).
pub fn object_key(case_id: &str, id: &str, name: &str) -> String {
    format!(
        "{UPLOADS_PREFIX}{}/{}/{}",
        pd_connectors::key_segment(case_id),
        pd_connectors::key_segment(id),
        pd_connectors::key_segment(name)
    )
}

/// Where a file goes: its bucket, the connector, the part size.
#[derive(Debug, Clone)]
pub struct UploadPlan {
    /// Bucket.
    pub bucket: String,
    /// The S3 connector's id, if chosen.
    pub connector_id: Option<String>,
    /// Bytes per part.
    pub part_size: u64,
    /// Who attaches it.
    pub uploaded_by: String,
}

/// Queues an inspected file for upload to `plan.bucket`; answers the upload's id (also its
/// transfer id and document id). A duplicate on the case is refused.
pub fn queue_upload(
    store: &Store,
    case_id: &str,
    file: &Inspected,
    plan: &UploadPlan,
) -> Result<String> {
    let id = uuid::Uuid::new_v4().to_string();
    let upload = NewUpload {
        id: id.clone(),
        case_id: case_id.to_owned(),
        path: file.path.clone(),
        size: file.identity.size,
        mtime_ns: file.identity.mtime_ns,
        sha256: file.identity.sha256.clone(),
        name: file.name.clone(),
        media_type: file.media_type.clone(),
        uploaded_by: plan.uploaded_by.clone(),
        connector_id: plan.connector_id.clone(),
        bucket: plan.bucket.clone(),
        object_key: object_key(case_id, &id, &file.name),
        part_size: plan.part_size.max(pd_connectors::MIN_PART_SIZE as u64),
    };
    store.queue_upload(&upload, chrono::Utc::now())?;
    Ok(id)
}

/// (offset, length) of part `number` (1-based).
fn part_range(upload: &NewUpload, number: u32) -> (u64, u64) {
    let start = u64::from(number - 1) * upload.part_size;
    let end = (start + upload.part_size).min(upload.size);
    (start, end.saturating_sub(start))
}

fn part_count(upload: &NewUpload) -> u32 {
    u32::try_from(upload.size.div_ceil(upload.part_size.max(1))).unwrap_or(u32::MAX)
}

fn read_part(path: &Path, name: &str, offset: u64, len: u64) -> Result<Vec<u8>> {
    let mut file = std::fs::File::open(path).map_err(|e| TransferError::io(name, path, &e))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| TransferError::io(name, path, &e))?;
    let mut buf = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)];
    file.read_exact(&mut buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            TransferError::Changed {
                name: name.to_owned(),
                detail: "it became shorter".into(),
            }
        } else {
            TransferError::io(name, path, &e)
        }
    })?;
    Ok(buf)
}

impl Uploader {
    /// An uploader for one cache and bucket.
    pub fn new(store: Store, s3: S3Client) -> Self {
        Self {
            store,
            s3,
            pause: None,
            attempts: 6,
            backoff: Duration::from_millis(250),
            parallel: DEFAULT_PARALLEL_PARTS,
        }
    }

    /// Calls `hook` at each [`PausePoint`] (the crash tests).
    pub fn with_pause(mut self, hook: PauseHook) -> Self {
        self.pause = Some(hook);
        self
    }

    fn at(&self, point: PausePoint) {
        if let Some(hook) = &self.pause {
            hook(point);
        }
    }

    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        call: impl FnOnce(Store) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || call(store))
            .await
            .map_err(|e| TransferError::Local(format!("background task failed: {e}")))?
    }

    fn check_file(upload: &NewUpload) -> Result<()> {
        let (size, mtime) = crate::inspect::stat(&upload.path)?;
        if size != upload.size || mtime != upload.mtime_ns {
            return Err(TransferError::Changed {
                name: upload.name.clone(),
                detail: if size != upload.size {
                    format!("its size went from {} to {}", upload.size, size)
                } else {
                    "it was saved again".into()
                },
            });
        }
        Ok(())
    }

    /// Runs the upload `id` until it is done, paused, cancelled or fails. A failure that needs
    /// the analyst (a changed file, a refusal) is recorded as failed; a network failure leaves
    /// it queued for the next run.
    pub async fn run(
        &self,
        id: &str,
        stop: &mut watch::Receiver<Option<Stop>>,
        progress: &Progress,
    ) -> Result<Finished> {
        let owned = id.to_owned();
        let record = self
            .blocking(move |store| Ok(store.upload(&owned)?))
            .await?
            .ok_or_else(|| TransferError::NotFound(id.to_owned()))?;
        match record.state {
            UploadState::Done => return Ok(Finished::Done),
            UploadState::Cancelled => return Ok(Finished::Cancelled),
            UploadState::Paused => return Ok(Finished::Paused),
            UploadState::Queued | UploadState::Failed => {}
        }
        self.at(PausePoint::Started);
        let result = self.steps(&record, stop, progress).await;
        match &result {
            Err(error @ TransferError::Changed { .. }) => {
                self.give_up(&record, error, true).await;
            }
            Err(error) if !error.is_transient() => {
                self.give_up(&record, error, false).await;
            }
            _ => {}
        }
        result
    }

    /// Records a failure (aborting the incomplete upload when the file changed).
    async fn give_up(&self, record: &UploadRecord, error: &TransferError, abort: bool) {
        if abort {
            let current = self.store.upload(&record.upload.id).ok().flatten();
            if let Some(s3_id) = current.and_then(|r| r.s3_upload_id) {
                if let Err(e) = self
                    .s3
                    .abort_multipart_upload(&record.upload.object_key, &s3_id)
                    .await
                {
                    tracing::warn!(%e, "the incomplete upload could not be aborted");
                }
            }
        }
        let (id, code, words) = (
            record.upload.id.clone(),
            error.code().as_str().to_owned(),
            error.to_string(),
        );
        let _ = self
            .blocking(move |store| {
                Ok(store.set_upload_state(
                    &id,
                    UploadState::Failed,
                    Some((&code, &words)),
                    chrono::Utc::now(),
                )?)
            })
            .await;
    }

    /// Cancels an upload that is not running: its incomplete upload aborted on the server, the
    /// state kept as cancelled.
    pub async fn cancel(&self, id: &str) -> Result<()> {
        let owned = id.to_owned();
        let record = self
            .blocking(move |store| Ok(store.upload(&owned)?))
            .await?
            .ok_or_else(|| TransferError::NotFound(id.to_owned()))?;
        if record.state == UploadState::Done {
            return Err(TransferError::State(format!(
                "{} is already uploaded; remove the document from the case instead.",
                record.upload.name
            )));
        }
        let owned = id.to_owned();
        self.blocking(move |store| {
            store.set_upload_state(&owned, UploadState::Cancelled, None, chrono::Utc::now())?;
            Ok(())
        })
        .await?;
        if let Some(s3_id) = &record.s3_upload_id {
            self.s3
                .abort_multipart_upload(&record.upload.object_key, s3_id)
                .await?;
        }
        Ok(())
    }

    async fn steps(
        &self,
        record: &UploadRecord,
        stop: &mut watch::Receiver<Option<Stop>>,
        progress: &Progress,
    ) -> Result<Finished> {
        let upload = &record.upload;
        Self::check_file(upload)?;
        let key = upload.object_key.as_str();
        let mut parts: BTreeMap<u32, ConfirmedPart> = BTreeMap::new();
        let mut s3_id = record.s3_upload_id.clone();
        if s3_id.is_some() && self.completed_before(upload).await? {
            // Completed before the record was written (killed in between).
            return self.record_done(upload).await;
        }
        if let Some(existing) = s3_id.clone() {
            match self.s3.list_parts(key, &existing).await {
                Ok(held) => {
                    let recorded: BTreeMap<u32, &ConfirmedPart> =
                        record.parts.iter().map(|p| (p.number, p)).collect();
                    for part in held {
                        let (offset, len) = part_range(upload, part.part_number);
                        if part.part_number == 0
                            || part.part_number > part_count(upload)
                            || part.size != len
                        {
                            continue;
                        }
                        let mine = recorded.get(&part.part_number).copied();
                        // Ours when the cache recorded it (same ETag, or the server lists no
                        // ETags), else when its ETag is the MD5 of the local bytes (a server
                        // that lists no ETags held what this unchanged file sent).
                        let (taken, etag) = match (part.etag.clone(), mine) {
                            (Some(listed), Some(mine)) if mine.etag == listed => (true, listed),
                            (None, Some(mine)) if mine.size == part.size => {
                                (true, mine.etag.clone())
                            }
                            (listed, _) => {
                                let (path, name) = (upload.path.clone(), upload.name.clone());
                                let local = tokio::task::spawn_blocking(move || {
                                    read_part(&path, &name, offset, len)
                                        .map(|bytes| format!("{:x}", md5::compute(&bytes)))
                                })
                                .await
                                .map_err(|e| TransferError::Local(e.to_string()))??;
                                match listed {
                                    Some(listed) => (local.eq_ignore_ascii_case(&listed), listed),
                                    None => (true, local),
                                }
                            }
                        };
                        if !taken {
                            continue;
                        }
                        let known = mine.is_some_and(|m| m.etag == etag);
                        let confirmed = ConfirmedPart {
                            number: part.part_number,
                            etag,
                            size: part.size,
                        };
                        if !known {
                            let (id, c) = (upload.id.clone(), confirmed.clone());
                            self.blocking(move |store| {
                                Ok(store.confirm_upload_part(&id, &c, chrono::Utc::now())?)
                            })
                            .await?;
                        }
                        parts.insert(confirmed.number, confirmed);
                    }
                }
                Err(ConnectorError::NotFound(_)) => {
                    // The upload is gone (aborted, or expired): start again.
                    s3_id = None;
                }
                Err(other) => return Err(other.into()),
            }
        }
        let s3_id = match s3_id {
            Some(s3_id) => s3_id,
            None => {
                // A missing bucket is said before anything is started (some servers, s3s-fs
                // among them, would accept parts for a bucket that does not exist).
                if let Err(missing @ ConnectorError::NotFound(_)) = self.s3.test().await {
                    return Err(missing.into());
                }
                let created = self
                    .s3
                    .create_multipart_upload_keeping_sha256(
                        key,
                        Some(&upload.media_type),
                        Some(&upload.sha256),
                    )
                    .await?;
                self.at(PausePoint::Created);
                let (id, c) = (upload.id.clone(), created.clone());
                self.blocking(move |store| {
                    Ok(store.set_s3_upload(&id, Some(&c), chrono::Utc::now())?)
                })
                .await?;
                self.at(PausePoint::UploadRecorded);
                parts.clear();
                created
            }
        };
        let mut hasher = Sha256::new();
        let mut confirmed_bytes: u64 = parts.values().map(|p| p.size).sum();
        progress(confirmed_bytes);
        // Parts are read and hashed in order; up to `parallel` of them are on the wire at once,
        // each recorded as soon as the server confirms it.
        let mut in_flight: JoinSet<PartSent> = JoinSet::new();
        let total = part_count(upload);
        let mut next = 1;
        loop {
            while in_flight.len() < self.parallel.max(1) && next <= total {
                if let Some(stopped) = self.stopped(stop, upload, &s3_id).await? {
                    in_flight.abort_all();
                    return Ok(stopped);
                }
                Self::check_file(upload)?;
                let number = next;
                next += 1;
                let (offset, len) = part_range(upload, number);
                let (path, name) = (upload.path.clone(), upload.name.clone());
                let bytes =
                    tokio::task::spawn_blocking(move || read_part(&path, &name, offset, len))
                        .await
                        .map_err(|e| TransferError::Local(e.to_string()))??;
                hasher.update(&bytes);
                if parts.contains_key(&number) {
                    continue;
                }
                let (me, up, sid, mut rx) =
                    (self.clone(), upload.clone(), s3_id.clone(), stop.clone());
                // One buffer per part: a retry sends the same bytes again without a copy.
                let bytes = bytes::Bytes::from(bytes);
                in_flight.spawn(async move {
                    let sent = me.send_part(&up, &sid, number, bytes, &mut rx).await;
                    (number, len, sent)
                });
            }
            let Some(joined) = in_flight.join_next().await else {
                break;
            };
            let (number, len, sent) =
                joined.map_err(|e| TransferError::Local(format!("a part task failed: {e}")))?;
            let etag = match sent {
                Ok(Ok(etag)) => etag,
                Ok(Err(stopped)) => {
                    in_flight.abort_all();
                    return self
                        .stopped(stop, upload, &s3_id)
                        .await
                        .map(|s| s.unwrap_or(stopped));
                }
                Err(error) => {
                    in_flight.abort_all();
                    return Err(error);
                }
            };
            self.at(PausePoint::PartSent(number));
            let confirmed = ConfirmedPart {
                number,
                etag,
                size: len,
            };
            let (id, c) = (upload.id.clone(), confirmed.clone());
            self.blocking(move |store| {
                Ok(store.confirm_upload_part(&id, &c, chrono::Utc::now())?)
            })
            .await?;
            self.at(PausePoint::PartRecorded(number));
            parts.insert(number, confirmed);
            confirmed_bytes += len;
            progress(confirmed_bytes);
        }
        // Stopped while the last parts were on the wire: nothing is completed.
        if let Some(stopped) = self.stopped(stop, upload, &s3_id).await? {
            return Ok(stopped);
        }
        Self::check_file(upload)?;
        let sha = hex(&hasher.finalize());
        if sha != upload.sha256 {
            return Err(TransferError::Changed {
                name: upload.name.clone(),
                detail: "its content is not what was queued".into(),
            });
        }
        self.at(PausePoint::BeforeComplete);
        let list: Vec<(u32, String)> = parts.values().map(|p| (p.number, p.etag.clone())).collect();
        self.s3
            .complete_multipart_upload(key, &s3_id, &list)
            .await?;
        self.at(PausePoint::Completed);
        self.record_done(upload).await
    }

    /// Sends one part, retrying network failures; `Err(stop)` when the analyst stopped it.
    async fn send_part(
        &self,
        upload: &NewUpload,
        s3_id: &str,
        number: u32,
        bytes: bytes::Bytes,
        stop: &mut watch::Receiver<Option<Stop>>,
    ) -> Result<std::result::Result<String, Finished>> {
        let mut pause = self.backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sent = tokio::select! {
                sent = self.s3.upload_part(&upload.object_key, s3_id, number, bytes.clone()) => sent,
                _ = stop.wait_for(Option::is_some) => return Ok(Err(Finished::Paused)),
            };
            match sent {
                Ok(etag) => return Ok(Ok(etag)),
                Err(error) => {
                    let error = TransferError::from(error);
                    if !error.is_transient() || attempt >= self.attempts {
                        return Err(error);
                    }
                    tracing::info!(part = number, attempt, %error, "part failed; trying again");
                    tokio::select! {
                        () = tokio::time::sleep(pause) => {}
                        _ = stop.wait_for(Option::is_some) => return Ok(Err(Finished::Paused)),
                    }
                    pause = (pause * 2).min(Duration::from_secs(8));
                }
            }
        }
    }

    /// Carries out a pause or cancel the analyst asked for, if any.
    async fn stopped(
        &self,
        stop: &watch::Receiver<Option<Stop>>,
        upload: &NewUpload,
        s3_id: &str,
    ) -> Result<Option<Finished>> {
        let asked = *stop.borrow();
        match asked {
            None => Ok(None),
            Some(Stop::Pause) => Ok(Some(Finished::Paused)),
            Some(Stop::Cancel) => {
                // Cancelled here first: an abort that fails (the network) must not leave the
                // upload queued to run again.
                let id = upload.id.clone();
                self.blocking(move |store| {
                    store.set_upload_state(
                        &id,
                        UploadState::Cancelled,
                        None,
                        chrono::Utc::now(),
                    )?;
                    Ok(())
                })
                .await?;
                if let Err(error) = self
                    .s3
                    .abort_multipart_upload(&upload.object_key, s3_id)
                    .await
                {
                    tracing::warn!(%error, "a cancelled upload could not be aborted on the server");
                    return Err(error.into());
                }
                Ok(Some(Finished::Cancelled))
            }
        }
    }

    /// Whether the object is already complete with this file's size and SHA-256.
    async fn completed_before(&self, upload: &NewUpload) -> Result<bool> {
        Ok(self
            .s3
            .head_object(&upload.object_key)
            .await?
            .is_some_and(|object| {
                object.size == upload.size
                    && object
                        .sha256
                        .as_deref()
                        .is_none_or(|sha| sha.eq_ignore_ascii_case(&upload.sha256))
            }))
    }

    /// Checks the object and writes done + the document record in one transaction.
    async fn record_done(&self, upload: &NewUpload) -> Result<Finished> {
        let object = self.s3.head_object(&upload.object_key).await?;
        let size = object.as_ref().map(|o| o.size);
        if size != Some(upload.size) {
            return Err(TransferError::S3(ConnectorError::Unexpected(format!(
                "The bucket holds {} bytes for {} after the upload, not {}; it was not recorded on the case.",
                size.unwrap_or(0),
                upload.name,
                upload.size
            ))));
        }
        let id = upload.id.clone();
        self.blocking(move |store| Ok(store.finish_upload(&id, chrono::Utc::now())?))
            .await?;
        self.at(PausePoint::Recorded);
        Ok(Finished::Done)
    }
}
