//! Decides which Trading Grid tenant the app talks to. With no account configured that is the
//! built-in demo: the sandbox started in-process on a loopback port over a data file in the data
//! dir (so the demo tenant is the same on every start), or an external sandbox named by
//! `PARTNERDESK_SERVER_URL` (the end-to-end tests stop it to see the offline state). A configured
//! account is a workspace of its own: its server, its company, its keychain credentials and its
//! own cache file under `<data dir>/accounts/<id>/`.

use pd_domain::ErrorCode;
use std::path::{Path, PathBuf};
use std::time::Duration;

use partnerdesk_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use pd_secrets::SecretString;
use pd_settings::Account;
use pd_tradinggrid::{ClientConfig, RetryPolicy, TradingGridClient};
use url::Url;
use uuid::Uuid;

use crate::error::AppError;

/// `PARTNERDESK_SERVER_URL`: an external server for the demo workspace instead of the built-in one.
pub const SERVER_URL_ENV: &str = "PARTNERDESK_SERVER_URL";
/// `PARTNERDESK_COMPANY_ID` (default: the demo's).
pub const COMPANY_ID_ENV: &str = "PARTNERDESK_COMPANY_ID";
/// `PARTNERDESK_CONSUMER_KEY` (default: the demo's).
pub const CONSUMER_KEY_ENV: &str = "PARTNERDESK_CONSUMER_KEY";
/// `PARTNERDESK_CONSUMER_SECRET` (default: the demo's). Never logged.
pub const CONSUMER_SECRET_ENV: &str = "PARTNERDESK_CONSUMER_SECRET";
/// The demo sandbox's data file inside the data dir.
pub const DEMO_DATA_FILE: &str = "demo-sandbox.sqlite";

/// What the UI shows about the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceInfo {
    /// "Demo workspace" or the account's name.
    pub name: String,
    /// On the demo tenant (built-in or external sandbox).
    pub is_demo: bool,
    /// The server's base URL.
    pub base_url: String,
    /// Our company id.
    pub company_id: String,
    /// Display name used as the author of local comments and cases.
    pub analyst: String,
    /// The configured account; `None` for the demo workspace.
    pub account_id: Option<Uuid>,
    /// No case server: cases opened here are kept on this computer, never queued for a server.
    pub keeps_cases_here: bool,
}

/// A connected workspace: the client and, for the built-in demo, the sandbox that serves it.
#[derive(Debug)]
pub struct Workspace {
    /// Shown in the UI.
    pub info: WorkspaceInfo,
    /// The Trading Grid client for it.
    pub client: TradingGridClient,
    /// The case server's client (`None`: no case server; the same client when the host serves
    /// cases too).
    pub cases: Option<TradingGridClient>,
    /// The in-process sandbox, when the demo runs built-in; shut down on exit.
    pub sandbox: Option<SandboxHandle>,
}

fn env_or(name: &str, default: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => value,
        _ => default.to_owned(),
    }
}

/// Opens the demo workspace: an external sandbox when `PARTNERDESK_SERVER_URL` is set, else the
/// built-in one over `<data_dir>/demo-sandbox.sqlite`.
pub async fn open_demo(data_dir: &Path) -> Result<Workspace, AppError> {
    let defaults = SandboxConfig::default();
    let company_id = env_or(COMPANY_ID_ENV, &defaults.company_id);
    let consumer_key = env_or(CONSUMER_KEY_ENV, &defaults.consumer_key);
    let consumer_secret = env_or(CONSUMER_SECRET_ENV, &defaults.consumer_secret);
    let (base_url, sandbox) = match std::env::var(SERVER_URL_ENV) {
        Ok(url) if !url.trim().is_empty() => (url, None),
        _ => {
            let config = SandboxConfig {
                data: Some(data_dir.join(DEMO_DATA_FILE)),
                company_id: company_id.clone(),
                consumer_key: consumer_key.clone(),
                consumer_secret: consumer_secret.clone(),
                ..defaults
            };
            let handle = Sandbox::start(config).await.map_err(|error| {
                AppError::reported(
                    error.code(),
                    format!("The demo server could not start: {error}"),
                )
            })?;
            (handle.base_url(), Some(handle))
        }
    };
    let parsed = Url::parse(&base_url).map_err(|error| {
        AppError::reported(
            ErrorCode::ConfigInvalid,
            format!("{SERVER_URL_ENV} is not a valid URL ({base_url}): {error}"),
        )
    })?;
    let client = TradingGridClient::new(ClientConfig::new(
        parsed,
        company_id.clone(),
        consumer_key,
        consumer_secret,
    ))
    .map_err(|error| AppError::reported(error.code(), error.to_string()))?;
    tracing::info!(%base_url, %company_id, built_in = sandbox.is_some(), "demo workspace");
    Ok(Workspace {
        info: WorkspaceInfo {
            name: "Demo workspace".to_owned(),
            is_demo: true,
            base_url,
            company_id,
            analyst: env_or("PARTNERDESK_ANALYST", "Demo Analyst"),
            account_id: None,
            keeps_cases_here: false,
        },
        cases: Some(client.clone()),
        client,
        sandbox,
    })
}

