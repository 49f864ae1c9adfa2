//! The Settings screen sends `AccountInput` / `ConnectorInput` (pd-domain), which may carry
//! secrets typed by the analyst. This module turns them into settings and deliberately never
//! reads their secret fields: the shell stores those in the keychain under the returned ids.

use pd_domain::{AccountInput, ConnectorInput, ConnectorSettings, HostKind};
use uuid::Uuid;

use crate::error::SettingsError;
use crate::model::{
    Account, Connector, ConnectorConfig, DrupalAuth, DrupalConfig, Host, S3Config, Settings,
    SftpAuth, SftpConfig, WixConfig,
};
use crate::validate::{validate_account, validate_connector, FieldIssue};

/// Builds the account `id` from form input, validated; field names follow the form
/// (`account.custom_url: not a URL`). The input's secrets are ignored.
pub fn account_from_input(id: Uuid, input: &AccountInput) -> Result<Account, SettingsError> {
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
    };
    let issues: Vec<FieldIssue> = validate_account("account", &account)
        .into_iter()
        .map(|issue| FieldIssue {
            field: issue
                .field
                .replace("account.host.url", "account.custom_url"),
            problem: issue.problem,
        })
        .collect();
    if issues.is_empty() {
        Ok(account)
    } else {
        Err(SettingsError::Invalid { issues })
    }
}

impl TryFrom<&ConnectorSettings> for ConnectorConfig {
    type Error = SettingsError;

    /// Reads the form's connector settings; field names start with `connector.settings`.
    fn try_from(settings: &ConnectorSettings) -> Result<Self, SettingsError> {
        let trimmed = |value: &str| value.trim().to_owned();
        Ok(match settings {
            ConnectorSettings::Sftp {
                host,
                port,
                user,
                auth,
                private_key_path,
                remote_dir,
            } => ConnectorConfig::Sftp(SftpConfig {
                host: trimmed(host),
                port: *port,
                user: trimmed(user),
                auth: match auth.as_str() {
                    "password" => SftpAuth::Password,
                    "private_key" => SftpAuth::PrivateKey {
                        path: private_key_path
                            .as_deref()
                            .map(str::trim)
                            .unwrap_or_default()
                            .to_owned(),
                    },
                    _ => {
                        return Err(SettingsError::invalid(
                            "connector.settings.auth",
                            "must be \"password\" or \"private_key\"",
                        ))
                    }
                },
                remote_dir: remote_dir
                    .as_deref()
                    .map(str::trim)
                    .filter(|dir| !dir.is_empty())
                    .map(str::to_owned),
            }),
            ConnectorSettings::S3 {
                endpoint,
                region,
                bucket,
                access_key_id,
            } => ConnectorConfig::S3(S3Config {
                endpoint: endpoint
                    .as_deref()
                    .map(str::trim)
                    .filter(|url| !url.is_empty())
                    .map(str::to_owned),
                region: trimmed(region),
                bucket: trimmed(bucket),
                access_key_id: trimmed(access_key_id),
            }),
            ConnectorSettings::Wix { site_id } => ConnectorConfig::Wix(WixConfig {
                site_id: trimmed(site_id),
            }),
            ConnectorSettings::Drupal {
                base_url,
                auth,
                client_or_user,
            } => ConnectorConfig::Drupal(DrupalConfig {
                base_url: trimmed(base_url),
                auth: match auth.as_str() {
                    "oauth" => DrupalAuth::Oauth {
                        client_id: trimmed(client_or_user),
                    },
                    "basic" => DrupalAuth::Basic {
                        user: trimmed(client_or_user),
                    },
                    _ => {
                        return Err(SettingsError::invalid(
                            "connector.settings.auth",
                            "must be \"oauth\" or \"basic\"",
                        ))
                    }
                },
            }),
        })
    }
}

impl From<&ConnectorConfig> for ConnectorSettings {
    fn from(config: &ConnectorConfig) -> Self {
        match config {
            ConnectorConfig::Sftp(sftp) => ConnectorSettings::Sftp {
                host: sftp.host.clone(),
                port: sftp.port,
                user: sftp.user.clone(),
                auth: match sftp.auth {
                    SftpAuth::Password => "password",
                    SftpAuth::PrivateKey { .. } => "private_key",
                }
                .to_owned(),
                private_key_path: match &sftp.auth {
                    SftpAuth::PrivateKey { path } => Some(path.clone()),
                    SftpAuth::Password => None,
                },
                remote_dir: sftp.remote_dir.clone(),
            },
            ConnectorConfig::S3(s3) => ConnectorSettings::S3 {
                endpoint: s3.endpoint.clone(),
                region: s3.region.clone(),
                bucket: s3.bucket.clone(),
                access_key_id: s3.access_key_id.clone(),
            },
            ConnectorConfig::Wix(wix) => ConnectorSettings::Wix {
                site_id: wix.site_id.clone(),
            },
            ConnectorConfig::Drupal(drupal) => {
                let (auth, client_or_user) = match &drupal.auth {
                    DrupalAuth::Oauth { client_id } => ("oauth", client_id.clone()),
                    DrupalAuth::Basic { user } => ("basic", user.clone()),
                };
                ConnectorSettings::Drupal {
                    base_url: drupal.base_url.clone(),
                    auth: auth.to_owned(),
                    client_or_user,
                }
            }
        }
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
        let account = account_from_input(id, input)?;
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
            settings: ConnectorConfig::try_from(&input.settings)?,
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
