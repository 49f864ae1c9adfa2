//! Drop folders in the app: the folders' settings (add, edit, pause, remove), each watched folder
//! run as a supervised background job of the open workspace (`pd-ingest` watching into its
//! cache; restarted with the workspace, after a panic, on rescan), their states for the Folders
//! view, and the ingest ledger with its filters. Changes report `folders` and `cases`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use pd_domain::{
    ConnectorSettings, ErrorCode, FolderSettings, FolderSource, FolderStateView, FolderView,
    LedgerEdiView, LedgerQuery, LedgerRowView, RoutingRuleSetting, RoutingRulesView, Topic,
};
use pd_ingest::{
    FolderDefaults, FolderState, IngestContext, LargeFileRoute, LargeFiles, LocalFolderSpec,
    S3Target, SftpFolderSpec, StatusBoard, WatchMode,
};
use pd_settings::{Settings, CONNECTOR_SECRET};

use crate::commands::CommandResult;
use crate::error::AppError;
use crate::events::ChangeReporter;
use crate::state::AppState;
use crate::supervisor::{JobId, Supervisor};

/// The running folder jobs and their status board.
#[derive(Debug)]
pub struct FolderJobs {
    jobs: tokio::sync::Mutex<HashMap<String, JobId>>,
    board: StatusBoard,
}

impl FolderJobs {
    /// No jobs yet; state changes are reported as `folders` and `cases`.
    pub fn new(changes: ChangeReporter) -> Self {
        FolderJobs {
            jobs: tokio::sync::Mutex::default(),
            board: StatusBoard::with_listener(move || {
                changes.report(&[Topic::Folders, Topic::Cases]);
            }),
        }
    }
}

fn defaults(folder: &FolderSettings) -> FolderDefaults {
    FolderDefaults {
        folder_id: folder.id.clone(),
        folder_name: folder.name.clone(),
        partner_id: folder.partner_id.clone(),
        case_kind: folder.case_kind,
        owner: folder.owner.clone(),
    }
}

/// Stops every folder job and starts one per folder that is not paused, on the workspace open
/// now (none when its cache may not be written).
pub async fn restart(state: &AppState, settings: &Settings) {
    let mut jobs = state.folders.jobs.lock().await;
    for (_, job) in jobs.drain() {
        state.supervisor.stop(job).await;
    }
    let workspace = state.current();
    let writable = state.ensure_writable(&workspace).is_ok();
    // The analyst's routing rules (EDI rules and the file-name rules) for every folder.
    let router = {
        let store = workspace.store.clone();
        let rules = tokio::task::spawn_blocking(move || store.routing_rules())
            .await
            .ok()
            .and_then(|r| {
                r.map_err(
                    |e| tracing::warn!(error = %e, "routing rules unreadable; using the defaults"),
                )
                .ok()
            })
            .unwrap_or_else(RoutingRuleSetting::defaults);
        Arc::new(pd_ingest::edi::router(&rules))
    };
    for folder in &settings.folders {
        if folder.paused || !writable {
            state
                .folders
                .board
                .set(&folder.id, FolderState::Paused, None);
            continue;
        }
        let ctx = IngestContext {
            store: workspace.store.clone(),
            router: router.clone(),
            spool_dir: spool_dir(workspace.store.path()),
            uploaded_by: "Drop folder".to_string(),
            status: state.folders.board.clone(),
            large: large_files(state),
        };
        let job = match start_job(state, &state.supervisor, settings, folder, ctx).await {
            Ok(job) => job,
            Err(error) => {
                state
                    .folders
                    .board
                    .set(&folder.id, FolderState::Error, Some(error.to_string()));
                continue;
            }
        };
        jobs.insert(folder.id.clone(), job);
    }
}

