//! The bodies of the IPC commands as plain async functions over [`AppState`], so integration
//! tests call exactly what the window calls (and serialize the answers as Tauri does) without a
//! window. [`crate::commands`] gathers them under the names `pd-ipc` declares.
//!
//! Reads go to the open workspace's cache on a blocking thread; local writes go to the cache
//! (row + outbox entry in one transaction), report their topics and nudge the sync.

use pd_domain::ErrorCode;
use std::sync::Arc;

use chrono::Utc;
use pd_domain::{
    CaseDetail, CaseListPage, CasePatch, CaseQuery, CaseReferences, CommentView, ExceptionFacets,
    ExceptionPage, ExceptionQuery, KeychainStatus, NewCase, NewCaseInput, OutboxEdit,
    OutboxEntryView, PartnerRow, SendState, StatusCount, SyncStatus, Topic, User, Visibility,
};
use pd_store::{RetryTarget, Store};

use crate::commands::CommandResult;
use crate::error::AppError;
use crate::exception_case::new_case_from_exception;
use crate::state::{ActiveWorkspace, AppState};

/// Runs a store call of the open workspace on a blocking thread.
async fn on_store<T, F>(workspace: &ActiveWorkspace, call: F) -> CommandResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> pd_store::Result<T> + Send + 'static,
{
    let store = workspace.store.clone();
    Ok(tokio::task::spawn_blocking(move || call(&store)).await??)
}

async fn read<T, F>(state: &AppState, call: F) -> CommandResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> pd_store::Result<T> + Send + 'static,
{
    on_store(&state.current(), call).await
}

/// The open workspace, if local changes may be queued in it now.
fn writable(state: &AppState) -> CommandResult<Arc<ActiveWorkspace>> {
    let workspace = state.current();
    state.ensure_writable(&workspace)?;
    Ok(workspace)
}

/// After a local change: tell the UI and ask the sync to push soon.
fn changed(state: &AppState, workspace: &ActiveWorkspace, topics: &[Topic]) {
    state.changes.report(topics);
    workspace.nudge();
}

/// A page of the case list.
pub async fn list_cases(state: &AppState, query: CaseQuery) -> CommandResult<CaseListPage> {
    read(state, move |store| store.list_cases(&query, Utc::now())).await
}

/// Counts per status for the tabs.
pub async fn case_status_counts(
    state: &AppState,
    query: CaseQuery,
) -> CommandResult<Vec<StatusCount>> {
    read(state, move |store| store.status_counts(&query, Utc::now())).await
}

/// One case with its thread, documents and linked transactions.
pub async fn get_case(state: &AppState, id: String) -> CommandResult<CaseDetail> {
    read(state, move |store| store.case_detail(&id, Utc::now())).await
}

/// A page of the exceptions inbox.
pub async fn list_exceptions(
    state: &AppState,
    query: ExceptionQuery,
) -> CommandResult<ExceptionPage> {
    read(state, move |store| store.list_exceptions(&query)).await
}

/// Filter choices for the inbox.
pub async fn exception_facets(state: &AppState) -> CommandResult<ExceptionFacets> {
    read(state, |store| store.exception_facets()).await
}

/// Partners matching a search (all when empty).
pub async fn list_partners(
    state: &AppState,
    search: Option<String>,
) -> CommandResult<Vec<PartnerRow>> {
    read(state, move |store| store.list_partners(search.as_deref())).await
}

/// One partner.
pub async fn get_partner(state: &AppState, id: String) -> CommandResult<PartnerRow> {
    read(state, move |store| store.partner(&id)).await
}

/// Colleagues, to assign cases.
pub async fn list_users(state: &AppState) -> CommandResult<Vec<User>> {
    read(state, |store| store.list_users()).await
}

/// Where the sync stands.
pub async fn sync_status(state: &AppState) -> CommandResult<SyncStatus> {
    Ok(state.status().await)
}

/// Syncs now; answers with the status after it (offline is a status, not an error).
pub async fn sync_now(state: &AppState) -> CommandResult<SyncStatus> {
    state.current().sync_now().await;
    Ok(state.status().await)
}

/// Opens a case for a failed transaction; returns the new case id (or the existing one).
pub async fn create_case_from_exception(
    state: &AppState,
    transaction_id: String,
) -> CommandResult<String> {
    let workspace = writable(state)?;
    let analyst = workspace.info.analyst.clone();
    let keep_here = workspace.info.keeps_cases_here;
    let case_id = on_store(&workspace, move |store| {
        Ok(open_case_for_exception(
            store,
            &transaction_id,
            &analyst,
            uuid::Uuid::new_v4().to_string(),
            Utc::now(),
            keep_here,
        ))
    })
    .await??;
    changed(
        state,
        &workspace,
        &[Topic::Cases, Topic::Exceptions, Topic::Outbox],
    );
    Ok(case_id)
}

