//! Exporting a case archive to the retention bucket, step by step with each step's result kept
//! in the cache, so an export killed anywhere resumes after a restart and finishes once: the
//! zip is spooled (rebuilt identically if the spool was lost), uploaded in one locked PUT or by
//! multipart (confirmed parts are not sent again; an upload started but not recorded is found
//! and aborted), retention and legal hold are checked on the object, and the manifest is
//! stored beside it. "Verify" downloads the manifest and checks every hash against the bucket.

use std::future::Future;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use chrono::Utc;
use pd_connectors::{ConnectorError, PutOptions, Retention, S3Client};
use pd_domain::{Document, ExportState, RetentionPolicy, VerifyReport};
use pd_store::{ExportRecord, Store};
use sha2::{Digest, Sha256};

use crate::build::ManifestArchive;
use crate::build::{build_archive, hex, read_archive, ArchiveDocument, ArchiveInput, Manifest};
use crate::error::ArchiveError;

/// Fetches a document's bytes into a file (the collaboration download, or S3).
pub trait DocumentSource: Send + Sync {
    /// Writes the bytes of `document` to `dest`; an error in words.
    fn fetch<'a>(
        &'a self,
        document: &'a Document,
        dest: &'a Path,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;
}

/// Documents read from a folder, one file per document id (tests and the export program).
#[derive(Debug, Clone)]
pub struct FolderSource(pub PathBuf);

impl DocumentSource for FolderSource {
    fn fetch<'a>(
        &'a self,
        document: &'a Document,
        dest: &'a Path,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            std::fs::copy(self.0.join(&document.id), dest)
                .map(|_| ())
                .map_err(|error| error.to_string())
        })
    }
}

/// Where an export may be stopped on purpose (the crash tests kill the process there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PausePoint {
    /// The zip is spooled and recorded.
    Built,
    /// A multipart upload was started, its id not yet recorded.
    UploadCreated,
    /// The first part is confirmed and recorded.
    PartUploaded,
    /// The upload completed, not yet recorded.
    Completed,
    /// The manifest is stored, the export not yet marked done.
    ManifestPut,
}

impl PausePoint {
    /// Every point.
    pub const ALL: [PausePoint; 5] = [
        PausePoint::Built,
        PausePoint::UploadCreated,
        PausePoint::PartUploaded,
        PausePoint::Completed,
        PausePoint::ManifestPut,
    ];

    /// Its name (`PD_EXPORT_PAUSE_AT`).
    pub fn as_str(self) -> &'static str {
        match self {
            PausePoint::Built => "built",
            PausePoint::UploadCreated => "upload_created",
            PausePoint::PartUploaded => "part_uploaded",
            PausePoint::Completed => "completed",
            PausePoint::ManifestPut => "manifest_put",
        }
    }
}

/// Called at each [`PausePoint`].
pub type PauseHook = Arc<dyn Fn(PausePoint) + Send + Sync>;

/// The object keys of an export: `partnerdesk/cases/<partner>/<reference>/v<n>/<reference>-v<n>.zip`
/// and `.manifest.json` beside it (characters outside `A-Z a-z 0-9 . _ -` become `_`).
pub fn object_keys(partner_id: &str, reference: &str, version: u32) -> (String, String) {
    let (partner, reference) = (
        pd_connectors::key_segment(partner_id),
        pd_connectors::key_segment(reference),
    );
    let base = format!("partnerdesk/cases/{partner}/{reference}/v{version}/{reference}-v{version}");
    (format!("{base}.zip"), format!("{base}.manifest.json"))
}

/// Tag values S3 accepts: letters, digits, spaces and `+ - = . _ : / @`.
fn tag_value(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_alphanumeric() || " +-=._:/@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(256)
        .collect()
}

/// Runs exports of one workspace into one bucket.
pub struct Exporter {
    store: Store,
    s3: S3Client,
    source: Arc<dyn DocumentSource>,
    spool: PathBuf,
    policy: RetentionPolicy,
    /// Archives above this go up by multipart.
    pub multipart_threshold: u64,
    /// Part size of a multipart upload.
    pub part_size: u64,
    pause: Option<PauseHook>,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter")
            .field("bucket", &self.s3.bucket())
            .field("spool", &self.spool)
            .finish_non_exhaustive()
    }
}

