//! The Settings screen's commands: Trading Grid accounts (each its own workspace and cache) and
//! connectors. Non-secret fields go to the settings file through `pd-settings`; secrets go only
//! to the OS keychain through [`crate::keychain`], and no answer ever carries one back.

use pd_domain::ErrorCode;
use pd_domain::{
    AccountHealth, AccountInput, AccountView, CaseServerSettings, CaseServerView,
    ConnectionTestResult, ConnectorInput, ConnectorSettings, ConnectorView, SyncStatus, Topic,
};
use pd_settings::{
    Account, Connector, CASE_SERVER_CLIENT_ID_SECRET, CASE_SERVER_CLIENT_SECRET_SECRET,
    CONNECTOR_SECRET, CONSUMER_KEY_SECRET, CONSUMER_SECRET_SECRET,
};
use pd_tradinggrid::{ConnectionCheck, ConnectionStage, TradingGridClient};
use uuid::Uuid;

use crate::commands::CommandResult;
use crate::error::{capitalised, AppError};
use crate::state::{read_credentials, AppState};
use crate::workspace::{self, Credentials};

/// `PARTNERDESK_WIX_API_BASE`: the Wix REST base URL for connector tests (tests point it at a
/// local double).
pub const WIX_API_BASE_ENV: &str = "PARTNERDESK_WIX_API_BASE";

fn parse_id(what: &str, id: &str) -> CommandResult<Uuid> {
    Uuid::parse_str(id.trim()).map_err(|_| {
        AppError::reported(
            ErrorCode::SettingsNotFound,
            format!("{id:?} is not the id of any {what}."),
        )
    })
}

async fn account_view(state: &AppState, account: &Account, active: Option<Uuid>) -> AccountView {
    let names = state.keychain.names_for(account.id).await;
    AccountView {
        id: account.id.to_string(),
        name: account.name.clone(),
        host_kind: account.host_kind(),
        base_url: account.base_url(),
        company_id: account.company_id.clone(),
        consumer_key_set: names.iter().any(|name| name == CONSUMER_KEY_SECRET),
        consumer_secret_set: names.iter().any(|name| name == CONSUMER_SECRET_SECRET),
        active: active == Some(account.id),
        health: state.health_of(account.id).await,
        case_server: CaseServerView {
            settings: account.case_server.clone(),
            base_url: account.case_server_url(),
            client_id_set: names
                .iter()
                .any(|name| name == CASE_SERVER_CLIENT_ID_SECRET),
            client_secret_set: names
                .iter()
                .any(|name| name == CASE_SERVER_CLIENT_SECRET_SECRET),
        },
        probe: state.probe_of(account.id),
    }
}

/// Every configured account, with which one is open and whether it can sign in.
pub async fn list_accounts(state: &AppState) -> CommandResult<Vec<AccountView>> {
    let accounts = state.settings().await.accounts.clone();
    let active = state.current().info.account_id;
    let mut views = Vec::with_capacity(accounts.len());
    for account in &accounts {
        views.push(account_view(state, account, active).await);
    }
    Ok(views)
}

