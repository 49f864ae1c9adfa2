//! Open and save a case's documents (issue 10): the bytes come from the case server
//! (`collab/v1`) or from the S3 bucket a connector reaches, with progress in the Transfers view,
//! checked against the size and SHA-256 the case records, into the workspace's document cache.
//! The cache is per workspace (`<workspace folder>/documents/`), bounded in size with the least
//! recently used documents evicted first, and what it holds stays available offline. "Open"
//! hands the cached file to the OS default application; "Save as" copies it where the analyst
//! chooses (through a temporary file, so a full disk leaves nothing half-written).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use pd_domain::{
    Document, DocumentFile, DocumentLocation, ErrorCode, Topic, TransferAction, TransferDirection,
    TransferState,
};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::state::{ActiveWorkspace, AppState};
use crate::transfers::{NewTransfer, TransferControl};
use crate::CommandResult;

/// The cache folder inside a workspace's folder.
pub const DOCUMENTS_DIR: &str = "documents";
/// How much the document cache keeps by default (2 GiB).
pub const DEFAULT_CACHE_LIMIT: u64 = 2 * 1024 * 1024 * 1024;
/// Environment variable that sets the cache's bound in bytes (tests, small disks).
pub const CACHE_LIMIT_ENV: &str = "PARTNERDESK_DOCUMENT_CACHE_BYTES";
/// How long a "Copy link" link to an S3 document stays valid.
pub const LINK_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// A workspace's downloaded documents: `<dir>/<entry>/<name>`, one entry per document, the
/// entry's file modification time marking its last use.
#[derive(Debug, Clone)]
pub struct DocumentCache {
    dir: PathBuf,
    limit: u64,
}

impl DocumentCache {
    /// The cache in `dir`, keeping at most `limit` bytes.
    pub fn new(dir: PathBuf, limit: u64) -> Self {
        Self { dir, limit }
    }

    /// The cache of a workspace whose files are in `folder` (bound from [`CACHE_LIMIT_ENV`]).
    pub fn of_workspace(folder: &Path) -> Self {
        let limit = std::env::var(CACHE_LIMIT_ENV)
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(DEFAULT_CACHE_LIMIT);
        Self::new(folder.join(DOCUMENTS_DIR), limit)
    }

    /// The cache's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry_dir(&self, document: &Document) -> PathBuf {
        let digest = Sha256::digest(format!("{}\n{}", document.case_id, document.id));
        let name: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        self.dir.join(name)
    }

    /// Where the document's file is (or will be) kept, under its own (made safe) name.
    pub fn path_of(&self, document: &Document) -> PathBuf {
        self.entry_dir(document).join(file_name_for(&document.name))
    }

    /// The kept file when it is there with the recorded size.
    pub fn cached(&self, document: &Document) -> Option<PathBuf> {
        let path = self.path_of(document);
        let meta = std::fs::metadata(&path).ok()?;
        (meta.is_file() && meta.len() == document.size).then_some(path)
    }

    /// Marks a kept file as just used.
    pub fn touch(path: &Path) {
        let now = SystemTime::now();
        if let Ok(file) = std::fs::File::options().read(true).open(path) {
            let _ = file.set_modified(now);
        }
    }

    /// Removes the least recently used documents until the cache is within its bound; `keep`
    /// (the one just used) stays. Also removes partial downloads left by a crash. Returns how
    /// many documents were removed.
    pub fn evict(&self, keep: Option<&Path>) -> std::io::Result<usize> {
        let mut entries = Vec::new();
        let Ok(read) = std::fs::read_dir(&self.dir) else {
            return Ok(0);
        };
        for entry in read.flatten() {
            let dir = entry.path();
            if !dir.is_dir() {
                continue;
            }
            let mut size = 0;
            let mut used = SystemTime::UNIX_EPOCH;
            let mut holds_keep = false;
            for file in std::fs::read_dir(&dir)?.flatten() {
                let path = file.path();
                let name = file.file_name();
                if name.to_string_lossy().ends_with(".part") && !is_recent(&path) {
                    let _ = std::fs::remove_file(&path);
                    continue;
                }
                if let Ok(meta) = file.metadata() {
                    size += meta.len();
                    used = used.max(meta.modified().unwrap_or(SystemTime::UNIX_EPOCH));
                }
                holds_keep |= keep == Some(path.as_path());
            }
            entries.push((used, size, dir, holds_keep));
        }
        let mut total: u64 = entries.iter().map(|(_, size, _, _)| size).sum();
        entries.sort_by_key(|(used, _, _, _)| *used);
        let mut removed = 0;
        for (_, size, dir, holds_keep) in entries {
            if total <= self.limit {
                break;
            }
            if holds_keep {
                continue;
            }
            make_writable(&dir);
            std::fs::remove_dir_all(&dir)?;
            total = total.saturating_sub(size);
            removed += 1;
        }
        Ok(removed)
    }
}

