//! Every error code the app can answer with, as one enum: the crates' errors name theirs with it,
//! the IPC `{code, message}` carries it, and the UI receives it as a generated union type, so no
//! side matches on a code it spelled by hand. [`ErrorCode::words`] is the one table of what each
//! means for an analyst (the fallback when an error has no sentence of its own).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A stable, dotted error code (`net.offline`, `keychain.unavailable`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
pub enum ErrorCode {
    /// Something failed inside the app; the details are in the log file.
    #[serde(rename = "app.internal")]
    #[ts(rename = "app.internal")]
    AppInternal,
    /// The window could not reach the app (the UI's own code for a failed call).
    #[serde(rename = "ipc.failed")]
    #[ts(rename = "ipc.failed")]
    IpcFailed,
    /// The server cannot be reached.
    #[serde(rename = "net.offline")]
    #[ts(rename = "net.offline")]
    NetOffline,
    /// The host name could not be found.
    #[serde(rename = "net.dns")]
    #[ts(rename = "net.dns")]
    NetDns,
    /// Nothing answered at that address (connection refused).
    #[serde(rename = "net.refused")]
    #[ts(rename = "net.refused")]
    NetRefused,
    /// The network or host is unreachable.
    #[serde(rename = "net.unreachable")]
    #[ts(rename = "net.unreachable")]
    NetUnreachable,
    /// A secure (TLS) connection could not be made.
    #[serde(rename = "net.tls")]
    #[ts(rename = "net.tls")]
    NetTls,
    /// The server did not answer in time.
    #[serde(rename = "net.timeout")]
    #[ts(rename = "net.timeout")]
    NetTimeout,
    /// The connection broke during the exchange.
    #[serde(rename = "net.interrupted")]
    #[ts(rename = "net.interrupted")]
    NetInterrupted,
    /// The credentials were refused.
    #[serde(rename = "auth.unauthorized")]
    #[ts(rename = "auth.unauthorized")]
    AuthUnauthorized,
    /// Signed in, but not allowed to do this.
    #[serde(rename = "auth.forbidden")]
    #[ts(rename = "auth.forbidden")]
    AuthForbidden,
    /// The server does not know what was asked for.
    #[serde(rename = "api.not_found")]
    #[ts(rename = "api.not_found")]
    ApiNotFound,
    /// The server refused the request as invalid.
    #[serde(rename = "api.validation")]
    #[ts(rename = "api.validation")]
    ApiValidation,
    /// The server refused the change as conflicting.
    #[serde(rename = "api.conflict")]
    #[ts(rename = "api.conflict")]
    ApiConflict,
    /// The server asked to slow down.
    #[serde(rename = "api.rate_limited")]
    #[ts(rename = "api.rate_limited")]
    ApiRateLimited,
    /// The server failed.
    #[serde(rename = "api.server")]
    #[ts(rename = "api.server")]
    ApiServer,
    /// The server's answer could not be read.
    #[serde(rename = "api.malformed")]
    #[ts(rename = "api.malformed")]
    ApiMalformed,
    /// The transaction search refused the query.
    #[serde(rename = "api.graphql")]
    #[ts(rename = "api.graphql")]
    ApiGraphql,
    /// A download did not match its size or checksum.
    #[serde(rename = "api.integrity")]
    #[ts(rename = "api.integrity")]
    ApiIntegrity,
    /// The server answered in a way the app does not expect.
    #[serde(rename = "api.unexpected")]
    #[ts(rename = "api.unexpected")]
    ApiUnexpected,
    /// A local file could not be read or written.
    #[serde(rename = "io.file")]
    #[ts(rename = "io.file")]
    IoFile,
    /// What was entered is not valid.
    #[serde(rename = "input.invalid")]
    #[ts(rename = "input.invalid")]
    InputInvalid,
    /// The local cache is damaged.
    #[serde(rename = "store.corrupt")]
    #[ts(rename = "store.corrupt")]
    StoreCorrupt,
    /// The local cache cannot be written.
    #[serde(rename = "store.read_only")]
    #[ts(rename = "store.read_only")]
    StoreReadOnly,
    /// The local cache was written by a newer PartnerDesk.
    #[serde(rename = "store.newer_schema")]
    #[ts(rename = "store.newer_schema")]
    StoreNewerSchema,
    /// The local cache is busy.
    #[serde(rename = "store.busy")]
    #[ts(rename = "store.busy")]
    StoreBusy,
    /// That is not in the local cache.
    #[serde(rename = "store.not_found")]
    #[ts(rename = "store.not_found")]
    StoreNotFound,
    /// The local cache refused the change as invalid.
    #[serde(rename = "store.invalid")]
    #[ts(rename = "store.invalid")]
    StoreInvalid,
    /// A value in the local cache could not be read.
    #[serde(rename = "store.data")]
    #[ts(rename = "store.data")]
    StoreData,
    /// The local cache could not be read or written.
    #[serde(rename = "store.io")]
    #[ts(rename = "store.io")]
    StoreIo,
    /// The local cache failed.
    #[serde(rename = "store.sqlite")]
    #[ts(rename = "store.sqlite")]
    StoreSqlite,
    /// The OS keychain cannot be reached.
    #[serde(rename = "keychain.unavailable")]
    #[ts(rename = "keychain.unavailable")]
    KeychainUnavailable,
    /// The OS keychain would not keep secrets.
    #[serde(rename = "keychain.not_persistent")]
    #[ts(rename = "keychain.not_persistent")]
    KeychainNotPersistent,
    /// The secret's name is not valid.
    #[serde(rename = "keychain.invalid_name")]
    #[ts(rename = "keychain.invalid_name")]
    KeychainInvalidName,
    /// An empty secret cannot be stored.
    #[serde(rename = "keychain.empty_secret")]
    #[ts(rename = "keychain.empty_secret")]
    KeychainEmptySecret,
    /// The secret is too long for the keychain.
    #[serde(rename = "keychain.too_long")]
    #[ts(rename = "keychain.too_long")]
    KeychainTooLong,
    /// A keychain entry could not be read.
    #[serde(rename = "keychain.corrupt")]
    #[ts(rename = "keychain.corrupt")]
    KeychainCorrupt,
    /// The keychain holds several entries for one secret.
    #[serde(rename = "keychain.ambiguous")]
    #[ts(rename = "keychain.ambiguous")]
    KeychainAmbiguous,
    /// The keychain gave back something other than what was stored.
    #[serde(rename = "keychain.probe_mismatch")]
    #[ts(rename = "keychain.probe_mismatch")]
    KeychainProbeMismatch,
    /// The keychain failed.
    #[serde(rename = "keychain.platform")]
    #[ts(rename = "keychain.platform")]
    KeychainPlatform,
    /// The settings file could not be read and was set aside.
    #[serde(rename = "settings.broken")]
    #[ts(rename = "settings.broken")]
    SettingsBroken,
    /// The settings file could not be read.
    #[serde(rename = "settings.unreadable")]
    #[ts(rename = "settings.unreadable")]
    SettingsUnreadable,
    /// A setting is not valid.
    #[serde(rename = "settings.invalid")]
    #[ts(rename = "settings.invalid")]
    SettingsInvalid,
    /// That account or connector no longer exists.
    #[serde(rename = "settings.not_found")]
    #[ts(rename = "settings.not_found")]
    SettingsNotFound,
    /// The settings file could not be written.
    #[serde(rename = "settings.write_failed")]
    #[ts(rename = "settings.write_failed")]
    SettingsWriteFailed,
    /// The account's key or secret is not in the keychain.
    #[serde(rename = "account.secret_missing")]
    #[ts(rename = "account.secret_missing")]
    AccountSecretMissing,
    /// That transaction is not in the exceptions inbox.
    #[serde(rename = "exception.not_found")]
    #[ts(rename = "exception.not_found")]
    ExceptionNotFound,
    /// The failed transaction names no trading partner.
    #[serde(rename = "exception.no_partner")]
    #[ts(rename = "exception.no_partner")]
    ExceptionNoPartner,
    /// The SFTP server's host key was refused.
    #[serde(rename = "ssh.host_key")]
    #[ts(rename = "ssh.host_key")]
    SshHostKey,
    /// The sync stopped unexpectedly.
    #[serde(rename = "sync.task")]
    #[ts(rename = "sync.task")]
    SyncTask,
    /// A configuration value (environment variable) is not valid.
    #[serde(rename = "config.invalid")]
    #[ts(rename = "config.invalid")]
    ConfigInvalid,
    /// The demo server could not open its port.
    #[serde(rename = "sandbox.bind")]
    #[ts(rename = "sandbox.bind")]
    SandboxBind,
    /// The demo server's data file failed.
    #[serde(rename = "sandbox.database")]
    #[ts(rename = "sandbox.database")]
    SandboxDatabase,
    /// The demo server could not read or write a file.
    #[serde(rename = "sandbox.io")]
    #[ts(rename = "sandbox.io")]
    SandboxIo,
    /// The demo server's settings are not valid.
    #[serde(rename = "sandbox.config")]
    #[ts(rename = "sandbox.config")]
    SandboxConfig,
    /// The demo server's data file is damaged.
    #[serde(rename = "sandbox.corrupt")]
    #[ts(rename = "sandbox.corrupt")]
    SandboxCorrupt,
    /// The demo server stopped unexpectedly.
    #[serde(rename = "sandbox.task")]
    #[ts(rename = "sandbox.task")]
    SandboxTask,
}

