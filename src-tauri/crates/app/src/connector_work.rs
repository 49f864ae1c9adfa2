//! Connector work in the app: the commands behind a case's "Publish notice" / "Promote to
//! article" and Settings' per-connector work, and the supervised background job of the open
//! workspace that runs the importers (Wix requests, Drupal requests, the xConnector feed), the
//! loopback listener and the connector push (`pd-bridge`). Work settings live in the
//! workspace's cache (what a connector imports lands in that workspace); connection settings and
//! secrets stay in Settings and the keychain.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use pd_bridge::listener::{self, ListenerConfig};
use pd_bridge::push::{push_connectors, ConnectorClient, Outside};
use pd_domain::{
    ArticleText, AsideItem, CaseOutside, ConnectorSettings, ConnectorWork, ConnectorWorkInput,
    ConnectorWorkView, ErrorCode, NoticeText, OutboxOp, OutboxState, PublicationView, Topic,
    WorkKind,
};
use pd_settings::CONNECTOR_SECRET;
use pd_store::{CaseHome, Place, Store};
use uuid::Uuid;

use crate::commands::CommandResult;
use crate::error::AppError;
use crate::events::ChangeReporter;
use crate::keychain::Keychain;
use crate::state::{ActiveWorkspace, AppState};

/// How often the job looks for due work.
const TICK: Duration = Duration::from_secs(2);

fn works(store: &Store) -> pd_store::Result<Vec<ConnectorWork>> {
    Ok(store
        .connector_work()?
        .into_iter()
        .filter_map(|(_, json)| serde_json::from_value(json).ok())
        .collect())
}

async fn on_store<T: Send + 'static>(
    store: &Store,
    call: impl FnOnce(&Store) -> pd_store::Result<T> + Send + 'static,
) -> CommandResult<T> {
    let store = store.clone();
    Ok(tokio::task::spawn_blocking(move || call(&store)).await??)
}

fn imports_of(work: &ConnectorWork) -> String {
    let mut parts = Vec::new();
    match work.kind {
        WorkKind::Xconnector => {
            if let Some(feed) = &work.feed_url {
                parts.push(format!(
                    "transaction exceptions and partner updates from the feed {feed}"
                ));
            }
            if let Some(port) = work.listen_port {
                parts.push(format!("events posted to 127.0.0.1:{port}/events"));
            }
            if let Some(out) = &work.outbound_url {
                parts.push(format!("sends case changes to {out}"));
            }
        }
        WorkKind::Wix => {
            if let Some(c) = &work.requests_collection {
                parts.push(format!("partner requests from the collection {c}"));
            }
            if let Some(c) = &work.notices_collection {
                parts.push(format!("publishes notices to {c}"));
            }
        }
        WorkKind::Drupal => {
            if let Some(b) = &work.request_bundle {
                parts.push(format!("issue requests of the content type {b}"));
            }
            if let Some(b) = &work.article_bundle {
                parts.push(format!("promotes resolutions to {b} nodes"));
            }
        }
        WorkKind::Sftp => {
            if let Some(inbox) = &work.partner_inbox {
                parts.push(format!("delivers documents to the partner inbox {inbox}"));
            }
        }
    }
    if parts.is_empty() {
        "Nothing yet".into()
    } else {
        let mut text = parts.join("; ");
        if let Some(first) = text.get(..1) {
            text = first.to_uppercase() + &text[1..];
        }
        text
    }
}