/// A partial download younger than this may still be written by a running download.
fn is_recent(path: &Path) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|at| at.elapsed().ok())
        .is_some_and(|age| age < Duration::from_secs(3600))
}

fn make_writable(dir: &Path) {
    if let Ok(read) = std::fs::read_dir(dir) {
        for file in read.flatten() {
            if let Ok(meta) = file.metadata() {
                let mut permissions = meta.permissions();
                #[allow(clippy::permissions_set_readonly_false)]
                permissions.set_readonly(false);
                let _ = std::fs::set_permissions(file.path(), permissions);
            }
        }
    }
}

/// A document's name as a file name on this computer: path separators, control and
/// bidirectional-override characters replaced, reserved Windows names and trailing dots or
/// spaces avoided, at most 200 bytes; never empty.
pub fn file_name_for(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' => '_',
            c => c,
        })
        .collect();
    while out.ends_with(['.', ' ']) {
        out.pop();
    }
    let trimmed = out.trim_start_matches(['.', ' ']).to_owned();
    let mut out = if trimmed.is_empty() {
        "document".to_owned()
    } else {
        trimmed
    };
    let stem = out
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    const RESERVED: [&str; 22] = [
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
        "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];
    if RESERVED.contains(&stem.as_str()) {
        out.insert(0, '_');
    }
    while out.len() > 200 {
        out.pop();
    }
    out
}

/// Hex SHA-256 of a file.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0_u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The document as the cache holds it.
pub(crate) async fn find_document(
    workspace: &ActiveWorkspace,
    case_id: &str,
    document_id: &str,
) -> Result<Document, AppError> {
    let store = workspace.store.clone();
    let (case_id, document_id) = (case_id.to_owned(), document_id.to_owned());
    let detail =
        tokio::task::spawn_blocking(move || store.case_detail(&case_id, chrono::Utc::now()))
            .await??;
    detail
        .documents
        .into_iter()
        .map(|d| d.document)
        .find(|d| d.id == document_id)
        .ok_or_else(|| {
            AppError::reported(
                ErrorCode::StoreNotFound,
                "That document is no longer on the case.",
            )
        })
}

/// Cancels a running transfer by aborting its task (the caller removes what it left).
#[derive(Default)]
pub(crate) struct AbortControl {
    task: Mutex<Option<tokio::task::AbortHandle>>,
    cancelled: AtomicBool,
}

impl AbortControl {
    /// The task to abort on "Cancel".
    pub(crate) fn set(&self, task: tokio::task::AbortHandle) {
        *self.task.lock().unwrap_or_else(PoisonError::into_inner) = Some(task);
    }

    /// Whether the analyst cancelled it.
    pub(crate) fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}

impl TransferControl for AbortControl {
    fn act(&self, action: TransferAction) -> Result<(), AppError> {
        match action {
            TransferAction::Cancel => {
                self.cancelled.store(true, Ordering::SeqCst);
                if let Some(task) = self
                    .task
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take()
                {
                    task.abort();
                }
                Ok(())
            }
            TransferAction::Retry => Err(AppError::reported(
                ErrorCode::InputInvalid,
                "Do it again to start it again (open or save the document, or share the package).",
            )),
            TransferAction::Pause | TransferAction::Resume => Err(AppError::reported(
                ErrorCode::InputInvalid,
                "This transfer cannot be paused; cancel it and start it again later.",
            )),
        }
    }
}

/// The document's file on this computer: from the cache when it is there and intact,
/// otherwise downloaded (shown in the Transfers view) and checked.
pub async fn local_copy(
    state: &AppState,
    workspace: &ActiveWorkspace,
    document: &Document,
) -> Result<PathBuf, AppError> {
    local_copy_with(
        &state.transfers,
        &state.changes,
        workspace,
        document,
        source_of(state, workspace, document),
    )
    .await
}

