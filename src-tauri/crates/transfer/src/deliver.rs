//! Delivering a case's document to a partner's SFTP inbox (issue 11, point 6), one queued
//! delivery (`pd-store` `deliveries`) at a time, so that the partner never sees half a file and
//! the case records it once:
//!
//! 1. the final name is chosen and stored before the first byte: the document's name, or
//!    `name (2).ext`, `name (3).ext` ... when the partner already has a file of that name (a
//!    partner's file is never overwritten);
//! 2. the bytes are written to `<inbox>/.<name>.<delivery id>.part` (a dot-name ending in
//!    `.part`, which pickups skip), hashed on the way; a stale one from a crashed run is removed
//!    first, and a write that fails or is cancelled removes its temporary file;
//! 3. only bytes whose size and SHA-256 are the document's are renamed to the final name (the
//!    server's rename never replaces an existing file);
//! 4. then one store transaction marks the delivery sent and records it on the case.
//!
//! A run after a crash between 3 and 4 finds the stored final name on the server with the
//! document's size and SHA-256 (read back) and only records it: no second copy, no second
//! record. Pause points let the crash tests stop a run anywhere (`pd-deliver-once`).

use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use pd_connectors::{ConnectorError, ConnectorOptions, SftpClient};
use pd_domain::{DeliveryState, SftpSettings};
use pd_store::{DeliveryRecord, Store};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::{Result, TransferError};
use crate::upload::Progress;

/// Where the crash tests stop a delivery (`pd-deliver-once`, `PD_DELIVER_PAUSE_AT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliverPoint {
    /// Signed in to the server; nothing looked at yet.
    Connected,
    /// The final name is chosen and stored; nothing written.
    Named,
    /// At least half of the bytes are in the temporary file.
    HalfWritten,
    /// The temporary file is complete and checked; not renamed yet.
    Written,
    /// Renamed to the final name; not recorded on the case yet.
    Renamed,
    /// Recorded on the case.
    Recorded,
}

impl DeliverPoint {
    /// Its name: `connected`, `named`, `half_written`, `written`, `renamed`, `recorded`.
    pub fn name(&self) -> &'static str {
        match self {
            DeliverPoint::Connected => "connected",
            DeliverPoint::Named => "named",
            DeliverPoint::HalfWritten => "half_written",
            DeliverPoint::Written => "written",
            DeliverPoint::Renamed => "renamed",
            DeliverPoint::Recorded => "recorded",
        }
    }
}

/// Called at each [`DeliverPoint`] (tests stop the process there).
pub type DeliverHook = Arc<dyn Fn(DeliverPoint) + Send + Sync>;

/// How a delivery run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// Written, renamed and recorded by this run.
    Sent,
    /// Found complete under its final name (a run before crashed after the rename): recorded
    /// now, not written again.
    Recovered,
    /// It was sent before; nothing done.
    AlreadySent,
    /// The analyst cancelled it (its temporary file removed).
    Cancelled,
}

/// How many `name (n).ext` are tried before refusing.
const MAX_NAME_TRIES: u32 = 99;

/// Delivers queued documents to one SFTP connector's server.
pub struct Deliverer {
    store: Store,
    settings: SftpSettings,
    secret: Option<String>,
    options: ConnectorOptions,
    hook: Option<DeliverHook>,
}

impl Deliverer {
    /// A deliverer through the SFTP connector `settings` (`secret`: its password or key
    /// passphrase).
    pub fn new(store: Store, settings: SftpSettings, secret: Option<String>) -> Self {
        Self {
            store,
            settings,
            secret,
            options: ConnectorOptions::default(),
            hook: None,
        }
    }

    /// Uses these connection options (timeouts).
    pub fn with_options(mut self, options: ConnectorOptions) -> Self {
        self.options = options;
        self
    }

    /// Calls `hook` at each [`DeliverPoint`].
    pub fn with_hook(mut self, hook: DeliverHook) -> Self {
        self.hook = Some(hook);
        self
    }

    fn at(&self, point: DeliverPoint) {
        if let Some(hook) = &self.hook {
            hook(point);
        }
    }

