//! What the Settings screen and the outbox view exchange with the shell. Secrets travel only
//! UI → Rust (on entry); no type here ever carries a secret back to the UI.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{CasePatch, Timestamp};

/// Which Trading Grid environment an account talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum HostKind {
    /// `https://apigrid.opentext.com`.
    Production,
    /// `https://apibetagrid.opentext.com`.
    Beta,
    /// Any other URL, e.g. a standalone sandbox.
    Custom,
}

/// Whether an account can currently sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AccountHealth {
    /// Last contact worked.
    Ok,
    /// The key or secret was refused (revoked or changed): the analyst must re-enter it.
    SignInNeeded,
    /// The keychain is unavailable, so the secret cannot be read.
    KeychainUnavailable,
    /// Not tried yet.
    Unknown,
}

/// A Trading Grid account as the Settings screen lists it (secrets only as "set" flags).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// Stable id.
    pub id: String,
    /// Display name ("ACME production").
    pub name: String,
    /// Environment.
    pub host_kind: HostKind,
    /// Base URL actually used.
    pub base_url: String,
    /// Company id (BUID).
    pub company_id: String,
    /// Consumer key present in the keychain.
    pub consumer_key_set: bool,
    /// Consumer secret present in the keychain.
    pub consumer_secret_set: bool,
    /// The workspace currently open.
    pub active: bool,
    /// Sign-in health.
    pub health: AccountHealth,
    /// Where its cases go.
    pub case_server: crate::CaseServerView,
    /// What its hosts were found to serve when its workspace last opened (this session).
    pub probe: Option<crate::ServiceProbe>,
}

/// Create or edit an account. `consumer_key` / `consumer_secret`: absent keeps the stored value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AccountInput {
    /// None creates a new account.
    pub id: Option<String>,
    /// Display name.
    pub name: String,
    /// Environment.
    pub host_kind: HostKind,
    /// Required when `host_kind` is custom.
    pub custom_url: Option<String>,
    /// Company id (BUID).
    pub company_id: String,
    /// New consumer key, if entered.
    pub consumer_key: Option<String>,
    /// New consumer secret, if entered.
    pub consumer_secret: Option<String>,
    /// The case server; absent keeps the stored one (a new account: none).
    #[ts(optional)]
    pub case_server: Option<crate::CaseServerInput>,
}

/// The systems around Trading Grid PartnerDesk connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConnectorKind {
    /// An SFTP server (drop folders, partner inboxes).
    Sftp,
    /// Amazon S3 or an S3-compatible store.
    S3,
    /// A Wix site (Data Items API).
    Wix,
    /// A Drupal site (JSON:API).
    Drupal,
}

/// A connector's non-secret settings, by kind: the one definition the settings file, the IPC
/// (form input and listing) and the connector clients share. The wire shape is the settings
/// file's: `{"kind": "sftp", "host": ..., "auth": {"kind": "password"}, ...}`.
///
/// `Deserialize` is written by hand so that an error names the field inside the connector
/// (`connectors[0].settings.port: invalid type`): serde's internally tagged enums lose the path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConnectorSettings {
    /// An SFTP server.
    Sftp(SftpSettings),
    /// Amazon S3 or an S3-compatible store.
    S3(S3Settings),
    /// A Wix site.
    Wix(WixSettings),
    /// A Drupal site.
    Drupal(DrupalSettings),
}

impl<'de> Deserialize<'de> for ConnectorSettings {
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

impl ConnectorSettings {
    /// The kind.
    pub fn kind(&self) -> ConnectorKind {
        match self {
            Self::Sftp(_) => ConnectorKind::Sftp,
            Self::S3(_) => ConnectorKind::S3,
            Self::Wix(_) => ConnectorKind::Wix,
            Self::Drupal(_) => ConnectorKind::Drupal,
        }
    }

    /// What the connector's one keychain secret is, in words, for a form label.
    pub fn secret_purpose(&self) -> &'static str {
        match self {
            Self::Sftp(SftpSettings {
                auth: SftpAuth::Password,
                ..
            }) => "password",
            Self::Sftp(_) => "private key passphrase",
            Self::S3(_) => "secret access key",
            Self::Wix(_) => "API key",
            Self::Drupal(DrupalSettings {
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
            Self::Sftp(SftpSettings {
                auth: SftpAuth::PrivateKey { .. },
                ..
            })
        )
    }
}

/// SFTP connection settings; the password or key passphrase is the connector's keychain secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct SftpSettings {
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
    /// The server's host key the analyst accepted (set only by accepting a key the server
    /// presented; a form's value is ignored). `None`: not accepted yet, so nothing is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub host_key: Option<SftpHostKey>,
}

/// An SSH host key pinned for one SFTP connector, as OpenSSH's `known_hosts` holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct SftpHostKey {
    /// The key's algorithm as SSH names it on the wire (`ssh-ed25519`, `rsa-sha2-512`'s key
    /// `ssh-rsa`, `ecdsa-sha2-nistp256`).
    pub algorithm: String,
    /// The public key blob, base64 (the third field of a `known_hosts` line).
    pub public_key: String,
    /// Its SHA-256 fingerprint as `ssh-keygen -l` prints it (`SHA256:` + base64 without padding).
    pub fingerprint: String,
}

