//! The IPC contract of ARCHITECTURE.md as Tauri commands: each forwards to the plain function of
//! the same name in [`crate::api`] or [`crate::accounts`], where the work and its tests live.

use pd_domain::{
    AccountInput, AccountView, CaseDetail, CaseListPage, CasePatch, CaseQuery, CommentView,
    ConnectionTestResult, ConnectorInput, ConnectorView, ExceptionFacets, ExceptionPage,
    ExceptionQuery, KeychainStatus, NewCaseInput, OutboxEdit, OutboxEntryView, PartnerRow,
    StatusCount, SyncStatus, User, Visibility,
};
use tauri::State;

use crate::accounts;
use crate::api::{self, CommandResult};
use crate::state::AppState;

/// A page of the case list.
#[tauri::command]
pub async fn list_cases(
    state: State<'_, AppState>,
    query: CaseQuery,
) -> CommandResult<CaseListPage> {
    api::list_cases(&state, query).await
}

/// Counts per status for the tabs.
#[tauri::command]
pub async fn case_status_counts(
    state: State<'_, AppState>,
    query: CaseQuery,
) -> CommandResult<Vec<StatusCount>> {
    api::case_status_counts(&state, query).await
}

/// One case with its thread, documents and linked transactions.
#[tauri::command]
pub async fn get_case(state: State<'_, AppState>, id: String) -> CommandResult<CaseDetail> {
    api::get_case(&state, id).await
}

/// A page of the exceptions inbox.
#[tauri::command]
pub async fn list_exceptions(
    state: State<'_, AppState>,
    query: ExceptionQuery,
) -> CommandResult<ExceptionPage> {
    api::list_exceptions(&state, query).await
}

/// Filter choices for the inbox.
#[tauri::command]
pub async fn exception_facets(state: State<'_, AppState>) -> CommandResult<ExceptionFacets> {
    api::exception_facets(&state).await
}

/// Partners matching a search (all when empty).
#[tauri::command]
pub async fn list_partners(
    state: State<'_, AppState>,
    search: Option<String>,
) -> CommandResult<Vec<PartnerRow>> {
    api::list_partners(&state, search).await
}

/// One partner.
#[tauri::command]
pub async fn get_partner(state: State<'_, AppState>, id: String) -> CommandResult<PartnerRow> {
    api::get_partner(&state, id).await
}

/// Colleagues, to assign cases.
#[tauri::command]
pub async fn list_users(state: State<'_, AppState>) -> CommandResult<Vec<User>> {
    api::list_users(&state).await
}

/// Where the sync stands.
#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> CommandResult<SyncStatus> {
    api::sync_status(&state).await
}

/// Syncs now; answers with the status after it.
#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>) -> CommandResult<SyncStatus> {
    api::sync_now(&state).await
}

/// Opens a case for a failed transaction; returns the case id.
#[tauri::command]
pub async fn create_case_from_exception(
    state: State<'_, AppState>,
    transaction_id: String,
) -> CommandResult<String> {
    api::create_case_from_exception(&state, transaction_id).await
}

/// Adds a comment (queued for the server).
#[tauri::command]
pub async fn add_comment(
    state: State<'_, AppState>,
    case_id: String,
    body: String,
    visibility: Visibility,
) -> CommandResult<CommentView> {
    api::add_comment(&state, case_id, body, visibility).await
}

/// Changes case fields (queued) and returns the case.
#[tauri::command]
pub async fn update_case(
    state: State<'_, AppState>,
    case_id: String,
    patch: CasePatch,
) -> CommandResult<CaseDetail> {
    api::update_case(&state, case_id, patch).await
}

/// A case typed by the analyst (queued); returns its id.
#[tauri::command]
pub async fn create_case(state: State<'_, AppState>, input: NewCaseInput) -> CommandResult<String> {
    api::create_case(&state, input).await
}