/// Files above the upload size limit go to S3 through the upload queue, as the analyst's drops
/// do: the limit and the connector read from the settings file when a file is taken (at most
/// every 2 s), so a connector added while a folder is watched is used for its next file; a
/// queued upload wakes the uploads job.
fn large_files(state: &AppState) -> LargeFiles {
    let path = state.settings_path.clone();
    let kept: std::sync::Mutex<Option<(std::time::Instant, LargeFileRoute)>> =
        std::sync::Mutex::new(None);
    LargeFiles::new(
        move || {
            let mut kept = kept
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((at, route)) = kept.as_ref() {
                if at.elapsed() < Duration::from_secs(2) {
                    return route.clone();
                }
            }
            let route = large_route(&pd_settings::load(&path).unwrap_or_default());
            *kept = Some((std::time::Instant::now(), route.clone()));
            route
        },
        crate::uploads::waker(state),
    )
}

/// The limit and bucket of the upload settings.
fn large_route(settings: &Settings) -> LargeFileRoute {
    let uploads = &settings.uploads;
    let target = match crate::uploads::upload_connector(settings, uploads) {
        Some(connector) => match &connector.settings {
            ConnectorSettings::S3(s3) => Ok(S3Target {
                bucket: s3.bucket.trim().to_owned(),
                connector_id: Some(connector.id.to_string()),
                part_size: uploads.part_size.max(pd_connectors::MIN_PART_SIZE as u64),
            }),
            _ => Err("its S3 connector is not an S3 connector any more".to_owned()),
        },
        None => Err(
            "no S3 connector is set up for documents (add one in Settings → Connectors)".to_owned(),
        ),
    };
    LargeFileRoute {
        threshold_bytes: uploads.threshold_bytes,
        target,
    }
}

/// The cache's spool folder (kept copies of taken files until uploaded).
fn spool_dir(cache: &std::path::Path) -> std::path::PathBuf {
    let mut name = cache.as_os_str().to_owned();
    name.push(".spool");
    std::path::PathBuf::from(name)
}

async fn start_job(
    state: &AppState,
    supervisor: &Supervisor,
    settings: &Settings,
    folder: &FolderSettings,
    ctx: IngestContext,
) -> Result<JobId, AppError> {
    let name = format!("Drop folder: {}", folder.name);
    match &folder.source {
        FolderSource::Local {
            path,
            subfolders,
            polling,
        } => {
            let spec = LocalFolderSpec {
                defaults: defaults(folder),
                path: path.into(),
                subfolders: *subfolders,
                mode: if *polling {
                    WatchMode::Polling
                } else {
                    WatchMode::Events
                },
                poll_interval: Duration::from_secs(u64::from(folder.poll_seconds.max(1))),
                settle: Duration::from_secs(u64::from(folder.settle_seconds)),
                rescan_every: Duration::from_secs(300),
            };
            Ok(supervisor.spawn(name, move || {
                pd_ingest::run_local(ctx.clone(), spec.clone())
            }))
        }
        FolderSource::Sftp {
            connector_id,
            remote_dir,
            processed_dir,
            failed_dir,
        } => {
            let connector = settings
                .connectors
                .iter()
                .find(|c| c.id.to_string() == *connector_id)
                .ok_or_else(|| {
                    AppError::reported(
                        ErrorCode::SettingsNotFound,
                        "The folder's SFTP connector no longer exists; choose another one.",
                    )
                })?;
            let ConnectorSettings::Sftp(sftp) = &connector.settings else {
                return Err(AppError::reported(
                    ErrorCode::InputInvalid,
                    "The folder's connector is not an SFTP connector.",
                ));
            };
            let secret = state
                .keychain
                .get(connector.id, CONNECTOR_SECRET)
                .await
                .ok()
                .flatten()
                .map(|s| s.expose_secret().to_string());
            let remote_dir = if remote_dir.is_empty() {
                sftp.remote_dir.clone().unwrap_or_else(|| ".".to_string())
            } else {
                remote_dir.clone()
            };
            let spec = SftpFolderSpec {
                defaults: defaults(folder),
                settings: sftp.clone(),
                secret,
                remote_dir,
                processed_dir: processed_dir.clone(),
                failed_dir: failed_dir.clone(),
                poll_interval: Duration::from_secs(u64::from(folder.poll_seconds.max(1))),
                options: pd_connectors::ConnectorOptions::default(),
            };
            Ok(supervisor.spawn(name, move || pd_ingest::run_sftp(ctx.clone(), spec.clone())))
        }
    }
}

