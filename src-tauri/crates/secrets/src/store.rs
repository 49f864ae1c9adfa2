//! The keychain entries PartnerDesk owns, named so that builds never share secrets (one service
//! namespace per build kind) and so that every secret of an account can be found and removed
//! again (a per-account index entry), on stores that cannot list their own contents.

use std::collections::BTreeSet;

use keyring::credential::{CredentialBuilder, CredentialPersistence};
use keyring::Entry;
use sha2::{Digest, Sha256};

use crate::error::{classify, is_transient, SecretsError, MAX_SECRET_BYTES};
use crate::platform;
use crate::SecretString;

/// The keychain "user" of the per-account index; starts with `_`, which account ids and secret
/// names cannot, so it never collides with a real secret.
const INDEX_NAME: &str = "_index";
/// The pseudo-account the start-up probe writes under.
const PROBE_ACCOUNT: &str = "_probe";
/// Longest account id, secret name or namespace accepted.
const MAX_NAME_LEN: usize = 128;
/// Pause before the one repeat of a keychain call that failed transiently.
const TRANSIENT_RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(250);

/// What a successful [`SecretStore::probe`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeReport {
    /// The platform store in use, e.g. `Secret Service (D-Bus)`.
    pub backend: &'static str,
}

/// Secrets of PartnerDesk accounts in the OS keychain.
///
/// Every call is blocking (on Linux it is a D-Bus round trip, and a keychain may show an unlock
/// prompt): async callers run it in `spawn_blocking`. Entries are stored under service
/// `namespace` and user `account_id/secret_name`.
pub struct SecretStore {
    namespace: String,
    backend: &'static str,
    builder: Box<CredentialBuilder>,
}

impl std::fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretStore")
            .field("namespace", &self.namespace)
            .field("backend", &self.backend)
            .finish()
    }
}

impl SecretStore {
    /// A store for one build kind, e.g. `com.partnerdesk.app` (release) or
    /// `com.partnerdesk.app.dev` (development). Does not touch the keychain: call
    /// [`SecretStore::probe`] at start-up to learn whether it works.
    ///
    /// Always uses the platform's persistent store (Keychain, Credential Manager, Secret
    /// Service) and refuses anything that would keep secrets only in memory.
    pub fn new(service_namespace: &str) -> Result<Self, SecretsError> {
        let (builder, backend) = platform::credential_builder();
        Self::with_builder(service_namespace, builder, backend)
    }

    /// The refusal of non-persistent stores lives here so it can be tested with keyring's mock.
    pub(crate) fn with_builder(
        service_namespace: &str,
        builder: Box<CredentialBuilder>,
        backend: &'static str,
    ) -> Result<Self, SecretsError> {
        validate_namespace(service_namespace)?;
        if !matches!(builder.persistence(), CredentialPersistence::UntilDelete) {
            return Err(SecretsError::NonPersistentStore {
                backend: backend.to_owned(),
            });
        }
        Ok(Self {
            namespace: service_namespace.to_owned(),
            backend,
            builder,
        })
    }

    /// The service namespace entries are stored under.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The platform store in use, e.g. `Secret Service (D-Bus)`.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Stores `secret` as `secret_name` of `account_id`, replacing any previous value.
    pub fn set(
        &self,
        account_id: &str,
        secret_name: &str,
        secret: &SecretString,
    ) -> Result<(), SecretsError> {
        validate_name("account id", account_id)?;
        validate_name("secret name", secret_name)?;
        if secret.is_empty() {
            return Err(SecretsError::EmptySecret {
                name: secret_name.to_owned(),
            });
        }
        if secret.len() > MAX_SECRET_BYTES {
            return Err(SecretsError::TooLong {
                name: secret_name.to_owned(),
                detail: format!(
                    "{} bytes, PartnerDesk stores at most {MAX_SECRET_BYTES}",
                    secret.len()
                ),
            });
        }
        // Index first: an index naming a secret that was never written is harmless, a secret
        // missing from the index would survive `delete_all_for`.
        let mut names = self.read_index(account_id)?;
        if names.insert(secret_name.to_owned()) {
            self.write_index(account_id, &names)?;
        }
        let entry = self.entry(account_id, secret_name)?;
        retrying(|| entry.set_password(secret.expose_secret()))
            .map_err(|err| classify(err, &self.label(account_id, secret_name), secret_name))
    }