/// [`local_copy`] for a background job, which holds no app state: the transfers list and
/// change reporter it reports to, and where the bytes come from (awaited only when the cache
/// does not hold them).
pub(crate) async fn local_copy_with(
    transfers: &crate::transfers::Transfers,
    changes: &crate::events::ChangeReporter,
    workspace: &ActiveWorkspace,
    document: &Document,
    source: impl std::future::Future<Output = Result<Source, AppError>>,
) -> Result<PathBuf, AppError> {
    let cache = DocumentCache::of_workspace(&workspace.folder);
    if let Some(path) = cache.cached(document) {
        let expected = document.sha256.clone();
        let check = path.clone();
        let intact = tokio::task::spawn_blocking(move || {
            file_sha256(&check).is_ok_and(|digest| digest.eq_ignore_ascii_case(&expected))
        })
        .await?;
        if intact {
            DocumentCache::touch(&path);
            return Ok(path);
        }
        tracing::warn!(document = %document.id, "kept copy no longer matches its SHA-256; downloading it again");
        make_writable(path.parent().unwrap_or(cache.dir()));
        let _ = std::fs::remove_file(&path);
    }
    let path = cache.path_of(document);
    if let Some(parent) = path.parent() {
        crate::create_private_dir(parent)?;
    }
    let id = format!("download:{}", document.id);
    let control = Arc::new(AbortControl::default());
    transfers.begin(
        NewTransfer {
            id: id.clone(),
            direction: TransferDirection::Download,
            name: document.name.clone(),
            case_id: document.case_id.clone(),
            total_bytes: document.size,
        },
        Some(control.clone()),
    );
    let source = source.await;
    let task = {
        let (transfers, id, document, path) = (
            transfers.clone(),
            id.clone(),
            document.clone(),
            path.clone(),
        );
        tokio::spawn(async move {
            let source = source?;
            let progress = move |bytes: u64| transfers.progress(&id, bytes);
            source.download(&document, &path, &progress).await
        })
    };
    control.set(task.abort_handle());
    let outcome = match task.await {
        Ok(outcome) => outcome,
        Err(_) if control.cancelled() => {
            remove_partials(path.parent());
            transfers.finish(&id, TransferState::Cancelled, None);
            return Err(AppError::reported(
                ErrorCode::InputInvalid,
                format!("The download of {} was cancelled.", document.name),
            ));
        }
        Err(error) => Err(AppError::from(error)),
    };
    match outcome {
        Ok(()) => {
            transfers.finish(&id, TransferState::Done, None);
            set_read_only(&path);
            DocumentCache::touch(&path);
            let evicted = {
                let (cache, keep) = (cache.clone(), path.clone());
                tokio::task::spawn_blocking(move || cache.evict(Some(&keep))).await?
            };
            if let Err(error) = evicted {
                tracing::warn!(%error, "document cache eviction failed");
            }
            changes.report(&[Topic::Documents]);
            Ok(path)
        }
        Err(error) => {
            remove_partials(path.parent());
            let error = offline_words(error, document);
            transfers.finish(&id, TransferState::Failed, Some(error.to_info()));
            Err(error)
        }
    }
}

fn remove_partials(dir: Option<&Path>) {
    let Some(dir) = dir else { return };
    if let Ok(read) = std::fs::read_dir(dir) {
        for file in read.flatten() {
            if file.file_name().to_string_lossy().ends_with(".part") {
                let _ = std::fs::remove_file(file.path());
            }
        }
    }
}

fn set_read_only(path: &Path) {
    if let Ok(meta) = std::fs::metadata(path) {
        let mut permissions = meta.permissions();
        permissions.set_readonly(true);
        let _ = std::fs::set_permissions(path, permissions);
    }
}

/// A network failure while the document is not kept here reads as "not available offline".
fn offline_words(error: AppError, document: &Document) -> AppError {
    let offline = matches!(
        error.code(),
        ErrorCode::NetOffline
            | ErrorCode::NetRefused
            | ErrorCode::NetDns
            | ErrorCode::NetUnreachable
            | ErrorCode::NetTimeout
    );
    if offline {
        return AppError::reported(
            ErrorCode::DocumentOffline,
            format!(
                "{} has not been downloaded to this computer yet, and the server can't be reached ({}). Try again when the connection returns.",
                document.name,
                error.to_info().message
            ),
        );
    }
    error
}

/// Where a document's bytes come from.
pub(crate) enum Source {
    Collab(pd_tradinggrid::TradingGridClient),
    S3(Box<pd_connectors::S3Client>, String),
}