/// Every connector's work in the open workspace, with its runs.
pub async fn connector_work_list(state: &AppState) -> CommandResult<Vec<ConnectorWorkView>> {
    let workspace = state.current();
    let keychain = state.keychain.clone();
    let (works, runs, entries) = on_store(&workspace.store, |store| {
        Ok((
            works(store)?,
            store.connector_runs()?,
            store.outbox_entries()?,
        ))
    })
    .await?;
    let mut out = Vec::new();
    for work in works {
        let mine = |e: &&pd_store::OutboxEntry| matches!(&e.op, Ok(OutboxOp::Connector(w)) if w.connector_id() == work.connector_id);
        let token_set = match (work.kind, Uuid::parse_str(&work.connector_id)) {
            (WorkKind::Xconnector, Ok(id)) => keychain
                .get(id, CONNECTOR_SECRET)
                .await
                .ok()
                .flatten()
                .is_some(),
            _ => false,
        };
        out.push(ConnectorWorkView {
            imports: imports_of(&work),
            runs: runs
                .iter()
                .filter(|r| r.connector_id == work.connector_id)
                .cloned()
                .collect(),
            queued: u32::try_from(entries.iter().filter(mine).count()).unwrap_or(u32::MAX),
            failed: u32::try_from(
                entries
                    .iter()
                    .filter(mine)
                    .filter(|e| e.state == OutboxState::Failed)
                    .count(),
            )
            .unwrap_or(u32::MAX),
            token_set,
            work,
        });
    }
    Ok(out)
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::reported(ErrorCode::InputInvalid, message)
}

fn check_url(url: Option<&str>, what: &str) -> CommandResult<()> {
    if let Some(url) = url {
        let parsed = url::Url::parse(url)
            .map_err(|e| invalid(format!("The {what} \"{url}\" is not an address ({e}).")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid(format!(
                "The {what} must start with https:// (or http:// on this computer)."
            )));
        }
    }
    Ok(())
}

/// Creates or edits a connector's work; an xConnector's token goes to the keychain.
pub async fn save_connector_work(
    state: &AppState,
    input: ConnectorWorkInput,
) -> CommandResult<ConnectorWorkView> {
    let workspace = state.current();
    state.ensure_writable(&workspace)?;
    let mut work = input.work;
    let clean = |v: &mut Option<String>| {
        *v = v
            .take()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
    };
    for field in [
        &mut work.notices_collection,
        &mut work.requests_collection,
        &mut work.article_bundle,
        &mut work.request_bundle,
        &mut work.feed_url,
        &mut work.outbound_url,
        &mut work.partner_inbox,
    ] {
        clean(field);
    }
    for rule in &mut work.rules {
        clean(&mut rule.partner_id);
        clean(&mut rule.owner);
    }
    work.rules
        .retain(|r| r.owner.is_some() || r.set_kind.is_some());
    if work.every_seconds < 10 {
        return Err(invalid("Imports run at most every 10 seconds."));
    }
    match work.kind {
        WorkKind::Xconnector => {
            check_url(work.feed_url.as_deref(), "feed address")?;
            check_url(work.outbound_url.as_deref(), "outbound address")?;
            if work.connector_id.trim().is_empty() {
                work.connector_id = Uuid::new_v4().to_string();
            }
            let id = Uuid::parse_str(&work.connector_id)
                .map_err(|_| invalid("That xConnector does not exist."))?;
            if work.name.trim().is_empty() {
                return Err(invalid("Give the xConnector a name."));
            }
            if let Some(token) = input
                .token
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
            {
                state
                    .keychain
                    .set_or_remove(id, CONNECTOR_SECRET, token.to_owned())
                    .await?;
            }
        }
        WorkKind::Wix | WorkKind::Drupal | WorkKind::Sftp => {
            if work.kind == WorkKind::Sftp {
                crate::deliveries::check_inbox(work.partner_inbox.as_deref())?;
            }
            let settings = state.settings().await;
            let connector = settings
                .connectors
                .iter()
                .find(|c| c.id.to_string() == work.connector_id)
                .ok_or_else(|| invalid("That connector no longer exists."))?;
            let fits = matches!(
                (&connector.settings, work.kind),
                (ConnectorSettings::Wix(_), WorkKind::Wix)
                    | (ConnectorSettings::Drupal(_), WorkKind::Drupal)
                    | (ConnectorSettings::Sftp(_), WorkKind::Sftp)
            );
            if !fits {
                return Err(invalid("That connector is of another kind."));
            }
            work.name = connector.name.clone();
        }
    }
    let json = serde_json::to_value(&work).map_err(|e| invalid(e.to_string()))?;
    let (id, outbound) = (
        work.connector_id.clone(),
        work.kind == WorkKind::Xconnector && work.outbound_url.is_some() && work.enabled,
    );
    on_store(&workspace.store, move |store| {
        store.save_connector_work(&id, Some(&json), Utc::now())?;
        store.set_outbound_route(&id, outbound)
    })
    .await?;
    state.changes.report(&[Topic::Settings]);
    let id = work.connector_id.clone();
    connector_work_list(state)
        .await?
        .into_iter()
        .find(|v| v.work.connector_id == id)
        .ok_or_else(|| invalid("The connector's work could not be read back."))
}

