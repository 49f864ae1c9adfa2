//! Settings come from a file a person can edit and from forms; both are checked here, and every
//! problem names its field (`accounts[1].host.url: not a URL`) so it can be found and fixed.

use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;
use std::path::Path;

use url::Url;

use pd_domain::{
    ConnectorSettings, DrupalAuth, DrupalSettings, S3Settings, SftpAuth, SftpSettings, WixSettings,
};

use crate::model::{Account, Connector, Host, Settings, SETTINGS_VERSION};

const MAX_NAME_CHARS: usize = 100;
const MAX_FIELD_CHARS: usize = 255;
const MAX_PATH_CHARS: usize = 4096;

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    /// Path of the field, e.g. `accounts[1].host.url`.
    pub field: String,
    /// What is wrong, e.g. `not a URL`.
    pub problem: String,
}

impl fmt::Display for FieldIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

#[derive(Default)]
struct Issues(Vec<FieldIssue>);

impl Issues {
    fn push(&mut self, field: impl Into<String>, problem: impl Into<String>) {
        self.0.push(FieldIssue {
            field: field.into(),
            problem: problem.into(),
        });
    }
}

/// Every problem in `settings`, in file order; empty when they are usable.
pub fn validate(settings: &Settings) -> Vec<FieldIssue> {
    let mut issues = Issues::default();
    if settings.version != SETTINGS_VERSION {
        issues.push(
            "version",
            format!(
                "{} is not supported (this PartnerDesk reads version {SETTINGS_VERSION})",
                settings.version
            ),
        );
    }
    let mut account_ids = HashSet::new();
    for (index, account) in settings.accounts.iter().enumerate() {
        let at = format!("accounts[{index}]");
        if !account_ids.insert(account.id) {
            issues.push(format!("{at}.id"), "another account has the same id");
        }
        check_account(&at, account, &mut issues);
    }
    if let Some(active) = settings.active_account_id {
        if !account_ids.contains(&active) {
            issues.push("active_account_id", format!("no account has id {active}"));
        }
    }
    let mut connector_ids = HashSet::new();
    for (index, connector) in settings.connectors.iter().enumerate() {
        let at = format!("connectors[{index}]");
        if !connector_ids.insert(connector.id) {
            issues.push(format!("{at}.id"), "another connector has the same id");
        }
        if account_ids.contains(&connector.id) {
            issues.push(format!("{at}.id"), "an account has the same id");
        }
        check_connector(&at, connector, &mut issues);
    }
    for issue in validate_desk(&settings.desk) {
        issues.0.push(issue);
    }
    issues.0
}

/// Problems with the desktop settings (SLA policy, quiet hours, escalation rules).
pub fn validate_desk(desk: &pd_domain::DeskSettings) -> Vec<FieldIssue> {
    let mut issues = Issues::default();
    if let Some(problem) = desk.sla.problem() {
        issues.push("desk.sla", problem);
    }
    if let Some(quiet) = desk.notifications.quiet_hours {
        if quiet.start_minute >= 24 * 60 || quiet.end_minute >= 24 * 60 {
            issues.push(
                "desk.notifications.quiet_hours",
                "quiet hours must start and end within the day (00:00 to 23:59)",
            );
        } else if quiet.start_minute == quiet.end_minute {
            issues.push(
                "desk.notifications.quiet_hours",
                "quiet hours must not start and end at the same time",
            );
        }
    }
    let mut rule_ids = HashSet::new();
    for (index, rule) in desk.escalation_rules.iter().enumerate() {
        let at = format!("desk.escalation_rules[{index}]");
        if !rule_ids.insert(rule.id.as_str()) {
            issues.push(format!("{at}.id"), "another rule has the same id");
        }
        if rule.name.trim().is_empty() || rule.name.chars().count() > MAX_NAME_CHARS {
            issues.push(
                format!("{at}.name"),
                "a rule needs a name of 1 to 100 characters",
            );
        }
        if rule.actions.is_empty() {
            issues.push(format!("{at}.actions"), "a rule needs at least one action");
        }
        for (a, action) in rule.actions.iter().enumerate() {
            match action {
                pd_domain::EscalationAction::InternalNote { text } if text.trim().is_empty() => {
                    issues.push(format!("{at}.actions[{a}]"), "the note has no text");
                }
                pd_domain::EscalationAction::Reassign {
                    to: pd_domain::Assignee::Tier { members, .. },
                } if members.is_empty() => {
                    issues.push(format!("{at}.actions[{a}]"), "the tier has no members");
                }
                pd_domain::EscalationAction::Reassign {
                    to: pd_domain::Assignee::Person { login_id },
                } if login_id.trim().is_empty() => {
                    issues.push(format!("{at}.actions[{a}]"), "choose who gets the case");
                }
                _ => {}
            }
        }
    }
    issues.0
}

