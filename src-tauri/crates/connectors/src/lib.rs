//! "Test connection" for the connectors an analyst configures in Settings (SFTP, S3, Wix,
//! Drupal): each test goes as far as a real transfer would, and says precisely what failed
//! (name resolution, refused connection, TLS, credentials, permission, missing bucket, folder
//! or site, timeout) with a stable code and a message naming the host, port, bucket or site.
//!
//! Secrets (password, key passphrase, secret access key, API key, client secret) are passed in
//! as plain strings by the shell, which reads them from the OS keychain. They are used for the
//! exchange only: never logged, never part of a result message.
//!
//! ```no_run
//! # async fn demo(config: &pd_settings::SftpConfig, secret: Option<&str>) {
//! let result = pd_connectors::test_sftp(config, secret).await;
//! if !result.ok {
//!     eprintln!("{:?}: {}", result.code, result.message);
//! }
//! # }
//! ```

mod drupal;
mod error;
mod http;
mod net;
mod s3;
mod sftp;
pub mod sigv4;
mod wix;

use std::time::Duration;

use pd_domain::ConnectionTestResult;
use pd_settings::ConnectorConfig;

pub use drupal::{test_drupal, test_drupal_with};
pub use error::ConnectorError;
pub use s3::{test_s3, test_s3_with};
pub use sftp::{test_sftp, test_sftp_with};
pub use wix::{test_wix, test_wix_with, WIX_API_BASE};

/// How long each step (name resolution, connect, handshake, each request) may take by default.
pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(15);

/// Knobs of a connection test; [`TestOptions::default`] is what the app uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOptions {
    /// Limit for each step.
    pub timeout: Duration,
    /// Wix REST API base URL ([`WIX_API_BASE`]); overridable for tests and proxies.
    pub wix_api_base: String,
    /// The SFTP server's expected host key fingerprint (`SHA256:...`, as `ssh-keygen -lf`
    /// prints it). `None` accepts any key and reports it; a mismatch fails with `ssh.host_key`.
    pub sftp_host_key: Option<String>,
}

impl Default for TestOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_STEP_TIMEOUT,
            wix_api_base: WIX_API_BASE.to_owned(),
            sftp_host_key: None,
        }
    }
}

/// Tests any connector; `secret` is the connector's one keychain secret, if stored.
pub async fn test_connector(
    config: &ConnectorConfig,
    secret: Option<&str>,
    options: &TestOptions,
) -> ConnectionTestResult {
    match config {
        ConnectorConfig::Sftp(sftp) => test_sftp_with(sftp, secret, options).await,
        ConnectorConfig::S3(s3) => test_s3_with(s3, secret, options).await,
        ConnectorConfig::Wix(wix) => test_wix_with(wix, secret, options).await,
        ConnectorConfig::Drupal(drupal) => test_drupal_with(drupal, secret, options).await,
    }
}
