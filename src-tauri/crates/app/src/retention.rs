//! Retention exports in the app (issue 15): the policy (its own file beside the settings, so
//! the settings format is unchanged), the supervised export job (export on close, the schedule
//! for cases closed more than N days ago, resuming interrupted exports and aborting orphaned
//! uploads after a restart), and the command bodies — exports of a case or of all cases,
//! "Export now", "Verify", legal holds placed and released (a release is an explicit action with
//! a reason, recorded on each case's audit trail and as an internal note).

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;

use chrono::Utc;
use pd_archive::{DocumentSource, Exporter};
use pd_connectors::{ConnectorOptions, S3Client};
use pd_domain::{
    ConnectorSettings, Document, DocumentLocation, ErrorCode, ExportQuery, ExportView, HoldScope,
    RetentionPolicy, Topic, VerifyReport, Visibility,
};
use pd_settings::CONNECTOR_SECRET;

use crate::commands::CommandResult;
use crate::error::AppError;
use crate::events::ChangeReporter;
use crate::keychain::Keychain;
use crate::state::{ActiveWorkspace, AppState};

/// The policy's file, beside `settings.json`.
pub const RETENTION_FILE: &str = "retention.json";
/// How often the job looks for closed cases and unfinished exports without being nudged.
const JOB_PERIOD: Duration = Duration::from_secs(60);

impl From<pd_archive::ArchiveError> for AppError {
    fn from(error: pd_archive::ArchiveError) -> Self {
        AppError::reported(error.code(), error.to_string())
    }
}

impl From<pd_connectors::ConnectorError> for AppError {
    fn from(error: pd_connectors::ConnectorError) -> Self {
        AppError::reported(error.code(), error.to_string())
    }
}

/// Document bytes for an archive: through the case server's `collab/v1` download, or from the
/// S3 bucket a large file was uploaded to (through the S3 connector of that bucket); size and
/// SHA-256 checked either way.
struct CaseDocuments {
    collab: Option<pd_tradinggrid::TradingGridClient>,
    /// The S3 connectors' clients by bucket.
    buckets: HashMap<String, S3Client>,
}

impl DocumentSource for CaseDocuments {
    fn fetch<'a>(
        &'a self,
        document: &'a Document,
        dest: &'a Path,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            match (&document.location, &self.collab) {
                (DocumentLocation::Collab, Some(client)) => client
                    .download_document(&document.case_id, &document.id, dest)
                    .await
                    .map(|_| ())
                    .map_err(|error| error.to_string()),
                (DocumentLocation::Collab, None) => {
                    Err("this workspace has no case server to download it from".into())
                }
                (DocumentLocation::S3 { bucket, key }, _) => {
                    let client = self.buckets.get(bucket.as_str()).ok_or_else(|| {
                        format!(
                            "it is kept in S3 bucket \"{bucket}\", which no S3 connector in Settings reaches"
                        )
                    })?;
                    let expect = pd_connectors::ExpectedObject {
                        size: document.size,
                        sha256: document.sha256.to_ascii_lowercase(),
                    };
                    client
                        .download_object(key, dest, &expect, &|_| {})
                        .await
                        .map_err(|error| error.to_string())
                }
            }
        })
    }
}

/// A client for each S3 connector's bucket (a connector whose secret cannot be read is left
/// out: its documents' fetch says no connector reaches them).
async fn bucket_clients(
    settings: &pd_settings::Settings,
    keychain: &Keychain,
) -> HashMap<String, S3Client> {
    let mut clients = HashMap::new();
    for connector in &settings.connectors {
        let ConnectorSettings::S3(s3) = &connector.settings else {
            continue;
        };
        let Ok(secret) = keychain.get(connector.id, CONNECTOR_SECRET).await else {
            continue;
        };
        if let Ok(client) = S3Client::new(
            s3,
            secret.as_ref().map(|secret| secret.expose_secret()),
            &ConnectorOptions::default(),
        ) {
            clients.entry(s3.bucket.trim().to_owned()).or_insert(client);
        }
    }
    clients
}

/// What the export job and the commands need, without the app state.
#[derive(Clone)]
struct Context {
    /// Weak, so the job never keeps a closed app's workspace (and its cache lock) alive.
    current: Weak<RwLock<Arc<ActiveWorkspace>>>,
    keychain: Keychain,
    config_dir: PathBuf,
    settings_path: PathBuf,
    data_dir: PathBuf,
    changes: ChangeReporter,
    lock: Arc<tokio::sync::Mutex<()>>,
}