/// Creates or edits an account. Secrets in the input go to the keychain only (`""` removes one,
/// absent keeps it). Saving does not switch workspaces; editing the open account re-opens it so
/// new credentials take effect at once.
pub async fn save_account(state: &AppState, input: AccountInput) -> CommandResult<AccountView> {
    state.keychain.require()?;
    let mut settings = state.settings().await;
    secrets_stay_with_their_account(&settings, &input)?;
    let mut changed = settings.clone();
    let is_new = input.id.is_none();
    let id = changed.upsert_account(&input)?;
    state.save_settings(&changed).await?;
    *settings = changed;
    let own_case_credentials = settings
        .account(id)
        .is_some_and(Account::case_server_has_own_credentials);
    let case_secret = |value: Option<&Option<String>>| match value {
        // Not a case server of its own (any more): its credentials go.
        _ if !own_case_credentials => Some(String::new()),
        Some(value) => value.clone(),
        None => None,
    };
    let case_input = input.case_server.as_ref();
    let secrets = [
        (CONSUMER_KEY_SECRET, input.consumer_key.clone()),
        (CONSUMER_SECRET_SECRET, input.consumer_secret.clone()),
        (
            CASE_SERVER_CLIENT_ID_SECRET,
            case_secret(case_input.map(|case| &case.client_id)),
        ),
        (
            CASE_SERVER_CLIENT_SECRET_SECRET,
            case_secret(case_input.map(|case| &case.client_secret)),
        ),
    ];
    for (name, value) in secrets {
        let Some(value) = value else { continue };
        if let Err(error) = state.keychain.set_or_remove(id, name, value).await {
            if is_new {
                // Leave no half-made account behind.
                settings.remove_account(id);
                let _ = state.save_settings(&settings).await;
                let _ = state.keychain.delete_all_for(id).await;
            }
            return Err(error);
        }
    }
    let account = settings
        .account(id)
        .cloned()
        .ok_or_else(|| AppError::internal("saved account vanished"))?;
    drop(settings);
    let secrets_changed = input.consumer_key.is_some()
        || input.consumer_secret.is_some()
        || input.case_server.is_some();
    if secrets_changed {
        state.forget_health(id);
    }
    if state.current().info.account_id == Some(id) {
        state.reopen_account(id).await?;
    }
    tracing::info!(account = %id, new = is_new, "account saved");
    state.changes.report(&[Topic::Settings]);
    Ok(account_view(state, &account, state.current().info.account_id).await)
}

/// Removes an account, its keychain secrets and its cache; the demo opens if it was open.
pub async fn remove_account(state: &AppState, id: String) -> CommandResult<()> {
    let id = parse_id("account", &id)?;
    state.keychain.require()?;
    if state.settings().await.account(id).is_none() {
        return Err(AppError::reported(
            ErrorCode::SettingsNotFound,
            "That account no longer exists.",
        ));
    }
    if state.current().info.account_id == Some(id) {
        state.switch_to(None).await?;
    }
    state.keychain.delete_all_for(id).await?;
    {
        let mut settings = state.settings().await;
        let mut changed = settings.clone();
        changed.remove_account(id);
        state.save_settings(&changed).await?;
        *settings = changed;
    }
    state.forget_health(id);
    let folder = workspace::account_dir(&state.data_dir, id);
    match tokio::fs::remove_dir_all(&folder).await {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            tracing::warn!(%error, folder = %folder.display(), "account cache not removed")
        }
    }
    tracing::info!(account = %id, "account removed");
    state.changes.report(&[Topic::Sync, Topic::Settings]);
    Ok(())
}

/// Opens an account's workspace (`None`: the demo).
pub async fn switch_account(state: &AppState, id: Option<String>) -> CommandResult<SyncStatus> {
    let id = match id {
        Some(id) => Some(parse_id("account", &id)?),
        None => None,
    };
    state.switch_to(id).await
}

