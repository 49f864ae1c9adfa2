//! Partners and colleagues as Community Management describes them, reduced to what an analyst
//! needs to pick a partner for a case or assign a case to someone.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A trading partner from the company's partner directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Partner {
    /// The partner's Trading Grid company id (BUID), e.g. `GC041543822654`.
    pub partner_company_id: String,
    /// Display name, e.g. "Verona Vittles".
    pub partner_company_name: String,
    /// EDI trading addresses such as `ZZ:VERONAVITTLES` or `01:147678796`.
    pub trading_addresses: Vec<String>,
    /// Relationship status in the directory ("Active", "Pending", "Inactive").
    pub status: String,
    /// ISO 3166 country code of the partner's head office.
    pub country_code: Option<String>,
    /// Where partner-facing messages go.
    pub contact_email: Option<String>,
}

/// A colleague: a user of the analyst's own company, who can own cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Stable Trading Grid user id, e.g. `GCP6U3F660I61`.
    pub user_id: String,
    /// Login id (may be changed by the user; roles are looked up by it).
    pub login_id: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Work e-mail.
    pub email: String,
    /// Role names as Community Management reports them.
    #[serde(default)]
    pub roles: Vec<String>,
}

impl User {
    /// "First Last", what the UI shows as a case owner.
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}
