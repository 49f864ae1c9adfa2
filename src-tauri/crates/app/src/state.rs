//! What every command reaches (the shell keeps it in `tauri::State`): the open workspace (its cache, its sync and,
//! for the built-in demo, its sandbox), the settings, the keychain and the change reporter. The
//! open workspace can be swapped at run time (`switch_account`); commands take a snapshot of it,
//! so a switch never pulls a cache out from under a running command.

use pd_domain::ErrorCode;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use partnerdesk_sandbox::SandboxHandle;
use pd_domain::{
    AccountHealth, CacheRecoveredNotice, Connectivity, ErrorInfo, NewerFileNotice, Notice,
    ServiceProbe, SyncStatus,
};
use pd_settings::{
    Account, Settings, CASE_SERVER_CLIENT_ID_SECRET, CASE_SERVER_CLIENT_SECRET_SECRET,
    CONSUMER_KEY_SECRET, CONSUMER_SECRET_SECRET,
};
use pd_store::{CacheLock, Store};
use pd_sync::SyncPeers;
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::error::AppError;
use crate::events::{ChangeReporter, Topic};
use crate::keychain::Keychain;
use crate::supervisor::{JobId, Supervisor};
use crate::sync::SyncControl;
use crate::workspace::{self, Credentials, WorkspaceInfo};
use crate::CACHE_FILE;

/// The settings file inside the config dir.
pub const SETTINGS_FILE: &str = "settings.json";

/// Where the app keeps its files and secrets; the shell fills it from the environment,
/// tests from temp dirs.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// Caches, logs, the demo sandbox's data.
    pub data_dir: PathBuf,
    /// `settings.json`.
    pub config_dir: PathBuf,
    /// Keychain service namespace.
    pub keychain_namespace: String,
}

/// The workspace open now.
pub struct ActiveWorkspace {
    /// Its SQLite cache (cheap to clone; clones share connections).
    pub store: Store,
    /// Shown in the UI.
    pub info: WorkspaceInfo,
    /// The running sync; `None` when it cannot run (no keychain, no stored secret).
    sync: Option<SyncControl>,
    /// Why no sync runs, as the status bar shows it.
    blocked: Option<ErrorInfo>,
    /// The built-in demo server, stopped when the workspace closes.
    sandbox: Mutex<Option<SandboxHandle>>,
    /// The check of what the account's hosts serve, stopped if still running at close.
    probe: Option<(Supervisor, JobId)>,
    /// The SLA and escalation watcher (none for a cache held back), stopped at close.
    watcher: Option<(Supervisor, JobId)>,
    /// Set when the workspace's cache comes from a newer PartnerDesk: the file is left alone,
    /// an empty stand-in (deleted with this) is shown, and no change may be made in it.
    held_back: Option<HeldBack>,
    /// The case server's client (document downloads for retention archives); `None` without one.
    pub(crate) cases_client: Option<pd_tradinggrid::TradingGridClient>,
    /// The cache's lock file, held while the workspace is open (a `partnerdesk-push` run keeps
    /// off the cache meanwhile); released when it closes.
    lock: std::sync::Mutex<Option<CacheLock>>,
    /// The connectors job (imports, listener, connector push), stopped at close.
    pub(crate) connectors: std::sync::Mutex<Option<(Supervisor, JobId)>>,
    /// Wakes the connectors job early.
    pub(crate) connectors_wake: Arc<tokio::sync::Notify>,
    /// The workspace's folder (its cache file, its document cache).
    pub folder: PathBuf,
}

/// A cache left untouched because a newer PartnerDesk wrote it, and the stand-in shown instead.
#[derive(Debug)]
struct HeldBack {
    /// Why nothing can be changed or synced, as the status bar and refused writes say it.
    reason: ErrorInfo,
    /// The stand-in cache's folder, removed when the workspace closes.
    _stand_in: tempfile::TempDir,
}

impl std::fmt::Debug for ActiveWorkspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActiveWorkspace")
            .field("info", &self.info)
            .field("syncing", &self.sync.is_some())
            .field("blocked", &self.blocked)
            .finish_non_exhaustive()
    }
}

