//! Community Management: the company itself, its partner directory and its users, read the way
//! OpenText's collection reads them and mapped onto the pd-domain types the UI works with.

use pd_domain::{Partner, User};
use serde::{Deserialize, Serialize};

use crate::client::{Call, TradingGridClient};
use crate::config::RetryPolicy;
use crate::error::{Error, Result};
use crate::lenient;

const SERVICE: &str = "TGCommunityServices";

/// A postal address as Community Management reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// First line.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub address_line1: Option<String>,
    /// Second line.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub address_line2: Option<String>,
    /// City.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub city: Option<String>,
    /// State or province.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub state: Option<String>,
    /// Postal code.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub postal_code: Option<String>,
    /// ISO country code.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub country_code: Option<String>,
}

/// The analyst's own company (`GET /TGCommunityServices/v1/companies/{companyId}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Company {
    /// Trading Grid company id.
    #[serde(deserialize_with = "lenient::string")]
    pub company_id: String,
    /// Display name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub company_name: String,
    /// "Active", ...
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    /// Head office.
    #[serde(default)]
    pub address: Option<Address>,
    /// EDI trading addresses such as `ZZ:DEMORETAILER`.
    #[serde(default, deserialize_with = "lenient::strings")]
    pub trading_addresses: Vec<String>,
}

/// Contact details of a user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactInformation {
    /// E-mail.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    /// Phone.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub phone_number: Option<String>,
    /// Mobile.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub mobile: Option<String>,
    /// Fax.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub fax_number: Option<String>,
}

/// A user as the users list and the user detail return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryUser {
    /// Stable user id.
    #[serde(deserialize_with = "lenient::string")]
    pub user_id: String,
    /// Login id.
    #[serde(deserialize_with = "lenient::string")]
    pub login_id: String,
    /// Given name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub first_name: String,
    /// Family name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub last_name: String,
    /// E-mail (the list's `email`, or the detail's `contactInformation.email`).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    /// "Active", ...
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    /// "Web", ...
    #[serde(default, rename = "type", deserialize_with = "lenient::opt_string")]
    pub user_type: Option<String>,
    /// Detail only.
    #[serde(default)]
    pub address: Option<Address>,
    /// Detail only.
    #[serde(default)]
    pub contact_information: Option<ContactInformation>,
    /// Detail only.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub preferred_language: Option<String>,
    /// Detail only.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub preferred_timezone: Option<String>,
    /// Detail only.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub preferred_date_format: Option<String>,
}

impl DirectoryUser {
    /// The pd-domain colleague (roles left empty; see [`TradingGridClient::user_roles`]).
    pub fn to_user(&self) -> User {
        let email = self
            .email
            .clone()
            .or_else(|| {
                self.contact_information
                    .as_ref()
                    .and_then(|c| c.email.clone())
            })
            .unwrap_or_default();
        User {
            user_id: self.user_id.clone(),
            login_id: self.login_id.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email,
            roles: Vec::new(),
        }
    }
}

/// One entitlement (a service the company or user may use).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entitlement {
    /// "Lens", "Community Management", ...
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// "Active", ...
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePartner {
    #[serde(deserialize_with = "lenient::string")]
    partner_company_id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    partner_company_name: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    country_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    contact_email: Option<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    trading_addresses: Vec<String>,
}

impl From<WirePartner> for Partner {
    fn from(wire: WirePartner) -> Self {
        Partner {
            partner_company_id: wire.partner_company_id,
            partner_company_name: wire.partner_company_name,
            trading_addresses: wire.trading_addresses,
            status: wire.status.unwrap_or_default(),
            country_code: wire.country_code,
            contact_email: wire.contact_email,
        }
    }
}

/// `partnerDirectory` answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PartnerDirectoryAnswer {
    #[serde(default, deserialize_with = "lenient::vec")]
    partners: Vec<WirePartner>,
}

/// `users` answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UsersAnswer {
    #[serde(default, deserialize_with = "lenient::vec")]
    users: Vec<DirectoryUser>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRole {
    #[serde(deserialize_with = "lenient::string")]
    role_name: String,
}

#[derive(Deserialize)]
pub(crate) struct EntitlementsAnswer {
    #[serde(default, deserialize_with = "lenient::vec")]
    entitlements: Vec<Entitlement>,
}

/// Parsers for each Community Management answer, public so the collection-replay tests (and
/// anyone holding raw bytes) can check an answer against the client's own reading of it.
pub mod parse {
    use super::*;
    use crate::client::parse_json;

