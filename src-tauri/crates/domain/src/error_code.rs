//! Every error code the app can answer with, as one enum: the crates' errors name theirs with it,
//! the IPC `{code, message}` carries it, and the UI receives it as a generated union type, so no
//! side matches on a code it spelled by hand. The table below is the one place a code is spelled
//! and given its words for an analyst ([`ErrorCode::words`], the fallback when an error has no
//! sentence of its own); a small macro turns it into the enum and its lookups.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

macro_rules! error_codes {
    ($( $name:ident = $code:literal => $words:literal, )*) => {
        /// A stable, dotted error code (`net.offline`, `keychain.unavailable`, ...).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
        pub enum ErrorCode {
            $(
                #[doc = $words]
                #[serde(rename = $code)]
                $name,
            )*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name),*];

            /// The dotted code, as logs and the wire show it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$name => $code,)*
                }
            }

            /// What the code means, in a sentence for an analyst.
            pub fn words(self) -> &'static str {
                match self {
                    $(ErrorCode::$name => $words,)*
                }
            }
        }
    };
}

error_codes! {
    AppInternal = "app.internal" => "Something failed inside the app; the details are in the log file.",
    IpcFailed = "ipc.failed" => "The window could not reach the app (the UI's own code for a failed call).",
    NetOffline = "net.offline" => "The server can't be reached. You're working from the cache; changes will be sent when the connection returns.",
    NetDns = "net.dns" => "The server's address could not be found. Check the network or the account's host.",
    NetRefused = "net.refused" => "Nothing answered at that address (connection refused).",
    NetUnreachable = "net.unreachable" => "The network or host is unreachable.",
    NetTls = "net.tls" => "A secure connection to the server could not be made (certificate or TLS problem).",
    NetTimeout = "net.timeout" => "The server is not answering in time. PartnerDesk will keep trying.",
    NetInterrupted = "net.interrupted" => "The server can't be reached. You're working from the cache; changes will be sent when the connection returns.",
    AuthUnauthorized = "auth.unauthorized" => "Sign-in needed: the server refused the account's consumer key or secret. Update them in Settings.",
    AuthForbidden = "auth.forbidden" => "The account is not allowed to read this data. Ask your Trading Grid administrator for access.",
    ApiNotFound = "api.not_found" => "The server does not know what was asked for.",
    ApiValidation = "api.validation" => "The server refused the request as invalid.",
    ApiConflict = "api.conflict" => "The server refused the change as conflicting.",
    ApiPreconditionFailed = "api.precondition_failed" => "The case changed on the server while the change was being sent.",
    ApiRateLimited = "api.rate_limited" => "The server asked PartnerDesk to slow down. It will try again shortly.",
    ApiServer = "api.server" => "The server had a problem. PartnerDesk will try again shortly.",
    ApiMalformed = "api.malformed" => "The server's answer could not be read.",
    ApiGraphql = "api.graphql" => "The transaction search refused the query.",
    ApiIntegrity = "api.integrity" => "A download did not match its size or checksum.",
    ApiUnexpected = "api.unexpected" => "The server answered in a way the app does not expect.",
    IoFile = "io.file" => "A local file could not be read or written.",
    InputInvalid = "input.invalid" => "What was entered is not valid.",
    StoreCorrupt = "store.corrupt" => "The local cache is damaged.",
    StoreReadOnly = "store.read_only" => "The local cache cannot be written.",
    StoreNewerSchema = "store.newer_schema" => "The local cache was written by a newer PartnerDesk.",
    StoreBusy = "store.busy" => "The local cache is busy.",
    StoreNotFound = "store.not_found" => "That is not in the local cache.",
    StoreInFlight = "store.in_flight" => "That change is being sent right now. Wait until it has gone through or failed, then try again.",
    StoreLocked = "store.locked" => "Another PartnerDesk program is using this data folder. Close it, or wait until it has finished, and try again.",
    StoreInvalid = "store.invalid" => "The local cache refused the change as invalid.",
    StoreData = "store.data" => "A value in the local cache could not be read.",
    StoreIo = "store.io" => "The local cache could not be read or written.",
    StoreSqlite = "store.sqlite" => "The local cache failed.",
    KeychainUnavailable = "keychain.unavailable" => "The OS keychain cannot be reached.",
    KeychainNotPersistent = "keychain.not_persistent" => "The OS keychain would not keep secrets.",
    KeychainInvalidName = "keychain.invalid_name" => "The secret's name is not valid.",
    KeychainEmptySecret = "keychain.empty_secret" => "An empty secret cannot be stored.",
    KeychainTooLong = "keychain.too_long" => "The secret is too long for the keychain.",
    KeychainCorrupt = "keychain.corrupt" => "A keychain entry could not be read.",
    KeychainAmbiguous = "keychain.ambiguous" => "The keychain holds several entries for one secret.",
    KeychainProbeMismatch = "keychain.probe_mismatch" => "The keychain gave back something other than what was stored.",
    KeychainPlatform = "keychain.platform" => "The keychain failed.",
    SettingsBroken = "settings.broken" => "The settings file could not be read and was set aside.",
    SettingsUnreadable = "settings.unreadable" => "The settings file could not be read.",
    SettingsNewerVersion = "settings.newer_version" => "The settings file was written by a newer PartnerDesk; it was left untouched. Update PartnerDesk to use it.",
    SettingsInvalid = "settings.invalid" => "A setting is not valid.",
    SettingsNotFound = "settings.not_found" => "That account or connector no longer exists.",
    SettingsWriteFailed = "settings.write_failed" => "The settings file could not be written.",
    AccountSecretMissing = "account.secret_missing" => "The account's key or secret is not in the keychain.",
    ExceptionNotFound = "exception.not_found" => "That transaction is not in the exceptions inbox.",
    ExceptionNoPartner = "exception.no_partner" => "The failed transaction names no trading partner.",
    SshHostKeyUnknown = "ssh.host_key_unknown" => "The SFTP server's host key has not been accepted yet: check its fingerprint and accept it to connect.",
    SshHostKeyChanged = "ssh.host_key_changed" => "The SFTP server presented a different host key than the one accepted; nothing was sent to it.",
    AuthReenterSecret = "auth.reenter_secret" => "The address changed: enter the password or secret again, so it is sent only where you mean it to go.",
    SyncTask = "sync.task" => "The sync stopped unexpectedly.",
    SyncFeedStuck = "sync.feed_stuck" => "The server kept saying there were more cases without moving on, so PartnerDesk stopped following it; it tries again at the next sync.",
    ConfigInvalid = "config.invalid" => "A configuration value (environment variable) is not valid.",
    SandboxBind = "sandbox.bind" => "The demo server could not open its port.",
    SandboxDatabase = "sandbox.database" => "The demo server's data file failed.",
    SandboxIo = "sandbox.io" => "The demo server could not read or write a file.",
    SandboxConfig = "sandbox.config" => "The demo server's settings are not valid.",
    SandboxCorrupt = "sandbox.corrupt" => "The demo server's data file is damaged.",
    SandboxTask = "sandbox.task" => "The demo server stopped unexpectedly.",
    // Retention exports (issue 15).
    RetentionLocked = "retention.locked" => "The archive is under retention or a legal hold in the bucket: it cannot be deleted or overwritten until the hold is released and the retention period has passed.",
    RetentionNotConfigured = "retention.not_configured" => "No retention bucket is set up: choose an S3 connector for exports in Settings → Retention.",
    RetentionVerifyFailed = "retention.verify_failed" => "The archive in the bucket does not match its manifest.",
    RetentionLockUnsupported = "retention.lock_unsupported" => "The retention bucket does not have Object Lock turned on, so exports could be deleted; choose a bucket created with Object Lock.",
    IoDiskFull = "io.disk_full" => "The disk is full. Free some space and try again; nothing half-written was kept.",
    DocumentOffline = "document.offline" => "This document has not been downloaded to this computer yet, and the server can't be reached. Try again when the connection returns.",
    DocumentNoConnector = "document.no_connector" => "The document is in an S3 bucket no connector in Settings reaches. Add an S3 connector for that bucket.",
    DropUnknown = "drop.unknown" => "Those dropped files are no longer waiting to be attached. Drop them again.",
    DropEmpty = "drop.empty" => "Nothing that was dropped can be attached.",
    DesktopUnavailable = "desktop.unavailable" => "The computer's file dialogs and default applications cannot be reached from here.",
    TransferUnknown = "transfer.unknown" => "That transfer is no longer in the list.",
    // Documents and transfers (issue 10).
    DocumentDuplicate = "document.duplicate" => "This file is already on the case (same content); it was not uploaded again.",
    TransferFileVanished = "transfer.file_vanished" => "The file is no longer where it was: it was moved, renamed or deleted. Nothing was uploaded.",
    TransferFileUnreadable = "transfer.file_unreadable" => "The file could not be read (no permission, or another program holds it). Nothing was uploaded.",
    TransferEmptyFile = "transfer.empty_file" => "The file is empty (0 bytes); there is nothing to attach.",
    TransferNotAFile = "transfer.not_a_file" => "That is not a regular file (a device, socket or link to nowhere); it cannot be attached.",
    TransferFileChanged = "transfer.file_changed" => "The file changed on disk after it was queued, so it was not uploaded (never half old, half new). Attach it again to send the new version.",
    TransferNoBucket = "transfer.no_bucket" => "Files over the size limit go to the S3 connector's bucket, and no S3 connector is set up. Add one in Settings, or raise the limit.",
    TransferNotFound = "transfer.not_found" => "That transfer is no longer in the queue.",
    TransferState = "transfer.state" => "That transfer cannot do this in its current state.",
    TransferCancelled = "transfer.cancelled" => "The transfer was cancelled; nothing of it is kept on the server.",
    // Attaching a drop (issue 10, `attach_drop`).
    DropNeedsConfirmation = "drop.needs_confirmation" => "This drop brings many files from folders: confirm that all of them should be attached.",
    // Delivering a document to a partner's SFTP inbox (issue 11, point 6).
    DeliveryNoInbox = "delivery.no_inbox" => "No SFTP connector has a partner inbox: set one in Settings → Connector work (an SFTP connector, its partner inbox folder).",
    DeliveryConnectorGone = "delivery.connector_gone" => "The SFTP connector this delivery goes through is no longer in Settings. Add it again, then retry.",
}

impl ErrorCode {
    /// Whether trying the same thing again later may succeed without the analyst doing anything:
    /// the network or server was away or busy, or the cache was busy (not a refusal, not a
    /// changed or damaged file). Background queues retry these with backoff.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorCode::NetOffline
                | ErrorCode::NetTimeout
                | ErrorCode::NetInterrupted
                | ErrorCode::NetRefused
                | ErrorCode::NetUnreachable
                | ErrorCode::NetDns
                | ErrorCode::ApiRateLimited
                | ErrorCode::ApiServer
                | ErrorCode::StoreBusy
        )
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