    fn record(&self, id: &str) -> Result<DeliveryRecord> {
        self.store
            .delivery(id)?
            .ok_or_else(|| TransferError::NotFound(id.to_owned()))
    }

    /// Delivers `id` with the document's bytes read from `bytes` (a local copy checked
    /// against the document's SHA-256 on the way). `cancel` set while it runs stops it and
    /// removes the temporary file; `progress` hears the bytes written so far.
    pub async fn run(
        &self,
        id: &str,
        bytes: &Path,
        cancel: &Arc<AtomicBool>,
        progress: &Progress,
    ) -> Result<Delivered> {
        let record = self.record(id)?;
        match record.state {
            DeliveryState::Sent => return Ok(Delivered::AlreadySent),
            DeliveryState::Cancelled => return Ok(Delivered::Cancelled),
            DeliveryState::Queued | DeliveryState::Failed => {}
        }
        let client =
            SftpClient::connect(&self.settings, self.secret.as_deref(), &self.options).await?;
        let outcome = self.deliver(&client, record, bytes, cancel, progress).await;
        client.close().await;
        outcome
    }

    async fn deliver(
        &self,
        client: &SftpClient,
        mut record: DeliveryRecord,
        bytes: &Path,
        cancel: &Arc<AtomicBool>,
        progress: &Progress,
    ) -> Result<Delivered> {
        self.at(DeliverPoint::Connected);
        let inbox = record.delivery.inbox.clone();
        // A run before may have renamed it already: the stored name with the document's bytes.
        if let Some(name) = record.remote_name.clone() {
            let target = join(&inbox, &name);
            if let Some(size) = client.file_size(&target).await? {
                if size == record.delivery.size
                    && remote_sha256(client, &target).await? == record.delivery.sha256
                {
                    self.finish(&record, &name)?;
                    return Ok(Delivered::Recovered);
                }
                // Another file took that name meanwhile: choose again, never overwrite it.
                record.remote_name = None;
            }
        }
        let name = match record.remote_name.clone() {
            Some(name) => name,
            None => {
                let name = free_name(client, &inbox, &record.delivery.document_name).await?;
                self.store
                    .set_delivery_name(&record.delivery.id, &name, chrono::Utc::now())?;
                record.remote_name = Some(name.clone());
                name
            }
        };
        self.at(DeliverPoint::Named);
        let temporary = join(
            &inbox,
            &record
                .temporary_name()
                .ok_or_else(|| TransferError::State("no final name".into()))?,
        );
        if client.file_size(&temporary).await?.is_some() {
            client.remove(&temporary).await?;
        }
        let file = tokio::fs::File::open(bytes).await.map_err(|error| {
            TransferError::Local(format!(
                "The copy of {} on this computer could not be read ({error}).",
                record.delivery.document_name
            ))
        })?;
        let mut reader = Watched {
            inner: file,
            hasher: Sha256::new(),
            done: 0,
            half: record.delivery.size / 2,
            half_told: false,
            cancel: cancel.clone(),
            progress: progress.clone(),
            hook: self.hook.clone(),
        };
        let written = client.write_new(&temporary, &mut reader).await;
        let written = match written {
            Ok(written) => written,
            Err(error) => {
                let _ = client.remove(&temporary).await;
                if cancel.load(Ordering::SeqCst) {
                    return Ok(Delivered::Cancelled);
                }
                return Err(error.into());
            }
        };
        let digest = crate::hex(&reader.hasher.finalize());
        if written != record.delivery.size || digest != record.delivery.sha256 {
            let _ = client.remove(&temporary).await;
            return Err(TransferError::Changed {
                name: record.delivery.document_name.clone(),
                detail: format!(
                    "the copy here has {written} bytes and SHA-256 {digest}, the case's document {} bytes and {}",
                    record.delivery.size, record.delivery.sha256
                ),
            });
        }
        if cancel.load(Ordering::SeqCst) {
            let _ = client.remove(&temporary).await;
            return Ok(Delivered::Cancelled);
        }
        self.at(DeliverPoint::Written);
        // The partner may have put a file of that name there while this one was written.
        let mut name = name;
        if client.file_size(&join(&inbox, &name)).await?.is_some() {
            name = free_name(client, &inbox, &record.delivery.document_name).await?;
            self.store
                .set_delivery_name(&record.delivery.id, &name, chrono::Utc::now())?;
        }
        if let Err(error) = client.rename(&temporary, &join(&inbox, &name)).await {
            let _ = client.remove(&temporary).await;
            return Err(error.into());
        }
        self.at(DeliverPoint::Renamed);
        self.finish(&record, &name)?;
        self.at(DeliverPoint::Recorded);
        Ok(Delivered::Sent)
    }

