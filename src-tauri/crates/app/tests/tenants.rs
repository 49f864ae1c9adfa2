//! An account on a Trading-Grid-only host (OAuth2, Community Management and Lens; 404 under
//! `/collab/`) through the app state the window uses: Settings says what each host serves,
//! the inbox fills, a case opened from an exception is kept on this computer and nothing fails,
//! sync after sync; then a case server is added to the account and the kept case is shared with
//! it, once.
//!
//! Runs inside a keyring session: `bash .ci/with-keyring.sh cargo test -p pd-app --test tenants`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::time::Duration;

use common::{eventually, keychain_namespace, start, Dirs, Ipc};
use partnerdesk_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use pd_app::{accounts, api};
use pd_domain::{
    AccountInput, CaseQuery, CaseServerCredentials, CaseServerInput, CaseServerSettings,
    ExceptionQuery, HostKind, Served,
};

async fn sandbox(dir: &std::path::Path, name: &str, serve_cases: bool) -> SandboxHandle {
    Sandbox::start(SandboxConfig {
        data: Some(dir.join(format!("{name}.sqlite"))),
        cases: 5,
        comments_per_case: 1,
        serve_cases,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

fn account(url: &str, id: Option<String>, case_server: Option<CaseServerInput>) -> AccountInput {
    let defaults = SandboxConfig::default();
    AccountInput {
        id,
        name: "Trading Grid only".into(),
        host_kind: HostKind::Custom,
        custom_url: Some(url.to_owned()),
        company_id: defaults.company_id.clone(),
        consumer_key: Some(defaults.consumer_key.clone()),
        consumer_secret: Some(defaults.consumer_secret.clone()),
        case_server,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_without_a_case_server_keeps_cases_here_then_shares_them_once() {
    let Some(namespace) = keychain_namespace() else {
        return;
    };
    let dirs = Dirs::new(namespace);
    let server_dir = tempfile::tempdir().expect("dir");
    let host = sandbox(server_dir.path(), "tg-only", false).await;
    let mut ipc = Ipc::default();
    let state = start(&dirs).await;

    let saved = ipc.ok(
        "save_account",
        accounts::save_account(&state, account(&host.base_url(), None, None)).await,
    );
    assert_eq!(saved.case_server.settings, CaseServerSettings::None);
    assert_eq!(saved.case_server.base_url, None);
    ipc.ok(
        "switch_account",
        accounts::switch_account(&state, Some(saved.id.clone())).await,
    );
    let status = ipc.ok("sync_now", api::sync_now(&state).await);
    assert!(status.last_error.is_none(), "no failure: {status:?}");

    // Settings says what each host serves, in words, once the check is done.
    let mut probe = None;
    eventually("the connection check", Duration::from_secs(20), || {
        let found = open_account_probe(&state);
        probe = found.clone();
        async move { found.is_some() }
    })
    .await;
    let probe = probe.expect("probe");
    let listed = ipc.ok("list_accounts", accounts::list_accounts(&state).await);
    assert_eq!(listed[0].probe.as_ref(), Some(&probe), "Settings shows it");
    assert_eq!(
        (probe.partners, probe.users, probe.transactions, probe.cases),
        (Served::Yes, Served::Yes, Served::Yes, Served::NotServed)
    );
    assert!(probe.cases_stay_here);
    assert_eq!(
        probe.summary,
        "Partners, users, transactions: yes. Cases: not served here — cases stay on this computer."
    );

    // The inbox fills; a case opened from an exception is kept here.
    let inbox = ipc.ok(
        "list_exceptions",
        api::list_exceptions(&state, ExceptionQuery::default()).await,
    );
    assert!(inbox.total > 0, "the inbox fills");
    let transaction = inbox.rows[0].transaction.transaction_id.clone();
    let case_id = ipc.ok(
        "create_case_from_exception",
        api::create_case_from_exception(&state, transaction).await,
    );
    let detail = ipc.ok("get_case", api::get_case(&state, case_id.clone()).await);
    assert!(detail.this_computer_only, "on this computer only");
    let rows = ipc
        .ok(
            "list_cases",
            api::list_cases(&state, CaseQuery::default()).await,
        )
        .rows;
    assert_eq!(rows.len(), 1, "only the case made here");
    assert!(rows[0].this_computer_only);
    assert!(ipc
        .ok("outbox_list", api::outbox_list(&state).await)
        .is_empty());
    for _ in 0..3 {
        let status = ipc.ok("sync_now", api::sync_now(&state).await);
        assert!(status.last_error.is_none(), "still no failure: {status:?}");
        assert_eq!(status.pending_changes, 0);
    }
    assert!(
        api::share_local_cases(&state).await.is_err(),
        "nowhere to share them yet"
    );
    assert_eq!(host.stats().await.expect("stats").applied_ops, 0);

    // A case server is added to the account: the kept case is shared once.
    let case_server = sandbox(server_dir.path(), "case-server", true).await;
    let before = case_server.stats().await.expect("stats");
    let edited = ipc.ok(
        "save_account",
        accounts::save_account(
            &state,
            AccountInput {
                consumer_key: None,
                consumer_secret: None,
                ..account(
                    &host.base_url(),
                    Some(saved.id.clone()),
                    Some(CaseServerInput {
                        settings: CaseServerSettings::Url {
                            url: case_server.base_url(),
                            credentials: CaseServerCredentials::SameAsTradingGrid,
                        },
                        client_id: None,
                        client_secret: None,
                    }),
                )
            },
        )
        .await,
    );
    assert_eq!(
        edited.case_server.base_url.as_deref(),
        Some(case_server.base_url().as_str())
    );
    assert_eq!(
        ipc.ok("local_case_count", api::local_case_count(&state).await),
        1
    );
    assert_eq!(
        ipc.ok("share_local_cases", api::share_local_cases(&state).await),
        1
    );
    assert_eq!(
        ipc.ok("share_local_cases", api::share_local_cases(&state).await),
        0,
        "sharing again shares nothing"
    );
    for _ in 0..3 {
        let status = ipc.ok("sync_now", api::sync_now(&state).await);
        assert!(status.last_error.is_none(), "{status:?}");
    }
    let detail = ipc.ok("get_case", api::get_case(&state, case_id.clone()).await);
    assert!(!detail.this_computer_only && !detail.local_only, "shared");
    let after = case_server.stats().await.expect("stats");
    assert_eq!(
        after.cases - before.cases,
        1,
        "the case reached the server once"
    );
    let ops = case_server.applied_ops(Some(&case_id)).await.expect("ops");
    assert_eq!(
        ops.iter().filter(|op| op.kind == "create_case").count(),
        1,
        "{ops:?}"
    );
    eventually("the new connection check", Duration::from_secs(20), || {
        let found = open_account_probe(&state);
        async move {
            found.is_some_and(|probe| {
                probe.cases == Served::Yes
                    && probe.summary.contains("Cases: yes, on the case server")
            })
        }
    })
    .await;

    state.shutdown().await;
    host.shutdown().await.expect("stop");
    case_server.shutdown().await.expect("stop");
}

/// The open account's probe, as `list_accounts` reports it.
fn open_account_probe(state: &pd_app::AppState) -> Option<pd_domain::ServiceProbe> {
    let account = state.current().info.account_id?;
    state.probe_of(account)
}