fn context(state: &AppState) -> Context {
    Context {
        current: Arc::downgrade(&state.current_slot()),
        keychain: state.keychain.clone(),
        config_dir: state
            .settings_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
        settings_path: state.settings_path.clone(),
        data_dir: state.data_dir.clone(),
        changes: state.changes.clone(),
        lock: state.retention_lock.clone(),
    }
}

impl Context {
    /// The open workspace; `None` once the app state is gone.
    fn workspace(&self) -> Option<Arc<ActiveWorkspace>> {
        let slot = self.current.upgrade()?;
        let workspace = slot.read().unwrap_or_else(PoisonError::into_inner).clone();
        Some(workspace)
    }

    fn policy(&self) -> RetentionPolicy {
        read_policy(&self.config_dir.join(RETENTION_FILE))
    }

    /// The exporter of the open workspace into the policy's bucket; `None` when exports are
    /// off (no connector chosen).
    async fn exporter(&self) -> Result<Option<(Exporter, RetentionPolicy)>, AppError> {
        let policy = self.policy();
        let Some(connector_id) = policy.connector_id.clone() else {
            return Ok(None);
        };
        let settings = pd_settings::load(&self.settings_path)?;
        let id = uuid::Uuid::parse_str(&connector_id).map_err(|_| not_configured())?;
        let connector = settings.connector(id).cloned().ok_or_else(not_configured)?;
        let ConnectorSettings::S3(s3) = &connector.settings else {
            return Err(AppError::reported(
                ErrorCode::RetentionNotConfigured,
                format!(
                    "The connector \"{}\" is not an S3 connector: choose an S3 bucket with Object Lock for exports in Settings → Retention.",
                    connector.name
                ),
            ));
        };
        let secret = self.keychain.get(id, CONNECTOR_SECRET).await?;
        let client = S3Client::new(
            s3,
            secret.as_ref().map(|secret| secret.expose_secret()),
            &ConnectorOptions::default(),
        )?;
        let Some(workspace) = self.workspace() else {
            return Ok(None);
        };
        let spool = self.data_dir.join("retention-spool");
        let exporter = Exporter::new(
            workspace.store.clone(),
            client,
            Arc::new(CaseDocuments {
                collab: workspace.cases_client.clone(),
                buckets: bucket_clients(&settings, &self.keychain).await,
            }),
            spool,
            policy.clone(),
        );
        Ok(Some((exporter, policy)))
    }

    /// One turn of the job: queue what the policy asks for, finish every unfinished export.
    async fn tick(&self) -> Result<u32, AppError> {
        let Some((exporter, policy)) = self.exporter().await? else {
            return Ok(0);
        };
        let _one_at_a_time = self.lock.lock().await;
        let Some(workspace) = self.workspace() else {
            return Ok(0);
        };
        let store = workspace.store.clone();
        drop(workspace);
        let now = Utc::now();
        let mut queued = Vec::new();
        if policy.export_on_close {
            let store = store.clone();
            queued.extend(
                tokio::task::spawn_blocking(move || store.queue_closed_exports(None, None, now))
                    .await??,
            );
        }
        if let Some(days) = policy.export_closed_after_days {
            let cutoff = now - chrono::Duration::days(i64::from(days));
            let store = store.clone();
            queued.extend(
                tokio::task::spawn_blocking(move || {
                    store.queue_closed_exports(Some(cutoff), None, now)
                })
                .await??,
            );
        }
        let unfinished = store.unfinished_exports()?.len();
        if unfinished == 0 {
            return Ok(0);
        }
        self.changes.report(&[Topic::Exports]);
        let done = exporter.run_pending().await?;
        self.changes.report(&[Topic::Exports, Topic::Cases]);
        Ok(done)
    }
}

fn not_configured() -> AppError {
    AppError::reported(
        ErrorCode::RetentionNotConfigured,
        ErrorCode::RetentionNotConfigured.words(),
    )
}

/// The policy in `path` (the default when missing or unreadable).
fn read_policy(path: &Path) -> RetentionPolicy {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|error| {
            tracing::warn!(%error, path = %path.display(), "retention policy unreadable; exports are off until it is saved again");
            RetentionPolicy::default()
        }),
        Err(_) => RetentionPolicy::default(),
    }
}

/// Starts the supervised export job (every minute, and when nudged).
pub(crate) fn start_job(state: &AppState) {
    let context = context(state);
    let nudge = state.retention_nudge.clone();
    state.supervisor.spawn("Retention exports", move || {
        let (context, nudge) = (context.clone(), nudge.clone());
        async move {
            // Ends when the app state is gone (a job must not outlive its workspace).
            while context.current.strong_count() > 0 {
                match context.tick().await {
                    Ok(done) if done > 0 => tracing::info!(done, "retention exports finished"),
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(code = %error.code(), %error, "retention export turn failed")
                    }
                }
                let _ = tokio::time::timeout(JOB_PERIOD, nudge.notified()).await;
            }
        }
    });
}