fn put_options(record: &ExportRecord, content_type: &str, hold: bool) -> PutOptions {
    let mut tags = vec![
        ("partner".to_owned(), tag_value(&record.partner_name)),
        ("partner-id".to_owned(), tag_value(&record.partner_id)),
        ("kind".to_owned(), record.kind.as_str().to_owned()),
        ("case".to_owned(), tag_value(&record.case_reference)),
    ];
    if let Some(closed) = record.closed_at {
        tags.push(("closed".to_owned(), closed.format("%Y-%m-%d").to_string()));
    }
    PutOptions {
        content_type: Some(content_type.to_owned()),
        tags,
        retention: match (record.lock_mode, record.retain_until) {
            (Some(mode), Some(until)) => Some(Retention { mode, until }),
            _ => None,
        },
        legal_hold: hold,
        if_absent: true,
    }
}

fn read_range(path: &Path, offset: u64, len: u64) -> Result<Vec<u8>, ArchiveError> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| ArchiveError::io(format!("reading {}", path.display()), e))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| ArchiveError::io(format!("reading {}", path.display()), e))?;
    let mut buffer = Vec::with_capacity(len as usize);
    file.take(len)
        .read_to_end(&mut buffer)
        .map_err(|e| ArchiveError::io(format!("reading {}", path.display()), e))?;
    Ok(buffer)
}

fn file_digest(path: &Path) -> Result<(u64, String), ArchiveError> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| ArchiveError::io(format!("reading {}", path.display()), e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0_u8; 256 * 1024];
    let mut size = 0_u64;
    loop {
        let read = file
            .read(&mut buffer)
            .map_err(|e| ArchiveError::io(format!("reading {}", path.display()), e))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        size += read as u64;
    }
    Ok((size, hex(&hasher.finalize())))
}

impl Exporter {
    /// An exporter writing to `s3`'s bucket under `policy`, spooling in `spool`.
    pub fn new(
        store: Store,
        s3: S3Client,
        source: Arc<dyn DocumentSource>,
        spool: PathBuf,
        policy: RetentionPolicy,
    ) -> Self {
        Self {
            store,
            s3,
            source,
            spool,
            policy,
            multipart_threshold: 16 * 1024 * 1024,
            part_size: 8 * 1024 * 1024,
            pause: None,
        }
    }

    /// Calls `hook` at each [`PausePoint`] (the crash tests).
    pub fn with_pause(mut self, hook: PauseHook) -> Self {
        self.pause = Some(hook);
        self
    }

    fn pause(&self, point: PausePoint) {
        if let Some(hook) = &self.pause {
            hook(point);
        }
    }

    /// Aborts the multipart uploads under `partnerdesk/cases/` that no unfinished export is
    /// using (started by an export killed before it recorded the upload id); answers how many.
    pub async fn sweep_orphans(&self) -> Result<u32, ArchiveError> {
        let in_use: Vec<String> = self
            .store
            .unfinished_exports()?
            .into_iter()
            .filter_map(|record| record.upload_id)
            .collect();
        let mut aborted = 0;
        for upload in self.s3.list_multipart_uploads("partnerdesk/cases/").await? {
            if !in_use.contains(&upload.upload_id) {
                self.s3
                    .abort_multipart_upload(&upload.key, &upload.upload_id)
                    .await?;
                aborted += 1;
            }
        }
        Ok(aborted)
    }

    /// Finishes every queued or interrupted export; answers how many finished now. A failed
    /// export is marked failed with its reason and the others go on.
    pub async fn run_pending(&self) -> Result<u32, ArchiveError> {
        self.sweep_orphans().await?;
        let mut done = 0;
        for record in self.store.unfinished_exports()? {
            match self.run(&record.id).await {
                Ok(_) => done += 1,
                Err(error) => {
                    if let Some(mut failed) = self.store.export(&record.id)? {
                        failed.state = ExportState::Failed;
                        failed.last_error = Some(error.to_string());
                        self.store.save_export(&failed)?;
                    }
                }
            }
        }
        Ok(done)
    }