/// Items kept aside by the importers and the listener, newest first.
pub async fn aside_items(state: &AppState) -> CommandResult<Vec<AsideItem>> {
    on_store(&state.current().store, |store| store.aside_items(200)).await
}

fn target(works: &[ConnectorWork], kind: WorkKind) -> Option<Place> {
    works
        .iter()
        .filter(|w| w.kind == kind && w.enabled)
        .find_map(|w| {
            let place = match kind {
                WorkKind::Wix => w.notices_collection.clone(),
                WorkKind::Drupal => w.article_bundle.clone(),
                WorkKind::Xconnector | WorkKind::Sftp => None,
            }?;
            Some(Place {
                connector_id: w.connector_id.clone(),
                place,
            })
        })
}

/// What a case shows of the outside systems: its notice and article (with previews) and where it
/// came from.
pub async fn case_outside(state: &AppState, case_id: String) -> CommandResult<CaseOutside> {
    on_store(&state.current().store, move |store| {
        let works = works(store)?;
        Ok(CaseOutside {
            publications: store.publications(&case_id)?,
            origins: store.case_origins(&case_id)?,
            notice_draft: store.draft_notice(&case_id)?,
            article_draft: store.draft_article(&case_id)?,
            notice_target: target(&works, WorkKind::Wix)
                .map(|p| format!("{} ({})", name_of(&works, &p), p.place)),
            article_target: target(&works, WorkKind::Drupal)
                .map(|p| format!("{} ({})", name_of(&works, &p), p.place)),
        })
    })
    .await
}

fn name_of(works: &[ConnectorWork], place: &Place) -> String {
    works
        .iter()
        .find(|w| w.connector_id == place.connector_id)
        .map(|w| w.name.clone())
        .unwrap_or_default()
}

async fn publish(
    state: &AppState,
    case_id: String,
    kind: WorkKind,
    text: Result<NoticeText, ArticleText>,
) -> CommandResult<PublicationView> {
    let workspace = state.current();
    state.ensure_writable(&workspace)?;
    let id = case_id.clone();
    let view = on_store(&workspace.store, move |store| {
        let works = works(store)?;
        let Some(place) = target(&works, kind) else {
            return Err(pd_store::StoreError::Invalid(match kind {
                WorkKind::Wix => "No Wix connector has a notices collection: set one in Settings, Connector work.".into(),
                _ => "No Drupal connector has an article content type: set one in Settings, Connector work.".into(),
            }));
        };
        let now = Utc::now();
        let wanted = match &text {
            Ok(notice) => {
                store.publish_notice(&id, &place, notice, now)?;
                pd_domain::PublicationKind::WixNotice
            }
            Err(article) => {
                store.promote_article(&id, &place, article, now)?;
                pd_domain::PublicationKind::DrupalArticle
            }
        };
        store
            .publications(&id)?
            .into_iter()
            .find(|p| p.kind == wanted)
            .ok_or_else(|| pd_store::StoreError::NotFound { what: "publication", id: id.clone() })
    })
    .await?;
    state.changes.report(&[Topic::Cases, Topic::Outbox]);
    workspace.nudge_connectors();
    Ok(view)
}

