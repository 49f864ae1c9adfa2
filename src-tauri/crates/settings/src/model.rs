//! The shape of the settings file, typed so that a secret has nowhere to go: there is no field
//! for a password, key or token, and unknown fields are refused rather than kept.

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
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            version: SETTINGS_VERSION,
            active_account_id: None,
            accounts: Vec::new(),
            connectors: Vec::new(),
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
            .flat_map(|account| [account.consumer_key_ref(), account.consumer_secret_ref()]);
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
    /// What to connect to and how.
    pub settings: ConnectorConfig,
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

/// A connector's non-secret settings, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConnectorConfig {
    /// An SFTP server.
    Sftp(SftpConfig),
    /// Amazon S3 or an S3-compatible store.
    S3(S3Config),
    /// A Wix site.
    Wix(WixConfig),
    /// A Drupal site.
    Drupal(DrupalConfig),
}

/// Hand-written so that an error names the field inside the connector
/// (`connectors[0].settings.port: invalid type`): serde's internally tagged enums lose the path.
impl<'de> Deserialize<'de> for ConnectorConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut fields = serde_json::Map::deserialize(deserializer)?;
        let kind = match fields.remove("kind") {
            Some(serde_json::Value::String(kind)) => kind,
            Some(_) => return Err(D::Error::custom(".kind: must be a string")),
            None => return Err(D::Error::custom(".kind: missing (sftp, s3, wix or drupal)")),
        };
        fn inner<T: serde::de::DeserializeOwned, E: Error>(
            fields: serde_json::Map<String, serde_json::Value>,
        ) -> Result<T, E> {
            serde_path_to_error::deserialize(serde_json::Value::Object(fields)).map_err(|err| {
                let path = err.path().to_string();
                if path == "." {
                    E::custom(err.inner())
                } else {
                    E::custom(format!(".{path}: {}", err.inner()))
                }
            })
        }
        match kind.as_str() {
            "sftp" => inner(fields).map(Self::Sftp),
            "s3" => inner(fields).map(Self::S3),
            "wix" => inner(fields).map(Self::Wix),
            "drupal" => inner(fields).map(Self::Drupal),
            other => Err(D::Error::custom(format!(
                ".kind: unknown connector kind {other:?} (sftp, s3, wix or drupal)"
            ))),
        }
    }
}

impl ConnectorConfig {
    /// The kind as the UI names it.
    pub fn kind(&self) -> pd_domain::ConnectorKind {
        match self {
            Self::Sftp(_) => pd_domain::ConnectorKind::Sftp,
            Self::S3(_) => pd_domain::ConnectorKind::S3,
            Self::Wix(_) => pd_domain::ConnectorKind::Wix,
            Self::Drupal(_) => pd_domain::ConnectorKind::Drupal,
        }
    }

    /// What the keychain secret is, in words, for a form label.
    pub fn secret_purpose(&self) -> &'static str {
        match self {
            Self::Sftp(SftpConfig {
                auth: SftpAuth::Password,
                ..
            }) => "password",
            Self::Sftp(_) => "private key passphrase",
            Self::S3(_) => "secret access key",
            Self::Wix(_) => "API key",
            Self::Drupal(DrupalConfig {
                auth: DrupalAuth::Oauth { .. },
                ..
            }) => "OAuth client secret",
            Self::Drupal(_) => "password",
        }
    }

    /// Whether the connector cannot work without its secret (an unencrypted private key
    /// needs none).
    pub fn secret_required(&self) -> bool {
        !matches!(
            self,
            Self::Sftp(SftpConfig {
                auth: SftpAuth::PrivateKey { .. },
                ..
            })
        )
    }
}

/// SFTP connection settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SftpConfig {
    /// Host name or address (not a URL).
    pub host: String,
    /// Port, usually 22.
    pub port: u16,
    /// User name.
    pub user: String,
    /// How to sign in.
    pub auth: SftpAuth,
    /// Remote folder, if not the login folder.
    #[serde(default)]
    pub remote_dir: Option<String>,
}

/// How to sign in to SFTP; the password or key passphrase is the connector's keychain secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SftpAuth {
    /// Password.
    Password,
    /// A private key file (OpenSSH format), maybe protected by a passphrase.
    PrivateKey {
        /// Absolute path of the key file.
        path: String,
    },
}

/// S3 connection settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// Endpoint URL of an S3-compatible store; `None` for AWS.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Region, e.g. `eu-central-1` (`garage` for Garage).
    pub region: String,
    /// Bucket name.
    pub bucket: String,
    /// Access key id (not secret; the secret access key is in the keychain).
    pub access_key_id: String,
}

/// Wix connection settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WixConfig {
    /// Site id (a GUID).
    pub site_id: String,
}

/// Drupal connection settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrupalConfig {
    /// Site base URL.
    pub base_url: String,
    /// How to sign in.
    pub auth: DrupalAuth,
}

/// How to sign in to Drupal; the client secret or password is the connector's keychain secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DrupalAuth {
    /// OAuth2 client credentials (simple_oauth).
    Oauth {
        /// Client id.
        client_id: String,
    },
    /// HTTP Basic.
    Basic {
        /// User name.
        user: String,
    },
}