/// Tries the form's settings (stored secrets where the form leaves them out) without saving.
pub async fn test_account(
    state: &AppState,
    input: AccountInput,
) -> CommandResult<ConnectionTestResult> {
    let existing = match &input.id {
        Some(id) => Some(parse_id("account", id)?),
        None => None,
    };
    let account = pd_settings::account_from_input(existing.unwrap_or_else(Uuid::nil), &input)?;
    if existing.is_some() {
        let settings = state.settings().await;
        if let Err(refused) = secrets_stay_with_their_account(&settings, &input) {
            return Ok(ConnectionTestResult {
                ok: false,
                code: Some(refused.code()),
                message: ErrorCode::AuthReenterSecret.words().to_owned(),
                host_key: None,
            });
        }
    }
    let stored = match existing {
        Some(id) => {
            let needs_stored = input.consumer_key.is_none() || input.consumer_secret.is_none();
            if needs_stored {
                state.keychain.require()?;
                let with_id = Account {
                    id,
                    ..account.clone()
                };
                read_credentials(&state.keychain, &with_id).await.ok()
            } else {
                None
            }
        }
        None => None,
    };
    let pick = |typed: &Option<String>, stored: Option<&pd_secrets::SecretString>| match typed {
        Some(value) => Some(value.trim().to_owned()).filter(|value| !value.is_empty()),
        None => stored.map(|secret| secret.expose_secret().to_owned()),
    };
    let key = pick(
        &input.consumer_key,
        stored.as_ref().map(|stored| &stored.consumer_key),
    );
    let secret = pick(
        &input.consumer_secret,
        stored.as_ref().map(|stored| &stored.consumer_secret),
    );
    let (Some(key), Some(secret)) = (key, secret) else {
        return Ok(ConnectionTestResult {
            ok: false,
            code: Some(ErrorCode::AccountSecretMissing),
            message: "Enter the consumer key and the consumer secret to test the connection."
                .to_owned(),
            host_key: None,
        });
    };
    let credentials = Credentials {
        consumer_key: key.into(),
        consumer_secret: secret.into(),
        case_server: None,
    };
    let config =
        workspace::for_connection_test(workspace::account_client_config(&account, &credentials)?);
    let client = TradingGridClient::new(config)?;
    let result = describe_check(&account, client.test_connection().await);
    // Only a test of the stored secrets says something about the saved account.
    let stored_only = input.consumer_key.is_none() && input.consumer_secret.is_none();
    if let (Some(id), true) = (existing, stored_only) {
        match result.code {
            None => state.record_health(id, AccountHealth::Ok),
            Some(ErrorCode::AuthUnauthorized) => {
                state.record_health(id, AccountHealth::SignInNeeded)
            }
            Some(_) => {}
        }
    }
    tracing::info!(ok = result.ok, code = ?result.code, "account connection test");
    Ok(result)
}

/// A connection test's outcome in the words the Settings screen shows.
fn describe_check(account: &Account, check: ConnectionCheck) -> ConnectionTestResult {
    let base_url = account.base_url();
    let (stage, error) = match check {
        ConnectionCheck::Ok { company } => {
            let name = if company.company_name.trim().is_empty() {
                company.company_id.clone()
            } else {
                company.company_name.clone()
            };
            return ConnectionTestResult {
                ok: true,
                code: None,
                message: format!("Signed in to {name} ({}).", company.company_id),
                host_key: None,
            };
        }
        ConnectionCheck::Failed { stage, error } => (stage, error),
    };
    let code = error.code();
    let message = match (code, stage) {
        (ErrorCode::NetDns, _) => format!(
            "The host name in {base_url} could not be found. Check the URL and your network."
        ),
        (ErrorCode::NetOffline, _) => format!(
            "Nothing answered at {base_url} (connection refused or unreachable). Check the URL and that the server is running."
        ),
        (ErrorCode::NetTls, _) => format!(
            "A secure connection to {base_url} could not be made: {error}. Check the URL (https) and the server's certificate."
        ),
        (ErrorCode::NetTimeout, _) => format!(
            "{base_url} did not answer within {} seconds. Check the URL, your network or proxy.",
            workspace::TEST_TIMEOUT.as_secs()
        ),
        (ErrorCode::AuthUnauthorized, _) => {
            "The consumer key or secret was refused. Check both and enter them again.".to_owned()
        }
        (ErrorCode::AuthForbidden, _) => format!(
            "Signed in, but this account may not read company {} (403 Forbidden). Ask your Trading Grid administrator for access.",
            account.company_id
        ),
        (ErrorCode::ApiNotFound, ConnectionStage::Company) => format!(
            "Signed in, but company {} was not found (404). Check the company id (BUID).",
            account.company_id
        ),
        (ErrorCode::ApiNotFound, ConnectionStage::Token) => format!(
            "{base_url} has no Trading Grid token endpoint (404). Check the URL."
        ),
        _ => capitalised(&error.to_string()),
    };
    ConnectionTestResult {
        ok: false,
        code: Some(code),
        message,
        host_key: None,
    }
}

