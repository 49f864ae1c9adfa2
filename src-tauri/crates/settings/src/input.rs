//! The Settings screen sends `AccountInput` / `ConnectorInput` (pd-domain), which may carry
//! secrets typed by the analyst. This module turns them into settings and deliberately never
//! reads their secret fields: the shell stores those in the keychain under the returned ids.

use pd_domain::{
    AccountInput, CaseServerSettings, ConnectorInput, ConnectorSettings, DrupalAuth,
    DrupalSettings, HostKind, S3Settings, SftpAuth, SftpSettings, WixSettings,
};
use uuid::Uuid;

use crate::error::SettingsError;
use crate::model::{Account, Connector, Host, Settings};
use crate::validate::{validate_account, validate_connector, FieldIssue};

/// Builds the account `id` from form input, validated; field names follow the form
/// (`account.custom_url: not a URL`). The input's secrets are ignored.
pub fn account_from_input(id: Uuid, input: &AccountInput) -> Result<Account, SettingsError> {
    account_from_input_with(id, input, CaseServerSettings::None)
}

/// The case server the form asks for, trimmed (`None`: the form leaves it as it was).
fn case_server_from_input(input: &AccountInput) -> Option<CaseServerSettings> {
    input
        .case_server
        .as_ref()
        .map(|case_server| match &case_server.settings {
            CaseServerSettings::Url { url, credentials } => CaseServerSettings::Url {
                url: url.trim().to_owned(),
                credentials: *credentials,
            },
            other => other.clone(),
        })
}

/// Like [`account_from_input`]; `current` is the case server kept when the form does not set one.
pub fn account_from_input_with(
    id: Uuid,
    input: &AccountInput,
    current: CaseServerSettings,
) -> Result<Account, SettingsError> {
    let host = match input.host_kind {
        HostKind::Production => Host::Production,
        HostKind::Beta => Host::Beta,
        HostKind::Custom => match input.custom_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => Host::Custom {
                url: url.to_owned(),
            },
            _ => {
                return Err(SettingsError::invalid(
                    "account.custom_url",
                    "required when the host is custom",
                ))
            }
        },
    };
    let account = Account {
        id,
        name: input.name.trim().to_owned(),
        host,
        company_id: input.company_id.trim().to_owned(),
        case_server: case_server_from_input(input).unwrap_or(current),
    };
    let issues: Vec<FieldIssue> = validate_account("account", &account)
        .into_iter()
        .map(|issue| FieldIssue {
            field: issue
                .field
                .replace("account.host.url", "account.custom_url")
                .replace("account.case_server.url", "account.case_server_url"),
            problem: issue.problem,
        })
        .collect();
    if issues.is_empty() {
        Ok(account)
    } else {
        Err(SettingsError::Invalid { issues })
    }
}

/// The form's connector settings as they are stored: every text field trimmed, an empty
/// optional field (remote folder, endpoint) left out. Validation is [`validate_connector`]'s.
pub fn normalized_connector_settings(settings: &ConnectorSettings) -> ConnectorSettings {
    let trimmed = |value: &str| value.trim().to_owned();
    let optional = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
    };
    match settings {
        ConnectorSettings::Sftp(sftp) => ConnectorSettings::Sftp(SftpSettings {
            host: trimmed(&sftp.host),
            port: sftp.port,
            user: trimmed(&sftp.user),
            auth: match &sftp.auth {
                SftpAuth::Password => SftpAuth::Password,
                SftpAuth::PrivateKey { path } => SftpAuth::PrivateKey {
                    path: trimmed(path),
                },
            },
            remote_dir: optional(&sftp.remote_dir),
            host_key: sftp.host_key.clone(),
        }),
        ConnectorSettings::S3(s3) => ConnectorSettings::S3(S3Settings {
            endpoint: optional(&s3.endpoint),
            region: trimmed(&s3.region),
            bucket: trimmed(&s3.bucket),
            access_key_id: trimmed(&s3.access_key_id),
        }),
        ConnectorSettings::Wix(wix) => ConnectorSettings::Wix(WixSettings {
            site_id: trimmed(&wix.site_id),
        }),
        ConnectorSettings::Drupal(drupal) => ConnectorSettings::Drupal(DrupalSettings {
            base_url: trimmed(&drupal.base_url),
            auth: match &drupal.auth {
                DrupalAuth::Oauth { client_id } => DrupalAuth::Oauth {
                    client_id: trimmed(client_id),
                },
                DrupalAuth::Basic { user } => DrupalAuth::Basic {
                    user: trimmed(user),
                },
            },
        }),
    }
}

