//! One error type for everything the keychain can do wrong, each with a stable code the shell
//! passes to the UI, and a message that tells the analyst what to do rather than what broke.

use pd_domain::ErrorCode;
/// What the analyst should do when the keychain cannot be reached, per platform.
#[cfg(target_os = "linux")]
pub const UNAVAILABLE_ADVICE: &str = "Start your desktop's keyring (GNOME Keyring / KWallet) and restart PartnerDesk; until then PartnerDesk works read-only on its cache";
/// What the analyst should do when the keychain cannot be reached, per platform.
#[cfg(target_os = "macos")]
pub const UNAVAILABLE_ADVICE: &str = "Unlock your login keychain (Keychain Access) and restart PartnerDesk; until then PartnerDesk works read-only on its cache";
/// What the analyst should do when the keychain cannot be reached, per platform.
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub const UNAVAILABLE_ADVICE: &str = "Make sure Windows Credential Manager is available to your user account and restart PartnerDesk; until then PartnerDesk works read-only on its cache";

/// Largest secret PartnerDesk stores, in bytes. Windows caps a credential blob at 2,560 bytes
/// (stored as UTF-16), so the platform may refuse a smaller value; this cap stops hostile or
/// mistaken input (a pasted file) before it reaches any keychain.
pub const MAX_SECRET_BYTES: usize = 8 * 1024;

/// Everything that can go wrong with the OS keychain.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// No keychain reachable: no Secret Service or D-Bus session, a locked keychain, a
    /// dismissed unlock prompt.
    #[error("The OS keychain is not available ({detail}). {UNAVAILABLE_ADVICE}.")]
    Unavailable {
        /// What the platform said (no secret values in it).
        detail: String,
    },
    /// The selected credential store would forget secrets (keyring's in-memory mock).
    #[error("refusing the {backend} credential store: it keeps secrets only in memory and would forget them when PartnerDesk exits")]
    NonPersistentStore {
        /// The store that was refused.
        backend: String,
    },
    /// An account id, secret name or namespace that cannot name a keychain entry.
    #[error("{what} {value:?} cannot name a keychain entry: {reason}")]
    InvalidName {
        /// Which argument (`account id`, `secret name`, `namespace`).
        what: &'static str,
        /// The value given (names are not secret).
        value: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// An empty secret was given to `set`; delete the entry instead.
    #[error("the secret {name:?} is empty; to remove it, delete it instead")]
    EmptySecret {
        /// The secret's name.
        name: String,
    },
    /// A secret larger than [`MAX_SECRET_BYTES`], or larger than the platform allows.
    #[error("the secret {name:?} is too long for the OS keychain ({detail})")]
    TooLong {
        /// The secret's name.
        name: String,
        /// The limit that was hit.
        detail: String,
    },
    /// The keychain holds something under this name that PartnerDesk cannot read.
    #[error("the keychain entry {entry:?} holds data PartnerDesk cannot read ({reason}); delete it in your keychain tool and enter the secret again")]
    Corrupt {
        /// The entry (`namespace` / `account/name`).
        entry: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Several keychain items match one entry (written by another tool or a race).
    #[error("the keychain holds {count} items for {entry:?}; remove the duplicates in your keychain tool")]
    Ambiguous {
        /// The entry (`namespace` / `account/name`).
        entry: String,
        /// How many items matched.
        count: usize,
    },
    /// The start-up probe wrote a value and read back something else.
    #[error("the OS keychain did not give back what PartnerDesk stored in it ({detail}); {UNAVAILABLE_ADVICE}")]
    ProbeMismatch {
        /// What came back instead (never the value itself).
        detail: String,
    },
    /// Any other failure reported by the platform store.
    #[error("the OS keychain failed: {detail}")]
    Platform {
        /// What the platform said.
        detail: String,
    },
}

impl SecretsError {
    /// Stable dotted code for the UI and logs.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unavailable { .. } => ErrorCode::KeychainUnavailable,
            Self::NonPersistentStore { .. } => ErrorCode::KeychainNotPersistent,
            Self::InvalidName { .. } => ErrorCode::KeychainInvalidName,
            Self::EmptySecret { .. } => ErrorCode::KeychainEmptySecret,
            Self::TooLong { .. } => ErrorCode::KeychainTooLong,
            Self::Corrupt { .. } => ErrorCode::KeychainCorrupt,
            Self::Ambiguous { .. } => ErrorCode::KeychainAmbiguous,
            Self::ProbeMismatch { .. } => ErrorCode::KeychainProbeMismatch,
            Self::Platform { .. } => ErrorCode::KeychainPlatform,
        }
    }
}

/// Translates a keyring error about `entry` (a label, never a value) into ours.
pub(crate) fn classify(err: keyring::Error, entry: &str, secret_name: &str) -> SecretsError {
    match err {
        // Locked collection, dismissed prompt, no storage access at all.
        keyring::Error::NoStorageAccess(inner) => SecretsError::Unavailable {
            detail: inner.to_string(),
        },
        // On every platform this is the store itself failing: on Linux, no D-Bus session or no
        // Secret Service provider; on Windows, no logon session; on macOS, no default keychain.
        keyring::Error::PlatformFailure(inner) => SecretsError::Unavailable {
            detail: inner.to_string(),
        },
        keyring::Error::BadEncoding(_) => SecretsError::Corrupt {
            entry: entry.to_owned(),
            reason: "the stored value is not UTF-8 text".to_owned(),
        },
        keyring::Error::TooLong(attribute, limit) => SecretsError::TooLong {
            name: secret_name.to_owned(),
            detail: format!("{attribute} exceeds the platform limit of {limit}"),
        },
        keyring::Error::Ambiguous(items) => SecretsError::Ambiguous {
            entry: entry.to_owned(),
            count: items.len(),
        },
        other => SecretsError::Platform {
            detail: other.to_string(),
        },
    }
}

/// D-Bus errors that the next call usually does not meet: the Secret Service went away before
/// answering (it was being replaced or restarted; the bus says "Message recipient disconnected
/// from message bus without replying"), or the collection was still being unlocked ("Cannot
/// create an item in a locked collection"). These are error names of the protocol, not messages.
#[cfg(target_os = "linux")]
const TRANSIENT_DBUS_ERRORS: &[&str] = &[
    "org.freedesktop.DBus.Error.NoReply",
    "org.freedesktop.DBus.Error.Disconnected",
    "org.freedesktop.Secret.Error.IsLocked",
];

/// Whether a keychain call is worth repeating once: on Linux, a Secret Service error that
/// [`TRANSIENT_DBUS_ERRORS`] names or a collection reported locked; elsewhere never.
pub(crate) fn is_transient(err: &keyring::Error) -> bool {
    #[cfg(target_os = "linux")]
    {
        let inner = match err {
            keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
                inner
            }
            _ => return false,
        };
        match inner.downcast_ref::<dbus_secret_service::Error>() {
            Some(dbus_secret_service::Error::Dbus(dbus)) => dbus
                .name()
                .is_some_and(|name| TRANSIENT_DBUS_ERRORS.contains(&name)),
            Some(dbus_secret_service::Error::Locked) => true,
            _ => false,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = err;
        false
    }
}
