//! The body of every command declared in `pd-ipc`, by the same name, as a plain async function
//! over [`AppState`]: the shell's wrappers call these, and so do the tests, which then exercise
//! exactly what the window calls. Bodies live with their subject (`api`, `accounts`); this
//! module is the one namespace the declaration maps onto (a missing or mistyped body fails to
//! compile in the shell).

pub use crate::accounts::{
    accept_host_key, list_accounts, list_connectors, remove_account, remove_connector,
    save_account, save_connector, switch_account, test_account, test_connector,
};
pub use crate::api::{
    add_comment, case_status_counts, create_case, create_case_from_exception, dismiss_conflict,
    exception_facets, get_case, get_partner, keychain_status, link_transaction, list_cases,
    list_exceptions, list_partners, list_users, local_case_count, outbox_discard, outbox_edit,
    outbox_list, outbox_retry, share_local_cases, sync_now, sync_status, unlink_transaction,
    update_case,
};
pub use crate::connector_work::{
    aside_items, case_outside, connector_work_list, promote_article, publish_notice,
    save_connector_work,
};
// Documents (issue 10): open and save, drops, transfers.
pub use crate::attach::{attach_drop, save_upload_settings, upload_settings};
pub use crate::deliveries::{case_deliveries, deliver_document, delivery_targets};
pub use crate::desk::{
    desk_settings, my_open_cases, my_work_counts, open_link, pause_notifications,
    save_desk_settings, take_open_request,
};
pub use crate::documents::{document_link, offline_documents, open_document, save_document_as};
pub use crate::drops::{discard_drop, pick_files};
pub use crate::package::share_case_package;
pub use crate::transfers::{transfer_action, transfers_list, watch_transfers};

pub use crate::retention::{
    export_case, list_exports, place_legal_hold, release_legal_hold, retention_policy,
    save_retention_policy, verify_export,
};

pub use crate::folders::{
    add_folder_from_drop, folder_ledger, ledger_edi, list_folders, remove_folder, rescan_folders,
    routing_rules, save_folder, save_routing_rules, set_folder_paused,
};

use pd_domain::{ErrorCode, JobView, Notice};

use crate::error::AppError;
use crate::state::AppState;

/// Result of every command: the answer, or an error the window receives as `{code, message}`.
pub type CommandResult<T> = Result<T, AppError>;

/// The app's background jobs and how each is doing.
pub async fn background_jobs(state: &AppState) -> CommandResult<Vec<JobView>> {
    Ok(state.supervisor.jobs())
}

/// What the window shows until dismissed.
pub async fn notices(state: &AppState) -> CommandResult<Vec<Notice>> {
    Ok(state.notices.list())
}

/// Dismisses one notice.
pub async fn dismiss_notice(state: &AppState, id: String) -> CommandResult<()> {
    if state.notices.dismiss(&id) {
        Ok(())
    } else {
        Err(AppError::reported(
            ErrorCode::InputInvalid,
            "That notice was already dismissed.",
        ))
    }
}
