//! The one error type of this crate: every way a connection test or a connector call can fail,
//! each with a stable code the UI keys on and a message an analyst can act on. No variant ever
//! carries a secret.

use pd_domain::ErrorCode;
use pd_domain::{ConnectionTestResult, HostKeyCheck};

use crate::sftp::PresentedHostKey;

/// Why a connection test failed. The `Display` text is the message shown to the analyst; it
/// names the host, port, bucket or site involved and never contains a password, key or token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// The host name does not resolve.
    #[error(
        "Could not find the server \"{host}\": the name does not resolve. Check the host name \
         (typos, missing domain) and that your network or VPN is up."
    )]
    Dns {
        /// The name that did not resolve.
        host: String,
    },
    /// Nothing listens on the port (TCP reset).
    #[error(
        "{host}:{port} refused the connection: nothing is listening there. Check the host and \
         port, and that the server is running."
    )]
    Refused {
        /// Host as configured.
        host: String,
        /// Port tried.
        port: u16,
    },
    /// The network path failed in some other way (unreachable network, reset, no route).
    #[error("Could not reach {host}:{port} ({detail}). Check the address and your network.")]
    Unreachable {
        /// Host as configured.
        host: String,
        /// Port tried.
        port: u16,
        /// The operating system's reason.
        detail: String,
    },
    /// The TLS handshake or certificate check failed.
    #[error(
        "The secure connection (TLS) to {host} failed: {detail}. Check that the address uses \
         the right scheme and port, and that the server's certificate is valid."
    )]
    Tls {
        /// Host as configured.
        host: String,
        /// What the TLS layer said.
        detail: String,
    },
    /// A step did not finish in time.
    #[error(
        "{step} did not answer within {seconds} s. The server may be overloaded, or a firewall \
         may be silently dropping the traffic."
    )]
    Timeout {
        /// What was waited for, e.g. "sftp.partner.com:22 (SSH handshake)".
        step: String,
        /// The limit.
        seconds: u64,
    },
    /// Credentials were refused (HTTP 401, SSH authentication failure, bad S3 key).
    #[error("{0}")]
    Unauthorized(String),
    /// Credentials were accepted but lack permission (HTTP 403, S3 AccessDenied).
    #[error("{0}")]
    Forbidden(String),
    /// The bucket, folder or site does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The SFTP server's host key has not been accepted for this connector yet; nothing was
    /// sent. The analyst compares the fingerprint and accepts it.
    #[error("{}", .0.unknown_message())]
    HostKeyUnknown(Box<HostKeyRefusal>),
    /// The SFTP server presented another host key than the accepted one; nothing was sent.
    #[error("{}", .0.changed_message())]
    HostKeyChanged(Box<HostKeyRefusal>),
    /// The settings or the secret cannot be used as they are (missing secret, unreadable key).
    #[error("{0}")]
    InvalidInput(String),
    /// The server answered, but not in a way this test understands.
    #[error("{0}")]
    Unexpected(String),
    /// The target already exists and is not overwritten (an SFTP upload's final name).
    #[error("{0}")]
    Conflict(String),
    /// The connection broke in the middle of a transfer; nothing half-done is kept under the
    /// final name, and a download can resume from what arrived.
    #[error("{0}")]
    Interrupted(String),
    /// A file on this computer could not be read or written.
    #[error("{0}")]
    Local(String),
    /// The server asks to slow down (HTTP 429, S3's `SlowDown`), and how long to wait if it said
    /// (`Retry-After`, at most an hour).
    #[error("{message}")]
    RateLimited {
        /// What happened, in words.
        message: String,
        /// The wait the server asked for.
        retry_after: Option<std::time::Duration>,
    },
    /// The object is under Object Lock retention or a legal hold (or already exists and is
    /// never overwritten): the server refused to delete or replace it.
    #[error("{0}")]
    Locked(String),
    /// The bucket has no Object Lock, so retention or a legal hold cannot be set on it.
    #[error("{0}")]
    LockUnsupported(String),
    /// The disk filled up while a file was written (nothing half-written is kept).
    #[error("{0}")]
    DiskFull(String),
    /// What arrived does not match the size or SHA-256 expected of it.
    #[error("{0}")]
    Integrity(String),
}