/// Asks the export job to look now (a case was closed).
pub(crate) fn nudge(state: &AppState) {
    state.retention_nudge.notify_one();
}

async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(call).await?
}

/// Retention exports matching a filter, newest first.
pub async fn list_exports(state: &AppState, query: ExportQuery) -> CommandResult<Vec<ExportView>> {
    let store = state.current().store.clone();
    blocking(move || {
        Ok(store
            .list_exports(&query)?
            .iter()
            .map(pd_store::ExportRecord::view)
            .collect())
    })
    .await
}

/// Exports a closed case now (its latest closure, or the case when it was closed before the
/// audit trail existed); answers the case's exports.
pub async fn export_case(state: &AppState, case_id: String) -> CommandResult<Vec<ExportView>> {
    let context = context(state);
    let Some((exporter, _)) = context.exporter().await? else {
        return Err(not_configured());
    };
    let store = state.current().store.clone();
    let case = {
        let (store, id) = (store.clone(), case_id.clone());
        blocking(move || Ok(store.case(&id)?)).await?
    }
    .ok_or_else(|| {
        AppError::reported(ErrorCode::StoreNotFound, "That case is not in the cache.")
    })?;
    if case.status != pd_domain::CaseStatus::Closed {
        return Err(AppError::reported(
            ErrorCode::InputInvalid,
            format!(
                "{} is not closed: a case is archived when it is closed.",
                case.reference
            ),
        ));
    }
    let _one_at_a_time = state.retention_lock.lock().await;
    let now = Utc::now();
    {
        let (store, id) = (store.clone(), case_id.clone());
        blocking(move || Ok(store.queue_closed_exports(Some(now), Some(&id), now)?)).await?;
    }
    let pending: Vec<String> = store
        .list_exports(&ExportQuery {
            case_id: Some(case_id.clone()),
            ..ExportQuery::default()
        })?
        .into_iter()
        .filter(|record| record.state != pd_domain::ExportState::Done)
        .map(|record| record.id)
        .collect();
    state.changes.report(&[Topic::Exports]);
    let mut failure = None;
    for id in pending {
        if let Err(error) = exporter.run(&id).await {
            if let Some(mut record) = store.export(&id)? {
                record.state = pd_domain::ExportState::Failed;
                record.last_error = Some(error.to_string());
                store.save_export(&record)?;
            }
            failure = Some(error);
        }
    }
    state.changes.report(&[Topic::Exports, Topic::Cases]);
    if let Some(error) = failure {
        return Err(error.into());
    }
    list_exports(
        state,
        ExportQuery {
            case_id: Some(case_id),
            ..ExportQuery::default()
        },
    )
    .await
}

/// Downloads an export's manifest and checks every hash and its retention against the bucket.
pub async fn verify_export(state: &AppState, export_id: String) -> CommandResult<VerifyReport> {
    let Some((exporter, _)) = context(state).exporter().await? else {
        return Err(not_configured());
    };
    let report = exporter.verify(&export_id).await?;
    state.changes.report(&[Topic::Exports]);
    Ok(report)
}

fn scope_query(scope: &HoldScope) -> ExportQuery {
    match scope {
        HoldScope::Case { case_id } => ExportQuery {
            case_id: Some(case_id.clone()),
            ..ExportQuery::default()
        },
        HoldScope::Partner { partner_id } => ExportQuery {
            partner_id: Some(partner_id.clone()),
            ..ExportQuery::default()
        },
    }
}

fn reason_of(reason: &str, what: &str) -> Result<String, AppError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::reported(
            ErrorCode::InputInvalid,
            format!("Enter the reason for {what} (a matter, a ticket, who asked)."),
        ));
    }
    Ok(reason.to_owned())
}

/// Places a legal hold on every export of a case or partner (exports made later while it is
/// active get it too); answers how many exports it covers now.
pub async fn place_legal_hold(
    state: &AppState,
    scope: HoldScope,
    reason: String,
) -> CommandResult<u32> {
    let reason = reason_of(&reason, "the legal hold")?;
    let exporter = context(state).exporter().await?;
    let workspace = state.current();
    let analyst = workspace.info.analyst.clone();
    let store = workspace.store.clone();
    {
        let (store, scope, analyst, reason) = (
            store.clone(),
            scope.clone(),
            analyst.clone(),
            reason.clone(),
        );
        blocking(move || Ok(store.place_legal_hold(&scope, &analyst, &reason, Utc::now())?))
            .await?;
    }
    let mut count = 0;
    for mut record in store.list_exports(&scope_query(&scope))? {
        if let Some((exporter, _)) = &exporter {
            exporter.set_hold(&mut record, true).await?;
        }
        count += 1;
    }
    state.changes.report(&[Topic::Exports, Topic::Cases]);
    Ok(count)
}

