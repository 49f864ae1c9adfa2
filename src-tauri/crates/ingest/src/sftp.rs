//! SFTP folders: a remote folder polled through `pd-connectors`' SFTP client (only to the host
//! key the analyst accepted; an unknown or changed key stops before sign-in). A file is taken
//! once two listings in a row show the same size and time; it is downloaded into the spool
//! folder as `<partial>` (a broken download resumes from the partial's length), taken in one
//! store transaction with its listing record set to "stored", and only then moved on the server
//! to `processed/` (never deleted). A failed move is kept with its reason and retried; the file
//! is never taken twice. A file that cannot be read while the server answers (permission denied
//! on it, say) is tried on [`FAIL_AFTER`] polls, then recorded in the ledger as failed with the
//! reason and moved to `failed/` beside a `<name>.reason.txt` that says why (never deleted).
//! Failures back off (doubling to a minute) and show in words.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pd_connectors::{ConnectorOptions, RemoteKind, SftpClient};
use pd_domain::SftpSettings;
use pd_store::{FailedFile, IngestFile, RemoteFile, RemoteState};
use sha2::{Digest, Sha256};

use crate::error::IngestError;
use crate::names::{display_name, is_temporary};
use crate::routing::FolderDefaults;
use crate::status::FolderState;
use crate::take::{
    commit, hash_stream, media_type, no_bucket_words, spool_stream, upload_of, Prepared,
};
use crate::IngestContext;

/// One polled SFTP folder.
#[derive(Debug, Clone)]
pub struct SftpFolderSpec {
    /// Defaults of the cases its files open (and its id and name).
    pub defaults: FolderDefaults,
    /// The connector's settings (host, user, key, accepted host key).
    pub settings: SftpSettings,
    /// The connector's secret from the keychain, if any.
    pub secret: Option<String>,
    /// The remote folder to poll.
    pub remote_dir: String,
    /// Where taken files are moved, relative to the remote folder.
    pub processed_dir: String,
    /// Where files that could not be taken are moved with their reason file, relative to the
    /// remote folder (`failed`).
    pub failed_dir: String,
    /// How often to poll.
    pub poll_interval: Duration,
    /// Per-step limits.
    pub options: ConnectorOptions,
}

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Files taken (ledger rows written).
    pub taken: u64,
    /// Files moved to `processed/`.
    pub moved: u64,
    /// Bytes downloaded in this poll (a resumed download counts only the rest).
    pub downloaded_bytes: u64,
    /// Files still settling.
    pub waiting: u64,
    /// Moves that failed (the files stay taken; retried next poll).
    pub move_errors: Vec<String>,
    /// Files that could not be read in this poll, or were given up on, in words.
    pub file_errors: Vec<String>,
    /// Files given up on (ledger rows `failed`, moved to `failed/` when the server allowed).
    pub failed: u64,
}

/// Polls on which a file must fail to be read, the server answering, before it is given up on.
pub const FAIL_AFTER: u32 = 3;

/// The poller's memory between polls: the last listing, for the settle check.
#[derive(Debug, Default)]
pub struct SftpPoller {
    last: HashMap<String, (u64, i64)>,
    /// Failed reads per file name, while the server answered.
    failures: HashMap<String, u32>,
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir == "." {
        name.to_string()
    } else {
        format!("{}/{}", dir.trim_end_matches('/'), name)
    }
}

/// Where a remote file's partial download is kept.
pub fn partial_path(spool_dir: &Path, folder_id: &str, remote_path: &str) -> PathBuf {
    let digest = Sha256::digest(format!("{folder_id}\n{remote_path}").as_bytes());
    let name: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    spool_dir.join(format!("sftp-{name}.partial"))
}

