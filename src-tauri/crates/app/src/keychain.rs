//! The shell's door to the OS keychain: probes it once at start (with a timeout, since a locked
//! keychain can block), remembers the answer for the Settings screen and the status bar, and runs
//! every secret read and write on a blocking thread. When the probe failed, everything that needs
//! a secret answers `keychain.unavailable` with the crate's advice, and the app stays read-only.

use pd_domain::ErrorCode;
use std::sync::Arc;
use std::time::Duration;

use pd_domain::KeychainStatus;
use pd_secrets::{SecretStore, SecretString, UNAVAILABLE_ADVICE};
use uuid::Uuid;

use crate::error::AppError;

/// `PARTNERDESK_KEYCHAIN_NAMESPACE`: the keychain service name (tests use a throwaway one).
pub const KEYCHAIN_NAMESPACE_ENV: &str = "PARTNERDESK_KEYCHAIN_NAMESPACE";
/// The namespace of release builds.
pub const RELEASE_NAMESPACE: &str = "com.partnerdesk.app";
/// The namespace of debug builds, so a development build never touches real secrets.
pub const DEBUG_NAMESPACE: &str = "com.partnerdesk.app.dev";
/// How long the start-up probe may take before the keychain counts as unavailable.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The namespace for this build: the environment override, else by build kind.
pub fn namespace_from_env() -> String {
    match std::env::var(KEYCHAIN_NAMESPACE_ENV) {
        Ok(value) if !value.trim().is_empty() => value.trim().to_owned(),
        _ if cfg!(debug_assertions) => DEBUG_NAMESPACE.to_owned(),
        _ => RELEASE_NAMESPACE.to_owned(),
    }
}

/// The keychain as probed at start-up. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Keychain {
    store: Option<Arc<SecretStore>>,
    status: KeychainStatus,
}

fn unavailable(message: String) -> KeychainStatus {
    KeychainStatus {
        available: false,
        code: Some(ErrorCode::KeychainUnavailable),
        message: Some(message),
    }
}

impl Keychain {
    /// Opens the keychain under `namespace` and probes it (write, read back, delete).
    pub async fn open(namespace: &str) -> Keychain {
        let store = match SecretStore::new(namespace) {
            Ok(store) => Arc::new(store),
            Err(error) => {
                tracing::warn!(code = %error.code(), %error, "OS keychain refused");
                return Keychain {
                    store: None,
                    status: unavailable(error.to_string()),
                };
            }
        };
        let probing = store.clone();
        let probe = tokio::time::timeout(
            PROBE_TIMEOUT,
            tokio::task::spawn_blocking(move || probing.probe()),
        )
        .await;
        let status = match probe {
            Ok(Ok(Ok(report))) => {
                tracing::info!(backend = report.backend, namespace, "OS keychain available");
                KeychainStatus {
                    available: true,
                    code: None,
                    message: None,
                }
            }
            Ok(Ok(Err(error))) => {
                tracing::warn!(code = %error.code(), %error, "OS keychain unavailable");
                unavailable(error.to_string())
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "OS keychain probe crashed");
                unavailable(format!(
                    "The OS keychain probe failed. {UNAVAILABLE_ADVICE}."
                ))
            }
            Err(_) => {
                tracing::warn!("OS keychain probe timed out");
                unavailable(format!(
                    "The OS keychain did not answer within {} seconds. {UNAVAILABLE_ADVICE}.",
                    PROBE_TIMEOUT.as_secs()
                ))
            }
        };
        Keychain {
            store: status.available.then_some(store),
            status,
        }
    }

    /// What the start-up probe found (the `keychain_status` command).
    pub fn status(&self) -> KeychainStatus {
        self.status.clone()
    }

    /// The probe succeeded.
    pub fn available(&self) -> bool {
        self.store.is_some()
    }

    /// The store, or `keychain.unavailable` with the advice the analyst needs.
    pub fn require(&self) -> Result<Arc<SecretStore>, AppError> {
        self.store.clone().ok_or_else(|| {
            AppError::reported(
                ErrorCode::KeychainUnavailable,
                self.status.message.clone().unwrap_or_else(|| {
                    format!("The OS keychain is not available. {UNAVAILABLE_ADVICE}.")
                }),
            )
        })
    }

    async fn run<T, F>(&self, call: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&SecretStore) -> Result<T, pd_secrets::SecretsError> + Send + 'static,
    {
        let store = self.require()?;
        Ok(tokio::task::spawn_blocking(move || call(&store)).await??)
    }

    /// The secret `name` of `owner`, if stored.
    pub async fn get(
        &self,
        owner: Uuid,
        name: &'static str,
    ) -> Result<Option<SecretString>, AppError> {
        self.run(move |store| store.get(&owner.to_string(), name))
            .await
    }

    /// Stores (a non-empty value) or removes (`""` or only spaces) the secret `name` of `owner`.
    pub async fn set_or_remove(
        &self,
        owner: Uuid,
        name: &'static str,
        value: String,
    ) -> Result<(), AppError> {
        let value = value.trim().to_owned();
        self.run(move |store| {
            if value.is_empty() {
                store.delete(&owner.to_string(), name).map(|_| ())
            } else {
                store.set(&owner.to_string(), name, &SecretString::new(value))
            }
        })
        .await
    }

    /// The names of the secrets stored for `owner` (empty when the keychain is unavailable).
    pub async fn names_for(&self, owner: Uuid) -> Vec<String> {
        if !self.available() {
            return Vec::new();
        }
        match self
            .run(move |store| store.names_for(&owner.to_string()))
            .await
        {
            Ok(names) => names,
            Err(error) => {
                tracing::warn!(code = %error.code(), %owner, "could not list keychain entries");
                Vec::new()
            }
        }
    }

    /// Removes every secret of `owner`; returns how many there were.
    pub async fn delete_all_for(&self, owner: Uuid) -> Result<usize, AppError> {
        self.run(move |store| store.delete_all_for(&owner.to_string()))
            .await
    }
}