/// The author name of local changes in an account workspace (the server knows who signed in).
pub const ACCOUNT_ANALYST: &str = "You";
/// The folder holding every account's cache.
pub const ACCOUNTS_DIR: &str = "accounts";
/// How long a "Test connection" request may take.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(10);

/// `<data_dir>/accounts/<id>`: the account's own folder (its cache).
pub fn account_dir(data_dir: &Path, account_id: Uuid) -> PathBuf {
    data_dir.join(ACCOUNTS_DIR).join(account_id.to_string())
}

/// The account's consumer key and secret, read from the keychain by the caller.
#[derive(Debug)]
pub struct Credentials {
    /// OAuth2 consumer key.
    pub consumer_key: SecretString,
    /// OAuth2 consumer secret.
    pub consumer_secret: SecretString,
    /// The case server's own client id and secret (`None`: it takes the consumer key and secret).
    pub case_server: Option<(SecretString, SecretString)>,
}

/// A client for the account's case server (`None`: it has none).
pub fn case_server_config(
    account: &Account,
    credentials: &Credentials,
) -> Result<Option<ClientConfig>, AppError> {
    let Some(base_url) = account.case_server_url() else {
        return Ok(None);
    };
    let parsed = Url::parse(&base_url).map_err(|error| {
        AppError::reported(
            ErrorCode::SettingsInvalid,
            format!("The case server URL {base_url} is not valid: {error}"),
        )
    })?;
    let (key, secret) = match &credentials.case_server {
        Some((id, secret)) => (id.expose_secret(), secret.expose_secret()),
        None => (
            credentials.consumer_key.expose_secret(),
            credentials.consumer_secret.expose_secret(),
        ),
    };
    Ok(Some(ClientConfig::new(
        parsed,
        account.company_id.clone(),
        key,
        secret,
    )))
}

/// A client for `account` (its base URL and company) with `credentials`.
pub fn account_client_config(
    account: &Account,
    credentials: &Credentials,
) -> Result<ClientConfig, AppError> {
    let base_url = account.base_url();
    let parsed = Url::parse(&base_url).map_err(|error| {
        AppError::reported(
            ErrorCode::SettingsInvalid,
            format!("The account's URL {base_url} is not valid: {error}"),
        )
    })?;
    Ok(ClientConfig::new(
        parsed,
        account.company_id.clone(),
        credentials.consumer_key.expose_secret(),
        credentials.consumer_secret.expose_secret(),
    ))
}

/// The same settings, for a connection test: one attempt, a short timeout.
pub fn for_connection_test(mut config: ClientConfig) -> ClientConfig {
    config.retry = RetryPolicy::no_retries();
    config.request_timeout = TEST_TIMEOUT;
    config
}

/// Opens an account's workspace: the client from its settings and keychain credentials.
pub fn open_account(account: &Account, credentials: &Credentials) -> Result<Workspace, AppError> {
    let client = TradingGridClient::new(account_client_config(account, credentials)?)
        .map_err(|error| AppError::reported(error.code(), error.to_string()))?;
    let cases = match (
        &account.case_server,
        case_server_config(account, credentials)?,
    ) {
        (_, None) => None,
        // The host itself, same credentials: one client, one token.
        (pd_domain::CaseServerSettings::TradingGridHost, Some(_)) => Some(client.clone()),
        (_, Some(config)) => Some(
            TradingGridClient::new(config)
                .map_err(|error| AppError::reported(error.code(), error.to_string()))?,
        ),
    };
    tracing::info!(account = %account.id, base_url = %account.base_url(), company_id = %account.company_id, "account workspace");
    Ok(Workspace {
        info: account_info(account),
        client,
        cases,
        sandbox: None,
    })
}

/// What the UI shows about an account's workspace.
pub fn account_info(account: &Account) -> WorkspaceInfo {
    WorkspaceInfo {
        name: account.name.clone(),
        is_demo: false,
        base_url: account.base_url(),
        company_id: account.company_id.clone(),
        analyst: ACCOUNT_ANALYST.to_owned(),
        account_id: Some(account.id),
        keeps_cases_here: !account.case_server.serves_cases(),
    }
}
