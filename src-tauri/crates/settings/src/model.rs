//! The shape of the settings file, typed so that a secret has nowhere to go: there is no field
//! for a password, key or token, and unknown fields are refused rather than kept.

use pd_domain::{CaseServerCredentials, CaseServerSettings, ConnectorSettings};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The settings file format this build writes and reads.
pub const SETTINGS_VERSION: u32 = 1;

/// Trading Grid production API host (OpenText's collections: `https://api{{beta}}grid.opentext.com`).
pub const PRODUCTION_BASE_URL: &str = "https://apigrid.opentext.com";
/// Trading Grid beta API host.
pub const BETA_BASE_URL: &str = "https://apibetagrid.opentext.com";

/// Keychain name of an account's OAuth2 consumer key (keychain account = the account id).
pub const CONSUMER_KEY_SECRET: &str = "tradinggrid.consumer_key";
/// Keychain name of an account's OAuth2 consumer secret (keychain account = the account id).
pub const CONSUMER_SECRET_SECRET: &str = "tradinggrid.consumer_secret";
/// Keychain name of an account's own case-server client id (keychain account = the account id).
pub const CASE_SERVER_CLIENT_ID_SECRET: &str = "caseserver.client_id";
/// Keychain name of an account's own case-server client secret (keychain account = the account id).
pub const CASE_SERVER_CLIENT_SECRET_SECRET: &str = "caseserver.client_secret";
/// Keychain name of a connector's one secret (keychain account = the connector id).
pub const CONNECTOR_SECRET: &str = "connector.secret";

/// Everything PartnerDesk remembers between runs that is not a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// File format version; always [`SETTINGS_VERSION`] when written by this build.
    pub version: u32,
    /// The account whose workspace is open; `None` is the demo workspace.
    #[serde(default)]
    pub active_account_id: Option<Uuid>,
    /// Trading Grid accounts.
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// SFTP, S3, Wix and Drupal connections.
    #[serde(default)]
    pub connectors: Vec<Connector>,
    /// Drop folders watched into the open workspace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub folders: Vec<pd_domain::FolderSettings>,
    /// Notifications, tray, "me", SLA policy and escalation rules (issue 14).
    #[serde(default, skip_serializing_if = "is_default_desk")]
    pub desk: pd_domain::DeskSettings,
    /// How attached files are uploaded: the size limit for the case server, the S3 connector
    /// for larger files, parts and concurrency (issue 10).
    #[serde(default, skip_serializing_if = "is_default_uploads")]
    pub uploads: pd_domain::UploadSettings,
}

fn is_default_uploads(uploads: &pd_domain::UploadSettings) -> bool {
    *uploads == pd_domain::UploadSettings::default()
}

fn is_default_desk(desk: &pd_domain::DeskSettings) -> bool {
    *desk == pd_domain::DeskSettings::default()
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            version: SETTINGS_VERSION,
            active_account_id: None,
            accounts: Vec::new(),
            connectors: Vec::new(),
            folders: Vec::new(),
            desk: pd_domain::DeskSettings::default(),
            uploads: pd_domain::UploadSettings::default(),
        }
    }
}

impl Settings {
    /// The account with this id.
    pub fn account(&self, id: Uuid) -> Option<&Account> {
        self.accounts.iter().find(|account| account.id == id)
    }

    /// The open account, if any.
    pub fn active_account(&self) -> Option<&Account> {
        self.active_account_id.and_then(|id| self.account(id))
    }

    /// The connector with this id.
    pub fn connector(&self, id: Uuid) -> Option<&Connector> {
        self.connectors.iter().find(|connector| connector.id == id)
    }

    /// Every keychain entry these settings may refer to, for a "secret set?" column or to find
    /// orphans. Removing an account or connector: `SecretStore::delete_all_for(id)`.
    pub fn secret_refs(&self) -> Vec<SecretRef> {
        let accounts = self
            .accounts
            .iter()
            .flat_map(|account| {
                let own = account.case_server_has_own_credentials();
                [
                    Some(account.consumer_key_ref()),
                    Some(account.consumer_secret_ref()),
                    own.then(|| account.case_server_client_id_ref()),
                    own.then(|| account.case_server_client_secret_ref()),
                ]
            })
            .flatten();
        let connectors = self.connectors.iter().map(Connector::secret_ref);
        accounts.chain(connectors).collect()
    }
}

/// Where a secret lives in the keychain: `SecretStore::get(&owner_id.to_string(), name)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecretRef {
    /// The account or connector the secret belongs to (the keychain "account").
    pub owner_id: Uuid,
    /// The secret's name.
    pub name: &'static str,
}

impl SecretRef {
    /// The owner id as the keychain account string.
    pub fn owner(&self) -> String {
        self.owner_id.to_string()
    }
}

