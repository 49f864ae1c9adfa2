//! Where an account's cases live, and what its hosts were found to serve. OpenText publishes
//! no API for collaboration cases, so a Trading Grid host serves partners, users and
//! transactions, and cases come from a `collab/v1` case server of the team's own, or stay on
//! this computer when there is none. The probe's result is typed here so that Settings, the
//! tests and the status never parse a sentence.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Timestamp;

/// An account's case server, as the settings file stores it and the form sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CaseServerSettings {
    /// No case server: cases opened here stay on this computer (a new account's choice).
    None,
    /// The Trading Grid host serves `collab/v1` too, with the same client credentials (the
    /// sandbox; every account saved before case servers existed).
    TradingGridHost,
    /// A `collab/v1` server of the team's own (`partnerdesk-server`).
    Url {
        /// Base URL: `https://...`, or `http://` on a loopback address only.
        url: String,
        /// Which client credentials it accepts.
        credentials: CaseServerCredentials,
    },
}

impl CaseServerSettings {
    /// Whether cases are shared with a server at all.
    pub fn serves_cases(&self) -> bool {
        !matches!(self, Self::None)
    }
}

/// Which OAuth2 client credentials a case server takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CaseServerCredentials {
    /// The account's Trading Grid consumer key and secret (a server configured to accept them).
    SameAsTradingGrid,
    /// A client id and secret of its own, kept in the keychain beside the account's.
    Own,
}

/// The case server part of the account form. `client_id` / `client_secret`: absent keeps the
/// stored value, `""` removes it; they are read only when the credentials are [`Own`](CaseServerCredentials::Own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CaseServerInput {
    /// Where cases go.
    pub settings: CaseServerSettings,
    /// New client id, if entered.
    pub client_id: Option<String>,
    /// New client secret, if entered.
    pub client_secret: Option<String>,
}

/// The case server as Settings lists it (secrets only as "set" flags).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CaseServerView {
    /// Where cases go.
    pub settings: CaseServerSettings,
    /// The base URL cases are sent to (`None`: no case server).
    pub base_url: Option<String>,
    /// Own client id present in the keychain.
    pub client_id_set: bool,
    /// Own client secret present in the keychain.
    pub client_secret_set: bool,
}

/// What one host answered for one kind of data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Served {
    /// Served: the request worked.
    Yes,
    /// Not served here (404 on its path).
    NotServed,
    /// The credentials were refused (401) or not allowed (403).
    Refused,
    /// Nothing answered (DNS, refused connection, TLS, timeout).
    Unreachable,
    /// Something else went wrong (a server error, an unreadable answer).
    Failed,
    /// Not asked (no case server configured, or the host could not be signed in to).
    NotChecked,
}

/// What an account's hosts serve, found when its workspace opens (or by "Test connection").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServiceProbe {
    /// Community Management partner directory on the Trading Grid host.
    pub partners: Served,
    /// Community Management users on the Trading Grid host.
    pub users: Served,
    /// Lens transaction search on the Trading Grid host.
    pub transactions: Served,
    /// `collab/v1` cases on the case server; with no case server, on the Trading Grid host
    /// (so Settings can say whether it could serve them).
    pub cases: Served,
    /// New cases stay on this computer (no case server configured).
    pub cases_stay_here: bool,
    /// In words, for Settings: "Partners, users, transactions: yes. Cases: not served here —
    /// cases stay on this computer."
    pub summary: String,
    /// When the hosts were asked.
    pub checked_at: Timestamp,
}