/// Publishes (or updates) the case's partner notice with the analyst's text.
pub async fn publish_notice(
    state: &AppState,
    case_id: String,
    notice: NoticeText,
) -> CommandResult<PublicationView> {
    publish(state, case_id, WorkKind::Wix, Ok(notice)).await
}

/// Promotes (or updates) the case's resolution as a knowledge article.
pub async fn promote_article(
    state: &AppState,
    case_id: String,
    article: ArticleText,
) -> CommandResult<PublicationView> {
    publish(state, case_id, WorkKind::Drupal, Err(article)).await
}

// ---- the background job --------------------------------------------------------------------

/// What the connectors job of one workspace needs.
#[derive(Clone)]
pub struct JobContext {
    /// The workspace's cache.
    pub store: Store,
    /// Where imported cases go.
    pub home: CaseHome,
    /// The settings file (connection settings of Wix and Drupal connectors).
    pub settings_path: PathBuf,
    /// The keychain (secrets, xConnector tokens).
    pub keychain: Keychain,
    /// Where changes are reported.
    pub changes: ChangeReporter,
    /// Wakes the job early (a publish).
    pub wake: Arc<tokio::sync::Notify>,
}

struct Running {
    listener: Option<(
        u16,
        tokio::task::JoinHandle<()>,
        tokio::sync::oneshot::Sender<()>,
    )>,
    last_import: HashMap<String, Instant>,
}

/// Runs the workspace's connector work until stopped (the supervisor restarts it after a panic).
pub async fn run_job(ctx: JobContext) {
    let mut running = Running {
        listener: None,
        last_import: HashMap::new(),
    };
    loop {
        cycle(&ctx, &mut running).await;
        tokio::select! {
            () = tokio::time::sleep(TICK) => {}
            () = ctx.wake.notified() => {}
        }
    }
}

async fn secret(ctx: &JobContext, id: &str) -> Option<String> {
    let id = Uuid::parse_str(id).ok()?;
    ctx.keychain
        .get(id, CONNECTOR_SECRET)
        .await
        .ok()
        .flatten()
        .map(|s| s.expose_secret().to_owned())
}

