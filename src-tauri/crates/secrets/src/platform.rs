//! keyring 3 falls back to an in-memory mock when a platform feature is missing, and the app
//! would then "save" credentials that vanish at exit. Naming each platform's store module here
//! turns a missing feature into a compile error (the module does not exist without it).

use keyring::credential::CredentialBuilder;

/// The persistent credential store of this platform and its display name.
#[cfg(target_os = "linux")]
pub(crate) fn credential_builder() -> (Box<CredentialBuilder>, &'static str) {
    // Needs keyring feature `sync-secret-service` (+ `crypto-rust`) in [workspace.dependencies].
    (
        keyring::secret_service::default_credential_builder(),
        "Secret Service (D-Bus)",
    )
}

/// The persistent credential store of this platform and its display name.
#[cfg(target_os = "macos")]
pub(crate) fn credential_builder() -> (Box<CredentialBuilder>, &'static str) {
    // Needs keyring feature `apple-native`.
    (
        keyring::macos::default_credential_builder(),
        "macOS Keychain",
    )
}

/// The persistent credential store of this platform and its display name.
#[cfg(target_os = "windows")]
pub(crate) fn credential_builder() -> (Box<CredentialBuilder>, &'static str) {
    // Needs keyring feature `windows-native`.
    (
        keyring::windows::default_credential_builder(),
        "Windows Credential Manager",
    )
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
compile_error!(
    "pd-secrets supports the keychains of Linux (Secret Service), macOS and Windows only; \
     on other platforms keyring would silently keep secrets in memory"
);
