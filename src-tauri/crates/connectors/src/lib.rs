//! Clients for the connectors an analyst configures in Settings (SFTP, S3, Wix, Drupal), each
//! built from its kind's settings type (`pd-domain`) and the connector's keychain secret, and
//! "Test connection" as one of their operations. Each test goes as far as a real transfer
//! would, and says precisely what failed
//! (name resolution, refused connection, TLS, credentials, permission, missing bucket, folder
//! or site, timeout) with a stable code and a message naming the host, port, bucket or site.
//!
//! Secrets (password, key passphrase, secret access key, API key, client secret) are passed in
//! as plain strings by the shell, which reads them from the OS keychain. They are used for the
//! exchange only: never logged, never part of a result message.
//!
//! ```no_run
//! # async fn demo(config: &pd_domain::SftpSettings, secret: Option<&str>) {
//! let result = pd_connectors::test_sftp(config, secret).await;
//! if !result.ok {
//!     eprintln!("{:?}: {}", result.code, result.message);
//! }
//! # }
//! ```

mod drupal;
mod error;
mod http;
pub mod known_hosts;
mod net;
mod s3;
mod s3_download;
mod s3_lock;
mod sftp;
pub mod sigv4;
mod wix;
mod xconnector;

use std::time::Duration;

use pd_domain::{ConnectionTestResult, ConnectorSettings};

pub use drupal::{test_drupal, test_drupal_with, DrupalClient, DrupalNode, DrupalPage};
pub use error::{ConnectorError, HostKeyRefusal};
pub use s3::{
    check_key, key_segment, test_s3, test_s3_with, ObjectInfo, S3Client, UploadedPart, MAX_PRESIGN,
    MIN_PART_SIZE, SHA256_META,
};
pub use s3_download::ExpectedObject;
pub use s3_lock::{LockState, ObjectVersion, PendingUpload, PutOptions, Retention, Stored};
pub use sftp::{
    scan_host_key, test_sftp, test_sftp_with, PresentedHostKey, RemoteEntry, RemoteKind, SftpClient,
};
pub use wix::{test_wix, test_wix_with, WixClient, WixItem, WixPage, WIX_API_BASE};
pub use xconnector::{XcClient, MAX_FEED_PAGE_BYTES};

/// How long each step (name resolution, connect, handshake, each request) may take by default.
pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(15);

/// Knobs of the clients and their connection tests; [`ConnectorOptions::default`] is what the
/// app uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorOptions {
    /// Limit for each step.
    pub timeout: Duration,
    /// Wix REST API base URL ([`WIX_API_BASE`]); overridable for tests and proxies.
    pub wix_api_base: String,
}

impl Default for ConnectorOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_STEP_TIMEOUT,
            wix_api_base: WIX_API_BASE.to_owned(),
        }
    }
}

/// Tests any connector; `secret` is the connector's one keychain secret, if stored.
pub async fn test_connector(
    config: &ConnectorSettings,
    secret: Option<&str>,
    options: &ConnectorOptions,
) -> ConnectionTestResult {
    match config {
        ConnectorSettings::Sftp(sftp) => test_sftp_with(sftp, secret, options).await,
        ConnectorSettings::S3(s3) => test_s3_with(s3, secret, options).await,
        ConnectorSettings::Wix(wix) => test_wix_with(wix, secret, options).await,
        ConnectorSettings::Drupal(drupal) => test_drupal_with(drupal, secret, options).await,
    }
}