/// A host key as shown to the analyst: type and fingerprint, as `ssh` prints them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HostKeyFingerprint {
    /// The key type as `ssh` names it in its prompt (`ED25519`, `RSA`, `ECDSA`).
    pub key_type: String,
    /// `SHA256:` + base64 without padding.
    pub fingerprint: String,
}

/// What the SFTP handshake found about the server's host key when it was not the accepted one
/// (the data behind `ssh.host_key_unknown` and `ssh.host_key_changed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HostKeyCheck {
    /// The host as configured.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The key the server presents now.
    pub presented: HostKeyFingerprint,
    /// The key accepted before, when the server now presents another one.
    pub accepted: Option<HostKeyFingerprint>,
}

/// How to sign in to SFTP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SftpAuth {
    /// Password (the keychain secret).
    Password,
    /// A private key file (OpenSSH format); the keychain secret is its passphrase, if any.
    PrivateKey {
        /// Absolute path of the key file.
        path: String,
    },
}

/// S3 connection settings; the secret access key is the connector's keychain secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    /// Endpoint URL of an S3-compatible store; `None` for AWS.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Region, e.g. `eu-central-1` (`garage` for Garage).
    pub region: String,
    /// Bucket name.
    pub bucket: String,
    /// Access key id (not secret).
    pub access_key_id: String,
}

/// Wix connection settings; the API key is the connector's keychain secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct WixSettings {
    /// Site id (a GUID).
    pub site_id: String,
}

/// Drupal connection settings; the client secret or password is the connector's keychain
/// secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct DrupalSettings {
    /// Site base URL.
    pub base_url: String,
    /// How to sign in.
    pub auth: DrupalAuth,
}

/// How to sign in to Drupal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DrupalAuth {
    /// OAuth2 client credentials (simple_oauth); the secret is the client secret.
    Oauth {
        /// Client id.
        client_id: String,
    },
    /// HTTP Basic; the secret is the user's password.
    Basic {
        /// User name.
        user: String,
    },
}

/// A connector as listed (secret only as a "set" flag).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorView {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Settings.
    pub settings: ConnectorSettings,
    /// The password / secret / API key is in the keychain.
    pub secret_set: bool,
}

/// Create or edit a connector; `secret` absent keeps the stored one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorInput {
    /// None creates.
    pub id: Option<String>,
    /// Display name.
    pub name: String,
    /// Settings.
    pub settings: ConnectorSettings,
    /// Password, key passphrase, secret access key, API key or client secret, if entered.
    pub secret: Option<String>,
}

/// What "Test connection" found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionTestResult {
    /// It worked.
    pub ok: bool,
    /// Stable code of the failure: `net.dns`, `net.refused`, `net.tls`, `net.timeout`,
    /// `auth.unauthorized`, `auth.forbidden`, `api.not_found`, ...
    pub code: Option<crate::ErrorCode>,
    /// In words: "Signed in to ACME (GC00804444LX)" or what failed and what to check.
    pub message: String,
    /// The SFTP server's host key when it is not yet accepted (`ssh.host_key_unknown`) or not
    /// the accepted one (`ssh.host_key_changed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub host_key: Option<HostKeyCheck>,
}

/// Whether secrets can be stored at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KeychainStatus {
    /// The OS keychain answered the start-up probe.
    pub available: bool,
    /// `keychain.unavailable` when not.
    pub code: Option<crate::ErrorCode>,
    /// What to do, in words.
    pub message: Option<String>,
}

/// Where an outbox entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waiting to be sent.
    Pending,
    /// Being sent now.
    InFlight,
    /// Refused by the server; needs the analyst.
    Failed,
}

/// One queued change as the outbox view lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEntryView {
    /// Operation id (the idempotency key).
    pub op_id: String,
    /// Case id.
    pub case_id: String,
    /// Case reference for display.
    pub case_reference: String,
    /// What the change does, as data (`None`: the stored change could not be read; it is failed
    /// and `last_error` says why).
    pub op: Option<crate::OutboxOp>,
    /// In words: "Comment: “Please resend the ASN…”", "Status → Resolved".
    pub summary: String,
    /// State.
    pub state: OutboxState,
    /// Send attempts so far.
    pub attempts: u32,
    /// The server's or network's reason for the last failure.
    pub last_error: Option<String>,
    /// Queued at.
    pub created_at: Timestamp,
}

/// Edit a failed entry before retrying it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEdit {
    /// New comment text (comment entries).
    pub body: Option<String>,
    /// New field changes (patch entries).
    pub patch: Option<CasePatch>,
}

/// A local change that lost to a newer server value; kept and shown on the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConflictView {
    /// Conflict id.
    pub id: String,
    /// Field name (`status`, `owner`, ...).
    pub field: String,
    /// What the analyst had set.
    pub local_value: Option<String>,
    /// What the server has.
    pub server_value: Option<String>,
    /// When it was detected.
    pub detected_at: Timestamp,
}

/// A new case typed by the analyst (not from an exception).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewCaseInput {
    /// Summary.
    pub title: String,
    /// Partner company id.
    pub partner_id: String,
    /// Kind.
    pub kind: crate::CaseKind,
    /// Priority.
    pub priority: crate::Priority,
    /// Owner login id.
    pub owner: Option<String>,
    /// First comment (partner-visible), if any.
    pub description: Option<String>,
}