/// Problems with one account, fields named from `at` (e.g. `account`).
pub fn validate_account(at: &str, account: &Account) -> Vec<FieldIssue> {
    let mut issues = Issues::default();
    check_account(at, account, &mut issues);
    issues.0
}

/// Problems with one connector, fields named from `at` (e.g. `connector`).
pub fn validate_connector(at: &str, connector: &Connector) -> Vec<FieldIssue> {
    let mut issues = Issues::default();
    check_connector(at, connector, &mut issues);
    issues.0
}

fn check_account(at: &str, account: &Account, issues: &mut Issues) {
    check_display_name(&format!("{at}.name"), &account.name, issues);
    if let Host::Custom { url } = &account.host {
        check_url(&format!("{at}.host.url"), url, issues);
    }
    if let pd_domain::CaseServerSettings::Url { url, .. } = &account.case_server {
        check_url(&format!("{at}.case_server.url"), url, issues);
    }
    let field = format!("{at}.company_id");
    let company = account.company_id.as_str();
    if company.trim().is_empty() {
        issues.push(field, "is empty");
    } else if company.len() > 64
        || !company
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    {
        issues.push(
            field,
            "not a company id (BUID): letters and digits, like GC00804444LX",
        );
    }
}

fn check_connector(at: &str, connector: &Connector, issues: &mut Issues) {
    check_display_name(&format!("{at}.name"), &connector.name, issues);
    let at = format!("{at}.settings");
    match &connector.settings {
        ConnectorSettings::Sftp(sftp) => check_sftp(&at, sftp, issues),
        ConnectorSettings::S3(s3) => check_s3(&at, s3, issues),
        ConnectorSettings::Wix(wix) => check_wix(&at, wix, issues),
        ConnectorSettings::Drupal(drupal) => check_drupal(&at, drupal, issues),
    }
}

fn check_sftp(at: &str, sftp: &SftpSettings, issues: &mut Issues) {
    let field = format!("{at}.host");
    let host = sftp.host.as_str();
    if host.trim().is_empty() {
        issues.push(field, "is empty");
    } else if host.contains("://") {
        issues.push(field, "a host name or address, not a URL");
    } else if host.len() > 253
        || host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '@' | '/'))
    {
        issues.push(field, "not a host name or address");
    }
    if sftp.port == 0 {
        issues.push(format!("{at}.port"), "must be between 1 and 65535");
    }
    check_plain_text(&format!("{at}.user"), &sftp.user, issues);
    if let SftpAuth::PrivateKey { path } = &sftp.auth {
        let field = format!("{at}.auth.path");
        if path.trim().is_empty() {
            issues.push(field, "is empty");
        } else if path.len() > MAX_PATH_CHARS || path.chars().any(char::is_control) {
            issues.push(field, "not a file path");
        } else if !Path::new(path).is_absolute() {
            issues.push(field, "must be an absolute path to the private key file");
        }
    }
    if let Some(key) = &sftp.host_key {
        let field = format!("{at}.host_key");
        let base64 = |text: &str| {
            !text.is_empty()
                && text.len() <= 16 * 1024
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        };
        if key.algorithm.is_empty()
            || key.algorithm.len() > 64
            || !key.algorithm.chars().all(|c| c.is_ascii_graphic())
        {
            issues.push(
                format!("{field}.algorithm"),
                "not an SSH key type, like ssh-ed25519",
            );
        }
        if !base64(&key.public_key) {
            issues.push(format!("{field}.public_key"), "not a base64 public key");
        }
        if !key.fingerprint.strip_prefix("SHA256:").is_some_and(base64) {
            issues.push(
                format!("{field}.fingerprint"),
                "not a SHA256:... fingerprint as ssh-keygen -l prints it",
            );
        }
    }
    if let Some(dir) = &sftp.remote_dir {
        let field = format!("{at}.remote_dir");
        if dir.trim().is_empty() {
            issues.push(field, "is empty (leave it out for the login folder)");
        } else if dir.len() > MAX_PATH_CHARS || dir.chars().any(char::is_control) {
            issues.push(field, "not a folder path");
        }
    }
}

