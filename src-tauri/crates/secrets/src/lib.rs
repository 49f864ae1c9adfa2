//! Credentials live only in the OS keychain; this crate is the one door to it, so that no
//! consumer secret, password or API key ever reaches SQLite, a settings file, a log or the UI.
//!
//! ```no_run
//! use pd_secrets::{SecretStore, SecretString};
//! let store = SecretStore::new("com.partnerdesk.app.dev")?;
//! store.probe()?; // at start-up: `keychain.unavailable` means run read-only on the cache
//! store.set("8d0c2a4e-5b1f-4c47-9a36-0f7e2d9b1c55", "tradinggrid.consumer_secret", &SecretString::from("s3cr3t"))?;
//! let secret = store.get("8d0c2a4e-5b1f-4c47-9a36-0f7e2d9b1c55", "tradinggrid.consumer_secret")?;
//! # Ok::<(), pd_secrets::SecretsError>(())
//! ```

mod error;
mod platform;
mod secret;
mod store;

pub use error::{SecretsError, MAX_SECRET_BYTES, UNAVAILABLE_ADVICE};
pub use secret::SecretString;
pub use store::{ProbeReport, SecretStore};