impl SftpPoller {
    /// One poll over a connected client: list, settle, download (resuming), take, move.
    pub async fn poll(
        &mut self,
        ctx: &IngestContext,
        spec: &SftpFolderSpec,
        client: &SftpClient,
    ) -> Result<PollReport, IngestError> {
        let mut report = PollReport::default();
        let folder_id = spec.defaults.folder_id.clone();
        // Files taken earlier but not moved yet (a failed move, a crash after the take).
        let store = ctx.store.clone();
        let fid = folder_id.clone();
        let records = tokio::task::spawn_blocking(move || store.ingest_remote_files(&fid))
            .await
            .map_err(|e| IngestError::Watch(e.to_string()))??;
        let unmoved: HashMap<String, RemoteFile> = records
            .into_iter()
            .filter(|r| matches!(r.state, RemoteState::Stored | RemoteState::MoveFailed))
            .map(|r| (r.path.clone(), r))
            .collect();
        let entries = client.list(&spec.remote_dir).await?;
        let mut listing = HashMap::new();
        for entry in entries {
            if entry.kind != RemoteKind::File || is_temporary(&entry.name) {
                continue;
            }
            let size = entry.size.unwrap_or(0);
            let mtime_ns = i64::from(entry.modified.unwrap_or(0)) * 1_000_000_000;
            let path = join(&spec.remote_dir, &entry.name);
            listing.insert(entry.name.clone(), (size, mtime_ns));
            if let Some(record) = unmoved.get(&path) {
                self.move_done(ctx, spec, client, &entry.name, record, &mut report)
                    .await?;
                continue;
            }
            let key = entry.name.as_bytes().to_vec();
            let store = ctx.store.clone();
            let fid = folder_id.clone();
            let seen =
                tokio::task::spawn_blocking(move || store.ingest_seen(&fid, &key, size, mtime_ns))
                    .await
                    .map_err(|e| IngestError::Watch(e.to_string()))??;
            if seen.is_some() {
                continue;
            }
            if self.last.get(&entry.name) != Some(&(size, mtime_ns)) {
                report.waiting += 1;
                continue;
            }
            // Above the upload size limit with no bucket set up: left on the server, said in
            // words, tried again on the next polls (not a failure of the file).
            let large = match ctx.large.for_size(size) {
                None => None,
                Some(route) => match route.target {
                    Ok(target) => Some(target),
                    Err(why) => {
                        report.file_errors.push(no_bucket_words(
                            &entry.name,
                            size,
                            route.threshold_bytes,
                            &why,
                        ));
                        continue;
                    }
                },
            };
            // Stable over two listings: download (resuming a partial copy) and take.
            let partial = partial_path(&ctx.spool_dir, &folder_id, &path);
            std::fs::create_dir_all(&ctx.spool_dir)
                .map_err(|e| IngestError::io(&ctx.spool_dir, e))?;
            let have = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
            let offset = if have <= size { have } else { 0 };
            let mut out = tokio::fs::OpenOptions::new()
                .create(true)
                .append(offset > 0)
                .write(true)
                .truncate(offset == 0)
                .open(&partial)
                .await
                .map_err(|e| IngestError::io(&partial, e))?;
            let copied = match client.read_to_writer(&path, offset, &mut out).await {
                Ok(n) => n,
                Err(pd_connectors::ConnectorError::NotFound(_)) => {
                    // Deleted (or moved away) between the listing and the read: nothing to
                    // take, not a failure of the file.
                    drop(out);
                    let _ = std::fs::remove_file(&partial);
                    self.failures.remove(&entry.name);
                    listing.remove(&entry.name);
                    continue;
                }
                Err(e) => {
                    use tokio::io::AsyncWriteExt;
                    let _ = out.flush().await;
                    drop(out);
                    // A server that no longer answers is the connection's failure, not the file's.
                    if client.list(&spec.remote_dir).await.is_err() {
                        return Err(e.into());
                    }
                    let tries = {
                        let tries = self.failures.entry(entry.name.clone()).or_insert(0);
                        *tries += 1;
                        *tries
                    };
                    let why = e.to_string();
                    if tries >= FAIL_AFTER {
                        self.failures.remove(&entry.name);
                        let _ = std::fs::remove_file(&partial);
                        let file = FailedFile {
                            folder_id: folder_id.clone(),
                            folder_name: spec.defaults.folder_name.clone(),
                            path: path.clone(),
                            path_key: entry.name.as_bytes().to_vec(),
                            size,
                            mtime_ns,
                            reason: format!(
                                "{} could not be read after {FAIL_AFTER} tries: {why}",
                                display_name(&entry.name)
                            ),
                        };
                        fail_file(ctx, spec, client, &file, &why, &mut report).await?;
                    } else {
                        report.file_errors.push(format!(
                            "{} could not be read ({why}); trying again by itself ({tries} of {FAIL_AFTER})",
                            display_name(&entry.name)
                        ));
                    }
                    continue;
                }
            };
            self.failures.remove(&entry.name);
            {
                use tokio::io::AsyncWriteExt;
                out.flush()
                    .await
                    .map_err(|e| IngestError::io(&partial, e))?;
            }
            drop(out);
            report.downloaded_bytes += copied;
            let got = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
            if got != size {
                // Changed on the server while read: start over next poll.
                let _ = std::fs::remove_file(&partial);
                self.last.remove(&entry.name);
                continue;
            }
            let prepared = {
                let spool = ctx.spool_dir.clone();
                let partial = partial.clone();
                let name = entry.name.clone();
                let defaults = spec.defaults.clone();
                let uploaded_by = ctx.uploaded_by.clone();
                let path = path.clone();
                let large = large.clone();
                tokio::task::spawn_blocking(move || -> Result<Prepared, IngestError> {
                    let mut file =
                        std::fs::File::open(&partial).map_err(|e| IngestError::io(&partial, e))?;
                    let (sha256, size, head, kept, upload) = match &large {
                        None => {
                            let (sha256, size, head, kept) = spool_stream(&spool, &mut file)?;
                            (sha256, size, head, kept, None)
                        }
                        Some(target) => {
                            // Hashed in place and kept under its SHA-256 (no second copy); the
                            // upload queue reads it from there.
                            let (sha256, size, head) = hash_stream(&mut file)?;
                            drop(file);
                            let kept = spool.join(&sha256);
                            std::fs::rename(&partial, &kept)
                                .map_err(|e| IngestError::io(&kept, e))?;
                            let mtime_ns = std::fs::metadata(&kept)
                                .ok()
                                .and_then(|m| m.modified().ok())
                                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                                .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
                            let upload = upload_of(&kept, mtime_ns, target);
                            (sha256, size, head, kept, Some(upload))
                        }
                    };
                    let media_type = media_type(&head, &name);
                    Ok(Prepared {
                        file: IngestFile {
                            folder_id: defaults.folder_id.clone(),
                            folder_name: defaults.folder_name.clone(),
                            path,
                            path_key: name.as_bytes().to_vec(),
                            size,
                            mtime_ns,
                            sha256,
                            media_type,
                            document_name: display_name(&name),
                            spool_path: Some(kept.to_string_lossy().into_owned()),
                            uploaded_by,
                            remote: true,
                            upload,
                        },
                        head,
                        spool: kept,
                        file_name: name,
                    })
                })
                .await
                .map_err(|e| IngestError::Watch(e.to_string()))??
            };
            let store = ctx.store.clone();
            let router = ctx.router.clone();
            let defaults = spec.defaults.clone();
            let one = vec![prepared];
            let outcomes =
                tokio::task::spawn_blocking(move || commit(&store, &router, &defaults, &one))
                    .await
                    .map_err(|e| IngestError::Watch(e.to_string()))??;
            let _ = std::fs::remove_file(&partial);
            if large.is_some()
                && outcomes
                    .iter()
                    .any(|o| matches!(o, pd_store::IngestOutcome::Taken { .. }))
            {
                ctx.large.queued();
            }
            report.taken += 1;
            let record = RemoteFile {
                path: path.clone(),
                size,
                mtime_ns,
                state: RemoteState::Stored,
                ledger_id: None,
                error: None,
            };
            self.move_done(ctx, spec, client, &entry.name, &record, &mut report)
                .await?;
        }
        self.last = listing;
        Ok(report)
    }