    /// The secret `secret_name` of `account_id`, or `None` if none is stored.
    pub fn get(
        &self,
        account_id: &str,
        secret_name: &str,
    ) -> Result<Option<SecretString>, SecretsError> {
        validate_name("account id", account_id)?;
        validate_name("secret name", secret_name)?;
        self.read(account_id, secret_name)
    }

    /// Removes the secret; returns whether one was stored.
    pub fn delete(&self, account_id: &str, secret_name: &str) -> Result<bool, SecretsError> {
        validate_name("account id", account_id)?;
        validate_name("secret name", secret_name)?;
        let existed = self.remove(account_id, secret_name)?;
        let mut names = self.read_index(account_id)?;
        if names.remove(secret_name) {
            self.write_index(account_id, &names)?;
        }
        Ok(existed)
    }

    /// The names of the secrets stored for `account_id`, sorted.
    pub fn names_for(&self, account_id: &str) -> Result<Vec<String>, SecretsError> {
        validate_name("account id", account_id)?;
        Ok(self.read_index(account_id)?.into_iter().collect())
    }

    /// Removes every secret of `account_id` (for example when the account is removed) and
    /// none of any other account's; returns how many were stored.
    ///
    /// If a removal fails, the index still names what is left, so calling again finishes the job.
    pub fn delete_all_for(&self, account_id: &str) -> Result<usize, SecretsError> {
        validate_name("account id", account_id)?;
        let names = self.read_index(account_id)?;
        let mut removed = 0;
        for name in &names {
            if self.remove(account_id, name)? {
                removed += 1;
            }
        }
        self.remove(account_id, INDEX_NAME)?;
        Ok(removed)
    }

    /// Writes, reads back and deletes a throwaway entry. Run it at start-up: an error with code
    /// `keychain.unavailable` means PartnerDesk should run read-only on its cache and tell the
    /// analyst what the error message says.
    pub fn probe(&self) -> Result<ProbeReport, SecretsError> {
        let probe_name = format!("p{:016x}", rand::random::<u64>());
        let written = SecretString::new(format!("probe-{:032x}", rand::random::<u128>()));
        let label = self.label(PROBE_ACCOUNT, &probe_name);
        let entry = self.entry(PROBE_ACCOUNT, &probe_name)?;
        retrying(|| entry.set_password(written.expose_secret()))
            .map_err(|err| classify(err, &label, &probe_name))?;
        let read_back = retrying(|| entry.get_password());
        let deleted = delete_retrying(&entry);
        match read_back {
            Ok(value) => {
                let value = SecretString::new(value);
                if value.expose_secret() != written.expose_secret() {
                    return Err(SecretsError::ProbeMismatch {
                        detail: format!(
                            "wrote {} bytes, read back {} different bytes",
                            written.len(),
                            value.len()
                        ),
                    });
                }
            }
            Err(keyring::Error::NoEntry) => {
                return Err(SecretsError::ProbeMismatch {
                    detail: "the entry just written was not found".to_owned(),
                })
            }
            Err(err) => return Err(classify(err, &label, &probe_name)),
        }
        match deleted {
            Ok(()) => Ok(ProbeReport {
                backend: self.backend,
            }),
            Err(err) => Err(classify(err, &label, &probe_name)),
        }
    }

    /// The start-up probe as the Settings screen shows it (`keychain_status` command).
    pub fn keychain_status(&self) -> pd_domain::KeychainStatus {
        match self.probe() {
            Ok(_) => pd_domain::KeychainStatus {
                available: true,
                code: None,
                message: None,
            },
            Err(err) => pd_domain::KeychainStatus {
                available: false,
                code: Some(err.code()),
                message: Some(err.to_string()),
            },
        }
    }

    /// SHA-256 of a stored secret, hex-encoded, for comparing secrets across processes without
    /// printing them. `None` if no secret is stored.
    pub fn digest(
        &self,
        account_id: &str,
        secret_name: &str,
    ) -> Result<Option<String>, SecretsError> {
        Ok(self.get(account_id, secret_name)?.map(|secret| {
            Sha256::digest(secret.expose_secret().as_bytes())
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect()
        }))
    }