impl Source {
    async fn download(
        &self,
        document: &Document,
        dest: &Path,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<(), AppError> {
        match self {
            Source::Collab(client) => {
                client
                    .download_document_with_progress(
                        &document.case_id,
                        &document.id,
                        dest,
                        progress,
                    )
                    .await?;
                Ok(())
            }
            Source::S3(client, key) => client
                .download_object(
                    key,
                    dest,
                    &pd_connectors::ExpectedObject {
                        size: document.size,
                        sha256: document.sha256.clone(),
                    },
                    progress,
                )
                .await
                .map_err(connector_error),
        }
    }
}

/// A connector's failure as the analyst reads it.
pub fn connector_error(error: pd_connectors::ConnectorError) -> AppError {
    AppError::reported(error.code(), error.to_string())
}

async fn source_of(
    state: &AppState,
    workspace: &ActiveWorkspace,
    document: &Document,
) -> Result<Source, AppError> {
    match &document.location {
        DocumentLocation::Collab => workspace
            .cases_client
            .clone()
            .map(Source::Collab)
            .ok_or_else(|| {
                AppError::reported(
                    ErrorCode::DocumentOffline,
                    format!(
                        "{} is on the case server, which this workspace cannot reach now.",
                        document.name
                    ),
                )
            }),
        DocumentLocation::S3 { bucket, key } => Ok(Source::S3(
            Box::new(s3_client_for(state, bucket).await?),
            key.clone(),
        )),
    }
}

/// [`source_of`] from settings a background job read (the settings file) and the keychain.
pub(crate) async fn source_in(
    workspace: &ActiveWorkspace,
    settings: &pd_settings::Settings,
    keychain: &crate::keychain::Keychain,
    document: &Document,
) -> Result<Source, AppError> {
    match &document.location {
        DocumentLocation::Collab => workspace
            .cases_client
            .clone()
            .map(Source::Collab)
            .ok_or_else(|| {
                AppError::reported(
                    ErrorCode::DocumentOffline,
                    format!(
                        "{} is on the case server, which this workspace cannot reach now.",
                        document.name
                    ),
                )
            }),
        DocumentLocation::S3 { bucket, key } => {
            let connector = settings
                .connectors
                .iter()
                .find(|c| matches!(&c.settings, pd_domain::ConnectorSettings::S3(s3) if s3.bucket.trim() == bucket))
                .ok_or_else(|| {
                    AppError::reported(
                        ErrorCode::DocumentNoConnector,
                        format!(
                            "The document is in S3 bucket \"{bucket}\", which no connector in Settings reaches. Add an S3 connector for that bucket."
                        ),
                    )
                })?;
            let pd_domain::ConnectorSettings::S3(s3) = &connector.settings else {
                return Err(AppError::internal("connector kind changed"));
            };
            let secret = keychain
                .get(connector.id, pd_settings::CONNECTOR_SECRET)
                .await?;
            let client = pd_connectors::S3Client::new(
                s3,
                secret.as_ref().map(|s| s.expose_secret()),
                &pd_connectors::ConnectorOptions::default(),
            )
            .map_err(connector_error)?;
            Ok(Source::S3(Box::new(client), key.clone()))
        }
    }
}

/// The S3 client of the connector whose bucket is `bucket`.
pub async fn s3_client_for(
    state: &AppState,
    bucket: &str,
) -> Result<pd_connectors::S3Client, AppError> {
    let connector = state
        .settings()
        .await
        .connectors
        .iter()
        .find(|c| matches!(&c.settings, pd_domain::ConnectorSettings::S3(s3) if s3.bucket.trim() == bucket))
        .cloned()
        .ok_or_else(|| {
            AppError::reported(
                ErrorCode::DocumentNoConnector,
                format!(
                    "The document is in S3 bucket \"{bucket}\", which no connector in Settings reaches. Add an S3 connector for that bucket."
                ),
            )
        })?;
    let pd_domain::ConnectorSettings::S3(settings) = &connector.settings else {
        return Err(AppError::internal("connector kind changed"));
    };
    let secret = state
        .keychain
        .get(connector.id, pd_settings::CONNECTOR_SECRET)
        .await?;
    pd_connectors::S3Client::new(
        settings,
        secret.as_ref().map(|s| s.expose_secret()),
        &pd_connectors::ConnectorOptions::default(),
    )
    .map_err(connector_error)
}

/// The S3 client of connector `id`, or of the only S3 connector when `id` is `None`; answers the
/// bucket too.
pub async fn s3_client_for_connector(
    state: &AppState,
    id: Option<&str>,
) -> Result<(pd_connectors::S3Client, String), AppError> {
    let connectors: Vec<_> = state
        .settings()
        .await
        .connectors
        .iter()
        .filter(|c| matches!(c.settings, pd_domain::ConnectorSettings::S3(_)))
        .filter(|c| id.is_none_or(|id| c.id.to_string() == id))
        .cloned()
        .collect();
    let connector =
        match (connectors.as_slice(), id) {
            ([one], _) => one.clone(),
            ([], Some(_)) => {
                return Err(AppError::reported(
                    ErrorCode::SettingsNotFound,
                    "That S3 connector no longer exists.",
                ))
            }
            ([], None) => {
                return Err(AppError::reported(
                    ErrorCode::DocumentNoConnector,
                    "No S3 connector is set up: add one in Settings to share case packages.",
                ))
            }
            (_, _) => return Err(AppError::reported(
                ErrorCode::InputInvalid,
                "Several S3 connectors are set up: choose the one to share the package through.",
            )),
        };
    let pd_domain::ConnectorSettings::S3(settings) = &connector.settings else {
        return Err(AppError::internal("connector kind changed"));
    };
    let secret = state
        .keychain
        .get(connector.id, pd_settings::CONNECTOR_SECRET)
        .await?;
    let client = pd_connectors::S3Client::new(
        settings,
        secret.as_ref().map(|s| s.expose_secret()),
        &pd_connectors::ConnectorOptions::default(),
    )
    .map_err(connector_error)?;
    Ok((client, settings.bucket.trim().to_owned()))
}

/// Opens a document with the OS default application (downloading it first if needed).
pub async fn open_document(
    state: &AppState,
    case_id: String,
    document_id: String,
) -> CommandResult<DocumentFile> {
    let desktop = state.desktop.get()?;
    let workspace = state.current();
    let document = find_document(&workspace, &case_id, &document_id).await?;
    let path = local_copy(state, &workspace, &document).await?;
    let opened = path.clone();
    tokio::task::spawn_blocking(move || desktop.open_path(&opened))
        .await?
        .map_err(|detail| {
            AppError::reported(
                ErrorCode::DesktopUnavailable,
                format!(
                    "{} was downloaded, but no application could open it ({detail}). Use Save as to keep it somewhere.",
                    document.name
                ),
            )
        })?;
    tracing::info!(document = %document.id, "document opened");
    Ok(DocumentFile {
        document_id,
        path: path.display().to_string(),
    })
}

/// Saves a copy of a document where the analyst chooses; `None` when the dialog was cancelled.
pub async fn save_document_as(
    state: &AppState,
    case_id: String,
    document_id: String,
) -> CommandResult<Option<DocumentFile>> {
    let desktop = state.desktop.get()?;
    let workspace = state.current();
    let document = find_document(&workspace, &case_id, &document_id).await?;
    let source = local_copy(state, &workspace, &document).await?;
    let suggested = file_name_for(&document.name);
    let Some(dest) =
        tokio::task::spawn_blocking(move || desktop.choose_save_path(&suggested)).await?
    else {
        return Ok(None);
    };
    let target = dest.clone();
    tokio::task::spawn_blocking(move || copy_through_temp(&source, &target))
        .await?
        .map_err(|error| save_error(&dest, &error))?;
    Ok(Some(DocumentFile {
        document_id,
        path: dest.display().to_string(),
    }))
}

/// Copies `source` to `dest` through a temporary file beside it: `dest` appears complete or not
/// at all (a full disk removes the temporary file).
pub fn copy_through_temp(source: &Path, dest: &Path) -> std::io::Result<()> {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "document".to_owned());
    let temp = dest.with_file_name(format!(".{name}.{}.part", std::process::id()));
    let outcome = (|| {
        std::fs::copy(source, &temp)?;
        let mut permissions = std::fs::metadata(&temp)?.permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        permissions.set_readonly(false);
        std::fs::set_permissions(&temp, permissions)?;
        std::fs::File::open(&temp)?.sync_all()?;
        std::fs::rename(&temp, dest)
    })();
    if outcome.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    outcome
}