    /// Moves a taken file to `processed/` and records it; a refusal is recorded with its reason.
    async fn move_done(
        &self,
        ctx: &IngestContext,
        spec: &SftpFolderSpec,
        client: &SftpClient,
        name: &str,
        record: &RemoteFile,
        report: &mut PollReport,
    ) -> Result<(), IngestError> {
        let processed = join(&spec.remote_dir, &spec.processed_dir);
        let dir = record
            .path
            .strip_suffix(name)
            .map_or(spec.remote_dir.as_str(), |d| d.trim_end_matches('/'));
        let dir = if dir.is_empty() { "." } else { dir };
        let mut result = client.move_listed(dir, name, &processed).await;
        if result.is_err() && ensure_dirs(client, &spec.remote_dir, &spec.processed_dir).await {
            // The folder was not there yet (a new setting): made, then moved.
            result = client.move_listed(dir, name, &processed).await;
        }
        let mut record = record.clone();
        match result {
            Ok(()) => {
                record.state = RemoteState::Moved;
                record.error = None;
                report.moved += 1;
            }
            Err(e) => {
                let words = format!(
                    "{name} was taken but could not be moved to {processed}: {e}; it will not be \
                     taken again, and the move is retried"
                );
                record.state = RemoteState::MoveFailed;
                record.error = Some(words.clone());
                report.move_errors.push(words);
            }
        }
        let store = ctx.store.clone();
        let fid = spec.defaults.folder_id.clone();
        tokio::task::spawn_blocking(move || {
            store.ingest_set_remote(&fid, &record, chrono::Utc::now())
        })
        .await
        .map_err(|e| IngestError::Watch(e.to_string()))??;
        Ok(())
    }
}

