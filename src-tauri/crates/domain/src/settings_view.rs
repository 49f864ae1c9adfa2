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

/// A connector's non-secret fields, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConnectorSettings {
    /// SFTP.
    Sftp {
        /// Host name or address.
        host: String,
        /// Port (22).
        port: u16,
        /// User name.
        user: String,
        /// "password" or "private_key".
        auth: String,
        /// Private key file path when `auth` is private_key.
        private_key_path: Option<String>,
        /// Remote folder.
        remote_dir: Option<String>,
    },
    /// S3.
    S3 {
        /// Endpoint URL (empty for AWS).
        endpoint: Option<String>,
        /// Region.
        region: String,
        /// Bucket.
        bucket: String,
        /// Access key id (not secret).
        access_key_id: String,
    },
    /// Wix.
    Wix {
        /// Site id.
        site_id: String,
    },
    /// Drupal.
    Drupal {
        /// Site base URL.
        base_url: String,
        /// "oauth" or "basic".
        auth: String,
        /// OAuth client id or user name.
        client_or_user: String,
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
    pub code: Option<String>,
    /// In words: "Signed in to ACME (GC00804444LX)" or what failed and what to check.
    pub message: String,
}

/// Whether secrets can be stored at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KeychainStatus {
    /// The OS keychain answered the start-up probe.
    pub available: bool,
    /// `keychain.unavailable` when not.
    pub code: Option<String>,
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