/// Releases a legal hold: an explicit action with a reason, recorded on each case's audit
/// trail and as an internal note; an export another active hold still covers stays held.
pub async fn release_legal_hold(
    state: &AppState,
    scope: HoldScope,
    reason: String,
) -> CommandResult<u32> {
    let reason = reason_of(&reason, "releasing the legal hold")?;
    let exporter = context(state).exporter().await?;
    let workspace = state.current();
    state.ensure_writable(&workspace)?;
    let analyst = workspace.info.analyst.clone();
    let store = workspace.store.clone();
    let cases = {
        let (store, scope, analyst, reason) = (
            store.clone(),
            scope.clone(),
            analyst.clone(),
            reason.clone(),
        );
        blocking(move || Ok(store.release_legal_hold(&scope, &analyst, &reason, Utc::now())?))
            .await
            .map_err(|error| {
                if error.code() == ErrorCode::StoreNotFound {
                    AppError::reported(
                        ErrorCode::InputInvalid,
                        "No legal hold is active there, so there is nothing to release.",
                    )
                } else {
                    error
                }
            })?
    };
    let mut count = 0;
    for mut record in store.list_exports(&scope_query(&scope))? {
        if !store.legal_hold_active(&record.case_id, &record.partner_id)? {
            if let Some((exporter, _)) = &exporter {
                exporter.set_hold(&mut record, false).await?;
            } else {
                record.legal_hold = false;
                store.save_export(&record)?;
            }
        }
        count += 1;
    }
    for case_id in cases {
        let (store, analyst, note) = (
            store.clone(),
            analyst.clone(),
            format!("Legal hold released by {analyst}: {reason}"),
        );
        blocking(move || {
            Ok(store.add_local_comment(
                &case_id,
                &analyst,
                &note,
                Visibility::Internal,
                Utc::now(),
            )?)
        })
        .await?;
    }
    state
        .changes
        .report(&[Topic::Exports, Topic::Cases, Topic::Outbox]);
    workspace.nudge();
    Ok(count)
}

/// The retention policy.
pub async fn retention_policy(state: &AppState) -> CommandResult<RetentionPolicy> {
    Ok(context(state).policy())
}

/// Checks and saves the retention policy; the job looks again at once.
pub async fn save_retention_policy(
    state: &AppState,
    policy: RetentionPolicy,
) -> CommandResult<RetentionPolicy> {
    if let Some(id) = &policy.connector_id {
        let found = match uuid::Uuid::parse_str(id) {
            Ok(id) => connector_settings(state, id).await,
            Err(_) => None,
        };
        match found {
            Some(ConnectorSettings::S3(_)) => {}
            Some(_) => {
                return Err(AppError::reported(
                    ErrorCode::SettingsInvalid,
                    "Exports go to an S3 bucket: choose an S3 connector.",
                ))
            }
            None => {
                return Err(AppError::reported(
                    ErrorCode::SettingsNotFound,
                    "That connector no longer exists.",
                ))
            }
        }
    }
    if policy.default_days == 0 || policy.periods.iter().any(|period| period.days == 0) {
        return Err(AppError::reported(
            ErrorCode::SettingsInvalid,
            "A retention period is at least one day.",
        ));
    }
    if policy.export_closed_after_days == Some(0) {
        return Err(AppError::reported(
            ErrorCode::SettingsInvalid,
            "The schedule exports cases closed at least one day ago; leave it empty to turn it off.",
        ));
    }
    let path = context(state).config_dir.join(RETENTION_FILE);
    let bytes = serde_json::to_vec_pretty(&policy).map_err(AppError::internal)?;
    blocking(move || {
        let temp = path.with_extension("json.tmp");
        std::fs::write(&temp, &bytes)?;
        std::fs::rename(&temp, &path)?;
        Ok(())
    })
    .await?;
    state.changes.report(&[Topic::Settings, Topic::Exports]);
    nudge(state);
    Ok(policy)
}

async fn connector_settings(state: &AppState, id: uuid::Uuid) -> Option<ConnectorSettings> {
    state
        .settings()
        .await
        .connector(id)
        .map(|connector| connector.settings.clone())
}