async fn connector_view(state: &AppState, connector: &Connector) -> ConnectorView {
    let names = state.keychain.names_for(connector.id).await;
    ConnectorView {
        id: connector.id.to_string(),
        name: connector.name.clone(),
        settings: connector.settings.clone(),
        secret_set: names.iter().any(|name| name == CONNECTOR_SECRET),
    }
}

/// Every configured connector.
pub async fn list_connectors(state: &AppState) -> CommandResult<Vec<ConnectorView>> {
    let connectors = state.settings().await.connectors.clone();
    let mut views = Vec::with_capacity(connectors.len());
    for connector in &connectors {
        views.push(connector_view(state, connector).await);
    }
    Ok(views)
}

/// Creates or edits a connector; its secret goes to the keychain only (`""` removes it).
pub async fn save_connector(
    state: &AppState,
    input: ConnectorInput,
) -> CommandResult<ConnectorView> {
    state.keychain.require()?;
    let mut settings = state.settings().await;
    let mut changed = settings.clone();
    let is_new = input.id.is_none();
    if let Some(stored) = stored_connector(&settings, &input) {
        // Only a secret the keychain holds could be sent to the new server.
        let before = destination(&stored.settings);
        let moved = before != destination(&input.settings);
        if moved
            && state
                .keychain
                .get(stored.id, CONNECTOR_SECRET)
                .await?
                .is_some()
        {
            secret_stays_with(
                Some(&before),
                &destination(&input.settings),
                input.secret.is_some(),
            )?;
        }
    }
    let input = with_accepted_host_key(&settings, input);
    let id = changed.upsert_connector(&input)?;
    state.save_settings(&changed).await?;
    *settings = changed;
    if let Some(secret) = input.secret.clone() {
        if let Err(error) = state
            .keychain
            .set_or_remove(id, CONNECTOR_SECRET, secret)
            .await
        {
            if is_new {
                settings.remove_connector(id);
                let _ = state.save_settings(&settings).await;
                let _ = state.keychain.delete_all_for(id).await;
            }
            return Err(error);
        }
    }
    let connector = settings
        .connector(id)
        .cloned()
        .ok_or_else(|| AppError::internal("saved connector vanished"))?;
    drop(settings);
    tracing::info!(connector = %id, new = is_new, "connector saved");
    state.changes.report(&[Topic::Settings]);
    Ok(connector_view(state, &connector).await)
}

/// A stored secret is sent only where it was entered for: when the place it would go changes
/// (a connector's server, an account's Trading Grid host, a case server's address), saving or
/// testing without typing the secret again is refused with [`ErrorCode::AuthReenterSecret`], so
/// a typo or a pasted address cannot carry a password to another server.
fn secret_stays_with<T: PartialEq>(
    before: Option<&T>,
    after: &T,
    secret_entered: bool,
) -> CommandResult<()> {
    match before {
        Some(before) if before != after && !secret_entered => Err(AppError::reported(
            ErrorCode::AuthReenterSecret,
            ErrorCode::AuthReenterSecret.words(),
        )),
        _ => Ok(()),
    }
}

/// Where a connector's secret is sent: the server, not the folder, bucket or other details.
fn destination(settings: &ConnectorSettings) -> (String, String) {
    let normal = |text: &str| text.trim().trim_end_matches('/').to_ascii_lowercase();
    match settings {
        ConnectorSettings::Sftp(sftp) => (normal(&sftp.host), sftp.port.to_string()),
        ConnectorSettings::S3(s3) => (
            normal(s3.endpoint.as_deref().unwrap_or_default()),
            normal(&s3.region),
        ),
        ConnectorSettings::Wix(wix) => (normal(&wix.site_id), String::new()),
        ConnectorSettings::Drupal(drupal) => (normal(&drupal.base_url), String::new()),
    }
}