fn state_view(state: FolderState) -> FolderStateView {
    match state {
        FolderState::Starting => FolderStateView::Starting,
        FolderState::Watching => FolderStateView::Watching,
        FolderState::Polling => FolderStateView::Polling,
        FolderState::Offline => FolderStateView::Offline,
        FolderState::Error => FolderStateView::Error,
        FolderState::Paused => FolderStateView::Paused,
    }
}

async fn view(state: &AppState, folder: &FolderSettings) -> CommandResult<FolderView> {
    let store = state.current().store.clone();
    let id = folder.id.clone();
    let counts = tokio::task::spawn_blocking(move || store.ingest_folder_counts(&id)).await??;
    let status = state.folders.board.get(&folder.id).unwrap_or_default();
    let (state_now, reason) = if folder.paused {
        (FolderStateView::Paused, None)
    } else {
        (state_view(status.state), status.reason)
    };
    let (last_file, last_at) = counts
        .last
        .map_or((None, None), |(p, at)| (Some(p), Some(at)));
    Ok(FolderView {
        settings: folder.clone(),
        state: state_now,
        reason,
        taken: counts.taken,
        duplicates: counts.duplicates,
        failed: counts.failed,
        waiting: status.waiting,
        last_file,
        last_at,
    })
}

/// Every drop folder with its state and counts.
pub async fn list_folders(state: &AppState) -> CommandResult<Vec<FolderView>> {
    let folders = state.settings().await.folders.clone();
    let mut views = Vec::with_capacity(folders.len());
    for folder in &folders {
        views.push(view(state, folder).await?);
    }
    Ok(views)
}

fn validate(input: &FolderSettings, settings: &Settings) -> Result<(), AppError> {
    let invalid = |message: &str| Err(AppError::reported(ErrorCode::InputInvalid, message));
    if input.name.trim().is_empty() {
        return invalid("Give the folder a name.");
    }
    if input.partner_id.trim().is_empty() {
        return invalid("Choose the partner of the cases this folder's unmatched files open.");
    }
    if input.settle_seconds > 3600 || input.poll_seconds == 0 || input.poll_seconds > 86_400 {
        return invalid(
            "The settle time is 0 to 3600 seconds and the polling interval 1 to 86400 seconds.",
        );
    }
    match &input.source {
        FolderSource::Local { path, .. } => {
            let path = std::path::Path::new(path);
            if !path.is_absolute() {
                return invalid("Choose the folder by its full path.");
            }
            if !path.is_dir() {
                return Err(AppError::reported(
                    ErrorCode::InputInvalid,
                    format!("{} is not a folder PartnerDesk can see.", path.display()),
                ));
            }
        }
        FolderSource::Sftp { connector_id, .. } => {
            let known = settings.connectors.iter().any(|c| {
                c.id.to_string() == *connector_id
                    && matches!(c.settings, ConnectorSettings::Sftp(_))
            });
            if !known {
                return invalid("Choose one of your SFTP connectors.");
            }
        }
    }
    Ok(())
}

/// Checks an SFTP folder's `processed/` and `failed/` names (not empty, not `..`, not the
/// watched folder itself, not the same folder) and writes them back cleaned.
fn check_move_folders(input: &mut FolderSettings) -> Result<(), AppError> {
    let FolderSource::Sftp {
        processed_dir,
        failed_dir,
        ..
    } = &mut input.source
    else {
        return Ok(());
    };
    let invalid = |message: String| AppError::reported(ErrorCode::InputInvalid, message);
    let processed = pd_domain::check_move_folder("Taken files", processed_dir).map_err(invalid)?;
    let failed = pd_domain::check_move_folder("Files that could not be taken", failed_dir)
        .map_err(invalid)?;
    if processed == failed {
        return Err(invalid(format!(
            "Taken files and files that could not be taken both go to \"{processed}\"; give them different folders so a failed file is never mistaken for a taken one."
        )));
    }
    *processed_dir = processed;
    *failed_dir = failed;
    Ok(())
}