/// The body of [`create_case_from_exception`] on one store, with the new case's id and the time
/// given (the UI fixtures are written through it with fixed ones): the case id, the existing one
/// when the transaction is already linked. `keep_here`: the account has no case server, the case
/// is kept on this computer only.
pub fn open_case_for_exception(
    store: &Store,
    transaction_id: &str,
    analyst: &str,
    case_id: String,
    now: chrono::DateTime<Utc>,
    keep_here: bool,
) -> CommandResult<String> {
    let Some(row) = store.exception(transaction_id)? else {
        return Err(AppError::reported(
            ErrorCode::ExceptionNotFound,
            format!("Transaction {transaction_id} is not in the exceptions inbox."),
        ));
    };
    if let Some(existing) = row.case_ids.first() {
        return Ok(existing.clone());
    }
    let new_case = new_case_from_exception(&row, case_id)?;
    Ok(create_case_in(store, &new_case, analyst, now, keep_here)?)
}

/// Creates a local case: queued for the case server, or kept on this computer when the
/// account has none.
pub(crate) fn create_case_in(
    store: &Store,
    new_case: &NewCase,
    author: &str,
    now: chrono::DateTime<Utc>,
    keep_here: bool,
) -> pd_store::Result<String> {
    if keep_here {
        store.create_kept_case(new_case, author, now)
    } else {
        store.create_local_case(new_case, author, now)
    }
}

/// Adds a comment (queued for the server); the view says it is pending.
pub async fn add_comment(
    state: &AppState,
    case_id: String,
    body: String,
    visibility: Visibility,
) -> CommandResult<CommentView> {
    let workspace = writable(state)?;
    let author = workspace.info.analyst.clone();
    let comment = on_store(&workspace, move |store| {
        store.add_local_comment(&case_id, &author, &body, visibility, Utc::now())
    })
    .await?;
    changed(state, &workspace, &[Topic::Cases, Topic::Outbox]);
    Ok(CommentView {
        comment,
        send_state: SendState::Pending,
    })
}

/// Changes case fields (queued for the server) and returns the case as it now reads.
pub async fn update_case(
    state: &AppState,
    case_id: String,
    patch: CasePatch,
) -> CommandResult<CaseDetail> {
    let workspace = writable(state)?;
    let analyst = workspace.info.analyst.clone();
    let closes = patch.status == Some(pd_domain::CaseStatus::Closed);
    let detail = on_store(&workspace, move |store| {
        // As the analyst: the audit trail records who changed status, owner, priority, SLA.
        store.patch_local_case_as(&case_id, &patch, &analyst, Utc::now())?;
        store.case_detail(&case_id, Utc::now())
    })
    .await?;
    changed(state, &workspace, &[Topic::Cases, Topic::Outbox]);
    if closes {
        crate::retention::nudge(state); // export on close
    }
    Ok(detail)
}

/// A case typed by the analyst; returns its id. The description becomes the first comment.
pub async fn create_case(state: &AppState, input: NewCaseInput) -> CommandResult<String> {
    let workspace = writable(state)?;
    let author = workspace.info.analyst.clone();
    let new_case = NewCase {
        id: uuid::Uuid::new_v4().to_string(),
        title: input.title,
        partner_id: input.partner_id,
        partner_name: None,
        kind: input.kind,
        priority: Some(input.priority),
        owner: input.owner.filter(|owner| !owner.trim().is_empty()),
        sla_due: None,
        linked_transactions: Vec::new(),
        references: CaseReferences::default(),
        description: input
            .description
            .filter(|description| !description.trim().is_empty()),
    };
    let keep_here = workspace.info.keeps_cases_here;
    let case_id = on_store(&workspace, move |store| {
        create_case_in(store, &new_case, &author, Utc::now(), keep_here)
    })
    .await?;
    changed(state, &workspace, &[Topic::Cases, Topic::Outbox]);
    Ok(case_id)
}

/// Links a transaction to a case (queued) and returns the case as it now reads.
pub async fn link_transaction(
    state: &AppState,
    case_id: String,
    transaction_id: String,
) -> CommandResult<CaseDetail> {
    link(state, case_id, transaction_id, true).await
}

