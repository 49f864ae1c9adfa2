//! No secret ever leaves the keychain: with a Trading Grid account (against a standalone sandbox)
//! and one connector of every kind configured with recognizable secrets, after switching to the
//! account, a sync, every read command and a connection test of everything, no file under the
//! data dir (caches, logs) or the config dir (settings) and no IPC answer holds any of them.
//!
//! Runs inside a keyring session: `bash .ci/with-keyring.sh cargo test -p pd-app --test secret_scan`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::net::TcpListener;
use std::time::Duration;

use common::{files_under, keychain_namespace, start, Dirs, Ipc};
use partnerdesk_sandbox::{Sandbox, SandboxConfig};
use pd_app::{accounts, api};
use pd_domain::{
    AccountInput, CaseQuery, CaseServerInput, CaseServerSettings, ConnectorInput,
    ConnectorSettings, DrupalAuth, DrupalSettings, ExceptionQuery, HostKind, S3Settings, SftpAuth,
    SftpSettings, Visibility, WixSettings,
};

const TG_KEY: &str = "tg-key-SCAN-5c11";
const TG_SECRET: &str = "tg-SECRET-7f3a91";
const SFTP_SECRET: &str = "sftp-SECRET-4b2e07";
const S3_SECRET: &str = "s3-SECRET-91cd3a";
const WIX_SECRET: &str = "wix-SECRET-e6f018";
const DRUPAL_SECRET: &str = "drupal-SECRET-2a7d55";
const SECRETS: &[&str] = &[TG_SECRET, SFTP_SECRET, S3_SECRET, WIX_SECRET, DRUPAL_SECRET];
const CASES: usize = 25;

/// A loopback port nothing listens on (connector tests get "refused" there, quickly).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("port");
    listener.local_addr().expect("addr").port()
}