    /// Runs (or resumes) one export to the end.
    pub async fn run(&self, id: &str) -> Result<ExportRecord, ArchiveError> {
        let mut record = self.store.export(id)?.ok_or(ArchiveError::NotFound)?;
        if record.state == ExportState::Done {
            return Ok(record);
        }
        record.state = ExportState::Uploading;
        record.attempts += 1;
        record.last_error = None;
        self.store.save_export(&record)?;
        std::fs::create_dir_all(&self.spool)
            .map_err(|e| ArchiveError::io(format!("creating {}", self.spool.display()), e))?;
        let zip_path = self.spool.join(format!("{}.zip", record.id));
        if record.step == "start" || (record.step == "built" && !zip_path.exists()) {
            self.build(&mut record, &zip_path).await?;
            self.pause(PausePoint::Built);
        }
        if record.step == "built" {
            self.upload(&mut record, &zip_path).await?;
            record.step = "uploaded".into();
            self.store.save_export(&record)?;
        }
        if record.step == "uploaded" {
            self.put_manifest(&record).await?;
            self.pause(PausePoint::ManifestPut);
            record.step = "done".into();
            record.state = ExportState::Done;
            record.completed_at = Some(Utc::now());
            self.store.save_export(&record)?;
        }
        let _ = std::fs::remove_file(&zip_path);
        let _ = std::fs::remove_dir_all(self.spool.join(&record.id));
        Ok(record)
    }

    async fn build(&self, record: &mut ExportRecord, zip_path: &Path) -> Result<(), ArchiveError> {
        let detail = self.store.case_detail(&record.case_id, Utc::now())?;
        let docs_dir = self.spool.join(&record.id);
        std::fs::create_dir_all(&docs_dir)
            .map_err(|e| ArchiveError::io(format!("creating {}", docs_dir.display()), e))?;
        let mut documents = Vec::new();
        for document in detail.documents.iter().map(|d| &d.document) {
            let path = docs_dir.join(format!("{:04}", documents.len()));
            self.source
                .fetch(document, &path)
                .await
                .map_err(|detail| ArchiveError::Fetch {
                    name: document.name.clone(),
                    detail,
                })?;
            documents.push(ArchiveDocument {
                document: document.clone(),
                path,
            });
        }
        let input = ArchiveInput {
            case: detail.case.clone(),
            comments: detail.comments.iter().map(|c| c.comment.clone()).collect(),
            documents,
            audit: self.store.case_audit(&record.case_id)?,
            transactions: detail.linked_transactions.clone(),
            export_version: record.export_version,
            closed_at: record.closed_at,
        };
        let part = zip_path.with_extension("zip.part");
        let file = std::fs::File::create(&part)
            .map_err(|e| ArchiveError::io(format!("writing {}", part.display()), e))?;
        let built = build_archive(&input, std::io::BufWriter::new(file))?;
        std::fs::rename(&part, zip_path)
            .map_err(|e| ArchiveError::io(format!("writing {}", zip_path.display()), e))?;
        let (size, sha256) = file_digest(zip_path)?;
        let (object_key, manifest_key) = object_keys(
            &record.partner_id,
            &record.case_reference,
            record.export_version,
        );
        let mut manifest = built.manifest;
        manifest.archive = Some(ManifestArchive {
            key: object_key.clone(),
            size,
            sha256: sha256.clone(),
        });
        record.manifest_json =
            Some(
                serde_json::to_string_pretty(&manifest).map_err(|e| ArchiveError::Json {
                    what: "manifest",
                    detail: e.to_string(),
                })?,
            );
        record.bucket = Some(self.s3.bucket().to_owned());
        record.object_key = Some(object_key);
        record.manifest_key = Some(manifest_key);
        record.size = Some(size);
        record.sha256 = Some(sha256);
        record.lock_mode = Some(self.policy.mode);
        record.retain_until =
            Some(Utc::now() + chrono::Duration::days(i64::from(self.policy.days_for(record.kind))));
        record.step = "built".into();
        self.store.save_export(record).map_err(ArchiveError::from)
    }

    async fn upload(&self, record: &mut ExportRecord, zip_path: &Path) -> Result<(), ArchiveError> {
        let key = record.object_key.clone().unwrap_or_default();
        let size = record.size.unwrap_or_default();
        let hold = self
            .store
            .legal_hold_active(&record.case_id, &record.partner_id)?;
        let options = put_options(record, "application/zip", hold);
        let existing = self.s3.object_lock(&key, None).await?;
        match existing {
            Some(lock) if lock.size == size => {} // written before a restart
            Some(_) => {
                return Err(ArchiveError::S3(ConnectorError::Locked(format!(
                    "The bucket \"{}\" already holds another object at \"{key}\"; it is never overwritten.",
                    self.s3.bucket()
                ))))
            }
            None if size <= self.multipart_threshold => {
                let body = std::fs::read(zip_path)
                    .map_err(|e| ArchiveError::io(format!("reading {}", zip_path.display()), e))?;
                self.s3.put_object_with(&key, body, &options).await?;
            }
            None => self.multipart(record, zip_path, &key, size, &options).await?,
        }
        // Retention and hold on the object as written (some stores drop a multipart upload's
        // lock headers): set what is missing.
        let lock = self.s3.object_lock(&key, None).await?.ok_or_else(|| {
            ArchiveError::S3(ConnectorError::NotFound(format!(
                "The archive \"{key}\" is not in the bucket after its upload."
            )))
        })?;
        if let Some(wanted) = options.retention {
            if lock.retention.is_none_or(|r| r.until < wanted.until) {
                self.s3
                    .put_retention(&key, lock.version_id.as_deref(), wanted)
                    .await?;
            }
        }
        if hold && !lock.legal_hold {
            self.s3
                .put_legal_hold(&key, lock.version_id.as_deref(), true)
                .await?;
        }
        record.legal_hold = hold;
        record.version_id = lock.version_id;
        record.upload_id = None;
        Ok(())
    }

