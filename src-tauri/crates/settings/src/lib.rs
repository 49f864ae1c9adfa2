//! Non-secret settings (Trading Grid accounts, connector settings, the open workspace) in one
//! validated JSON file the caller places in the platform config folder. Secrets are not here:
//! every account and connector names its keychain entries ([`SecretRef`]) and `pd-secrets`
//! holds the values.
//!
//! ```no_run
//! let path = std::path::Path::new("/home/ana/.config/com.partnerdesk.app/settings.json");
//! let settings = match pd_settings::load(path) {
//!     Ok(settings) => settings,
//!     // `settings.broken`: the file was moved aside; tell the analyst and start empty.
//!     Err(err) => { eprintln!("{}: {err}", err.code()); pd_settings::Settings::default() }
//! };
//! pd_settings::save(path, &settings)?;
//! # Ok::<(), pd_settings::SettingsError>(())
//! ```

mod error;
mod file;
mod input;
mod model;
mod validate;

pub use error::SettingsError;
pub use file::{load, parse, save, MAX_SETTINGS_BYTES};
pub use input::{account_from_input, account_from_input_with, normalized_connector_settings};
pub use model::*;
pub use pd_domain::{
    CaseServerCredentials, CaseServerSettings, ConnectorKind, ConnectorSettings, DrupalAuth,
    DrupalSettings, S3Settings, SftpAuth, SftpSettings, WixSettings,
};
pub use validate::{validate, validate_account, validate_connector, validate_desk, FieldIssue};