impl ConnectorError {
    /// Stable dotted code for the UI.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Dns { .. } => ErrorCode::NetDns,
            Self::Refused { .. } => ErrorCode::NetRefused,
            Self::Unreachable { .. } => ErrorCode::NetUnreachable,
            Self::Tls { .. } => ErrorCode::NetTls,
            Self::Timeout { .. } => ErrorCode::NetTimeout,
            Self::Unauthorized(_) => ErrorCode::AuthUnauthorized,
            Self::Forbidden(_) => ErrorCode::AuthForbidden,
            Self::NotFound(_) => ErrorCode::ApiNotFound,
            Self::HostKeyUnknown(_) => ErrorCode::SshHostKeyUnknown,
            Self::HostKeyChanged(_) => ErrorCode::SshHostKeyChanged,
            Self::InvalidInput(_) => ErrorCode::InputInvalid,
            Self::Unexpected(_) => ErrorCode::ApiUnexpected,
            Self::Conflict(_) => ErrorCode::ApiConflict,
            Self::Interrupted(_) => ErrorCode::NetInterrupted,
            Self::Local(_) => ErrorCode::IoFile,
            Self::RateLimited { .. } => ErrorCode::ApiRateLimited,
            Self::Locked(_) => ErrorCode::RetentionLocked,
            Self::LockUnsupported(_) => ErrorCode::RetentionLockUnsupported,
            Self::DiskFull(_) => ErrorCode::IoDiskFull,
            Self::Integrity(_) => ErrorCode::ApiIntegrity,
        }
    }
}

/// An SFTP server's host key that was not accepted: what the handshake saw, as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKeyRefusal {
    /// Host, port, the key presented and the one accepted before (if any), for the UI.
    pub check: HostKeyCheck,
    /// The presented key in full (what accepting it would store).
    pub presented: PresentedHostKey,
}

impl HostKeyRefusal {
    /// `host` for port 22, `[host]:port` otherwise, as OpenSSH names a server.
    fn server(&self) -> String {
        crate::known_hosts::host_pattern(&self.check.host, self.check.port)
    }

    fn unknown_message(&self) -> String {
        let presented = &self.check.presented;
        format!(
            "The authenticity of host '{}' can't be established. {} key fingerprint is {}. \
             Compare it with the fingerprint the partner gave you and accept the key to connect; \
             until then nothing (no password, no key) is sent to this server.",
            self.server(),
            presented.key_type,
            presented.fingerprint
        )
    }

    fn changed_message(&self) -> String {
        let presented = &self.check.presented;
        let (accepted_type, accepted) = self
            .check
            .accepted
            .as_ref()
            .map(|key| (key.key_type.as_str(), key.fingerprint.as_str()))
            .unwrap_or(("", "(none)"));
        format!(
            "The host key of '{}' has changed! The server now presents {} key {}, but the key \
             accepted for this connector is {accepted_type} key {accepted}. Someone may be \
             intercepting the connection, or the partner replaced its server key: nothing (no \
             password, no key) was sent. Confirm the new fingerprint with the partner before \
             accepting it.",
            self.server(),
            presented.key_type,
            presented.fingerprint
        )
    }
}

impl From<ConnectorError> for ConnectionTestResult {
    fn from(error: ConnectorError) -> Self {
        let host_key = match &error {
            ConnectorError::HostKeyUnknown(refusal) | ConnectorError::HostKeyChanged(refusal) => {
                Some(refusal.check.clone())
            }
            _ => None,
        };
        ConnectionTestResult {
            ok: false,
            code: Some(error.code()),
            message: error.to_string(),
            host_key,
        }
    }
}

/// A successful test's message, or the failure, as the UI receives it.
pub(crate) fn into_result(outcome: Result<String, ConnectorError>) -> ConnectionTestResult {
    match outcome {
        Ok(message) => ConnectionTestResult {
            ok: true,
            code: None,
            message,
            host_key: None,
        },
        Err(error) => error.into(),
    }
}

/// Text from a remote server, made safe to show: control characters dropped, length capped.
pub(crate) fn server_text(text: &str) -> String {
    const MAX_CHARS: usize = 200;
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.chars().count() > MAX_CHARS {
        let mut short: String = trimmed.chars().take(MAX_CHARS).collect();
        short.push('…');
        short
    } else {
        trimmed.to_owned()
    }
}