impl ActiveWorkspace {
    /// Where the sync stands (a workspace without a sync says why in `last_error`).
    pub async fn status(&self) -> SyncStatus {
        match &self.sync {
            Some(sync) => sync.status().await,
            None => {
                let store = self.store.clone();
                let summary = tokio::task::spawn_blocking(move || store.outbox_summary())
                    .await
                    .ok()
                    .and_then(Result::ok);
                SyncStatus {
                    workspace_name: self.info.name.clone(),
                    is_demo: self.info.is_demo,
                    syncing: false,
                    connectivity: Connectivity::Unknown,
                    last_synced_at: None,
                    last_error: self.blocked.clone(),
                    pending_changes: summary.as_ref().map_or(0, |s| s.pending),
                    failed_changes: summary.as_ref().map_or(0, |s| s.failed),
                    oldest_pending_at: summary.and_then(|s| s.oldest),
                    keychain_unavailable: false,
                }
            }
        }
    }

    /// Runs one sync now (or just reports why none can run).
    pub async fn sync_now(&self) -> SyncStatus {
        match &self.sync {
            Some(sync) => sync.sync_now().await,
            None => self.status().await,
        }
    }

    /// Asks for a push soon, after a local change.
    pub fn nudge(&self) {
        if let Some(sync) = &self.sync {
            sync.nudge();
        }
    }

    /// Test hook: makes the workspace's sync loop panic at each cycle while `on`.
    #[doc(hidden)]
    pub fn set_sync_panicking(&self, on: bool) {
        if let Some(sync) = &self.sync {
            sync.set_panicking(on);
        }
    }

    /// Whether the cache is a stand-in for one from a newer PartnerDesk.
    pub(crate) fn held_back(&self) -> bool {
        self.held_back.is_some()
    }