impl ErrorCode {
    /// Every code, in declaration order.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::AppInternal,
        ErrorCode::IpcFailed,
        ErrorCode::NetOffline,
        ErrorCode::NetDns,
        ErrorCode::NetRefused,
        ErrorCode::NetUnreachable,
        ErrorCode::NetTls,
        ErrorCode::NetTimeout,
        ErrorCode::NetInterrupted,
        ErrorCode::AuthUnauthorized,
        ErrorCode::AuthForbidden,
        ErrorCode::ApiNotFound,
        ErrorCode::ApiValidation,
        ErrorCode::ApiConflict,
        ErrorCode::ApiRateLimited,
        ErrorCode::ApiServer,
        ErrorCode::ApiMalformed,
        ErrorCode::ApiGraphql,
        ErrorCode::ApiIntegrity,
        ErrorCode::ApiUnexpected,
        ErrorCode::IoFile,
        ErrorCode::InputInvalid,
        ErrorCode::StoreCorrupt,
        ErrorCode::StoreReadOnly,
        ErrorCode::StoreNewerSchema,
        ErrorCode::StoreBusy,
        ErrorCode::StoreNotFound,
        ErrorCode::StoreInvalid,
        ErrorCode::StoreData,
        ErrorCode::StoreIo,
        ErrorCode::StoreSqlite,
        ErrorCode::KeychainUnavailable,
        ErrorCode::KeychainNotPersistent,
        ErrorCode::KeychainInvalidName,
        ErrorCode::KeychainEmptySecret,
        ErrorCode::KeychainTooLong,
        ErrorCode::KeychainCorrupt,
        ErrorCode::KeychainAmbiguous,
        ErrorCode::KeychainProbeMismatch,
        ErrorCode::KeychainPlatform,
        ErrorCode::SettingsBroken,
        ErrorCode::SettingsUnreadable,
        ErrorCode::SettingsInvalid,
        ErrorCode::SettingsNotFound,
        ErrorCode::SettingsWriteFailed,
        ErrorCode::AccountSecretMissing,
        ErrorCode::ExceptionNotFound,
        ErrorCode::ExceptionNoPartner,
        ErrorCode::SshHostKey,
        ErrorCode::SyncTask,
        ErrorCode::ConfigInvalid,
        ErrorCode::SandboxBind,
        ErrorCode::SandboxDatabase,
        ErrorCode::SandboxIo,
        ErrorCode::SandboxConfig,
        ErrorCode::SandboxCorrupt,
        ErrorCode::SandboxTask,
    ];

    /// The dotted code, as logs and the wire show it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AppInternal => "app.internal",
            ErrorCode::IpcFailed => "ipc.failed",
            ErrorCode::NetOffline => "net.offline",
            ErrorCode::NetDns => "net.dns",
            ErrorCode::NetRefused => "net.refused",
            ErrorCode::NetUnreachable => "net.unreachable",
            ErrorCode::NetTls => "net.tls",
            ErrorCode::NetTimeout => "net.timeout",
            ErrorCode::NetInterrupted => "net.interrupted",
            ErrorCode::AuthUnauthorized => "auth.unauthorized",
            ErrorCode::AuthForbidden => "auth.forbidden",
            ErrorCode::ApiNotFound => "api.not_found",
            ErrorCode::ApiValidation => "api.validation",
            ErrorCode::ApiConflict => "api.conflict",
            ErrorCode::ApiRateLimited => "api.rate_limited",
            ErrorCode::ApiServer => "api.server",
            ErrorCode::ApiMalformed => "api.malformed",
            ErrorCode::ApiGraphql => "api.graphql",
            ErrorCode::ApiIntegrity => "api.integrity",
            ErrorCode::ApiUnexpected => "api.unexpected",
            ErrorCode::IoFile => "io.file",
            ErrorCode::InputInvalid => "input.invalid",
            ErrorCode::StoreCorrupt => "store.corrupt",
            ErrorCode::StoreReadOnly => "store.read_only",
            ErrorCode::StoreNewerSchema => "store.newer_schema",
            ErrorCode::StoreBusy => "store.busy",
            ErrorCode::StoreNotFound => "store.not_found",
            ErrorCode::StoreInvalid => "store.invalid",
            ErrorCode::StoreData => "store.data",
            ErrorCode::StoreIo => "store.io",
            ErrorCode::StoreSqlite => "store.sqlite",
            ErrorCode::KeychainUnavailable => "keychain.unavailable",
            ErrorCode::KeychainNotPersistent => "keychain.not_persistent",
            ErrorCode::KeychainInvalidName => "keychain.invalid_name",
            ErrorCode::KeychainEmptySecret => "keychain.empty_secret",
            ErrorCode::KeychainTooLong => "keychain.too_long",
            ErrorCode::KeychainCorrupt => "keychain.corrupt",
            ErrorCode::KeychainAmbiguous => "keychain.ambiguous",
            ErrorCode::KeychainProbeMismatch => "keychain.probe_mismatch",
            ErrorCode::KeychainPlatform => "keychain.platform",
            ErrorCode::SettingsBroken => "settings.broken",
            ErrorCode::SettingsUnreadable => "settings.unreadable",
            ErrorCode::SettingsInvalid => "settings.invalid",
            ErrorCode::SettingsNotFound => "settings.not_found",
            ErrorCode::SettingsWriteFailed => "settings.write_failed",
            ErrorCode::AccountSecretMissing => "account.secret_missing",
            ErrorCode::ExceptionNotFound => "exception.not_found",
            ErrorCode::ExceptionNoPartner => "exception.no_partner",
            ErrorCode::SshHostKey => "ssh.host_key",
            ErrorCode::SyncTask => "sync.task",
            ErrorCode::ConfigInvalid => "config.invalid",
            ErrorCode::SandboxBind => "sandbox.bind",
            ErrorCode::SandboxDatabase => "sandbox.database",
            ErrorCode::SandboxIo => "sandbox.io",
            ErrorCode::SandboxConfig => "sandbox.config",
            ErrorCode::SandboxCorrupt => "sandbox.corrupt",
            ErrorCode::SandboxTask => "sandbox.task",
        }
    }

    /// What the code means, in a sentence for an analyst.
    pub fn words(self) -> &'static str {
        match self {
            ErrorCode::AppInternal => "Something failed inside the app; the details are in the log file.",
            ErrorCode::IpcFailed => "The window could not reach the app (the UI's own code for a failed call).",
            ErrorCode::NetOffline => "The server can't be reached. You're working from the cache; changes will be sent when the connection returns.",
            ErrorCode::NetDns => "The server's address could not be found. Check the network or the account's host.",
            ErrorCode::NetRefused => "Nothing answered at that address (connection refused).",
            ErrorCode::NetUnreachable => "The network or host is unreachable.",
            ErrorCode::NetTls => "A secure connection to the server could not be made (certificate or TLS problem).",
            ErrorCode::NetTimeout => "The server is not answering in time. PartnerDesk will keep trying.",
            ErrorCode::NetInterrupted => "The server can't be reached. You're working from the cache; changes will be sent when the connection returns.",
            ErrorCode::AuthUnauthorized => "Sign-in needed: the server refused the account's consumer key or secret. Update them in Settings.",
            ErrorCode::AuthForbidden => "The account is not allowed to read this data. Ask your Trading Grid administrator for access.",
            ErrorCode::ApiNotFound => "The server does not know what was asked for.",
            ErrorCode::ApiValidation => "The server refused the request as invalid.",
            ErrorCode::ApiConflict => "The server refused the change as conflicting.",
            ErrorCode::ApiRateLimited => "The server asked PartnerDesk to slow down. It will try again shortly.",
            ErrorCode::ApiServer => "The server had a problem. PartnerDesk will try again shortly.",
            ErrorCode::ApiMalformed => "The server's answer could not be read.",
            ErrorCode::ApiGraphql => "The transaction search refused the query.",
            ErrorCode::ApiIntegrity => "A download did not match its size or checksum.",
            ErrorCode::ApiUnexpected => "The server answered in a way the app does not expect.",
            ErrorCode::IoFile => "A local file could not be read or written.",
            ErrorCode::InputInvalid => "What was entered is not valid.",
            ErrorCode::StoreCorrupt => "The local cache is damaged.",
            ErrorCode::StoreReadOnly => "The local cache cannot be written.",
            ErrorCode::StoreNewerSchema => "The local cache was written by a newer PartnerDesk.",
            ErrorCode::StoreBusy => "The local cache is busy.",
            ErrorCode::StoreNotFound => "That is not in the local cache.",
            ErrorCode::StoreInvalid => "The local cache refused the change as invalid.",
            ErrorCode::StoreData => "A value in the local cache could not be read.",
            ErrorCode::StoreIo => "The local cache could not be read or written.",
            ErrorCode::StoreSqlite => "The local cache failed.",
            ErrorCode::KeychainUnavailable => "The OS keychain cannot be reached.",
            ErrorCode::KeychainNotPersistent => "The OS keychain would not keep secrets.",
            ErrorCode::KeychainInvalidName => "The secret's name is not valid.",
            ErrorCode::KeychainEmptySecret => "An empty secret cannot be stored.",
            ErrorCode::KeychainTooLong => "The secret is too long for the keychain.",
            ErrorCode::KeychainCorrupt => "A keychain entry could not be read.",
            ErrorCode::KeychainAmbiguous => "The keychain holds several entries for one secret.",
            ErrorCode::KeychainProbeMismatch => "The keychain gave back something other than what was stored.",
            ErrorCode::KeychainPlatform => "The keychain failed.",
            ErrorCode::SettingsBroken => "The settings file could not be read and was set aside.",
            ErrorCode::SettingsUnreadable => "The settings file could not be read.",
            ErrorCode::SettingsInvalid => "A setting is not valid.",
            ErrorCode::SettingsNotFound => "That account or connector no longer exists.",
            ErrorCode::SettingsWriteFailed => "The settings file could not be written.",
            ErrorCode::AccountSecretMissing => "The account's key or secret is not in the keychain.",
            ErrorCode::ExceptionNotFound => "That transaction is not in the exceptions inbox.",
            ErrorCode::ExceptionNoPartner => "The failed transaction names no trading partner.",
            ErrorCode::SshHostKey => "The SFTP server's host key was refused.",
            ErrorCode::SyncTask => "The sync stopped unexpectedly.",
            ErrorCode::ConfigInvalid => "A configuration value (environment variable) is not valid.",
            ErrorCode::SandboxBind => "The demo server could not open its port.",
            ErrorCode::SandboxDatabase => "The demo server's data file failed.",
            ErrorCode::SandboxIo => "The demo server could not read or write a file.",
            ErrorCode::SandboxConfig => "The demo server's settings are not valid.",
            ErrorCode::SandboxCorrupt => "The demo server's data file is damaged.",
            ErrorCode::SandboxTask => "The demo server stopped unexpectedly.",
        }
    }
}

/// Lets tests (and logs) compare a code with its dotted name; product code matches the enum.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn each_code_crosses_the_wire_as_its_dotted_name_and_back() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).expect("serializes");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: ErrorCode = serde_json::from_str(&json).expect("parses");
            assert_eq!(back, *code);
            assert!(code.words().ends_with('.'), "{code}: a sentence");
        }
        let mut names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len(), "codes are unique");
    }
}