fn check_s3(at: &str, s3: &S3Settings, issues: &mut Issues) {
    if let Some(endpoint) = &s3.endpoint {
        check_url(&format!("{at}.endpoint"), endpoint, issues);
    }
    let field = format!("{at}.region");
    if s3.region.trim().is_empty() {
        issues.push(field, "is empty");
    } else if s3.region.len() > 64
        || !s3
            .region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        issues.push(field, "not a region name, like eu-central-1");
    }
    let field = format!("{at}.bucket");
    let bucket = s3.bucket.as_str();
    if bucket.is_empty() {
        issues.push(field, "is empty");
    } else if !(3..=63).contains(&bucket.len())
        || !bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'))
        || !bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !bucket.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        issues.push(
            field,
            "not a bucket name: 3 to 63 lowercase letters, digits, '.' or '-'",
        );
    }
    let field = format!("{at}.access_key_id");
    let key_id = s3.access_key_id.as_str();
    if key_id.is_empty() {
        issues.push(field, "is empty");
    } else if key_id.len() > 128 || !key_id.chars().all(|c| c.is_ascii_graphic()) {
        issues.push(field, "not an access key id");
    }
}

fn check_wix(at: &str, wix: &WixSettings, issues: &mut Issues) {
    let field = format!("{at}.site_id");
    if wix.site_id.trim().is_empty() {
        issues.push(field, "is empty");
    } else if uuid::Uuid::parse_str(&wix.site_id).is_err() {
        issues.push(
            field,
            "not a Wix site id (a GUID like 1a2b3c4d-0000-4000-8000-00000000abcd)",
        );
    }
}

fn check_drupal(at: &str, drupal: &DrupalSettings, issues: &mut Issues) {
    check_url(&format!("{at}.base_url"), &drupal.base_url, issues);
    match &drupal.auth {
        DrupalAuth::Oauth { client_id } => {
            check_plain_text(&format!("{at}.auth.client_id"), client_id, issues)
        }
        DrupalAuth::Basic { user } => check_plain_text(&format!("{at}.auth.user"), user, issues),
    }
}

fn check_display_name(field: &str, name: &str, issues: &mut Issues) {
    if name.trim().is_empty() {
        issues.push(field, "is empty");
    } else if name.chars().count() > MAX_NAME_CHARS {
        issues.push(field, format!("longer than {MAX_NAME_CHARS} characters"));
    } else if name.chars().any(char::is_control) {
        issues.push(field, "contains control characters");
    }
}

fn check_plain_text(field: &str, value: &str, issues: &mut Issues) {
    if value.trim().is_empty() {
        issues.push(field, "is empty");
    } else if value.chars().count() > MAX_FIELD_CHARS {
        issues.push(field, format!("longer than {MAX_FIELD_CHARS} characters"));
    } else if value.chars().any(char::is_control) {
        issues.push(field, "contains control characters");
    }
}

/// A base URL PartnerDesk may send credentials to: https, or http to this machine only; no
/// user name or password in it (they belong in the keychain), no query or fragment.
fn check_url(field: &str, value: &str, issues: &mut Issues) {
    if value.trim().is_empty() {
        issues.push(field, "is empty");
        return;
    }
    if value.len() > 2048 {
        issues.push(field, "not a URL (longer than 2048 characters)");
        return;
    }
    let url = match Url::parse(value) {
        Ok(url) => url,
        Err(_) => {
            issues.push(field, "not a URL");
            return;
        }
    };
    let Some(host) = url.host_str() else {
        issues.push(field, "not a URL with a host name");
        return;
    };
    if !url.username().is_empty() || url.password().is_some() {
        issues.push(
            field,
            "must not contain a user name or password (those go in the keychain)",
        );
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => issues.push(field, "must use https (http is allowed only for 127.0.0.1)"),
        _ => issues.push(field, "not an http(s) URL"),
    }
    if url.query().is_some() || url.fragment().is_some() {
        issues.push(field, "must not contain ?query or #fragment");
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