    /// Stops the sync, then the built-in sandbox. Unsent changes stay in the cache.
    pub async fn close(&self) {
        let connectors = self
            .connectors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some((supervisor, job)) = connectors {
            supervisor.stop(job).await;
        }
        if let Some(sync) = &self.sync {
            sync.shutdown().await;
        }
        if let Some((supervisor, job)) = &self.probe {
            supervisor.stop(*job).await;
        }
        if let Some((supervisor, job)) = &self.watcher {
            supervisor.stop(*job).await;
        }
        if let Some(sandbox) = self.sandbox.lock().await.take() {
            if let Err(error) = sandbox.shutdown().await {
                tracing::warn!(%error, "demo server did not stop cleanly");
            }
        }
        self.lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// The account's sign-in health as its sync shows it (`None`: nothing known yet).
    async fn observed_health(&self) -> Option<AccountHealth> {
        let status = self.status().await;
        match status.last_error.as_ref().map(|error| error.code) {
            Some(ErrorCode::AuthUnauthorized | ErrorCode::AccountSecretMissing) => {
                Some(AccountHealth::SignInNeeded)
            }
            Some(ErrorCode::KeychainUnavailable) => Some(AccountHealth::KeychainUnavailable),
            _ if status.last_synced_at.is_some() => Some(AccountHealth::Ok),
            _ => None,
        }
    }
}

/// Shared application state.
#[derive(Debug)]
pub struct AppState {
    /// Caches, logs, demo data.
    pub data_dir: PathBuf,
    /// The settings file.
    pub settings_path: PathBuf,
    /// The OS keychain as probed at start.
    pub keychain: Keychain,
    /// Where commands report what they changed.
    pub changes: ChangeReporter,
    /// The background jobs (the open workspace's sync, ...).
    pub supervisor: Supervisor,
    /// What the window shows until the analyst dismisses it.
    pub notices: Notices,
    /// Where jobs ask for OS notifications (batched, filtered by the desktop settings).
    pub notifier: crate::notify::Notifier,
    /// The SLA policy every workspace's cache computes its marks with (from the settings).
    pub sla: pd_store::SlaPolicyCell,
    /// The desktop settings as background jobs read them (updated when saved).
    pub desk_live: crate::watch::DeskCell,
    /// Wakes the SLA watchers before their next turn.
    pub watch_nudge: crate::watch::WatchNudge,
    /// Where a notification click, a link or the tray sends the window.
    pub navigation: crate::navigate::Navigation,
    /// The settings as last saved (edits go through [`AppState::settings`]).
    settings: Mutex<Settings>,
    current: Arc<RwLock<Arc<ActiveWorkspace>>>,
    /// Wakes the retention export job (a case closed, the policy saved).
    pub(crate) retention_nudge: Arc<tokio::sync::Notify>,
    /// One export run at a time (the job and "Export now").
    pub(crate) retention_lock: Arc<Mutex<()>>,
    /// Serializes workspace switches.
    switching: Mutex<()>,
    /// Last known sign-in health of accounts not open now (tests, earlier sessions).
    health: std::sync::Mutex<HashMap<Uuid, AccountHealth>>,
    /// The desktop's dialogs and default applications (installed by the shell).
    pub desktop: crate::desktop::DesktopSlot,
    /// Uploads and downloads of this session, for the Transfers view.
    pub transfers: crate::transfers::Transfers,
    /// Files dropped on the window, waiting for where they go.
    pub drops: crate::drops::Drops,
    /// Attached files on their way to the server (the uploads job follows them).
    pub uploads: crate::uploads::Uploads,
    /// Documents on their way to partners' SFTP inboxes (the deliveries job).
    pub deliveries: crate::deliveries::Deliveries,
    /// What each account's hosts were found to serve when its workspace last opened.
    probes: Probes,
    /// The drop folders' jobs and states (`folders.rs`).
    pub folders: crate::folders::FolderJobs,
}

/// What each account's hosts serve, by account, as the probe job found it this session.
pub type Probes = Arc<std::sync::Mutex<HashMap<Uuid, ServiceProbe>>>;

impl AppState {
    /// Probes the keychain, reads the settings and opens the workspace that was open last (the
    /// demo when none was). Must run inside the Tokio runtime.
    pub async fn start(
        options: StartOptions,
        changes: ChangeReporter,
    ) -> Result<AppState, AppError> {
        crate::create_private_dir(&options.data_dir)?;
        crate::create_private_dir(&options.config_dir)?;
        let keychain = Keychain::open(&options.keychain_namespace).await;
        let services = Services {
            changes: changes.clone(),
            supervisor: Supervisor::new(Some(changes.clone())),
            probes: Probes::default(),
            notices: Notices::default(),
            notifier: crate::notify::Notifier::start(
                crate::notify::NOTIFY_WINDOW,
                crate::notify::system_clock(),
                pd_domain::NotificationSettings::default(),
            ),
            sla: pd_store::SlaPolicyCell::default(),
            desk: crate::watch::DeskCell::default(),
            watch_nudge: crate::watch::WatchNudge::default(),
        };
        let settings_path = options.config_dir.join(SETTINGS_FILE);
        let settings = match pd_settings::load(&settings_path) {
            Ok(settings) => settings,
            Err(pd_settings::SettingsError::NewerVersion {
                path,
                found,
                supported,
            }) => {
                tracing::warn!(path = %path.display(), found, supported, "settings from a newer PartnerDesk left untouched; starting without them");
                services
                    .notices
                    .add(Notice::SettingsFromNewerVersion(NewerFileNotice {
                        id: Uuid::new_v4().to_string(),
                        path: path.display().to_string(),
                        found: i64::try_from(found).unwrap_or(i64::MAX),
                        supported: i64::from(supported),
                    }));
                Settings::default()
            }
            Err(error) => {
                tracing::warn!(code = %error.code(), %error, "settings unusable; starting with none");
                Settings::default()
            }
        };
        services
            .notifier
            .set_settings(settings.desk.notifications.clone());
        *services.sla.write().unwrap_or_else(PoisonError::into_inner) = settings.desk.sla.clone();
        *services
            .desk
            .write()
            .unwrap_or_else(PoisonError::into_inner) = settings.desk.clone();
        let target = settings.active_account().cloned();
        let active = match &target {
            None => open_demo(&options.data_dir, &services).await?,
            Some(account) => {
                match open_account(&options.data_dir, account, &keychain, &services).await {
                    Ok(active) => active,
                    Err(error) => {
                        tracing::warn!(account = %account.id, code = %error.code(), "account opens without sync");
                        open_cache_only(&options.data_dir, account, error.to_info(), &services)?
                    }
                }
            }
        };
        let folders = settings.clone();
        let state = AppState {
            folders: crate::folders::FolderJobs::new(changes.clone()),
            data_dir: options.data_dir,
            settings_path,
            keychain,
            changes,
            supervisor: services.supervisor,
            notices: services.notices,
            notifier: services.notifier,
            sla: services.sla,
            desk_live: services.desk,
            watch_nudge: services.watch_nudge,
            navigation: crate::navigate::Navigation::default(),
            settings: Mutex::new(settings),
            current: Arc::new(RwLock::new(Arc::new(active))),
            retention_nudge: Arc::new(tokio::sync::Notify::new()),
            retention_lock: Arc::new(Mutex::new(())),
            switching: Mutex::new(()),
            health: std::sync::Mutex::new(HashMap::new()),
            probes: services.probes,
            desktop: Default::default(),
            transfers: Default::default(),
            drops: Default::default(),
            uploads: Default::default(),
            deliveries: Default::default(),
        };
        crate::notify::notify_failed_transfers(&state);
        crate::notify::notify_long_transfer_batches(&state);
        state.current().start_connectors(&state);
        crate::retention::start_job(&state);
        crate::uploads::start_job(&state);
        crate::deliveries::start_job(&state);
        crate::folders::restart(&state, &folders).await;
        Ok(state)
    }