/// The saved connector a form edits, if any.
fn stored_connector<'a>(
    settings: &'a pd_settings::Settings,
    input: &ConnectorInput,
) -> Option<&'a Connector> {
    let id = Uuid::parse_str(input.id.as_deref()?.trim()).ok()?;
    settings.connector(id)
}

/// An edited account keeps its stored secrets only while they go to the same hosts: its Trading
/// Grid host, and a case server with credentials of its own.
fn secrets_stay_with_their_account(
    settings: &pd_settings::Settings,
    input: &AccountInput,
) -> CommandResult<()> {
    let Some(id) = input.id.as_deref() else {
        return Ok(());
    };
    let Some(stored) = Uuid::parse_str(id.trim())
        .ok()
        .and_then(|id| settings.account(id))
    else {
        return Ok(());
    };
    let edited = pd_settings::account_from_input(stored.id, input)?;
    secret_stays_with(
        Some(&stored.host),
        &edited.host,
        input.consumer_secret.is_some(),
    )?;
    if let (
        CaseServerSettings::Url { url: before, .. },
        Some(CaseServerSettings::Url { url: after, .. }),
    ) = (
        &stored.case_server,
        input.case_server.as_ref().map(|case| &case.settings),
    ) {
        if stored.case_server_has_own_credentials() {
            let entered = input
                .case_server
                .as_ref()
                .is_some_and(|case| case.client_secret.is_some());
            secret_stays_with(Some(before), after, entered)?;
        }
    }
    Ok(())
}

/// The form's settings with the host key the connector had accepted, if it still points at the
/// same server; a form never sets a host key itself (only [`accept_host_key`] does).
fn with_accepted_host_key(
    settings: &pd_settings::Settings,
    mut input: ConnectorInput,
) -> ConnectorInput {
    if let ConnectorSettings::Sftp(form) = &mut input.settings {
        let stored = input
            .id
            .as_deref()
            .and_then(|id| Uuid::parse_str(id.trim()).ok())
            .and_then(|id| settings.connector(id));
        form.host_key = match stored.map(|connector| &connector.settings) {
            Some(ConnectorSettings::Sftp(stored))
                if stored.host.eq_ignore_ascii_case(form.host.trim())
                    && stored.port == form.port =>
            {
                stored.host_key.clone()
            }
            _ => None,
        };
    }
    input
}

/// Removes a connector and its keychain secret.
pub async fn remove_connector(state: &AppState, id: String) -> CommandResult<()> {
    let id = parse_id("connector", &id)?;
    state.keychain.require()?;
    let mut settings = state.settings().await;
    if settings.connector(id).is_none() {
        return Err(AppError::reported(
            ErrorCode::SettingsNotFound,
            "That connector no longer exists.",
        ));
    }
    state.keychain.delete_all_for(id).await?;
    let mut changed = settings.clone();
    changed.remove_connector(id);
    state.save_settings(&changed).await?;
    *settings = changed;
    tracing::info!(connector = %id, "connector removed");
    state.changes.report(&[Topic::Settings]);
    Ok(())
}

/// The app's `known_hosts` file, beside the settings file: every accepted SFTP host key in
/// OpenSSH's format.
pub fn known_hosts_path(state: &AppState) -> std::path::PathBuf {
    state
        .settings_path
        .parent()
        .map(|dir| dir.join(KNOWN_HOSTS_FILE))
        .unwrap_or_else(|| std::path::PathBuf::from(KNOWN_HOSTS_FILE))
}

/// The file name of the app's `known_hosts` (in the config folder).
pub const KNOWN_HOSTS_FILE: &str = "known_hosts";

fn connector_not_found() -> AppError {
    AppError::reported(
        ErrorCode::SettingsNotFound,
        "That connector no longer exists.",
    )
}