    fn finish(&self, record: &DeliveryRecord, name: &str) -> Result<()> {
        let now = chrono::Utc::now();
        let body = sent_words(
            &record.delivery.connector_name,
            &join(&record.delivery.inbox, name),
            now,
        );
        self.store
            .finish_delivery(&record.delivery.id, &record.delivery.queued_by, &body, now)?;
        Ok(())
    }

    /// Removes a cancelled delivery's temporary file from the server, if it is there.
    pub async fn remove_temporary(&self, id: &str) -> Result<()> {
        let record = self.record(id)?;
        let Some(temporary) = record.temporary_name() else {
            return Ok(());
        };
        let client =
            SftpClient::connect(&self.settings, self.secret.as_deref(), &self.options).await?;
        let path = join(&record.delivery.inbox, &temporary);
        let outcome = match client.file_size(&path).await {
            Ok(Some(_)) => client.remove(&path).await.map_err(TransferError::from),
            Ok(None) => Ok(()),
            Err(error) => Err(error.into()),
        };
        client.close().await;
        outcome
    }
}

/// What the case records: "Sent to <connector> <inbox>/<name> at <time>".
pub fn sent_words(connector: &str, path: &str, at: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "Sent to {connector} {path} at {}",
        at.format("%Y-%m-%d %H:%M UTC")
    )
}

/// `dir/name`, with one slash.
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir == "." {
        name.to_owned()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// `name (n).ext` (the number before the last extension; `name (n)` without one).
pub fn numbered(name: &str, n: u32) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem} ({n}).{ext}"),
        _ => format!("{name} ({n})"),
    }
}

/// The first of `name`, `name (2).ext`, ... that no file in `inbox` has.
async fn free_name(client: &SftpClient, inbox: &str, name: &str) -> Result<String> {
    let name = crate::sanitize_name(name);
    for n in 1..=MAX_NAME_TRIES {
        let candidate = if n == 1 {
            name.clone()
        } else {
            numbered(&name, n)
        };
        if client.file_size(&join(inbox, &candidate)).await?.is_none() {
            return Ok(candidate);
        }
    }
    Err(TransferError::S3(ConnectorError::Conflict(format!(
        "The partner's inbox {inbox} already has {name} and {MAX_NAME_TRIES} numbered copies of it; PartnerDesk does not overwrite a partner's file. Ask the partner to clear the inbox, then retry."
    ))))
}

/// The SHA-256 of a remote file, read back.
async fn remote_sha256(client: &SftpClient, path: &str) -> Result<String> {
    let mut sink = HashSink(Sha256::new());
    client.read_to_writer(path, 0, &mut sink).await?;
    Ok(crate::hex(&sink.0.finalize()))
}

/// Hashes what is written to it.
struct HashSink(Sha256);

impl AsyncWrite for HashSink {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.0.update(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The local copy as it is sent: hashed, counted for progress, stopped by a cancel.
struct Watched<R> {
    inner: R,
    hasher: Sha256,
    done: u64,
    half: u64,
    half_told: bool,
    cancel: Arc<AtomicBool>,
    progress: Progress,
    hook: Option<DeliverHook>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Watched<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.cancel.load(Ordering::SeqCst) {
            return Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                "cancelled",
            )));
        }
        if self.done >= self.half && self.half > 0 && !self.half_told {
            self.half_told = true;
            if let Some(hook) = &self.hook {
                hook(DeliverPoint::HalfWritten);
            }
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let read = buf.filled()[before..].to_vec();
            if !read.is_empty() {
                self.hasher.update(&read);
                self.done += read.len() as u64;
                let done = self.done;
                (self.progress)(done);
            }
        }
        polled
    }
}