    async fn multipart(
        &self,
        record: &mut ExportRecord,
        zip_path: &Path,
        key: &str,
        size: u64,
        options: &PutOptions,
    ) -> Result<(), ArchiveError> {
        let upload_id = match record.upload_id.clone() {
            Some(id) => id,
            None => {
                // An upload of this key started before a crash, its id never recorded.
                for upload in self.s3.list_multipart_uploads(key).await? {
                    if upload.key == key {
                        self.s3
                            .abort_multipart_upload(&upload.key, &upload.upload_id)
                            .await?;
                    }
                }
                let id = self.s3.create_multipart_upload_with(key, options).await?;
                self.pause(PausePoint::UploadCreated);
                record.upload_id = Some(id.clone());
                record.parts_json = "[]".into();
                self.store.save_export(record)?;
                id
            }
        };
        let listed = match self.s3.list_parts(key, &upload_id).await {
            Ok(parts) => parts,
            Err(ConnectorError::NotFound(_)) => {
                // The upload is gone (completed before the restart, or aborted): start over.
                record.upload_id = None;
                self.store.save_export(record)?;
                return Box::pin(self.multipart(record, zip_path, key, size, options)).await;
            }
            Err(other) => return Err(other.into()),
        };
        let mut recorded: Vec<(u32, String)> =
            serde_json::from_str(&record.parts_json).unwrap_or_default();
        let count = size.div_ceil(self.part_size).max(1) as u32;
        let mut parts = Vec::new();
        for number in 1..=count {
            let offset = u64::from(number - 1) * self.part_size;
            let len = self.part_size.min(size - offset);
            let on_server = listed
                .iter()
                .find(|p| p.part_number == number && p.size == len);
            let known = recorded
                .iter()
                .find(|(n, _)| *n == number)
                .map(|(_, e)| e.clone());
            let etag = match (on_server, known) {
                (Some(part), Some(etag)) if part.etag.as_deref().is_none_or(|e| e == etag) => etag,
                (Some(part), None) if part.etag.is_some() => part.etag.clone().unwrap_or_default(),
                _ => {
                    let body = read_range(zip_path, offset, len)?;
                    let etag = self.s3.upload_part(key, &upload_id, number, body).await?;
                    recorded.retain(|(n, _)| *n != number);
                    recorded.push((number, etag.clone()));
                    record.parts_json = serde_json::to_string(&recorded).unwrap_or_default();
                    self.store.save_export(record)?;
                    if number == 1 {
                        self.pause(PausePoint::PartUploaded);
                    }
                    etag
                }
            };
            parts.push((number, etag));
        }
        self.s3
            .complete_multipart_upload(key, &upload_id, &parts)
            .await?;
        self.pause(PausePoint::Completed);
        Ok(())
    }

    async fn put_manifest(&self, record: &ExportRecord) -> Result<(), ArchiveError> {
        let key = record.manifest_key.clone().unwrap_or_default();
        let body = record
            .manifest_json
            .clone()
            .unwrap_or_default()
            .into_bytes();
        if let Some(lock) = self.s3.object_lock(&key, None).await? {
            if lock.size == body.len() as u64 {
                return Ok(()); // stored before a restart
            }
        }
        let hold = record.legal_hold;
        let options = put_options(record, "application/json", hold);
        self.s3.put_object_with(&key, body, &options).await?;
        Ok(())
    }