async fn cycle(ctx: &JobContext, running: &mut Running) {
    let store = ctx.store.clone();
    let Ok(Ok(works)) = tokio::task::spawn_blocking(move || works(&store)).await else {
        return;
    };
    let settings = pd_settings::load(&ctx.settings_path).unwrap_or_default();
    let mut options = pd_connectors::ConnectorOptions::default();
    if let Ok(base) = std::env::var(crate::accounts::WIX_API_BASE_ENV) {
        if !base.trim().is_empty() {
            options.wix_api_base = base.trim().to_owned();
        }
    }
    let mut outside = Outside::default();
    let mut wanted_listener = None;
    let mut imports = Vec::new();
    // An SFTP connector's work is its partner inbox: the deliveries job uses it.
    for work in works
        .iter()
        .filter(|w| w.enabled && w.kind != WorkKind::Sftp)
    {
        let secret = secret(ctx, &work.connector_id).await;
        let due = running
            .last_import
            .get(&work.connector_id)
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(u64::from(work.every_seconds)));
        match work.kind {
            WorkKind::Xconnector => {
                let Ok(client) = pd_connectors::XcClient::new(secret.as_deref(), &options) else {
                    record(
                        ctx,
                        work,
                        "xc_feed",
                        Some(
                            "No xConnector token is stored: enter it in Settings, Connector work."
                                .into(),
                        ),
                    )
                    .await;
                    continue;
                };
                if let Some(endpoint) = &work.outbound_url {
                    outside.clients.insert(
                        work.connector_id.clone(),
                        ConnectorClient::Xc {
                            client: client.clone(),
                            endpoint: endpoint.clone(),
                        },
                    );
                }
                if let (Some(port), Some(token)) = (work.listen_port, secret.clone()) {
                    wanted_listener = Some((port, work.connector_id.clone(), token));
                }
                if due {
                    if let Some(feed) = work.feed_url.clone() {
                        imports.push(Import::Feed(work.clone(), client, feed));
                    }
                }
            }
            WorkKind::Wix => {
                let Some(ConnectorSettings::Wix(wix)) = settings
                    .connectors
                    .iter()
                    .find(|c| c.id.to_string() == work.connector_id)
                    .map(|c| &c.settings)
                else {
                    continue;
                };
                match pd_connectors::WixClient::new(wix, secret.as_deref(), &options) {
                    Ok(client) => {
                        outside.clients.insert(
                            work.connector_id.clone(),
                            ConnectorClient::Wix(client.clone()),
                        );
                        if due && work.requests_collection.is_some() {
                            imports.push(Import::Wix(work.clone(), client));
                        }
                    }
                    Err(e) => record(ctx, work, "wix_requests", Some(e.to_string())).await,
                }
            }
            WorkKind::Drupal => {
                let Some(ConnectorSettings::Drupal(drupal)) = settings
                    .connectors
                    .iter()
                    .find(|c| c.id.to_string() == work.connector_id)
                    .map(|c| &c.settings)
                else {
                    continue;
                };
                match pd_connectors::DrupalClient::new(drupal, secret.as_deref(), &options) {
                    Ok(client) => {
                        let client = Arc::new(client);
                        outside.clients.insert(
                            work.connector_id.clone(),
                            ConnectorClient::Drupal(client.clone()),
                        );
                        if due && work.request_bundle.is_some() {
                            imports.push(Import::Drupal(
                                work.clone(),
                                client,
                                drupal.base_url.clone(),
                            ));
                        }
                    }
                    Err(e) => record(ctx, work, "drupal_requests", Some(e.to_string())).await,
                }
            }
            WorkKind::Sftp => {}
        }
    }
    keep_listener(ctx, running, wanted_listener).await;
    for import in imports {
        let id = import.work().connector_id.clone();
        running.last_import.insert(id, Instant::now());
        run_import(ctx, import).await;
    }
    match push_connectors(&ctx.store, &outside, Duration::from_secs(60)).await {
        Ok(report) if report.sent + report.failed + report.rescheduled > 0 => {
            ctx.changes
                .report(&[Topic::Cases, Topic::Outbox, Topic::Settings]);
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "connector push stopped"),
    }
}

enum Import {
    Feed(ConnectorWork, pd_connectors::XcClient, String),
    Wix(ConnectorWork, pd_connectors::WixClient),
    Drupal(ConnectorWork, Arc<pd_connectors::DrupalClient>, String),
}

impl Import {
    fn work(&self) -> &ConnectorWork {
        match self {
            Import::Feed(w, ..) | Import::Wix(w, ..) | Import::Drupal(w, ..) => w,
        }
    }
}

async fn run_import(ctx: &JobContext, import: Import) {
    let (job, outcome) = match &import {
        Import::Feed(work, client, feed) => (
            pd_bridge::feed::FEED_JOB,
            pd_bridge::feed::pull_feed(&ctx.store, client, &work.connector_id, feed, ctx.home, 50)
                .await
                .map(|r| r.ingest),
        ),
        Import::Wix(work, client) => (
            pd_bridge::requests::WIX_JOB,
            pd_bridge::requests::import_wix(
                &ctx.store,
                client,
                &work.connector_id,
                work.requests_collection.as_deref().unwrap_or_default(),
                ctx.home,
                &rules_of(work),
            )
            .await,
        ),
        Import::Drupal(work, client, root) => (
            pd_bridge::requests::DRUPAL_JOB,
            pd_bridge::requests::import_drupal(
                &ctx.store,
                client,
                root,
                &work.connector_id,
                work.request_bundle.as_deref().unwrap_or_default(),
                ctx.home,
                &rules_of(work),
            )
            .await,
        ),
    };
    let error = match &outcome {
        Ok(report) if report.changed() + report.aside > 0 => {
            ctx.changes.report(&[
                Topic::Cases,
                Topic::Partners,
                Topic::Outbox,
                Topic::Settings,
            ]);
            None
        }
        Ok(_) => None,
        Err(e) => Some(e.to_string()),
    };
    record(ctx, import.work(), job, error).await;
}