/// Pins the host key an SFTP connector's server presents, once the analyst has compared its
/// fingerprint (`fingerprint`, as the test showed it): asks the server for its key again (key
/// exchange only, nothing is authenticated) and refuses if it is not the one the analyst saw.
/// The key goes to the connector's settings and to the app's `known_hosts` file.
pub async fn accept_host_key(
    state: &AppState,
    connector_id: String,
    fingerprint: String,
) -> CommandResult<ConnectorView> {
    let id = parse_id("connector", &connector_id)?;
    let connector = state
        .settings()
        .await
        .connector(id)
        .cloned()
        .ok_or_else(connector_not_found)?;
    let ConnectorSettings::Sftp(sftp) = &connector.settings else {
        return Err(AppError::reported(
            ErrorCode::InputInvalid,
            format!(
                "{} is not an SFTP connector: it has no host key.",
                connector.name
            ),
        ));
    };
    let seen = fingerprint.trim();
    let presented = pd_connectors::scan_host_key(sftp, &pd_connectors::ConnectorOptions::default())
        .await
        .map_err(|error| AppError::reported(error.code(), error.to_string()))?;
    if presented.pin.fingerprint != seen {
        tracing::warn!(connector = %id, "host key changed between the test and its acceptance");
        return Err(AppError::reported(
            ErrorCode::SshHostKeyChanged,
            format!(
                "{}:{} now presents {} key {}, not the {seen} you compared. Nothing was accepted. \
                 Test the connection again and compare the new fingerprint with the partner.",
                sftp.host, sftp.port, presented.key_type, presented.pin.fingerprint
            ),
        ));
    }
    let mut settings = state.settings().await;
    let mut changed = settings.clone();
    let Some(stored) = changed
        .connectors
        .iter_mut()
        .find(|connector| connector.id == id)
    else {
        return Err(connector_not_found());
    };
    let ConnectorSettings::Sftp(current) = &mut stored.settings else {
        return Err(connector_not_found());
    };
    if current.host != sftp.host || current.port != sftp.port {
        return Err(AppError::reported(
            ErrorCode::SettingsInvalid,
            "The connector's address changed while the key was being checked. Test it again.",
        ));
    }
    current.host_key = Some(presented.pin.clone());
    let path = known_hosts_path(state);
    let (host, port, pin) = (sftp.host.clone(), sftp.port, presented.pin.clone());
    tokio::task::spawn_blocking(move || pd_connectors::known_hosts::remember(&path, &host, port, &pin))
        .await?
        .map_err(|error| {
            AppError::reported(
                ErrorCode::SettingsWriteFailed,
                format!("The accepted host key could not be written to the app's known_hosts file: {error}."),
            )
        })?;
    state.save_settings(&changed).await?;
    *settings = changed;
    let connector = settings
        .connector(id)
        .cloned()
        .ok_or_else(|| AppError::internal("accepted connector vanished"))?;
    drop(settings);
    tracing::info!(connector = %id, fingerprint = %presented.pin.fingerprint, "host key accepted");
    state.changes.report(&[Topic::Settings]);
    Ok(connector_view(state, &connector).await)
}

/// Tests a saved connector with its keychain secret (`pd-connectors`).
pub async fn test_connector(state: &AppState, id: String) -> CommandResult<ConnectionTestResult> {
    let id = parse_id("connector", &id)?;
    let connector = state
        .settings()
        .await
        .connector(id)
        .cloned()
        .ok_or_else(|| {
            AppError::reported(
                ErrorCode::SettingsNotFound,
                "That connector no longer exists.",
            )
        })?;
    let secret = state.keychain.get(id, CONNECTOR_SECRET).await?;
    let mut options = pd_connectors::ConnectorOptions::default();
    if let Ok(base) = std::env::var(WIX_API_BASE_ENV) {
        if !base.trim().is_empty() {
            options.wix_api_base = base.trim().to_owned();
        }
    }
    let result = pd_connectors::test_connector(
        &connector.settings,
        secret.as_ref().map(|secret| secret.expose_secret()),
        &options,
    )
    .await;
    tracing::info!(connector = %id, ok = result.ok, code = ?result.code, "connector test");
    Ok(result)
}
