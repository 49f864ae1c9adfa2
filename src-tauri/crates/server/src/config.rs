//! The configuration file (TOML, or JSON when the file name ends in `.json`): read, checked and
//! explained, so a wrong file stops the server at start with the line to fix rather than at the
//! first request.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::ServerError;

/// Environment variable that overrides `token_secret`.
pub const TOKEN_SECRET_ENV: &str = "PARTNERDESK_TOKEN_SECRET";
/// Environment variable that overrides `documents.secret_access_key`.
pub const S3_SECRET_ENV: &str = "PARTNERDESK_S3_SECRET_ACCESS_KEY";
/// Shortest accepted token signing key.
pub const MIN_TOKEN_SECRET: usize = 32;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Where to listen, e.g. `0.0.0.0:8480` (port 0: any free port, printed at start).
    pub listen: SocketAddr,
    /// `sqlite:PATH` (relative paths are relative to the config file) or `postgres://...`.
    pub database: String,
    /// Trading Grid company ids whose cases this server keeps.
    pub companies: Vec<String>,
    /// Key that signs access tokens: the same in every process behind one load balancer, at
    /// least 32 characters. `PARTNERDESK_TOKEN_SECRET` overrides it.
    #[serde(default)]
    pub token_secret: Option<String>,
    /// Access token lifetime (default ten hours, as Trading Grid).
    #[serde(default = "default_token_lifetime")]
    pub token_lifetime_secs: u64,
    /// How long an idempotency key's answer is replayed (default 7 days).
    #[serde(default = "default_idempotency_hours")]
    pub idempotency_expiry_hours: u64,
    /// `text` (default) or `json` (one JSON object per line).
    #[serde(default)]
    pub log_format: LogFormat,
    /// Where document bytes go.
    #[serde(default)]
    pub documents: DocumentsConfig,
    /// Who may call: one entry per analyst or integration.
    pub clients: Vec<ClientConfig>,
}

fn default_token_lifetime() -> u64 {
    36_000
}

fn default_idempotency_hours() -> u64 {
    24 * 7
}

/// Log line format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// JSON lines.
    Json,
}

/// `[documents]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentsConfig {
    /// `database` (default) or `s3`.
    #[serde(default)]
    pub storage: DocumentStorage,
    /// S3 endpoint (an S3-compatible store); AWS when absent.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// S3 region.
    #[serde(default)]
    pub region: Option<String>,
    /// S3 bucket.
    #[serde(default)]
    pub bucket: Option<String>,
    /// Key prefix inside the bucket (default `partnerdesk/documents/`).
    #[serde(default)]
    pub prefix: Option<String>,
    /// S3 access key id.
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// S3 secret access key; `PARTNERDESK_S3_SECRET_ACCESS_KEY` overrides it.
    #[serde(default)]
    pub secret_access_key: Option<String>,
}

/// Where document bytes are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentStorage {
    /// In the database.
    #[default]
    Database,
    /// In an S3 bucket.
    S3,
}

/// `[[clients]]`: one OAuth2 client (an analyst or an integration).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The client id (HTTP Basic user at the token endpoint).
    pub id: String,
    /// The client secret.
    pub secret: String,
    /// Display name: the author of this client's comments and documents.
    pub name: String,
}

/// Which database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl DatabaseUrl {
    /// Reads `sqlite:PATH` or `postgres://...` / `postgresql://...`; relative SQLite paths are
    /// taken from `base`.
    pub fn parse(text: &str, base: Option<&Path>) -> Result<Self, ServerError> {
        let text = text.trim();
        if let Some(path) = text.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(ServerError::Config(
                    "database = \"sqlite:\" needs a file path, e.g. \"sqlite:/var/lib/partnerdesk/cases.sqlite\"".into(),
                ));
            }
            let path = PathBuf::from(path);
            let path = match base {
                Some(base) if path.is_relative() => base.join(path),
                _ => path,
            };
            return Ok(DatabaseUrl::Sqlite(path));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(text.to_string()));
        }
        Err(ServerError::Config(format!(
            "database = {:?} is not understood: use \"sqlite:PATH\" for one machine or \
             \"postgres://USER:PASSWORD@HOST:5432/DATABASE\" for a team",
            redact(text)
        )))
    }

    /// For logs: the URL without its password.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite:{}", path.display()),
            DatabaseUrl::Postgres(url) => redact(url),
        }
    }
}