    /// `GET .../companies/{companyId}`.
    pub fn company(body: &[u8]) -> Result<Company> {
        parse_json(body, "company")
    }
    /// `GET .../partnerDirectory`.
    pub fn partner_directory(body: &[u8]) -> Result<Vec<Partner>> {
        parse_json::<PartnerDirectoryAnswer>(body, "partner directory")
            .map(|a| a.partners.into_iter().map(Partner::from).collect())
    }
    /// `GET .../users`.
    pub fn users(body: &[u8]) -> Result<Vec<DirectoryUser>> {
        parse_json::<UsersAnswer>(body, "users").map(|a| a.users)
    }
    /// `GET .../users/{id}`.
    pub fn user(body: &[u8]) -> Result<DirectoryUser> {
        parse_json(body, "user")
    }
    /// `GET .../users/{loginId}/roles`.
    pub fn roles(body: &[u8]) -> Result<Vec<String>> {
        parse_json::<Vec<WireRole>>(body, "user roles")
            .map(|r| r.into_iter().map(|r| r.role_name).collect())
    }
    /// `GET .../entitlements`.
    pub fn entitlements(body: &[u8]) -> Result<Vec<Entitlement>> {
        parse_json::<EntitlementsAnswer>(body, "entitlements").map(|a| a.entitlements)
    }
}

impl TradingGridClient {
    fn company_url(&self, tail: &[&str]) -> Result<url::Url> {
        let company = self.inner.config.company_id.as_str();
        let mut segments = vec![SERVICE, "v1", "companies", company];
        segments.extend_from_slice(tail);
        self.url(&segments)
    }

    fn get(&self, url: url::Url) -> Call<'static> {
        Call::get(url, self.inner.config.request_timeout)
    }

    /// The company the client is configured for.
    pub async fn company(&self) -> Result<Company> {
        self.company_with(&self.inner.config.retry).await
    }

    pub(crate) async fn company_with(&self, policy: &RetryPolicy) -> Result<Company> {
        let call = self.get(self.company_url(&[])?);
        let answer = self
            .call_with_policy(policy, call, "company", parse::company)
            .await;
        answer.map_err(|e| match e {
            Error::NotFound { .. } => Error::NotFound {
                message: format!(
                    "company {} is not known to Trading Grid",
                    self.inner.config.company_id
                ),
            },
            other => other,
        })
    }

    /// The partner directory; `name` filters by partner company name (case-insensitive
    /// substring on the server).
    pub async fn partners(&self, name: Option<&str>) -> Result<Vec<Partner>> {
        let mut url = self.company_url(&["partnerDirectory"])?;
        if let Some(name) = name {
            url.query_pairs_mut()
                .append_pair("partnerCompanyName", name);
        }
        let answer: PartnerDirectoryAnswer =
            self.call_json(self.get(url), "partner directory").await?;
        Ok(answer.partners.into_iter().map(Partner::from).collect())
    }

    /// Every user of the company.
    pub async fn users(&self) -> Result<Vec<DirectoryUser>> {
        let url = self.company_url(&["users"])?;
        let answer: UsersAnswer = self.call_json(self.get(url), "users").await?;
        Ok(answer.users)
    }

    /// The user with this login id, if any (`users?loginId=`).
    pub async fn find_user_by_login_id(&self, login_id: &str) -> Result<Option<DirectoryUser>> {
        let mut url = self.company_url(&["users"])?;
        url.query_pairs_mut().append_pair("loginId", login_id);
        let answer: UsersAnswer = self.call_json(self.get(url), "users").await?;
        Ok(answer
            .users
            .into_iter()
            .find(|u| u.login_id.eq_ignore_ascii_case(login_id)))
    }

    /// One user's detail, by user id or login id.
    pub async fn user(&self, user_or_login_id: &str) -> Result<DirectoryUser> {
        let url = self.company_url(&["users", user_or_login_id])?;
        self.call_json(self.get(url), "user").await
    }

    /// A user's role names.
    pub async fn user_roles(&self, login_id: &str) -> Result<Vec<String>> {
        let url = self.company_url(&["users", login_id, "roles"])?;
        let roles: Vec<WireRole> = self.call_json(self.get(url), "user roles").await?;
        Ok(roles.into_iter().map(|r| r.role_name).collect())
    }

    /// Colleagues as pd-domain users, each with their roles.
    pub async fn users_with_roles(&self) -> Result<Vec<User>> {
        let mut users = Vec::new();
        for directory_user in self.users().await? {
            let mut user = directory_user.to_user();
            user.roles = self.user_roles(&directory_user.login_id).await?;
            users.push(user);
        }
        Ok(users)
    }

    /// The company's entitlements.
    pub async fn company_entitlements(&self) -> Result<Vec<Entitlement>> {
        let url = self.company_url(&["entitlements"])?;
        let answer: EntitlementsAnswer = self.call_json(self.get(url), "entitlements").await?;
        Ok(answer.entitlements)
    }

    /// A user's entitlements (`/TGCommunityServices/v1/users/{loginId}/entitlements`).
    pub async fn user_entitlements(&self, login_id: &str) -> Result<Vec<Entitlement>> {
        let url = self.url(&[SERVICE, "v1", "users", login_id, "entitlements"])?;
        let answer: EntitlementsAnswer = self.call_json(self.get(url), "entitlements").await?;
        Ok(answer.entitlements)
    }
}