    /// Places or releases the legal hold on an export's objects, and records it.
    pub async fn set_hold(&self, record: &mut ExportRecord, on: bool) -> Result<(), ArchiveError> {
        if record.state != ExportState::Done {
            return Ok(()); // applied when its upload finishes
        }
        for key in [record.object_key.clone(), record.manifest_key.clone()]
            .into_iter()
            .flatten()
        {
            let version = if Some(&key) == record.object_key.as_ref() {
                record.version_id.clone()
            } else {
                None
            };
            self.s3.put_legal_hold(&key, version.as_deref(), on).await?;
        }
        record.legal_hold = on;
        self.store.save_export(record)?;
        Ok(())
    }

    /// Downloads the manifest stored beside the archive and checks the archive's hash, every
    /// file's hash and the object's retention against it; records the result.
    pub async fn verify(&self, id: &str) -> Result<VerifyReport, ArchiveError> {
        let mut record = self.store.export(id)?.ok_or(ArchiveError::NotFound)?;
        let report = self.check(&record).await?;
        record.verified_at = Some(Utc::now());
        record.verified_ok = Some(report.ok);
        self.store.save_export(&record)?;
        Ok(report)
    }

    async fn check(&self, record: &ExportRecord) -> Result<VerifyReport, ArchiveError> {
        let mut problems = Vec::new();
        let (Some(key), Some(manifest_key)) = (&record.object_key, &record.manifest_key) else {
            return Ok(VerifyReport {
                ok: false,
                files_checked: 0,
                message: "This export has not reached the bucket yet.".into(),
                problems,
            });
        };
        let manifest_bytes = self
            .s3
            .get_object(manifest_key, None, 16 * 1024 * 1024)
            .await?;
        let manifest: Manifest =
            serde_json::from_slice(&manifest_bytes).map_err(|e| ArchiveError::Json {
                what: "manifest",
                detail: e.to_string(),
            })?;
        let Some(archive) = manifest.archive.clone() else {
            return Ok(VerifyReport {
                ok: false,
                files_checked: 0,
                message: "The manifest in the bucket does not name its archive.".into(),
                problems: vec!["manifest without archive".into()],
            });
        };
        let zip = self
            .s3
            .get_object(key, record.version_id.as_deref(), archive.size + 1)
            .await?;
        let sha = hex(&Sha256::digest(&zip));
        if sha != archive.sha256 {
            problems.push(format!(
                "The archive's SHA-256 is {sha}, the manifest says {}.",
                archive.sha256
            ));
        }
        if record
            .sha256
            .as_deref()
            .is_some_and(|s| s != archive.sha256)
        {
            problems.push("The manifest in the bucket is not the one this export wrote.".into());
        }
        let (inner, found) = read_archive(std::io::Cursor::new(zip))?;
        for expected in &manifest.files {
            match found.iter().find(|f| f.path == expected.path) {
                None => problems.push(format!("{} is missing from the archive.", expected.path)),
                Some(file) if file.sha256 != expected.sha256 || file.size != expected.size => {
                    problems.push(format!("{} does not match its SHA-256.", expected.path))
                }
                Some(_) => {}
            }
        }
        for file in &found {
            if !manifest.files.iter().any(|f| f.path == file.path) {
                problems.push(format!(
                    "{} is in the archive but not in the manifest.",
                    file.path
                ));
            }
        }
        if inner.files != manifest.files {
            problems.push("The manifest inside the archive differs from the one beside it.".into());
        }
        let lock = self
            .s3
            .object_lock(key, record.version_id.as_deref())
            .await?;
        match lock {
            Some(lock) if lock.locked_at(Utc::now()) => {}
            _ => problems.push("The archive is no longer under retention or a legal hold.".into()),
        }
        let files_checked = found.len() as u32;
        let ok = problems.is_empty();
        let message = if ok {
            format!(
                "Verified: the archive and all {files_checked} files match their SHA-256 in the manifest, and the object is under retention{}.",
                record
                    .retain_until
                    .map(|until| format!(" until {}", until.format("%Y-%m-%d")))
                    .unwrap_or_default()
            )
        } else {
            format!("Verification failed: {} problem(s) found.", problems.len())
        };
        Ok(VerifyReport {
            ok,
            files_checked,
            message,
            problems,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::object_keys;

    #[test]
    fn keys_name_partner_case_and_version() {
        let (zip, manifest) = object_keys("ACME/Retail", "CASE-2026-000123", 2);
        assert_eq!(
            zip,
            "partnerdesk/cases/ACME_Retail/CASE-2026-000123/v2/CASE-2026-000123-v2.zip"
        );
        assert!(manifest.ends_with("/v2/CASE-2026-000123-v2.manifest.json"));
    }
}