/// `<name>.reason.txt` for a failed file: one line, at most 255 bytes (a long name shortened).
fn reason_file_name(name: &str) -> String {
    const SUFFIX: &str = ".reason.txt";
    let mut stem = String::new();
    for c in display_name(name).chars() {
        if stem.len() + c.len_utf8() + SUFFIX.len() > 255 {
            break;
        }
        stem.push(c);
    }
    format!("{stem}{SUFFIX}")
}

/// Makes `sub` (one or more `/`-separated folders) inside `base` where missing; answers whether
/// any was made.
async fn ensure_dirs(client: &SftpClient, base: &str, sub: &str) -> bool {
    let mut dir = base.to_string();
    let mut made = false;
    for part in sub.split('/').filter(|p| !p.is_empty() && *p != ".") {
        dir = join(&dir, part);
        match client.list(&dir).await {
            Ok(_) => {}
            Err(_) => made |= client.ensure_dir(&dir).await.is_ok(),
        }
    }
    made
}

/// Gives up on a file: its ledger row `failed` first (so it is never tried again), then a
/// `<name>.reason.txt` in `failed/` and the file moved beside it; a refused move leaves the file
/// where it is, said in words.
async fn fail_file(
    ctx: &IngestContext,
    spec: &SftpFolderSpec,
    client: &SftpClient,
    file: &FailedFile,
    why: &str,
    report: &mut PollReport,
) -> Result<(), IngestError> {
    let store = ctx.store.clone();
    let record = file.clone();
    let now = chrono::Utc::now();
    tokio::task::spawn_blocking(move || store.ingest_record_failed(&record, now))
        .await
        .map_err(|e| IngestError::Watch(e.to_string()))??;
    report.failed += 1;
    let failed = join(&spec.remote_dir, &spec.failed_dir);
    let name = String::from_utf8_lossy(&file.path_key).into_owned();
    let text = format!(
        "PartnerDesk could not take this file.\n\nFile: {name}\nDrop folder: {} ({})\nWhen: {}\nWhy: {why}\nTried: {FAIL_AFTER} times, the server answering each time.\n\nPut the file back in {} to have it tried again.\n",
        spec.defaults.folder_name,
        spec.remote_dir,
        now.to_rfc3339(),
        spec.remote_dir,
    );
    let moved = async {
        ensure_dirs(client, &spec.remote_dir, &spec.failed_dir).await;
        client.ensure_dir(&failed).await?;
        let mut bytes = text.as_bytes();
        // The reason file's name is one line even when the partner's file name is not.
        let reason_name = reason_file_name(&name);
        if client
            .list(&failed)
            .await?
            .iter()
            .all(|e| e.name != reason_name)
        {
            client
                .write_from_reader(&failed, &reason_name, &mut bytes)
                .await?;
        }
        client.move_listed(&spec.remote_dir, &name, &failed).await
    }
    .await;
    match moved {
        Ok(()) => report.file_errors.push(format!(
            "{}; moved to {failed} with a reason file",
            file.reason
        )),
        Err(e) => report.file_errors.push(format!(
            "{}; it could not be moved to {failed} ({e}), so it stays where it is and is not tried again",
            file.reason
        )),
    }
    Ok(())
}

/// Polls an SFTP folder until this future is dropped (the supervisor's stop): connect, poll on
/// the interval, back off on failure (doubling to a minute), every state on the board in words.
pub async fn run_sftp(ctx: IngestContext, spec: SftpFolderSpec) {
    let id = spec.defaults.folder_id.clone();
    let mut poller = SftpPoller::default();
    let mut pause = spec.poll_interval;
    loop {
        match SftpClient::connect(&spec.settings, spec.secret.as_deref(), &spec.options).await {
            Ok(client) => loop {
                match poller.poll(&ctx, &spec, &client).await {
                    Ok(report) => {
                        pause = spec.poll_interval;
                        ctx.status.update(&id, |s| {
                            s.taken_now += report.taken;
                            s.waiting = report.waiting;
                            if let Some(error) =
                                report.move_errors.last().or(report.file_errors.last())
                            {
                                s.state = FolderState::Error;
                                s.reason = Some(error.clone());
                            } else {
                                s.state = FolderState::Polling;
                                s.reason = None;
                            }
                        });
                        tokio::time::sleep(spec.poll_interval).await;
                    }
                    Err(e) => {
                        ctx.status.set(
                            &id,
                            FolderState::Offline,
                            Some(format!("{e}; trying again by itself")),
                        );
                        break;
                    }
                }
            },
            Err(e) => {
                ctx.status.set(
                    &id,
                    FolderState::Offline,
                    Some(format!("{e}; trying again by itself")),
                );
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(60));
    }
}