fn save_error(dest: &Path, error: &std::io::Error) -> AppError {
    if error.kind() == std::io::ErrorKind::StorageFull {
        return AppError::reported(
            ErrorCode::IoDiskFull,
            format!(
                "The disk is full: {} could not be saved. Free some space and try again; nothing half-written was kept.",
                dest.display()
            ),
        );
    }
    AppError::reported(
        ErrorCode::IoFile,
        format!("{} could not be saved: {error}.", dest.display()),
    )
}

/// A link a partner can download an S3 document with (valid 7 days; the bucket stays private).
pub async fn document_link(
    state: &AppState,
    case_id: String,
    document_id: String,
) -> CommandResult<String> {
    let workspace = state.current();
    let document = find_document(&workspace, &case_id, &document_id).await?;
    match &document.location {
        DocumentLocation::S3 { bucket, key } => s3_client_for(state, bucket)
            .await?
            .presigned_get_url(key, LINK_LIFETIME)
            .map_err(connector_error),
        DocumentLocation::Collab => Err(AppError::reported(
            ErrorCode::InputInvalid,
            format!(
                "{} is kept on the case server: partners see it on the case, so it has no separate link.",
                document.name
            ),
        )),
    }
}

/// The ids of a case's documents kept on this computer (available offline).
pub async fn offline_documents(state: &AppState, case_id: String) -> CommandResult<Vec<String>> {
    let workspace = state.current();
    let store = workspace.store.clone();
    let cache = DocumentCache::of_workspace(&workspace.folder);
    Ok(tokio::task::spawn_blocking(move || {
        store
            .case_detail(&case_id, chrono::Utc::now())
            .map(|detail| {
                detail
                    .documents
                    .iter()
                    .map(|d| &d.document)
                    .filter(|d| cache.cached(d).is_some())
                    .map(|d| d.id.clone())
                    .collect()
            })
    })
    .await??)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn document(id: &str, size: u64) -> Document {
        Document {
            id: id.to_owned(),
            case_id: "case-1".to_owned(),
            name: format!("{id}.pdf"),
            size,
            sha256: String::new(),
            media_type: "application/pdf".to_owned(),
            location: DocumentLocation::Collab,
            uploaded_by: "me".to_owned(),
            uploaded_at: chrono::Utc::now(),
        }
    }

    fn keep(cache: &DocumentCache, document: &Document, age_seconds: u64) -> PathBuf {
        let path = cache.path_of(document);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, vec![7_u8; usize::try_from(document.size).unwrap()]).unwrap();
        let when = SystemTime::now() - Duration::from_secs(age_seconds);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(when)
            .unwrap();
        set_read_only(&path);
        path
    }

    #[test]
    fn the_least_recently_used_documents_leave_first_and_the_one_in_use_stays() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DocumentCache::new(dir.path().join("documents"), 250);
        let (a, b, c) = (document("a", 100), document("b", 100), document("c", 100));
        keep(&cache, &a, 300);
        let b_path = keep(&cache, &b, 200);
        let c_path = keep(&cache, &c, 100);
        // "a" is opened again: now the most recent.
        DocumentCache::touch(&cache.path_of(&a));
        assert_eq!(cache.evict(Some(&c_path)).unwrap(), 1);
        assert!(cache.cached(&a).is_some(), "recently used stays");
        assert!(cache.cached(&b).is_none(), "least recently used left");
        assert!(cache.cached(&c).is_some());
        assert!(!b_path.exists());
        // A bound smaller than the document in use keeps that one all the same.
        let tiny = DocumentCache::new(dir.path().join("documents"), 10);
        tiny.evict(Some(&c_path)).unwrap();
        assert!(tiny.cached(&c).is_some());
        assert!(tiny.cached(&a).is_none());
    }

    #[test]
    fn a_kept_file_is_recognised_only_with_the_recorded_size() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DocumentCache::new(dir.path().to_owned(), 1 << 20);
        let d = document("d", 10);
        assert!(cache.cached(&d).is_none());
        keep(&cache, &d, 0);
        assert!(cache.cached(&d).is_some());
        assert!(cache.cached(&document("d", 11)).is_none());
    }

    #[test]
    fn names_become_safe_file_names() {
        assert_eq!(file_name_for("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(file_name_for("in\u{202E}fdp.exe"), "in_fdp.exe");
        assert_eq!(file_name_for("a\nb\tc.txt"), "a_b_c.txt");
        assert_eq!(file_name_for("CON.txt"), "_CON.txt");
        assert_eq!(file_name_for("report. "), "report");
        assert_eq!(file_name_for(""), "document");
        assert_eq!(file_name_for("C:\\x\\y.pdf"), "C__x_y.pdf");
        assert!(file_name_for(&"x".repeat(500)).len() <= 200);
    }
}