/// A Trading Grid account: which company, on which environment. Its consumer key and secret
/// are in the keychain (see [`Account::consumer_key_ref`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// Stable id; also the keychain account of its secrets.
    pub id: Uuid,
    /// Display name ("ACME production").
    pub name: String,
    /// Environment.
    pub host: Host,
    /// Company id (BUID), e.g. `GC00804444LX`.
    pub company_id: String,
    /// Where its cases go: no case server (they stay on this computer), the Trading Grid host
    /// itself, or a `collab/v1` server of the team's own. Always written; a file from before
    /// case servers has no such field, see [`case_server_before_it_was_a_setting`].
    #[serde(default = "case_server_before_it_was_a_setting")]
    pub case_server: CaseServerSettings,
}

/// The case server of an account saved before it was a setting: its Trading Grid host, with the
/// same credentials. Until then an account's one host served everything, cases included, and
/// the only `collab/v1` server was the sandbox, so an account that worked keeps working exactly
/// as it did. (One on a host without `/collab/` was failing already; Settings now says "Cases:
/// not served at ..." and the analyst picks "No case server" to keep cases on this computer.)
/// The format version stays 1: the field is added, nothing else changes meaning.
pub fn case_server_before_it_was_a_setting() -> CaseServerSettings {
    CaseServerSettings::TradingGridHost
}

impl Account {
    /// The API base URL, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.host.base_url()
    }

    /// The environment as the UI names it.
    pub fn host_kind(&self) -> pd_domain::HostKind {
        self.host.kind()
    }

    /// The case server's base URL, without a trailing slash (`None`: no case server).
    pub fn case_server_url(&self) -> Option<String> {
        match &self.case_server {
            CaseServerSettings::None => None,
            CaseServerSettings::TradingGridHost => Some(self.base_url()),
            CaseServerSettings::Url { url, .. } => Some(url.trim_end_matches('/').to_owned()),
        }
    }

    /// Whether the case server takes a client id and secret of its own (in the keychain).
    pub fn case_server_has_own_credentials(&self) -> bool {
        matches!(
            self.case_server,
            CaseServerSettings::Url {
                credentials: CaseServerCredentials::Own,
                ..
            }
        )
    }

    /// Keychain entry of the case server's own client id.
    pub fn case_server_client_id_ref(&self) -> SecretRef {
        SecretRef {
            owner_id: self.id,
            name: CASE_SERVER_CLIENT_ID_SECRET,
        }
    }

    /// Keychain entry of the case server's own client secret.
    pub fn case_server_client_secret_ref(&self) -> SecretRef {
        SecretRef {
            owner_id: self.id,
            name: CASE_SERVER_CLIENT_SECRET_SECRET,
        }
    }

    /// Keychain entry of the OAuth2 consumer key.
    pub fn consumer_key_ref(&self) -> SecretRef {
        SecretRef {
            owner_id: self.id,
            name: CONSUMER_KEY_SECRET,
        }
    }

    /// Keychain entry of the OAuth2 consumer secret.
    pub fn consumer_secret_ref(&self) -> SecretRef {
        SecretRef {
            owner_id: self.id,
            name: CONSUMER_SECRET_SECRET,
        }
    }
}

/// Which Trading Grid API host an account talks to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Host {
    /// [`PRODUCTION_BASE_URL`].
    Production,
    /// [`BETA_BASE_URL`].
    Beta,
    /// Any other base URL (a gateway, a standalone sandbox on loopback).
    Custom {
        /// `https://...`, or `http://` on a loopback address only.
        url: String,
    },
}

impl Host {
    /// The API base URL, without a trailing slash.
    pub fn base_url(&self) -> String {
        match self {
            Self::Production => PRODUCTION_BASE_URL.to_owned(),
            Self::Beta => BETA_BASE_URL.to_owned(),
            Self::Custom { url } => url.trim_end_matches('/').to_owned(),
        }
    }

    /// The environment as the UI names it.
    pub fn kind(&self) -> pd_domain::HostKind {
        match self {
            Self::Production => pd_domain::HostKind::Production,
            Self::Beta => pd_domain::HostKind::Beta,
            Self::Custom { .. } => pd_domain::HostKind::Custom,
        }
    }
}

/// A connection to a system around Trading Grid. Its one secret (password, key passphrase,
/// secret access key, API key, client secret) is in the keychain under
/// [`Connector::secret_ref`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connector {
    /// Stable id; also the keychain account of its secret.
    pub id: Uuid,
    /// Display name ("Partner SFTP inbox").
    pub name: String,
    /// What to connect to and how: the one settings type per kind (`pd-domain`), which the
    /// form sends and the connector clients take.
    pub settings: ConnectorSettings,
}

impl Connector {
    /// Keychain entry of the connector's secret.
    pub fn secret_ref(&self) -> SecretRef {
        SecretRef {
            owner_id: self.id,
            name: CONNECTOR_SECRET,
        }
    }
}
