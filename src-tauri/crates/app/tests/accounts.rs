//! Accounts, the keychain and the outbox commands through the app state the window uses: a secret
//! saved through `save_account` survives a restart and never touches the settings file; the open
//! account is restored at the next start; a refused secret shows as "sign-in needed"; removing
//! an account removes its secrets and cache and falls back to the demo; local writes queue and
//! reach the server exactly once.
//!
//! Runs inside a keyring session: `bash .ci/with-keyring.sh cargo test -p pd-app --test accounts`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::time::Duration;

use common::{eventually, keychain_namespace, start, Dirs, Ipc};
use partnerdesk_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use pd_app::{accounts, api};
use pd_domain::{
    AccountHealth, AccountInput, CaseKind, CasePatch, CaseQuery, CaseServerInput,
    CaseServerSettings, CaseStatus, HostKind, NewCaseInput, OutboxEdit, Priority, Visibility,
};
use pd_settings::{CONSUMER_KEY_SECRET, CONSUMER_SECRET_SECRET};

const KEY: &str = "acme-key-0042";
const SECRET: &str = "acme-SECRET-b81c44";
const COMPANY: &str = "GC00ACME0042";
const CASES: usize = 12;

async fn tenant(dir: &std::path::Path) -> SandboxHandle {
    Sandbox::start(SandboxConfig {
        data: Some(dir.join("acme.sqlite")),
        consumer_key: KEY.into(),
        consumer_secret: SECRET.into(),
        company_id: COMPANY.into(),
        seed: 99,
        cases: CASES,
        comments_per_case: 2,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

fn input(url: &str, id: Option<String>, key: Option<&str>, secret: Option<&str>) -> AccountInput {
    AccountInput {
        id,
        name: "ACME".into(),
        host_kind: HostKind::Custom,
        custom_url: Some(url.to_owned()),
        company_id: COMPANY.into(),
        consumer_key: key.map(str::to_owned),
        consumer_secret: secret.map(str::to_owned),
        // The sandbox serves cases too.
        case_server: Some(CaseServerInput {
            settings: CaseServerSettings::TradingGridHost,
            client_id: None,
            client_secret: None,
        }),
    }
}

fn all_cases() -> CaseQuery {
    CaseQuery {
        limit: 500,
        ..CaseQuery::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_keeps_its_secret_across_restarts_and_leaves_nothing_when_removed() {
    let Some(namespace) = keychain_namespace() else {
        return;
    };
    let dirs = Dirs::new(namespace);
    let server_dir = tempfile::tempdir().expect("dir");
    let sandbox = tenant(server_dir.path()).await;
    let url = sandbox.base_url();
    let mut ipc = Ipc::default();

    // First run: save the account and switch to it.
    let state = start(&dirs).await;
    assert!(
        ipc.ok("keychain_status", api::keychain_status(&state).await)
            .available
    );
    let account = ipc.ok(
        "save_account",
        accounts::save_account(&state, input(&url, None, Some(KEY), Some(SECRET))).await,
    );
    let settings_text =
        std::fs::read_to_string(dirs.config.join("settings.json")).expect("settings");
    assert!(settings_text.contains(COMPANY));
    assert!(!settings_text.contains(SECRET) && !settings_text.contains(KEY));
    let status = ipc.ok(
        "switch_account",
        accounts::switch_account(&state, Some(account.id.clone())).await,
    );
    assert_eq!(status.workspace_name, "ACME");
    let status = ipc.ok("sync_now", api::sync_now(&state).await);
    assert!(status.last_error.is_none(), "{status:?}");
    let page = ipc.ok("list_cases", api::list_cases(&state, all_cases()).await);
    assert_eq!(page.total as usize, CASES);
    state.shutdown().await;
    drop(state);

    // Second run: the account is open again, its secret still in the keychain.
    let state = start(&dirs).await;
    let status = ipc.ok("sync_status", api::sync_status(&state).await);
    assert_eq!(
        status.workspace_name, "ACME",
        "the open account is restored"
    );
    assert!(!status.is_demo);
    let listed = ipc.ok("list_accounts", accounts::list_accounts(&state).await);
    assert_eq!(listed.len(), 1);
    assert!(listed[0].active && listed[0].consumer_secret_set && listed[0].consumer_key_set);
    assert_eq!(
        dirs.secrets()
            .get(&account.id, CONSUMER_SECRET_SECRET)
            .expect("keychain")
            .map(|s| s.expose_secret().to_owned())
            .as_deref(),
        Some(SECRET)
    );
    // The cache of the first run serves before any sync.
    let page = ipc.ok("list_cases", api::list_cases(&state, all_cases()).await);
    assert_eq!(page.total as usize, CASES);

    // A wrong secret: the sync is refused and the account asks for sign-in.
    ipc.ok(
        "save_account",
        accounts::save_account(
            &state,
            input(&url, Some(account.id.clone()), None, Some("acme-wrong")),
        )
        .await,
    );
    let status = ipc.ok("sync_now", api::sync_now(&state).await);
    let error = status.last_error.expect("a refused sync says so");
    assert_eq!(error.code, "auth.unauthorized");
    assert!(
        error.message.starts_with("Sign-in needed"),
        "{}",
        error.message
    );
    let listed = ipc.ok("list_accounts", accounts::list_accounts(&state).await);
    assert_eq!(listed[0].health, AccountHealth::SignInNeeded);
    let test = ipc.ok(
        "test_account",
        accounts::test_account(&state, input(&url, Some(account.id.clone()), None, None)).await,
    );
    assert!(!test.ok);
    assert_eq!(test.code, Some(pd_domain::ErrorCode::AuthUnauthorized));
    assert_eq!(
        test.message,
        "The consumer key or secret was refused. Check both and enter them again."
    );

    // The right secret again; then "" removes the key from the keychain.
    ipc.ok(
        "save_account",
        accounts::save_account(
            &state,
            input(&url, Some(account.id.clone()), None, Some(SECRET)),
        )
        .await,
    );
    let status = ipc.ok("sync_now", api::sync_now(&state).await);
    assert!(status.last_error.is_none(), "{status:?}");
    assert_eq!(
        ipc.ok("list_accounts", accounts::list_accounts(&state).await)[0].health,
        AccountHealth::Ok
    );
    let view = ipc.ok(
        "save_account",
        accounts::save_account(
            &state,
            input(&url, Some(account.id.clone()), Some(""), None),
        )
        .await,
    );
    assert!(!view.consumer_key_set && view.consumer_secret_set);
    assert!(dirs
        .secrets()
        .get(&account.id, CONSUMER_KEY_SECRET)
        .expect("keychain")
        .is_none());

    // Removing the open account: secrets and cache go, the demo opens.
    let cache = dirs.data.join("accounts").join(&account.id);
    assert!(cache.join("cache.db").exists());
    ipc.ok(
        "remove_account",
        accounts::remove_account(&state, account.id.clone()).await,
    );
    assert!(dirs
        .secrets()
        .get(&account.id, CONSUMER_SECRET_SECRET)
        .expect("keychain")
        .is_none());
    assert!(dirs
        .secrets()
        .names_for(&account.id)
        .expect("keychain")
        .is_empty());
    assert!(!cache.exists(), "the account's cache folder is removed");
    let status = ipc.ok("sync_status", api::sync_status(&state).await);
    assert!(status.is_demo);
    assert!(ipc
        .ok("list_accounts", accounts::list_accounts(&state).await)
        .is_empty());
    state.shutdown().await;
    sandbox.shutdown().await.expect("sandbox stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_commands_queue_edit_discard_and_send_each_change_once() {
    let Some(namespace) = keychain_namespace() else {
        return;
    };
    let dirs = Dirs::new(namespace);
    let server_dir = tempfile::tempdir().expect("dir");
    let sandbox = tenant(server_dir.path()).await;
    let url = sandbox.base_url();
    let mut ipc = Ipc::default();
    let state = start(&dirs).await;
    let account = ipc.ok(
        "save_account",
        accounts::save_account(&state, input(&url, None, Some(KEY), Some(SECRET))).await,
    );
    ipc.ok(
        "switch_account",
        accounts::switch_account(&state, Some(account.id.clone())).await,
    );
    ipc.ok("sync_now", api::sync_now(&state).await);
    let partners = ipc.ok("list_partners", api::list_partners(&state, None).await);
    let partner = partners[0].partner.partner_company_id.clone();

    // A new case with a description, then a link and an unlink on it.
    let case_id = ipc.ok(
        "create_case",
        api::create_case(
            &state,
            NewCaseInput {
                title: "Invoice 4471 short-paid".into(),
                partner_id: partner.clone(),
                kind: CaseKind::Invoice,
                priority: Priority::High,
                owner: None,
                description: Some("Partner paid 90%.".into()),
            },
        )
        .await,
    );
    let detail = ipc.ok("get_case", api::get_case(&state, case_id.clone()).await);
    assert_eq!(detail.case.title, "Invoice 4471 short-paid");
    assert_eq!(
        detail.comments.len(),
        1,
        "the description is the first comment"
    );
    let exceptions = ipc.ok(
        "list_exceptions",
        api::list_exceptions(
            &state,
            pd_domain::ExceptionQuery {
                limit: 50,
                ..Default::default()
            },
        )
        .await,
    );
    let transaction = exceptions.rows[0].transaction.transaction_id.clone();
    let linked = ipc.ok(
        "link_transaction",
        api::link_transaction(&state, case_id.clone(), transaction.clone()).await,
    );
    assert!(linked
        .linked_transactions
        .iter()
        .any(|link| link.transaction_id == transaction));
    let unlinked = ipc.ok(
        "unlink_transaction",
        api::unlink_transaction(&state, case_id.clone(), transaction.clone()).await,
    );
    assert!(!unlinked
        .linked_transactions
        .iter()
        .any(|link| link.transaction_id == transaction));
    let empty = api::link_transaction(&state, case_id.clone(), "  ".into()).await;
    ipc.any("link_transaction", &empty);
    assert_eq!(empty.expect_err("blank id refused").code(), "input.invalid");

    // Everything syncs by itself (the nudge), each change once.
    eventually("the outbox empties", Duration::from_secs(30), || async {
        api::outbox_list(&state)
            .await
            .map(|l| l.is_empty())
            .unwrap_or(false)
    })
    .await;
    let applied = sandbox
        .applied_ops(Some(&case_id))
        .await
        .expect("applied ops");
    let kinds: Vec<&str> = applied.iter().map(|op| op.kind.as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "create_case").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "link_transaction").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "unlink_transaction").count(),
        1,
        "{kinds:?}"
    );

    // Offline: a comment and a status change wait; an edit and a discard act on the queue.
    sandbox.shutdown().await.expect("sandbox stops");
    let comment = ipc.ok(
        "add_comment",
        api::add_comment(
            &state,
            case_id.clone(),
            "Sent the remittance".into(),
            Visibility::Partner,
        )
        .await,
    );
    ipc.ok(
        "update_case",
        api::update_case(
            &state,
            case_id.clone(),
            CasePatch {
                status: Some(CaseStatus::Resolved),
                ..CasePatch::default()
            },
        )
        .await,
    );
    let queued = ipc.ok("outbox_list", api::outbox_list(&state).await);
    assert_eq!(queued.len(), 2, "{queued:?}");
    assert!(
        matches!(queued[0].op, Some(pd_domain::OutboxOp::AddComment(_))),
        "the kind the outbox view documents"
    );
    assert!(matches!(
        queued[1].op,
        Some(pd_domain::OutboxOp::PatchCase(_))
    ));
    // Editing a change that is only waiting (not refused) is refused with a clear code.
    let edit = api::outbox_edit(
        &state,
        queued[0].op_id.clone(),
        OutboxEdit {
            body: Some("Sent the remittance advice".into()),
            patch: None,
        },
    )
    .await;
    ipc.any("outbox_edit", &edit);
    assert_eq!(
        edit.expect_err("only refused changes can be edited").code(),
        "store.invalid"
    );
    ipc.ok("outbox_retry", api::outbox_retry(&state, None).await);
    ipc.ok(
        "outbox_discard",
        api::outbox_discard(&state, queued[1].op_id.clone()).await,
    );
    let detail = ipc.ok("get_case", api::get_case(&state, case_id.clone()).await);
    assert_ne!(
        detail.case.status,
        CaseStatus::Resolved,
        "discard reverted the status"
    );
    assert!(detail
        .comments
        .iter()
        .any(|c| c.comment.id == comment.comment.id));
    let status = ipc.ok("sync_now", api::sync_now(&state).await);
    assert_eq!(status.pending_changes, 1);

    let missing = api::dismiss_conflict(&state, "987654".into()).await;
    ipc.any("dismiss_conflict", &missing);
    assert_eq!(
        missing.expect_err("no such conflict").code(),
        "store.not_found"
    );
    let garbage = api::dismiss_conflict(&state, "not-a-number".into()).await;
    assert_eq!(garbage.expect_err("bad id").code(), "input.invalid");

    state.shutdown().await;
    let _ = dirs.secrets().delete_all_for(&account.id);
}