/// Links a transaction to a case (queued).
#[tauri::command]
pub async fn link_transaction(
    state: State<'_, AppState>,
    case_id: String,
    transaction_id: String,
) -> CommandResult<CaseDetail> {
    api::link_transaction(&state, case_id, transaction_id).await
}

/// Unlinks a transaction from a case (queued).
#[tauri::command]
pub async fn unlink_transaction(
    state: State<'_, AppState>,
    case_id: String,
    transaction_id: String,
) -> CommandResult<CaseDetail> {
    api::unlink_transaction(&state, case_id, transaction_id).await
}

/// Every queued change.
#[tauri::command]
pub async fn outbox_list(state: State<'_, AppState>) -> CommandResult<Vec<OutboxEntryView>> {
    api::outbox_list(&state).await
}

/// Queues failed entries again (`null`: all of them).
#[tauri::command]
pub async fn outbox_retry(state: State<'_, AppState>, op_id: Option<String>) -> CommandResult<()> {
    api::outbox_retry(&state, op_id).await
}

/// Rewrites a refused entry and queues it again.
#[tauri::command]
pub async fn outbox_edit(
    state: State<'_, AppState>,
    op_id: String,
    edit: OutboxEdit,
) -> CommandResult<()> {
    api::outbox_edit(&state, op_id, edit).await
}

/// Drops an entry and reverts its local effect.
#[tauri::command]
pub async fn outbox_discard(state: State<'_, AppState>, op_id: String) -> CommandResult<()> {
    api::outbox_discard(&state, op_id).await
}

/// Forgets a conflict the analyst has read.
#[tauri::command]
pub async fn dismiss_conflict(
    state: State<'_, AppState>,
    conflict_id: String,
) -> CommandResult<()> {
    api::dismiss_conflict(&state, conflict_id).await
}

/// Whether secrets can be stored.
#[tauri::command]
pub async fn keychain_status(state: State<'_, AppState>) -> CommandResult<KeychainStatus> {
    api::keychain_status(&state).await
}

/// The Trading Grid accounts.
#[tauri::command]
pub async fn list_accounts(state: State<'_, AppState>) -> CommandResult<Vec<AccountView>> {
    accounts::list_accounts(&state).await
}

/// Creates or edits an account (secrets to the keychain only).
#[tauri::command]
pub async fn save_account(
    state: State<'_, AppState>,
    input: AccountInput,
) -> CommandResult<AccountView> {
    accounts::save_account(&state, input).await
}

/// Removes an account, its secrets and its cache.
#[tauri::command]
pub async fn remove_account(state: State<'_, AppState>, id: String) -> CommandResult<()> {
    accounts::remove_account(&state, id).await
}

/// Opens an account's workspace (`null`: the demo).
#[tauri::command]
pub async fn switch_account(
    state: State<'_, AppState>,
    id: Option<String>,
) -> CommandResult<SyncStatus> {
    accounts::switch_account(&state, id).await
}

/// Tests an account form without saving it.
#[tauri::command]
pub async fn test_account(
    state: State<'_, AppState>,
    input: AccountInput,
) -> CommandResult<ConnectionTestResult> {
    accounts::test_account(&state, input).await
}

/// The connectors.
#[tauri::command]
pub async fn list_connectors(state: State<'_, AppState>) -> CommandResult<Vec<ConnectorView>> {
    accounts::list_connectors(&state).await
}

/// Creates or edits a connector (secret to the keychain only).
#[tauri::command]
pub async fn save_connector(
    state: State<'_, AppState>,
    input: ConnectorInput,
) -> CommandResult<ConnectorView> {
    accounts::save_connector(&state, input).await
}

/// Removes a connector and its secret.
#[tauri::command]
pub async fn remove_connector(state: State<'_, AppState>, id: String) -> CommandResult<()> {
    accounts::remove_connector(&state, id).await
}

/// Tests a saved connector.
#[tauri::command]
pub async fn test_connector(
    state: State<'_, AppState>,
    id: String,
) -> CommandResult<ConnectionTestResult> {
    accounts::test_connector(&state, id).await
}
