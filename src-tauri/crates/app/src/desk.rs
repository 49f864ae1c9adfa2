//! The command bodies of the desktop features (issue 14): the desktop settings (me, notification
//! switches and quiet hours, close-to-tray, SLA policy, escalation rules), the window's
//! navigation requests (notification clicks, `partnerdesk://` links, the tray) and the pause of
//! notifications the tray offers.

use chrono::Utc;
use pd_domain::{
    CaseQuery, CaseSortField, CaseStatus, DeskSettings, ErrorCode, MyWorkCounts, OpenRoute,
    SlaState, Topic, WAITING_ON_US,
};

use crate::commands::CommandResult;
use crate::error::AppError;
use crate::navigate::case_reference_of_link;
use crate::state::AppState;

/// The desktop settings.
pub async fn desk_settings(state: &AppState) -> CommandResult<DeskSettings> {
    Ok(state.settings().await.desk.clone())
}

/// Checks and saves the desktop settings; they take effect at once.
pub async fn save_desk_settings(
    state: &AppState,
    desk: DeskSettings,
) -> CommandResult<DeskSettings> {
    let issues = pd_settings::validate_desk(&desk);
    if let Some(first) = issues.first() {
        return Err(AppError::reported(
            ErrorCode::SettingsInvalid,
            first.problem.clone(),
        ));
    }
    let mut settings = state.settings().await;
    let mut changed = settings.clone();
    changed.desk = desk;
    state.save_settings(&changed).await?;
    *settings = changed;
    state
        .notifier
        .set_settings(settings.desk.notifications.clone());
    *state
        .sla
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = settings.desk.sla.clone();
    *state
        .desk_live
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = settings.desk.clone();
    let saved = settings.desk.clone();
    drop(settings);
    // notify_waiters wakes only a watcher waiting now; notify_one keeps a permit for one that
    // is in the middle of a look.
    state.watch_nudge.notify_one();
    state.changes.report(&[Topic::Settings, Topic::Cases]);
    Ok(saved)
}

/// Pauses or resumes OS notifications (the tray's quick action).
pub async fn pause_notifications(state: &AppState, paused: bool) -> CommandResult<DeskSettings> {
    let mut desk = desk_settings(state).await?;
    desk.notifications.paused = paused;
    save_desk_settings(state, desk).await
}

/// Where the window was asked to go (a click, a link, the tray), taken once.
pub async fn take_open_request(state: &AppState) -> CommandResult<Option<OpenRoute>> {
    Ok(state.navigation.take())
}

/// Opens the case a `partnerdesk://case/<reference>` link names: the window comes forward and
/// shows it. Refused in words when the link is not a case link or no cached case has that
/// reference.
pub async fn open_link(state: &AppState, link: String) -> CommandResult<OpenRoute> {
    let reference = case_reference_of_link(&link)?;
    let store = state.current().store.clone();
    let wanted = reference.clone();
    let id = tokio::task::spawn_blocking(move || store.case_id_by_reference(&wanted))
        .await??
        .ok_or_else(|| {
            AppError::reported(
                ErrorCode::StoreNotFound,
                format!("No case {reference} is on this computer (sync, or check the link)."),
            )
        })?;
    let route = OpenRoute::Case { id };
    state.navigation.open(route.clone());
    Ok(route)
}

/// The most of my open cases counted (more would be an unusual desk).
const MY_CASES_LIMIT: u32 = 2000;

/// My open cases (none when "me" is not chosen), most urgent SLA first: breached, at risk, on
/// track, then by the next due instant (the clocks computed here).
pub async fn my_open_cases(state: &AppState) -> CommandResult<Vec<pd_domain::CaseRow>> {
    let Some(me) = state.settings().await.desk.me.clone() else {
        return Ok(Vec::new());
    };
    let query = CaseQuery {
        owners: vec![me],
        statuses: CaseStatus::ALL
            .into_iter()
            .filter(|s| !s.is_terminal())
            .collect(),
        sort: CaseSortField::SlaDue,
        limit: MY_CASES_LIMIT,
        ..CaseQuery::default()
    };
    let store = state.current().store.clone();
    let page = tokio::task::spawn_blocking(move || store.list_cases(&query, Utc::now())).await??;
    // The list already ranks by SLA urgency with the computed clocks; ranked again here with
    // the same key for the policy-off case (the server's due column orders by due alone).
    let mut rows = page.rows;
    rows.sort_by_key(|r| pd_domain::sla_urgency_key(r.sla_state, r.sla_due));
    Ok(rows)
}

/// Breached, at risk, waiting on us (my open cases) and failed actions.
pub async fn my_work_counts(state: &AppState) -> CommandResult<MyWorkCounts> {
    let me_unknown = state.settings().await.desk.me.is_none();
    let rows = my_open_cases(state).await?;
    let status = state.current().status().await;
    let count = |keep: &dyn Fn(&pd_domain::CaseRow) -> bool| {
        u32::try_from(rows.iter().filter(|r| keep(r)).count()).unwrap_or(u32::MAX)
    };
    Ok(MyWorkCounts {
        breached: count(&|r| r.sla_state == SlaState::Breached),
        at_risk: count(&|r| r.sla_state == SlaState::AtRisk),
        waiting_on_us: count(&|r| WAITING_ON_US.contains(&r.status)),
        failed_actions: status.failed_changes,
        me_unknown,
    })
}

impl AppState {
    /// Whether closing the window keeps the app in the tray (read without waiting: while the
    /// settings are being edited, it does, so nothing stops by surprise).
    pub fn close_to_tray(&self) -> bool {
        self.try_settings()
            .is_none_or(|settings| settings.desk.close_to_tray)
    }

    /// A click on the shown notification `id`: the window comes forward with where it points.
    /// The shell's click handler and the tests call this one path. Answers the route, none for
    /// an unknown (too old) notification.
    pub fn notification_clicked(&self, id: i32) -> Option<OpenRoute> {
        let route = self.notifier.clicked(id)?;
        self.navigation.open(route.clone());
        Some(route)
    }
}