/// Adds or edits a drop folder and (re)starts the watchers.
pub async fn save_folder(state: &AppState, input: FolderSettings) -> CommandResult<FolderView> {
    let mut input = input;
    input.name = input.name.trim().to_string();
    let saved = {
        let mut settings = state.settings().await;
        validate(&input, &settings)?;
        check_move_folders(&mut input)?;
        if input.id.is_empty() {
            input.id = uuid::Uuid::new_v4().to_string();
        }
        let mut changed = settings.clone();
        match changed.folders.iter_mut().find(|f| f.id == input.id) {
            Some(existing) => *existing = input.clone(),
            None => changed.folders.push(input.clone()),
        }
        state.save_settings(&changed).await?;
        *settings = changed.clone();
        changed
    };
    restart(state, &saved).await;
    state.changes.report(&[Topic::Folders]);
    view(state, &input).await
}

/// Removes a drop folder (its ledger rows stay; nothing on disk is touched).
pub async fn remove_folder(state: &AppState, id: String) -> CommandResult<()> {
    let saved = {
        let mut settings = state.settings().await;
        let mut changed = settings.clone();
        let before = changed.folders.len();
        changed.folders.retain(|f| f.id != id);
        if changed.folders.len() == before {
            return Err(AppError::reported(
                ErrorCode::SettingsNotFound,
                "That folder was already removed.",
            ));
        }
        state.save_settings(&changed).await?;
        *settings = changed.clone();
        changed
    };
    restart(state, &saved).await;
    state.folders.board.remove(&id);
    state.changes.report(&[Topic::Folders]);
    Ok(())
}

/// Pauses or resumes a drop folder.
pub async fn set_folder_paused(
    state: &AppState,
    id: String,
    paused: bool,
) -> CommandResult<FolderView> {
    let (saved, folder) = {
        let mut settings = state.settings().await;
        let mut changed = settings.clone();
        let Some(folder) = changed.folders.iter_mut().find(|f| f.id == id) else {
            return Err(AppError::reported(
                ErrorCode::SettingsNotFound,
                "That folder no longer exists.",
            ));
        };
        folder.paused = paused;
        let folder = folder.clone();
        state.save_settings(&changed).await?;
        *settings = changed.clone();
        (changed, folder)
    };
    restart(state, &saved).await;
    state.changes.report(&[Topic::Folders]);
    view(state, &folder).await
}

/// Scans every folder again now (a restart of the watchers begins with a full scan).
pub async fn rescan_folders(state: &AppState) -> CommandResult<()> {
    let settings = state.settings().await.clone();
    restart(state, &settings).await;
    state.changes.report(&[Topic::Folders]);
    Ok(())
}

fn day_start(day: &str, next: bool) -> Result<String, AppError> {
    let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| {
        AppError::reported(
            ErrorCode::InputInvalid,
            format!("{day} is not a date (YYYY-MM-DD)."),
        )
    })?;
    let date = if next {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    Ok(format!("{date}T00:00:00"))
}

