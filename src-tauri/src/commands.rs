//! The IPC contract of ARCHITECTURE.md, one short function per command: reads go to the store on
//! a blocking thread; writes go to the store (cache row + outbox entry) and nudge the sync.

use chrono::Utc;
use pd_domain::{
    CaseDetail, CaseListPage, CasePatch, CaseQuery, CommentView, ExceptionFacets, ExceptionPage,
    ExceptionQuery, ExceptionRow, PartnerRow, SendState, StatusCount, SyncStatus, User, Visibility,
};
use pd_store::Store;
use tauri::State;

use crate::error::AppError;
use crate::exception_case::new_case_from_exception;
use crate::state::AppState;

/// Result of every command.
pub type CommandResult<T> = Result<T, AppError>;

/// Runs a store call on a blocking thread.
async fn on_store<T, F>(state: &AppState, call: F) -> CommandResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> pd_store::Result<T> + Send + 'static,
{
    let store = state.store.clone();
    Ok(tokio::task::spawn_blocking(move || call(&store)).await??)
}

/// A page of the case list.
#[tauri::command]
pub async fn list_cases(
    state: State<'_, AppState>,
    query: CaseQuery,
) -> CommandResult<CaseListPage> {
    on_store(&state, move |store| store.list_cases(&query, Utc::now())).await
}

/// Counts per status for the tabs.
#[tauri::command]
pub async fn case_status_counts(
    state: State<'_, AppState>,
    query: CaseQuery,
) -> CommandResult<Vec<StatusCount>> {
    on_store(&state, move |store| store.status_counts(&query, Utc::now())).await
}

/// One case with its thread, documents and linked transactions.
#[tauri::command]
pub async fn get_case(state: State<'_, AppState>, id: String) -> CommandResult<CaseDetail> {
    on_store(&state, move |store| store.case_detail(&id, Utc::now())).await
}

/// A page of the exceptions inbox.
#[tauri::command]
pub async fn list_exceptions(
    state: State<'_, AppState>,
    query: ExceptionQuery,
) -> CommandResult<ExceptionPage> {
    on_store(&state, move |store| store.list_exceptions(&query)).await
}

/// Filter choices for the inbox.
#[tauri::command]
pub async fn exception_facets(state: State<'_, AppState>) -> CommandResult<ExceptionFacets> {
    on_store(&state, |store| store.exception_facets()).await
}

/// Partners matching a search (all when empty).
#[tauri::command]
pub async fn list_partners(
    state: State<'_, AppState>,
    search: Option<String>,
) -> CommandResult<Vec<PartnerRow>> {
    on_store(&state, move |store| store.list_partners(search.as_deref())).await
}

/// One partner.
#[tauri::command]
pub async fn get_partner(state: State<'_, AppState>, id: String) -> CommandResult<PartnerRow> {
    on_store(&state, move |store| store.partner(&id)).await
}

/// Colleagues, to assign cases.
#[tauri::command]
pub async fn list_users(state: State<'_, AppState>) -> CommandResult<Vec<User>> {
    on_store(&state, |store| store.list_users()).await
}

/// Where the sync stands.
#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> CommandResult<SyncStatus> {
    state.sync.status().await
}

/// Syncs now; answers with the status after it (offline is a status, not an error).
#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>) -> CommandResult<SyncStatus> {
    state.sync.sync_now().await
}

/// Opens a case for a failed transaction; returns the new case id.
#[tauri::command]
pub async fn create_case_from_exception(
    state: State<'_, AppState>,
    transaction_id: String,
) -> CommandResult<String> {
    let analyst = state.workspace.analyst.clone();
    let case_id = on_store(&state, move |store| {
        let Some(row) = find_exception(store, &transaction_id)? else {
            return Ok(Err(AppError::reported(
                "exception.not_found",
                format!("Transaction {transaction_id} is not in the exceptions inbox."),
            )));
        };
        if let Some(existing) = row.case_ids.first() {
            return Ok(Ok(existing.clone()));
        }
        let new_case = match new_case_from_exception(&row, uuid::Uuid::new_v4().to_string()) {
            Ok(new_case) => new_case,
            Err(error) => return Ok(Err(error)),
        };
        store
            .create_local_case(&new_case, &analyst, Utc::now())
            .map(Ok)
    })
    .await??;
    state.changes.report(&["cases", "exceptions", "outbox"]);
    state.sync.nudge();
    Ok(case_id)
}

/// Finds one inbox row by transaction id, paging through the inbox.
fn find_exception(store: &Store, transaction_id: &str) -> pd_store::Result<Option<ExceptionRow>> {
    const PAGE: u32 = 500;
    let mut offset = 0;
    loop {
        let page = store.list_exceptions(&ExceptionQuery {
            offset,
            limit: PAGE,
            ..ExceptionQuery::default()
        })?;
        if let Some(row) = page
            .rows
            .iter()
            .find(|row| row.transaction.transaction_id == transaction_id)
        {
            return Ok(Some(row.clone()));
        }
        offset += PAGE;
        if page.rows.is_empty() || offset >= page.total {
            return Ok(None);
        }
    }
}

/// Adds a comment (queued for the server); the view says it is pending.
#[tauri::command]
pub async fn add_comment(
    state: State<'_, AppState>,
    case_id: String,
    body: String,
    visibility: Visibility,
) -> CommandResult<CommentView> {
    let author = state.workspace.analyst.clone();
    let comment = on_store(&state, move |store| {
        store.add_local_comment(&case_id, &author, &body, visibility, Utc::now())
    })
    .await?;
    state.changes.report(&["cases", "outbox"]);
    state.sync.nudge();
    Ok(CommentView {
        comment,
        send_state: SendState::Pending,
    })
}

/// Changes case fields (queued for the server) and returns the case as it now reads.
#[tauri::command]
pub async fn update_case(
    state: State<'_, AppState>,
    case_id: String,
    patch: CasePatch,
) -> CommandResult<CaseDetail> {
    let detail = on_store(&state, move |store| {
        store.patch_local_case(&case_id, &patch, Utc::now())?;
        store.case_detail(&case_id, Utc::now())
    })
    .await?;
    state.changes.report(&["cases", "outbox"]);
    state.sync.nudge();
    Ok(detail)
}
