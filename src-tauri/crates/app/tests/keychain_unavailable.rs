//! With no OS keychain reachable (no Secret Service on the session bus), PartnerDesk says so in
//! words, refuses to take secrets it could not keep, and still serves its cache.
//! One test per binary: it points this process's D-Bus address at nothing.

mod common;

use common::{start, Dirs, Ipc};
use pd_app::{accounts, api};
use pd_domain::{AccountInput, CaseQuery, HostKind};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_keychain_the_app_says_so_and_keeps_serving_its_cache() {
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/partnerdesk-test-bus",
    );
    let dirs = Dirs::new(format!(
        "com.partnerdesk.test.{}",
        uuid::Uuid::new_v4().simple()
    ));
    let state = start(&dirs).await;
    let mut ipc = Ipc::default();

    let status = ipc.ok("keychain_status", api::keychain_status(&state).await);
    assert!(!status.available);
    assert_eq!(status.code, Some(pd_domain::ErrorCode::KeychainUnavailable));
    let advice = status.message.unwrap_or_default();
    assert!(
        advice.contains("keyring") || advice.contains("Keyring"),
        "{advice}"
    );

    let refused = accounts::save_account(
        &state,
        AccountInput {
            id: None,
            name: "ACME production".into(),
            host_kind: HostKind::Production,
            custom_url: None,
            company_id: "GC00804444LX".into(),
            consumer_key: Some("key-that-cannot-be-kept".into()),
            consumer_secret: Some("secret-that-cannot-be-kept".into()),
            case_server: None,
        },
    )
    .await;
    ipc.any("save_account", &refused);
    let json = serde_json::to_value(refused.expect_err("no keychain, no secret")).expect("json");
    assert_eq!(json["code"], "keychain.unavailable");
    let settings = std::fs::read_to_string(dirs.config.join("settings.json")).unwrap_or_default();
    assert!(!settings.contains("secret-that-cannot-be-kept"));

    // The demo workspace still syncs and serves its cache, and the status bar knows why
    // accounts are read-only.
    let synced = ipc.ok("sync_now", api::sync_now(&state).await);
    assert!(synced.keychain_unavailable);
    let cases = ipc.ok(
        "list_cases",
        api::list_cases(&state, CaseQuery::default()).await,
    );
    assert!(cases.total > 0, "the cache serves cases without a keychain");
    state.shutdown().await;
}