fn connector(name: &str, settings: ConnectorSettings, secret: &str) -> ConnectorInput {
    ConnectorInput {
        id: None,
        name: name.to_owned(),
        settings,
        secret: Some(secret.to_owned()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_a_file_a_log_or_an_ipc_answer() {
    let Some(namespace) = keychain_namespace() else {
        return;
    };
    let dirs = Dirs::new(namespace);
    std::env::set_var("RUST_LOG", "debug,hyper=info,hyper_util=info,h2=info");
    let log_guard = pd_app::logging::init(&dirs.data.join("logs")).expect("logging");

    let sandbox_dir = tempfile::tempdir().expect("sandbox dir");
    let sandbox = Sandbox::start(SandboxConfig {
        data: Some(sandbox_dir.path().join("tenant.sqlite")),
        consumer_key: TG_KEY.into(),
        consumer_secret: TG_SECRET.into(),
        company_id: "GC00SCAN0001".into(),
        seed: 7,
        cases: CASES,
        comments_per_case: 2,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");

    let state = start(&dirs).await;
    let mut ipc = Ipc::default();
    let account = ipc.ok(
        "save_account",
        accounts::save_account(
            &state,
            AccountInput {
                id: None,
                name: "Scan tenant".into(),
                host_kind: HostKind::Custom,
                custom_url: Some(sandbox.base_url()),
                company_id: "GC00SCAN0001".into(),
                consumer_key: Some(TG_KEY.into()),
                consumer_secret: Some(TG_SECRET.into()),
                case_server: Some(CaseServerInput {
                    settings: CaseServerSettings::TradingGridHost,
                    client_id: None,
                    client_secret: None,
                }),
            },
        )
        .await,
    );
    assert!(account.consumer_secret_set && account.consumer_key_set);
    assert!(!account.active, "saving does not switch workspaces");

    let refused = closed_port();
    let connectors = [
        connector(
            "Partner SFTP",
            ConnectorSettings::Sftp(SftpSettings {
                host: "127.0.0.1".into(),
                port: refused,
                user: "edi".into(),
                auth: SftpAuth::Password,
                remote_dir: Some("/inbox".into()),
                host_key: None,
            }),
            SFTP_SECRET,
        ),
        connector(
            "Archive S3",
            ConnectorSettings::S3(S3Settings {
                endpoint: Some(format!("http://127.0.0.1:{refused}")),
                region: "garage".into(),
                bucket: "cases".into(),
                access_key_id: "GK0123456789".into(),
            }),
            S3_SECRET,
        ),
        connector(
            "Status site",
            ConnectorSettings::Wix(WixSettings {
                site_id: "5f1c0b8e-2f43-4c1e-9d5a-0c7e3c1b2a10".into(),
            }),
            WIX_SECRET,
        ),
        connector(
            "Knowledge base",
            ConnectorSettings::Drupal(DrupalSettings {
                base_url: format!("http://127.0.0.1:{refused}"),
                auth: DrupalAuth::Basic {
                    user: "kb-bot".into(),
                },
            }),
            DRUPAL_SECRET,
        ),
    ];
    // Wix's API lives on the internet; connector tests here stay on loopback.
    std::env::set_var(
        accounts::WIX_API_BASE_ENV,
        format!("http://127.0.0.1:{refused}"),
    );
    let mut connector_ids = Vec::new();
    for input in connectors {
        let view = ipc.ok(
            "save_connector",
            accounts::save_connector(&state, input).await,
        );
        assert!(view.secret_set, "{} secret stored", view.name);
        connector_ids.push(view.id.clone());
        let tested = accounts::test_connector(&state, view.id.clone()).await;
        ipc.any("test_connector", &tested);
        let tested = tested.expect("test_connector answers");
        assert!(!tested.ok, "{}: nothing listens there", view.name);
    }

    let status = ipc.ok(
        "switch_account",
        accounts::switch_account(&state, Some(account.id.clone())).await,
    );
    assert!(!status.is_demo);
    assert_eq!(status.workspace_name, "Scan tenant");
    let status = ipc.ok("sync_now", api::sync_now(&state).await);
    assert!(status.last_error.is_none(), "sync failed: {status:?}");

    let query = CaseQuery {
        limit: 500,
        ..CaseQuery::default()
    };
    let page = ipc.ok("list_cases", api::list_cases(&state, query.clone()).await);
    assert_eq!(page.total as usize, CASES, "the tenant's cases arrived");
    ipc.ok(
        "case_status_counts",
        api::case_status_counts(&state, query).await,
    );
    let first = page.rows[0].id.clone();
    ipc.ok("get_case", api::get_case(&state, first.clone()).await);
    ipc.ok(
        "list_exceptions",
        api::list_exceptions(
            &state,
            ExceptionQuery {
                limit: 200,
                ..ExceptionQuery::default()
            },
        )
        .await,
    );
    ipc.ok("exception_facets", api::exception_facets(&state).await);
    let partners = ipc.ok("list_partners", api::list_partners(&state, None).await);
    ipc.ok(
        "get_partner",
        api::get_partner(&state, partners[0].partner.partner_company_id.clone()).await,
    );
    ipc.ok("list_users", api::list_users(&state).await);
    ipc.ok(
        "add_comment",
        api::add_comment(
            &state,
            first.clone(),
            "Checked the ASN.".into(),
            Visibility::Partner,
        )
        .await,
    );
    ipc.ok("sync_now", api::sync_now(&state).await);
    ipc.ok("outbox_list", api::outbox_list(&state).await);
    ipc.ok("sync_status", api::sync_status(&state).await);
    ipc.ok("keychain_status", api::keychain_status(&state).await);
    let listed = ipc.ok("list_accounts", accounts::list_accounts(&state).await);
    assert_eq!(listed.len(), 1);
    assert!(listed[0].active);
    ipc.ok("list_connectors", accounts::list_connectors(&state).await);
    let test = ipc.ok(
        "test_account",
        accounts::test_account(
            &state,
            AccountInput {
                id: Some(account.id.clone()),
                name: "Scan tenant".into(),
                host_kind: HostKind::Custom,
                custom_url: Some(sandbox.base_url()),
                company_id: "GC00SCAN0001".into(),
                consumer_key: None,
                consumer_secret: None,
                case_server: None,
            },
        )
        .await,
    );
    assert!(test.ok, "stored secrets sign in: {test:?}");
    let wrong = ipc.ok(
        "test_account",
        accounts::test_account(
            &state,
            AccountInput {
                id: Some(account.id.clone()),
                name: "Scan tenant".into(),
                host_kind: HostKind::Custom,
                custom_url: Some(sandbox.base_url()),
                company_id: "GC00SCAN0001".into(),
                consumer_key: None,
                consumer_secret: Some(format!("{TG_SECRET}-wrong")),
                case_server: None,
            },
        )
        .await,
    );
    assert_eq!(wrong.code, Some(pd_domain::ErrorCode::AuthUnauthorized));

    // Positive control: the secrets are really stored, in the keychain.
    let secrets = dirs.secrets();
    let stored = secrets
        .get(&account.id, pd_settings::CONSUMER_SECRET_SECRET)
        .expect("keychain read")
        .expect("consumer secret stored");
    assert_eq!(stored.expose_secret(), TG_SECRET);

    state.shutdown().await;
    drop(state);
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(log_guard); // flushes the log file

    let files: Vec<_> = files_under(&dirs.data)
        .into_iter()
        .chain(files_under(&dirs.config))
        .collect();
    let names: Vec<String> = files
        .iter()
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        names.iter().any(|name| name.ends_with("settings.json")),
        "settings written: {names:?}"
    );
    assert!(
        names
            .iter()
            .any(|name| name.contains("accounts") && name.ends_with("cache.db")),
        "account cache written: {names:?}"
    );
    let logs: Vec<_> = files
        .iter()
        .filter(|path| path.to_string_lossy().contains("/logs/"))
        .collect();
    assert!(!logs.is_empty(), "a log file was written");
    let log_bytes: usize = logs
        .iter()
        .map(|path| {
            std::fs::metadata(path)
                .map(|m| m.len() as usize)
                .unwrap_or(0)
        })
        .sum();
    assert!(log_bytes > 1000, "the log has content ({log_bytes} bytes)");

    let mut leaks = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).expect("read file");
        for secret in SECRETS {
            if bytes
                .windows(secret.len())
                .any(|window| window == secret.as_bytes())
            {
                leaks.push(format!("{secret} in {}", path.display()));
            }
        }
    }
    for (command, json) in &ipc.responses {
        for secret in SECRETS {
            if json.contains(secret) {
                leaks.push(format!("{secret} in the answer of {command}: {json}"));
            }
        }
    }
    assert!(
        ipc.responses.len() >= 20,
        "every command was called ({})",
        ipc.responses.len()
    );
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
    eprintln!(
        "scanned {} files and {} IPC answers: no secret found",
        files.len(),
        ipc.responses.len()
    );

    for owner in connector_ids.iter().chain([&account.id]) {
        let _ = secrets.delete_all_for(owner);
    }
    sandbox.shutdown().await.expect("sandbox stops");
}