fn parse_id(field: &str, id: &str) -> Result<Uuid, SettingsError> {
    Uuid::parse_str(id.trim()).map_err(|_| SettingsError::invalid(field, "not an id"))
}

impl Settings {
    /// Creates (`input.id` absent) or updates an account from the Settings form and returns its
    /// id. The consumer key and secret in `input` are NOT read: store them in the keychain
    /// under [`Account::consumer_key_ref`] / [`Account::consumer_secret_ref`].
    pub fn upsert_account(&mut self, input: &AccountInput) -> Result<Uuid, SettingsError> {
        let id = match &input.id {
            Some(id) => {
                let id = parse_id("account.id", id)?;
                if self.account(id).is_none() {
                    return Err(SettingsError::NotFound {
                        what: "account",
                        id: id.to_string(),
                    });
                }
                id
            }
            None => Uuid::new_v4(),
        };
        let current = self
            .account(id)
            .map_or(CaseServerSettings::None, |account| {
                account.case_server.clone()
            });
        let account = account_from_input_with(id, input, current)?;
        match self.accounts.iter_mut().find(|existing| existing.id == id) {
            Some(existing) => *existing = account,
            None => self.accounts.push(account),
        }
        Ok(id)
    }

    /// Creates or updates a connector from the Settings form and returns its id. The secret in
    /// `input` is NOT read: store it under [`Connector::secret_ref`].
    pub fn upsert_connector(&mut self, input: &ConnectorInput) -> Result<Uuid, SettingsError> {
        let id = match &input.id {
            Some(id) => {
                let id = parse_id("connector.id", id)?;
                if self.connector(id).is_none() {
                    return Err(SettingsError::NotFound {
                        what: "connector",
                        id: id.to_string(),
                    });
                }
                id
            }
            None => Uuid::new_v4(),
        };
        let connector = Connector {
            id,
            name: input.name.trim().to_owned(),
            settings: normalized_connector_settings(&input.settings),
        };
        let issues = validate_connector("connector", &connector);
        if !issues.is_empty() {
            return Err(SettingsError::Invalid { issues });
        }
        match self
            .connectors
            .iter_mut()
            .find(|existing| existing.id == id)
        {
            Some(existing) => *existing = connector,
            None => self.connectors.push(connector),
        }
        Ok(id)
    }

    /// Removes an account (and makes the demo workspace active if it was open). Its keychain
    /// secrets are the caller's to delete: `SecretStore::delete_all_for(&id.to_string())`.
    pub fn remove_account(&mut self, id: Uuid) -> Option<Account> {
        let index = self.accounts.iter().position(|account| account.id == id)?;
        if self.active_account_id == Some(id) {
            self.active_account_id = None;
        }
        Some(self.accounts.remove(index))
    }

    /// Removes a connector. Its keychain secret is the caller's to delete.
    pub fn remove_connector(&mut self, id: Uuid) -> Option<Connector> {
        let index = self
            .connectors
            .iter()
            .position(|connector| connector.id == id)?;
        Some(self.connectors.remove(index))
    }

    /// Opens an account's workspace (`None`: the demo workspace).
    pub fn set_active_account(&mut self, id: Option<Uuid>) -> Result<(), SettingsError> {
        if let Some(id) = id {
            if self.account(id).is_none() {
                return Err(SettingsError::NotFound {
                    what: "account",
                    id: id.to_string(),
                });
            }
        }
        self.active_account_id = id;
        Ok(())
    }
}