    /// The open workspace as a shared slot (background jobs read the current one each turn).
    pub(crate) fn current_slot(&self) -> Arc<RwLock<Arc<ActiveWorkspace>>> {
        self.current.clone()
    }

    /// What a workspace needs to run its background work.
    fn services(&self) -> Services {
        Services {
            changes: self.changes.clone(),
            supervisor: self.supervisor.clone(),
            probes: self.probes.clone(),
            notices: self.notices.clone(),
            notifier: self.notifier.clone(),
            sla: self.sla.clone(),
            desk: self.desk_live.clone(),
            watch_nudge: self.watch_nudge.clone(),
        }
    }

    /// The workspace open now (a snapshot: a switch does not affect a command already running).
    pub fn current(&self) -> Arc<ActiveWorkspace> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The settings, locked for reading or editing (save with [`AppState::save_settings`]).
    pub async fn settings(&self) -> tokio::sync::MutexGuard<'_, Settings> {
        self.settings.lock().await
    }

    /// The settings if nobody is editing them right now (for the window's event handlers,
    /// which must not wait).
    pub fn try_settings(&self) -> Option<tokio::sync::MutexGuard<'_, Settings>> {
        self.settings.try_lock().ok()
    }

    /// Writes `settings` to the settings file (atomically), off the async threads.
    pub async fn save_settings(&self, settings: &Settings) -> Result<(), AppError> {
        let path = self.settings_path.clone();
        let settings = settings.clone();
        Ok(tokio::task::spawn_blocking(move || pd_settings::save(&path, &settings)).await??)
    }

    /// Where the sync stands, with the keychain's state.
    pub async fn status(&self) -> SyncStatus {
        let mut status = self.current().status().await;
        status.keychain_unavailable = !self.keychain.available();
        status
    }

    /// Local changes in an account workspace need the keychain (they could never be sent
    /// otherwise); the demo workspace's credentials are not secret, so it stays writable.
    pub fn ensure_writable(&self, workspace: &ActiveWorkspace) -> Result<(), AppError> {
        if let Some(held) = &workspace.held_back {
            return Err(AppError::reported(
                held.reason.code,
                held.reason.message.clone(),
            ));
        }
        if workspace.info.account_id.is_some() {
            self.keychain.require()?;
        }
        Ok(())
    }

    /// The sign-in health of `account`.
    pub async fn health_of(&self, account: Uuid) -> AccountHealth {
        if !self.keychain.available() {
            return AccountHealth::KeychainUnavailable;
        }
        let current = self.current();
        if current.info.account_id == Some(account) {
            if let Some(health) = current.observed_health().await {
                return health;
            }
        }
        self.health
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&account)
            .copied()
            .unwrap_or(AccountHealth::Unknown)
    }

    /// What the account's hosts were found to serve when its workspace last opened.
    pub fn probe_of(&self, account: Uuid) -> Option<ServiceProbe> {
        self.probes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&account)
            .cloned()
    }

    /// Records what a connection test or a sync found about an account.
    pub fn record_health(&self, account: Uuid, health: AccountHealth) {
        self.health
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(account, health);
    }

    /// Forgets an account's health (it was removed).
    pub fn forget_health(&self, account: Uuid) {
        self.health
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&account);
    }

    /// Opens `account` (`None`: the demo workspace) in place of the current workspace, makes it
    /// the one restored at the next start, and tells the UI everything changed. Switching to
    /// the workspace already open re-opens it (new credentials take effect).
    pub async fn switch_to(&self, account: Option<Uuid>) -> Result<SyncStatus, AppError> {
        let _switching = self.switching.lock().await;
        let mut settings = self.settings.lock().await;
        let target: Option<Account> = match account {
            None => None,
            Some(id) => Some(settings.account(id).cloned().ok_or_else(|| {
                AppError::reported(
                    ErrorCode::SettingsNotFound,
                    "That account no longer exists.",
                )
            })?),
        };
        let old = self.current();
        if target.is_none() && old.info.account_id.is_none() {
            drop(settings);
            return Ok(self.status().await);
        }
        // Everything that can fail without side effects comes first: the credentials.
        let credentials = match &target {
            Some(account) => Some(read_credentials(&self.keychain, account).await?),
            None => None,
        };
        if let (Some(id), Some(health)) = (old.info.account_id, old.observed_health().await) {
            self.record_health(id, health);
        }
        old.close().await;
        let opened = match (&target, credentials) {
            (Some(account), Some(credentials)) => {
                start_account(&self.data_dir, account, credentials, &self.services())
            }
            _ => open_demo(&self.data_dir, &self.services()).await,
        };
        let new = match opened {
            Ok(new) => new,
            Err(error) => {
                tracing::error!(
                    code = %error.code(),
                    "workspace did not open; re-opening the previous one"
                );
                let previous = settings.active_account().cloned();
                let restored = match &previous {
                    Some(account) => {
                        match open_account(
                            &self.data_dir,
                            account,
                            &self.keychain,
                            &self.services(),
                        )
                        .await
                        {
                            Ok(active) => active,
                            Err(inner) => open_cache_only(
                                &self.data_dir,
                                account,
                                inner.to_info(),
                                &self.services(),
                            )?,
                        }
                    }
                    None => open_demo(&self.data_dir, &self.services()).await?,
                };
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(restored);
                self.current().start_connectors(self);
                self.changes.report(&Topic::ALL);
                return Err(error);
            }
        };
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(new);
        self.current().start_connectors(self);
        let mut changed = settings.clone();
        changed.set_active_account(account)?;
        if let Err(error) = self.save_settings(&changed).await {
            tracing::warn!(
                code = %error.code(),
                "the open workspace could not be remembered"
            );
        } else {
            *settings = changed;
        }
        let folders = settings.clone();
        drop(settings);
        crate::folders::restart(self, &folders).await;
        self.changes.report(&Topic::ALL);
        Ok(self.status().await)
    }

    /// Re-opens the open account after its settings or secrets changed. Without usable
    /// credentials (a secret was removed) its cache stays open, read-only, without a sync.
    pub async fn reopen_account(&self, id: Uuid) -> Result<(), AppError> {
        match self.switch_to(Some(id)).await {
            Ok(_) => Ok(()),
            Err(error) if error.code() == ErrorCode::AccountSecretMissing => {
                let _switching = self.switching.lock().await;
                let Some(account) = self.settings.lock().await.account(id).cloned() else {
                    return Ok(());
                };
                let old = self.current();
                old.close().await;
                let blocked =
                    open_cache_only(&self.data_dir, &account, error.to_info(), &self.services())?;
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(blocked);
                self.changes.report(&Topic::ALL);
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    /// Stops the sync, then the built-in sandbox, then any other background job.
    pub async fn shutdown(&self) {
        self.current().close().await;
        self.supervisor.stop_all().await;
    }
}

/// What a workspace needs to run its background work: where to report changes and who runs jobs.
#[derive(Debug, Clone)]
pub struct Services {
    /// Where changed topics go.
    pub changes: ChangeReporter,
    /// Runs and restarts the jobs.
    pub supervisor: Supervisor,
    /// Where the probe of an account's hosts leaves its answer.
    pub probes: Probes,
    /// What the window shows until dismissed.
    pub notices: Notices,
    /// Where jobs ask for OS notifications.
    pub notifier: crate::notify::Notifier,
    /// The SLA policy every workspace's cache computes its marks with.
    pub sla: pd_store::SlaPolicyCell,
    /// The desktop settings as background jobs read them.
    pub desk: crate::watch::DeskCell,
    /// Wakes the SLA watchers (the desktop settings were saved).
    pub watch_nudge: crate::watch::WatchNudge,
}

/// The notices for the window (shared by the app state and the workspace openers).
#[derive(Debug, Clone, Default)]
pub struct Notices(Arc<std::sync::Mutex<Vec<Notice>>>);

impl Notices {
    /// Adds a notice.
    pub fn add(&self, notice: Notice) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(notice);
    }

    /// Every notice not dismissed yet, oldest first.
    pub fn list(&self) -> Vec<Notice> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Forgets one notice; `false` when no notice has that id.
    pub fn dismiss(&self, id: &str) -> bool {
        let mut notices = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let before = notices.len();
        notices.retain(|n| n.id() != id);
        notices.len() != before
    }
}

/// The account's consumer key and secret from the keychain, or why they cannot be used.
pub async fn read_credentials(
    keychain: &Keychain,
    account: &Account,
) -> Result<Credentials, AppError> {
    let key = keychain.get(account.id, CONSUMER_KEY_SECRET).await?;
    let secret = keychain.get(account.id, CONSUMER_SECRET_SECRET).await?;
    let case_server = if account.case_server_has_own_credentials() {
        let id = keychain
            .get(account.id, CASE_SERVER_CLIENT_ID_SECRET)
            .await?;
        let secret = keychain
            .get(account.id, CASE_SERVER_CLIENT_SECRET_SECRET)
            .await?;
        match (id, secret) {
            (Some(id), Some(secret)) => Some((id, secret)),
            _ => {
                return Err(AppError::reported(
                    ErrorCode::AccountSecretMissing,
                    format!(
                        "The case server's client id or secret of {} is not in the keychain. Edit the account and enter them.",
                        account.name
                    ),
                ))
            }
        }
    } else {
        None
    };
    match (key, secret) {
        (Some(consumer_key), Some(consumer_secret)) => Ok(Credentials {
            consumer_key,
            consumer_secret,
            case_server,
        }),
        _ => Err(AppError::reported(ErrorCode::AccountSecretMissing,
            format!(
                "The consumer key or secret of {} is not in the keychain. Edit the account and enter them.",
                account.name
            ),
        )),
    }
}

/// A workspace's cache as opened: the file itself, or (when a newer PartnerDesk wrote it) an
/// empty stand-in while the file stays untouched.
struct OpenedCache {
    store: Store,
    held_back: Option<HeldBack>,
    /// The cache file's lock, taken before it was opened.
    lock: CacheLock,
}

/// How long opening a workspace waits for a `partnerdesk-push` run on its cache to finish.
pub const CACHE_LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// Opens a workspace's cache. A damaged file is set aside and what could be saved from it is
/// queued again (a notice says what); a file from a newer PartnerDesk is left exactly as it is
/// (a notice says so) and an empty stand-in is opened in a temporary folder instead.
fn open_cache(path: &Path, services: &Services) -> Result<OpenedCache, AppError> {
    let mut opened = open_cache_file(path, &services.notices)?;
    opened.store = opened.store.use_sla_policy(services.sla.clone());
    Ok(opened)
}

fn open_cache_file(path: &Path, notices: &Notices) -> Result<OpenedCache, AppError> {
    if let Some(parent) = path.parent() {
        crate::create_private_dir(parent)?;
    }
    let lock = CacheLock::acquire(path, "PartnerDesk", CACHE_LOCK_PATIENCE)?;
    match Store::open_or_rebuild(path) {
        Ok((store, outcome)) => {
            if let pd_store::OpenOutcome::Rebuilt {
                set_aside,
                reason,
                salvage,
            } = outcome
            {
                tracing::warn!(moved_to = %set_aside.display(), %reason, ?salvage, "cache was damaged; started a new one with the unsent work that could be read");
                notices.add(Notice::CacheRecovered(CacheRecoveredNotice {
                    id: Uuid::new_v4().to_string(),
                    set_aside: set_aside.display().to_string(),
                    reason,
                    salvage,
                }));
            }
            Ok(OpenedCache {
                store,
                held_back: None,
                lock,
            })
        }
        Err(pd_store::StoreError::NewerSchema { found, supported }) => {
            tracing::warn!(path = %path.display(), found, supported, "cache from a newer PartnerDesk left untouched");
            notices.add(Notice::CacheFromNewerVersion(NewerFileNotice {
                id: Uuid::new_v4().to_string(),
                path: path.display().to_string(),
                found,
                supported,
            }));
            let stand_in = tempfile::Builder::new()
                .prefix("partnerdesk-stand-in-")
                .tempdir()?;
            let store = Store::open(stand_in.path().join(CACHE_FILE))?;
            Ok(OpenedCache {
                store,
                held_back: Some(HeldBack {
                    reason: ErrorInfo {
                        code: ErrorCode::StoreNewerSchema,
                        message: format!(
                            "This workspace's cache was written by a newer version of PartnerDesk (cache version {found}; this version reads up to {supported}). It was left untouched: update PartnerDesk to work with it. Until then nothing syncs and no changes can be made."
                        ),
                    },
                    _stand_in: stand_in,
                }),
                lock,
            })
        }
        Err(other) => Err(other.into()),
    }
}

/// Starts the sync of an opened cache, unless the cache was held back.
/// Starts the SLA and escalation watcher of a workspace (not on a cache held back).
fn start_watcher(
    cache: &OpenedCache,
    info: &WorkspaceInfo,
    services: &Services,
) -> Option<(Supervisor, JobId)> {
    if cache.held_back.is_some() {
        return None;
    }
    let job = crate::watch::spawn(
        &services.supervisor,
        cache.store.clone(),
        services.desk.clone(),
        info.analyst.clone(),
        services.notifier.clone(),
        services.changes.clone(),
        services.watch_nudge.clone(),
    );
    Some((services.supervisor.clone(), job))
}

fn start_sync(
    cache: &OpenedCache,
    peers: SyncPeers,
    info: &WorkspaceInfo,
    services: &Services,
) -> (Option<SyncControl>, Option<ErrorInfo>) {
    match &cache.held_back {
        Some(held) => (None, Some(held.reason.clone())),
        None => (
            Some(SyncControl::start(
                cache.store.clone(),
                peers,
                info,
                services,
            )),
            None,
        ),
    }
}

async fn open_demo(data_dir: &Path, services: &Services) -> Result<ActiveWorkspace, AppError> {
    let cache = open_cache(&data_dir.join(CACHE_FILE), services)?;
    let demo = workspace::open_demo(data_dir).await?;
    let peers = SyncPeers {
        trading_grid: demo.client,
        cases: demo.cases,
    };
    let cases_client = peers.cases.clone();
    let (sync, blocked) = start_sync(&cache, peers, &demo.info, services);
    let watcher = start_watcher(&cache, &demo.info, services);
    Ok(ActiveWorkspace {
        store: cache.store,
        info: demo.info,
        sync,
        blocked,
        sandbox: Mutex::new(demo.sandbox),
        probe: None,
        watcher,
        held_back: cache.held_back,
        lock: std::sync::Mutex::new(Some(cache.lock)),
        connectors: std::sync::Mutex::new(None),
        connectors_wake: Arc::default(),
        folder: data_dir.to_owned(),
        cases_client,
    })
}

async fn open_account(
    data_dir: &Path,
    account: &Account,
    keychain: &Keychain,
    services: &Services,
) -> Result<ActiveWorkspace, AppError> {
    let credentials = read_credentials(keychain, account).await?;
    start_account(data_dir, account, credentials, services)
}

fn start_account(
    data_dir: &Path,
    account: &Account,
    credentials: Credentials,
    services: &Services,
) -> Result<ActiveWorkspace, AppError> {
    let cache = open_cache(
        &workspace::account_dir(data_dir, account.id).join(CACHE_FILE),
        services,
    )?;
    let opened = workspace::open_account(account, &credentials)?;
    let probe = start_probe(account, &credentials, services)?;
    let peers = SyncPeers {
        trading_grid: opened.client,
        cases: opened.cases,
    };
    let cases_client = peers.cases.clone();
    let (sync, blocked) = start_sync(&cache, peers, &opened.info, services);
    let watcher = start_watcher(&cache, &opened.info, services);
    Ok(ActiveWorkspace {
        store: cache.store,
        info: opened.info,
        sync,
        blocked,
        sandbox: Mutex::new(None),
        probe: Some((services.supervisor.clone(), probe)),
        watcher,
        held_back: cache.held_back,
        lock: std::sync::Mutex::new(Some(cache.lock)),
        connectors: std::sync::Mutex::new(None),
        connectors_wake: Arc::default(),
        folder: workspace::account_dir(data_dir, account.id),
        cases_client,
    })
}

/// Asks once, in the background, what the account's hosts serve (one attempt each, short
/// timeouts); Settings shows the answer when it arrives.
fn start_probe(
    account: &Account,
    credentials: &Credentials,
    services: &Services,
) -> Result<JobId, AppError> {
    let client = |config| {
        pd_tradinggrid::TradingGridClient::new(workspace::for_connection_test(config))
            .map_err(|error| AppError::reported(error.code(), error.to_string()))
    };
    let trading_grid = client(workspace::account_client_config(account, credentials)?)?;
    let cases = match workspace::case_server_config(account, credentials)? {
        Some(config) => Some(client(config)?),
        None => None,
    };
    let (id, case_server, case_url) = (
        account.id,
        account.case_server.clone(),
        account.case_server_url(),
    );
    let (probes, changes) = (services.probes.clone(), services.changes.clone());
    Ok(services
        .supervisor
        .spawn(format!("Connection check: {}", account.name), move || {
            let (trading_grid, cases, case_server, case_url) = (
                trading_grid.clone(),
                cases.clone(),
                case_server.clone(),
                case_url.clone(),
            );
            let (probes, changes) = (probes.clone(), changes.clone());
            async move {
                let found = crate::probe::probe(
                    &trading_grid,
                    cases.as_ref(),
                    &case_server,
                    case_url.as_deref(),
                )
                .await;
                tracing::info!(account = %id, summary = %found.summary, "what the hosts serve");
                probes
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(id, found);
                changes.report(&[Topic::Settings]);
            }
        }))
}

/// The account's cache without a sync (its secrets cannot be read): read-only work goes on.
fn open_cache_only(
    data_dir: &Path,
    account: &Account,
    reason: ErrorInfo,
    services: &Services,
) -> Result<ActiveWorkspace, AppError> {
    let cache = open_cache(
        &workspace::account_dir(data_dir, account.id).join(CACHE_FILE),
        services,
    )?;
    let blocked = match &cache.held_back {
        Some(held) => held.reason.clone(),
        None => reason,
    };
    let info = workspace::account_info(account);
    let watcher = start_watcher(&cache, &info, services);
    Ok(ActiveWorkspace {
        store: cache.store,
        info,
        sync: None,
        blocked: Some(blocked),
        sandbox: Mutex::new(None),
        probe: None,
        watcher,
        held_back: cache.held_back,
        lock: std::sync::Mutex::new(Some(cache.lock)),
        connectors: std::sync::Mutex::new(None),
        connectors_wake: Arc::default(),
        folder: workspace::account_dir(data_dir, account.id),
        cases_client: None,
    })
}
