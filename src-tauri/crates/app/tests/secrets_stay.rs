//! A stored secret goes only where it was entered for: when an account's Trading Grid host or a
//! connector's server changes, testing or saving without typing the secret again is refused with
//! `auth.reenter_secret`, and the new host never hears from the app; typed again, it is used.
//!
//! Runs inside a keyring session: `bash .ci/with-keyring.sh cargo test -p pd-app --test secrets_stay`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{keychain_namespace, start, Dirs};
use partnerdesk_sandbox::{Sandbox, SandboxConfig};
use pd_app::accounts;
use pd_domain::{
    AccountInput, CaseServerInput, CaseServerSettings, ConnectorInput, ConnectorSettings,
    DrupalAuth, DrupalSettings, ErrorCode, HostKind,
};

const KEY: &str = "acme-key-0042";
const SECRET: &str = "acme-SECRET-b81c44";
const COMPANY: &str = "GC00ACME0042";

/// A loopback server that only counts who connects to it: the "other host".
async fn listener_counting_connections() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (url, seen)
}

fn account(url: &str, id: Option<String>, secret: Option<&str>) -> AccountInput {
    AccountInput {
        id,
        name: "ACME".into(),
        host_kind: HostKind::Custom,
        custom_url: Some(url.to_owned()),
        company_id: COMPANY.into(),
        consumer_key: None,
        consumer_secret: secret.map(str::to_owned),
        case_server: Some(CaseServerInput {
            settings: CaseServerSettings::TradingGridHost,
            client_id: None,
            client_secret: None,
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accounts_secret_is_not_sent_to_a_changed_host_until_it_is_entered_again() {
    let Some(namespace) = keychain_namespace() else {
        return;
    };
    let dirs = Dirs::new(namespace);
    let server_dir = tempfile::tempdir().expect("dir");
    let sandbox = Sandbox::start(SandboxConfig {
        data: Some(server_dir.path().join("acme.sqlite")),
        consumer_key: KEY.into(),
        consumer_secret: SECRET.into(),
        company_id: COMPANY.into(),
        cases: 2,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    let (other, other_seen) = listener_counting_connections().await;
    let state = start(&dirs).await;
    let mut first = account(&sandbox.base_url(), None, Some(SECRET));
    first.consumer_key = Some(KEY.into());
    let saved = accounts::save_account(&state, first).await.expect("saved");

    // The host changed, the secret was left out: no test, and the other host hears nothing.
    let tested = accounts::test_account(&state, account(&other, Some(saved.id.clone()), None))
        .await
        .expect("answered");
    assert!(!tested.ok);
    assert_eq!(tested.code, Some(ErrorCode::AuthReenterSecret));
    let refused = accounts::save_account(&state, account(&other, Some(saved.id.clone()), None))
        .await
        .expect_err("saving a new host with the old secret is refused");
    assert_eq!(refused.code(), ErrorCode::AuthReenterSecret);
    assert_eq!(
        other_seen.load(Ordering::SeqCst),
        0,
        "nothing went to the new host"
    );
    let settings = std::fs::read_to_string(dirs.config.join("settings.json")).expect("settings");
    assert!(
        settings.contains(&sandbox.base_url()) && !settings.contains(&other),
        "the account still points at its old host"
    );

    // The same host, the secret left out: the stored one is used as before.
    let same = accounts::test_account(
        &state,
        account(&sandbox.base_url(), Some(saved.id.clone()), None),
    )
    .await
    .expect("answered");
    assert!(same.ok, "{same:?}");

    // Typed again, the secret is the analyst's choice: the test goes to the new host.
    let typed = accounts::test_account(
        &state,
        AccountInput {
            consumer_key: Some(KEY.into()),
            ..account(&other, Some(saved.id.clone()), Some(SECRET))
        },
    )
    .await
    .expect("answered");
    assert!(!typed.ok, "the other host is no Trading Grid");
    assert_ne!(typed.code, Some(ErrorCode::AuthReenterSecret));
    assert!(other_seen.load(Ordering::SeqCst) > 0);
    state.shutdown().await;
}

fn drupal(url: &str, id: Option<String>, secret: Option<&str>) -> ConnectorInput {
    ConnectorInput {
        id,
        name: "Partner portal".into(),
        settings: ConnectorSettings::Drupal(DrupalSettings {
            base_url: url.to_owned(),
            auth: DrupalAuth::Basic { user: "ops".into() },
        }),
        secret: secret.map(str::to_owned),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connectors_secret_is_kept_only_while_it_points_at_the_same_server() {
    let Some(namespace) = keychain_namespace() else {
        return;
    };
    let dirs = Dirs::new(namespace);
    let state = start(&dirs).await;
    let saved = accounts::save_connector(
        &state,
        drupal("https://portal.acme.example", None, Some("pw-1")),
    )
    .await
    .expect("saved");
    assert!(saved.secret_set);

    // Renamed, same server: the secret stays.
    let renamed = accounts::save_connector(
        &state,
        drupal("https://portal.acme.example/", Some(saved.id.clone()), None),
    )
    .await
    .expect("same server");
    assert!(renamed.secret_set);

    // Another server without the secret typed again: refused, nothing changed.
    let refused = accounts::save_connector(
        &state,
        drupal(
            "https://portal.elsewhere.example",
            Some(saved.id.clone()),
            None,
        ),
    )
    .await
    .expect_err("refused");
    assert_eq!(refused.code(), ErrorCode::AuthReenterSecret);
    let listed = accounts::list_connectors(&state).await.expect("listed");
    assert!(matches!(
        &listed[0].settings,
        ConnectorSettings::Drupal(settings) if settings.base_url.contains("portal.acme.example")
    ));

    // With the secret typed again it moves.
    let moved = accounts::save_connector(
        &state,
        drupal(
            "https://portal.elsewhere.example",
            Some(saved.id.clone()),
            Some("pw-2"),
        ),
    )
    .await
    .expect("moved");
    assert!(moved.secret_set);
    state.shutdown().await;
}