fn rules_of(work: &ConnectorWork) -> Vec<pd_store::AssignRule> {
    work.rules
        .iter()
        .map(|r| pd_store::AssignRule {
            kind: r.kind,
            partner_id: r.partner_id.clone(),
            owner: r.owner.clone(),
            set_kind: r.set_kind,
        })
        .collect()
}

async fn record(ctx: &JobContext, work: &ConnectorWork, job: &'static str, error: Option<String>) {
    let store = ctx.store.clone();
    let (id, imports) = (work.connector_id.clone(), imports_of(work));
    let _ = tokio::task::spawn_blocking(move || {
        store.record_connector_run(&id, job, &imports, error.as_deref(), Utc::now())
    })
    .await;
    ctx.changes.report(&[Topic::Settings]);
}

async fn keep_listener(
    ctx: &JobContext,
    running: &mut Running,
    wanted: Option<(u16, String, String)>,
) {
    let same = match (&running.listener, &wanted) {
        (Some((port, handle, _)), Some((want, _, _))) => port == want && !handle.is_finished(),
        (None, None) => true,
        _ => false,
    };
    if same {
        return;
    }
    if let Some((_, handle, stop)) = running.listener.take() {
        let _ = stop.send(());
        let _ = handle.await;
    }
    let Some((port, connector_id, token)) = wanted else {
        return;
    };
    let socket = match listener::bind(port).await {
        Ok(socket) => socket,
        Err(e) => {
            let store = ctx.store.clone();
            let message = e.to_string();
            let _ = tokio::task::spawn_blocking(move || {
                store.record_connector_run(
                    &connector_id,
                    "xc_listener",
                    "events posted on loopback",
                    Some(&message),
                    Utc::now(),
                )
            })
            .await;
            return;
        }
    };
    let changes = ctx.changes.clone();
    let config = ListenerConfig {
        store: ctx.store.clone(),
        connector_id,
        home: ctx.home,
        token,
        on_ingest: Arc::new(move |report| {
            if report.changed() + report.aside > 0 {
                changes.report(&[
                    Topic::Cases,
                    Topic::Partners,
                    Topic::Outbox,
                    Topic::Settings,
                ]);
            }
        }),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        if let Err(e) = listener::serve(socket, config, async {
            let _ = stopped.await;
        })
        .await
        {
            tracing::warn!(error = %e, "event listener stopped");
        }
    });
    running.listener = Some((port, handle, stop));
}

impl ActiveWorkspace {
    /// Starts this workspace's connectors job (once).
    pub(crate) fn start_connectors(&self, state: &AppState) {
        let mut slot = self
            .connectors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_some() || self.held_back() {
            return;
        }
        let ctx = JobContext {
            store: self.store.clone(),
            home: if self.info.keeps_cases_here {
                CaseHome::Kept
            } else {
                CaseHome::Shared
            },
            settings_path: state.settings_path.clone(),
            keychain: state.keychain.clone(),
            changes: state.changes.clone(),
            wake: self.connectors_wake.clone(),
        };
        let name = format!("Connectors: {}", self.info.name);
        let id = state.supervisor.spawn(name, move || run_job(ctx.clone()));
        *slot = Some((state.supervisor.clone(), id));
    }

    /// Wakes the connectors job (after a publish).
    pub(crate) fn nudge_connectors(&self) {
        self.connectors_wake.notify_one();
    }
}