/// Unlinks a transaction from a case (queued) and returns the case as it now reads.
pub async fn unlink_transaction(
    state: &AppState,
    case_id: String,
    transaction_id: String,
) -> CommandResult<CaseDetail> {
    link(state, case_id, transaction_id, false).await
}

async fn link(
    state: &AppState,
    case_id: String,
    transaction_id: String,
    linked: bool,
) -> CommandResult<CaseDetail> {
    let workspace = writable(state)?;
    let transaction_id = transaction_id.trim().to_owned();
    if transaction_id.is_empty() {
        return Err(AppError::reported(
            ErrorCode::InputInvalid,
            "Enter the transaction id to link.",
        ));
    }
    let detail = on_store(&workspace, move |store| {
        if linked {
            store.link_local_transaction(&case_id, &transaction_id, Utc::now())?;
        } else {
            store.unlink_local_transaction(&case_id, &transaction_id, Utc::now())?;
        }
        store.case_detail(&case_id, Utc::now())
    })
    .await?;
    changed(
        state,
        &workspace,
        &[Topic::Cases, Topic::Exceptions, Topic::Outbox],
    );
    Ok(detail)
}

/// Every queued change, in queue order, each with its typed operation (the store's view as is).
pub async fn outbox_list(state: &AppState) -> CommandResult<Vec<OutboxEntryView>> {
    read(state, |store| store.outbox_views()).await
}

/// Queues a failed entry again (`None`: every failed entry) and asks the sync to push.
pub async fn outbox_retry(state: &AppState, op_id: Option<String>) -> CommandResult<()> {
    let workspace = writable(state)?;
    let target = match op_id {
        Some(op_id) => RetryTarget::One(op_id),
        None => RetryTarget::All,
    };
    on_store(&workspace, move |store| store.outbox_retry(&target)).await?;
    changed(
        state,
        &workspace,
        &[Topic::Outbox, Topic::Sync, Topic::Cases],
    );
    Ok(())
}

/// Rewrites a refused entry and queues it again.
pub async fn outbox_edit(state: &AppState, op_id: String, edit: OutboxEdit) -> CommandResult<()> {
    let workspace = writable(state)?;
    on_store(&workspace, move |store| store.outbox_edit(&op_id, &edit)).await?;
    changed(
        state,
        &workspace,
        &[Topic::Outbox, Topic::Sync, Topic::Cases],
    );
    Ok(())
}

/// Drops an entry and reverts its local effect (a local undo: needs no keychain).
pub async fn outbox_discard(state: &AppState, op_id: String) -> CommandResult<()> {
    let workspace = state.current();
    on_store(&workspace, move |store| store.outbox_discard(&op_id)).await?;
    state
        .changes
        .report(&[Topic::Outbox, Topic::Sync, Topic::Cases, Topic::Exceptions]);
    Ok(())
}

/// Forgets a conflict the analyst has read.
pub async fn dismiss_conflict(state: &AppState, conflict_id: String) -> CommandResult<()> {
    let id: i64 = conflict_id.trim().parse().map_err(|_| {
        AppError::reported(
            ErrorCode::InputInvalid,
            format!("{conflict_id:?} is not a conflict id."),
        )
    })?;
    read(state, move |store| store.dismiss_conflict(id)).await?;
    state.changes.report(&[Topic::Cases]);
    Ok(())
}

/// Whether secrets can be stored (the start-up probe).
pub async fn keychain_status(state: &AppState) -> CommandResult<KeychainStatus> {
    Ok(state.keychain.status())
}

/// How many cases are kept on this computer only (opened while the account had no case server).
pub async fn local_case_count(state: &AppState) -> CommandResult<u32> {
    read(state, |store| store.kept_case_count()).await
}

/// Shares every case kept on this computer with the account's case server: each case's
/// creation, thread and changes are handed to the push, which sends each once under its
/// operation id. Answers how many cases were shared. Refused while the account has no case
/// server (they would have nowhere to go).
pub async fn share_local_cases(state: &AppState) -> CommandResult<u32> {
    let workspace = writable(state)?;
    if workspace.info.keeps_cases_here {
        return Err(AppError::reported(
            ErrorCode::SettingsInvalid,
            "This account has no case server yet. Add one in Settings, then share the cases kept on this computer.",
        ));
    }
    let shared = on_store(&workspace, |store| store.share_kept_cases()).await?;
    tracing::info!(cases = shared, "local cases shared with the case server");
    changed(
        state,
        &workspace,
        &[Topic::Cases, Topic::Outbox, Topic::Sync],
    );
    Ok(shared)
}