/// The ingest ledger, newest first, filtered.
pub async fn folder_ledger(
    state: &AppState,
    query: LedgerQuery,
) -> CommandResult<Vec<LedgerRowView>> {
    let filter = pd_store::LedgerFilter {
        folder_id: query.folder_id.filter(|s| !s.is_empty()),
        outcome: query.outcome.filter(|s| !s.is_empty()),
        since: query
            .since
            .filter(|s| !s.is_empty())
            .map(|d| day_start(&d, false))
            .transpose()?,
        until: query
            .until
            .filter(|s| !s.is_empty())
            .map(|d| day_start(&d, true))
            .transpose()?,
        limit: 500,
    };
    let store = state.current().store.clone();
    let rows = tokio::task::spawn_blocking(move || store.ingest_ledger(&filter)).await??;
    Ok(rows
        .into_iter()
        .map(|r| LedgerRowView {
            id: r.id,
            folder_id: r.folder_id,
            folder_name: r.folder_name,
            path: r.path,
            size: r.size,
            media_type: r.media_type,
            seen_at: r.seen_at,
            outcome: r.outcome,
            detail: r.detail,
            case_id: r.case_id,
            case_reference: r.case_reference,
            document_id: r.document_id,
            rule_label: r.rule.as_deref().map(pd_domain::ledger_rule_label),
            rule: r.rule,
            rule_reason: r.rule_reason,
        })
        .collect())
}

// ---- EDI routing rules and a ledger row's EDI details (issue 12) ----

/// The routing rules for the rules editor.
pub async fn routing_rules(state: &AppState) -> CommandResult<RoutingRulesView> {
    let store = state.current().store.clone();
    let rules = tokio::task::spawn_blocking(move || store.routing_rules()).await??;
    Ok(RoutingRulesView::of(rules))
}

/// Checks each rule (an error names its place in the list, in words), then saves the order and
/// restarts the watchers so the next file is routed by it.
pub async fn save_routing_rules(
    state: &AppState,
    rules: Vec<RoutingRuleSetting>,
) -> CommandResult<RoutingRulesView> {
    let workspace = state.current();
    state.ensure_writable(&workspace)?;
    let store = workspace.store.clone();
    let mut checked = Vec::with_capacity(rules.len());
    for (i, rule) in rules.iter().enumerate() {
        let rule = rule.checked().map_err(|why| {
            AppError::reported(ErrorCode::InputInvalid, format!("Rule {}: {why}", i + 1))
        })?;
        if let Some(partner) = &rule.partner_id {
            let known = {
                let store = store.clone();
                let partner = partner.clone();
                tokio::task::spawn_blocking(move || store.partner(&partner)).await?
            };
            if known.is_err() {
                return Err(AppError::reported(
                    ErrorCode::InputInvalid,
                    format!(
                        "Rule {}: the partner {partner} is not in the partner directory; choose one from the list.",
                        i + 1
                    ),
                ));
            }
        }
        checked.push(rule);
    }
    let saved = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || {
            store.save_routing_rules(&checked)?;
            store.routing_rules()
        })
        .await??
    };
    let settings = state.settings().await.clone();
    restart(state, &settings).await;
    state.changes.report(&[Topic::Folders]);
    Ok(RoutingRulesView::of(saved))
}

/// What EDI recognition found in a ledger row's file, with its readable segment view.
pub async fn ledger_edi(state: &AppState, ledger_id: u32) -> CommandResult<Option<LedgerEdiView>> {
    let store = state.current().store.clone();
    Ok(
        tokio::task::spawn_blocking(move || store.ingest_ledger_edi(i64::from(ledger_id)))
            .await??,
    )
}

/// Adds the folder the analyst dropped on the Folders view (the drop registry keeps its path;
/// the window sends the rest of the settings) and starts watching it.
pub async fn add_folder_from_drop(
    state: &AppState,
    drop_id: String,
    input: FolderSettings,
) -> CommandResult<FolderView> {
    let path = state.drops.dropped_folder(&drop_id)?;
    let (subfolders, polling) = match &input.source {
        FolderSource::Local {
            subfolders,
            polling,
            ..
        } => (*subfolders, *polling),
        FolderSource::Sftp { .. } => (false, false),
    };
    let mut input = input;
    input.id = String::new();
    if input.name.trim().is_empty() {
        input.name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
    }
    input.source = FolderSource::Local {
        path: path.display().to_string(),
        subfolders,
        polling,
    };
    let view = save_folder(state, input).await?;
    state.drops.discard(&drop_id);
    Ok(view)
}