/// `scheme://user:secret@host` → `scheme://user:***@host`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// A checked configuration: the file plus what came from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The file as read.
    pub file: ServerConfig,
    /// The database.
    pub database: DatabaseUrl,
    /// The signing key.
    pub token_secret: String,
    /// The S3 secret, when documents go to S3.
    pub s3_secret: Option<String>,
}

impl Settings {
    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<Self, ServerError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ServerError::Config(format!(
                "cannot read the config file {}: {e}",
                path.display()
            ))
        })?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let file: ServerConfig = if is_json {
            serde_json::from_str(&text).map_err(|e| {
                ServerError::Config(format!("{} is not a valid config: {e}", path.display()))
            })?
        } else {
            toml::from_str(&text).map_err(|e| {
                ServerError::Config(format!(
                    "{} is not a valid config: {}",
                    path.display(),
                    e.to_string().trim_end()
                ))
            })?
        };
        Self::check(file, path.parent(), |name| std::env::var(name).ok())
    }

    /// Checks a parsed file; `env` reads environment overrides.
    pub fn check(
        file: ServerConfig,
        base: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ServerError> {
        let bad = |m: String| Err(ServerError::Config(m));
        let database = DatabaseUrl::parse(&file.database, base)?;
        if file.companies.is_empty() {
            return bad("companies is empty: name at least one Trading Grid company id, e.g. companies = [\"GC00804444LX\"]".into());
        }
        for company in &file.companies {
            if company.trim().is_empty()
                || company.len() > 100
                || company
                    .chars()
                    .any(|c| c == '/' || c.is_whitespace() || c.is_control())
            {
                return bad(format!(
                    "companies: {company:?} is not a company id (letters and digits, no spaces or '/')"
                ));
            }
        }
        let token_secret = env(TOKEN_SECRET_ENV)
            .filter(|s| !s.is_empty())
            .or_else(|| file.token_secret.clone())
            .unwrap_or_default();
        if token_secret.chars().count() < MIN_TOKEN_SECRET {
            return bad(format!(
                "token_secret must be at least {MIN_TOKEN_SECRET} characters (the same in every \
                 process; set it in the file or in {TOKEN_SECRET_ENV})"
            ));
        }
        if file.token_lifetime_secs == 0 || file.token_lifetime_secs > 7 * 24 * 3600 {
            return bad("token_lifetime_secs must be between 1 and 604800 (7 days)".into());
        }
        if file.idempotency_expiry_hours == 0 {
            return bad(
                "idempotency_expiry_hours must be at least 1 (clients resend for hours when offline)"
                    .into(),
            );
        }
        if file.clients.is_empty() {
            return bad("clients is empty: add one [[clients]] entry (id, secret, name) per analyst or integration".into());
        }
        let mut ids = HashSet::new();
        for client in &file.clients {
            if client.id.trim().is_empty() || client.id.contains(':') {
                return bad(format!(
                    "clients: {:?} is not a client id (not empty, no ':')",
                    client.id
                ));
            }
            if !ids.insert(client.id.as_str()) {
                return bad(format!("clients: the id {:?} is given twice", client.id));
            }
            if client.secret.chars().count() < 16 {
                return bad(format!(
                    "clients: the secret of {:?} must be at least 16 characters",
                    client.id
                ));
            }
            if client.name.trim().is_empty() {
                return bad(format!(
                    "clients: {:?} needs a name (the author shown on its comments)",
                    client.id
                ));
            }
        }
        let s3_secret = match file.documents.storage {
            DocumentStorage::Database => None,
            DocumentStorage::S3 => {
                let docs = &file.documents;
                for (field, value) in [
                    ("bucket", &docs.bucket),
                    ("region", &docs.region),
                    ("access_key_id", &docs.access_key_id),
                ] {
                    if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
                        return bad(format!(
                            "documents.storage = \"s3\" needs documents.{field}"
                        ));
                    }
                }
                let secret = env(S3_SECRET_ENV)
                    .filter(|s| !s.is_empty())
                    .or_else(|| docs.secret_access_key.clone())
                    .filter(|s| !s.is_empty());
                if secret.is_none() {
                    return bad(format!(
                        "documents.storage = \"s3\" needs the secret access key in {S3_SECRET_ENV} or documents.secret_access_key"
                    ));
                }
                secret
            }
        };
        Ok(Settings {
            file,
            database,
            token_secret,
            s3_secret,
        })
    }
}