    fn entry(&self, account_id: &str, secret_name: &str) -> Result<Entry, SecretsError> {
        let user = format!("{account_id}/{secret_name}");
        let credential = self
            .builder
            .build(None, &self.namespace, &user)
            .map_err(|err| classify(err, &self.label(account_id, secret_name), secret_name))?;
        Ok(Entry::new_with_credential(credential))
    }

    fn label(&self, account_id: &str, secret_name: &str) -> String {
        format!("{} / {account_id}/{secret_name}", self.namespace)
    }

    fn read(
        &self,
        account_id: &str,
        secret_name: &str,
    ) -> Result<Option<SecretString>, SecretsError> {
        let entry = self.entry(account_id, secret_name)?;
        match retrying(|| entry.get_password()) {
            Ok(value) => Ok(Some(SecretString::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(classify(
                err,
                &self.label(account_id, secret_name),
                secret_name,
            )),
        }
    }

    fn remove(&self, account_id: &str, secret_name: &str) -> Result<bool, SecretsError> {
        let entry = self.entry(account_id, secret_name)?;
        match delete_retrying(&entry) {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(err) => Err(classify(
                err,
                &self.label(account_id, secret_name),
                secret_name,
            )),
        }
    }

    fn read_index(&self, account_id: &str) -> Result<BTreeSet<String>, SecretsError> {
        let Some(raw) = self.read(account_id, INDEX_NAME)? else {
            return Ok(BTreeSet::new());
        };
        let corrupt = |reason: String| SecretsError::Corrupt {
            entry: self.label(account_id, INDEX_NAME),
            reason,
        };
        let names: Vec<String> = serde_json::from_str(raw.expose_secret())
            .map_err(|err| corrupt(format!("the index is not a JSON list of names: {err}")))?;
        for name in &names {
            if validate_name("secret name", name).is_err() {
                return Err(corrupt(format!("the index lists an invalid name {name:?}")));
            }
        }
        Ok(names.into_iter().collect())
    }

    fn write_index(&self, account_id: &str, names: &BTreeSet<String>) -> Result<(), SecretsError> {
        let entry = self.entry(account_id, INDEX_NAME)?;
        if names.is_empty() {
            return match delete_retrying(&entry) {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(err) => Err(classify(
                    err,
                    &self.label(account_id, INDEX_NAME),
                    INDEX_NAME,
                )),
            };
        }
        let json = serde_json::to_string(names).map_err(|err| SecretsError::Platform {
            detail: format!("cannot encode the secret index: {err}"),
        })?;
        retrying(|| entry.set_password(&json))
            .map_err(|err| classify(err, &self.label(account_id, INDEX_NAME), INDEX_NAME))
    }
}

/// Runs a keychain call, and once more after a short pause when it failed transiently (see
/// [`is_transient`]): a Secret Service that was just started or replaced answers the second time.
fn retrying<T>(mut call: impl FnMut() -> keyring::Result<T>) -> keyring::Result<T> {
    match call() {
        Err(err) if is_transient(&err) => {
            std::thread::sleep(TRANSIENT_RETRY_PAUSE);
            call()
        }
        other => other,
    }
}

/// Deletes with one repeat like [`retrying`]; a repeat that finds nothing means the first
/// attempt deleted the entry before its answer was lost.
fn delete_retrying(entry: &Entry) -> keyring::Result<()> {
    match entry.delete_credential() {
        Err(err) if is_transient(&err) => {
            std::thread::sleep(TRANSIENT_RETRY_PAUSE);
            match entry.delete_credential() {
                Err(keyring::Error::NoEntry) => Ok(()),
                other => other,
            }
        }
        other => other,
    }
}

/// Account ids and secret names: ASCII letters, digits, `.`, `_`, `-`, starting with a letter
/// or digit (so `_index` and `_probe` stay reserved).
fn validate_name(what: &'static str, value: &str) -> Result<(), SecretsError> {
    let invalid = |reason| SecretsError::InvalidName {
        what,
        value: value.chars().take(MAX_NAME_LEN).collect(),
        reason,
    };
    if value.is_empty() {
        return Err(invalid("it is empty"));
    }
    if value.len() > MAX_NAME_LEN {
        return Err(invalid("it is longer than 128 characters"));
    }
    if !value.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(invalid("it must start with a letter or a digit"));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(invalid(
            "only ASCII letters, digits, '.', '_' and '-' are allowed",
        ));
    }
    Ok(())
}

fn validate_namespace(value: &str) -> Result<(), SecretsError> {
    validate_name("namespace", value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_in_memory_mock_store_is_refused() {
        let err = SecretStore::with_builder(
            "com.partnerdesk.app",
            keyring::mock::default_credential_builder(),
            "keyring mock",
        )
        .expect_err("the mock must be refused");
        assert_eq!(err.code(), "keychain.not_persistent");
        assert!(err.to_string().contains("forget them"));
    }

    #[test]
    fn the_platform_store_is_persistent() {
        let store = SecretStore::new("com.partnerdesk.app.dev").expect("platform store");
        assert_eq!(store.namespace(), "com.partnerdesk.app.dev");
        assert!(!store.backend().contains("mock"));
    }

    #[test]
    fn bad_names_are_refused_before_touching_the_keychain() {
        let store = SecretStore::new("com.partnerdesk.app.dev").expect("platform store");
        let secret = SecretString::from("x");
        for (account, name) in [
            ("", "consumer_secret"),
            ("acct", ""),
            ("acct/other", "consumer_secret"),
            ("acct", "_index"),
            ("_probe", "consumer_secret"),
            ("acct", "name with spaces"),
            ("acct", "ünïcode"),
        ] {
            let err = store.set(account, name, &secret).expect_err(name);
            assert_eq!(err.code(), "keychain.invalid_name", "{account}/{name}");
        }
        let huge = "a".repeat(MAX_NAME_LEN + 1);
        let err = store.get(&huge, "x").expect_err("huge name");
        assert!(err.to_string().contains("longer than 128"));
        assert_eq!(
            SecretStore::new("").expect_err("empty namespace").code(),
            "keychain.invalid_name"
        );
    }

    #[test]
    fn empty_and_huge_secrets_are_refused_before_touching_the_keychain() {
        let store = SecretStore::new("com.partnerdesk.app.dev").expect("platform store");
        let err = store
            .set("acct", "api_key", &SecretString::from(""))
            .expect_err("empty");
        assert_eq!(err.code(), "keychain.empty_secret");
        let huge = SecretString::new("k".repeat(MAX_SECRET_BYTES + 1));
        let err = store.set("acct", "api_key", &huge).expect_err("huge");
        assert_eq!(err.code(), "keychain.too_long");
        assert!(!err.to_string().contains("kkkk"));
    }

    /// A persistent-looking in-memory store whose calls fail as scripted, to show what the
    /// store does with the Secret Service errors observed on a keyring that is still starting.
    #[cfg(target_os = "linux")]
    mod flaky {
        use std::collections::{HashMap, VecDeque};
        use std::sync::{Arc, Mutex};

        use keyring::credential::{Credential, CredentialApi, CredentialBuilderApi};

        use super::*;

        #[derive(Default)]
        pub(super) struct Script {
            pub(super) values: HashMap<String, Vec<u8>>,
            /// Errors the next calls return, in order.
            pub(super) failures: VecDeque<keyring::Error>,
            pub(super) calls: usize,
        }

        #[derive(Clone, Default)]
        pub(super) struct Flaky(pub(super) Arc<Mutex<Script>>);

        struct FlakyCredential {
            script: Flaky,
            key: String,
        }

        impl Flaky {
            fn call<T>(
                &self,
                f: impl FnOnce(&mut Script) -> keyring::Result<T>,
            ) -> keyring::Result<T> {
                let mut script = self.0.lock().expect("script");
                script.calls += 1;
                match script.failures.pop_front() {
                    Some(err) => Err(err),
                    None => f(&mut script),
                }
            }
        }

        impl CredentialApi for FlakyCredential {
            fn set_secret(&self, secret: &[u8]) -> keyring::Result<()> {
                self.script.call(|s| {
                    s.values.insert(self.key.clone(), secret.to_vec());
                    Ok(())
                })
            }
            fn get_secret(&self) -> keyring::Result<Vec<u8>> {
                self.script.call(|s| {
                    s.values
                        .get(&self.key)
                        .cloned()
                        .ok_or(keyring::Error::NoEntry)
                })
            }
            fn delete_credential(&self) -> keyring::Result<()> {
                self.script.call(|s| {
                    s.values
                        .remove(&self.key)
                        .map(|_| ())
                        .ok_or(keyring::Error::NoEntry)
                })
            }
            fn as_any(&self) -> &dyn std::any::Any {
                self
            }
            fn debug_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("FlakyCredential")
            }
        }

        impl CredentialBuilderApi for Flaky {
            fn build(
                &self,
                _target: Option<&str>,
                service: &str,
                user: &str,
            ) -> keyring::Result<Box<Credential>> {
                Ok(Box::new(FlakyCredential {
                    script: self.clone(),
                    key: format!("{service}/{user}"),
                }))
            }
            fn as_any(&self) -> &dyn std::any::Any {
                self
            }
            fn persistence(&self) -> CredentialPersistence {
                CredentialPersistence::UntilDelete
            }
        }

        /// What the Secret Service crate reports for a D-Bus error named `name`.
        pub(super) fn dbus_error(name: &str, message: &str) -> keyring::Error {
            keyring::Error::PlatformFailure(Box::new(dbus_secret_service::Error::Dbus(
                dbus::Error::new_custom(name, message),
            )))
        }

        pub(super) fn store(script: &Flaky) -> SecretStore {
            SecretStore::with_builder("com.partnerdesk.test", Box::new(script.clone()), "flaky")
                .expect("persistent")
        }
    }

    #[cfg(target_os = "linux")]
    const NO_REPLY: (&str, &str) = (
        "org.freedesktop.DBus.Error.NoReply",
        "Message recipient disconnected from message bus without replying",
    );
    #[cfg(target_os = "linux")]
    const IS_LOCKED: (&str, &str) = (
        "org.freedesktop.Secret.Error.IsLocked",
        "Cannot create an item in a locked collection",
    );

    #[cfg(target_os = "linux")]
    #[test]
    fn a_keyring_that_drops_one_answer_or_is_still_unlocking_keeps_the_secret() {
        for (name, message) in [NO_REPLY, IS_LOCKED] {
            let script = flaky::Flaky::default();
            let store = flaky::store(&script);
            // The index write meets the error first; the secret write after it too.
            script
                .0
                .lock()
                .expect("script")
                .failures
                .push_back(flaky::dbus_error(name, message));
            store
                .set("acct", "consumer_secret", &SecretString::from("s3cr3t"))
                .unwrap_or_else(|err| panic!("{message}: retried once and saved, got {err}"));
            let got = store
                .get("acct", "consumer_secret")
                .expect("get")
                .expect("stored");
            assert_eq!(got.expose_secret(), "s3cr3t");
            assert_eq!(store.names_for("acct").expect("names"), ["consumer_secret"]);

            script
                .0
                .lock()
                .expect("script")
                .failures
                .push_back(flaky::dbus_error(name, message));
            assert!(store.probe().is_ok(), "{message}: the probe retries too");

            // A delete whose answer was lost after it deleted: the repeat finds nothing, and
            // that is success.
            script
                .0
                .lock()
                .expect("script")
                .failures
                .push_back(flaky::dbus_error(name, message));
            assert!(store.delete("acct", "consumer_secret").expect("delete"));
            assert!(store.get("acct", "consumer_secret").expect("get").is_none());
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_keyring_failure_that_lasts_is_reported_after_one_repeat_and_others_at_once() {
        let script = flaky::Flaky::default();
        let store = flaky::store(&script);
        {
            let mut s = script.0.lock().expect("script");
            s.failures
                .push_back(flaky::dbus_error(NO_REPLY.0, NO_REPLY.1));
            s.failures
                .push_back(flaky::dbus_error(NO_REPLY.0, NO_REPLY.1));
        }
        let err = store
            .get("acct", "consumer_secret")
            .expect_err("still failing");
        assert_eq!(err.code(), "keychain.unavailable");
        assert!(err.to_string().contains(NO_REPLY.1), "{err}");
        assert_eq!(
            script.0.lock().expect("script").calls,
            2,
            "one repeat, no more"
        );

        let before = script.0.lock().expect("script").calls;
        script
            .0
            .lock()
            .expect("script")
            .failures
            .push_back(flaky::dbus_error(
                "org.freedesktop.DBus.Error.ServiceUnknown",
                "The name org.freedesktop.secrets was not provided by any .service files",
            ));
        let err = store
            .get("acct", "consumer_secret")
            .expect_err("no keyring");
        assert_eq!(err.code(), "keychain.unavailable");
        assert_eq!(
            script.0.lock().expect("script").calls,
            before + 1,
            "a missing keyring is not retried"
        );
    }
}
