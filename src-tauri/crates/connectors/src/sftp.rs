//! The SFTP connection test, step by step as an analyst would check by hand: TCP connect, SSH
//! handshake (host key fingerprint reported, optionally pinned), sign-in with password or key
//! file, SFTP subsystem, listing the remote folder. The first step that fails is the answer.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pd_domain::ConnectionTestResult;
use pd_settings::{SftpAuth, SftpConfig};
use russh::client;
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh_sftp::protocol::StatusCode;

use crate::error::{into_result, server_text, ConnectorError};
use crate::net::connect_tcp;
use crate::TestOptions;

/// The largest private key file read (real ones are a few KiB).
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// Tests an SFTP connector with the default [`TestOptions`].
pub async fn test_sftp(config: &SftpConfig, secret: Option<&str>) -> ConnectionTestResult {
    test_sftp_with(config, secret, &TestOptions::default()).await
}

/// Tests an SFTP connector. `secret` is the password, or the private key's passphrase (`None`
/// for an unencrypted key). Success names the host key's SHA-256 fingerprint; with
/// [`TestOptions::sftp_host_key`] set, any other host key fails with `ssh.host_key`.
pub async fn test_sftp_with(
    config: &SftpConfig,
    secret: Option<&str>,
    options: &TestOptions,
) -> ConnectionTestResult {
    into_result(run(config, secret, options).await)
}

/// What the handshake learned about the server's key.
#[derive(Default)]
struct HostKeySeen {
    fingerprint: Option<String>,
}

struct Checker {
    seen: Arc<Mutex<HostKeySeen>>,
    pinned: Option<String>,
}

impl client::Handler for Checker {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let key = match server_public_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(certificate) => {
                russh::keys::PublicKey::from(certificate.public_key().clone())
            }
        };
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        let accepted = match &self.pinned {
            Some(pinned) => pinned.trim() == fingerprint,
            None => true,
        };
        if let Ok(mut seen) = self.seen.lock() {
            seen.fingerprint = Some(fingerprint);
        }
        Ok(accepted)
    }
}

async fn run(
    config: &SftpConfig,
    secret: Option<&str>,
    options: &TestOptions,
) -> Result<String, ConnectorError> {
    let host = config.host.trim();
    let user = config.user.trim();
    let port = config.port;
    if host.is_empty() {
        return Err(ConnectorError::InvalidInput(
            "Enter the SFTP host name.".into(),
        ));
    }
    if host.contains("://") || host.contains('/') {
        return Err(ConnectorError::InvalidInput(format!(
            "\"{}\" is not a host name: enter the name alone (e.g. sftp.partner.com), without sftp:// or a path.",
            server_text(host)
        )));
    }
    if port == 0 {
        return Err(ConnectorError::InvalidInput(
            "Enter the SFTP port (usually 22).".into(),
        ));
    }
    if user.is_empty() {
        return Err(ConnectorError::InvalidInput(
            "Enter the SFTP user name.".into(),
        ));
    }
    let secret = secret.filter(|secret| !secret.is_empty());
    // Check what can be checked locally before touching the network.
    let credential = match &config.auth {
        SftpAuth::Password => match secret {
            Some(password) => Credential::Password(password.to_owned()),
            None => {
                return Err(ConnectorError::InvalidInput(format!(
                    "No password is stored for {user}@{host}: enter it and test again."
                )))
            }
        },
        SftpAuth::PrivateKey { path } => Credential::Key {
            key: Arc::new(load_key(path, secret).await?),
            path: path.clone(),
        },
    };
    let limit = options.timeout;
    let seconds = limit.as_secs().max(1);
    let timeout = |step: &str| ConnectorError::Timeout {
        step: format!("{host}:{port} ({step})"),
        seconds,
    };

    let stream = connect_tcp(host, port, limit).await?;
    let first_bytes = Arc::new(Mutex::new(Vec::new()));
    let stream = Recording {
        inner: stream,
        seen: first_bytes.clone(),
    };
    let seen = Arc::new(Mutex::new(HostKeySeen::default()));
    let checker = Checker {
        seen: seen.clone(),
        pinned: options.sftp_host_key.clone(),
    };
    let ssh_config = Arc::new(client::Config {
        inactivity_timeout: Some(limit),
        ..Default::default()
    });
    let handshake = client::connect_stream(ssh_config, stream, checker);
    let connected = tokio::time::timeout(limit, handshake)
        .await
        .map_err(|_| timeout("SSH handshake"))?;
    let fingerprint = seen.lock().ok().and_then(|seen| seen.fingerprint.clone());
    let mut session = match connected {
        Ok(session) => session,
        Err(russh::Error::UnknownKey) => {
            return Err(ConnectorError::HostKey(format!(
                "The server at {host}:{port} presented host key {}, not the expected {}. \
                 If the partner changed its server key, confirm the new fingerprint with them \
                 before accepting it; otherwise someone may be intercepting the connection.",
                fingerprint.as_deref().unwrap_or("(unknown)"),
                options.sftp_host_key.as_deref().unwrap_or("(none)"),
            )))
        }
        Err(error) => {
            let seen = first_bytes.lock().map(|b| b.clone()).unwrap_or_default();
            if let Some(banner) = foreign_banner(&seen) {
                return Err(ConnectorError::Unexpected(format!(
                    "{host}:{port} answered, but not as an SSH server does (it said \"{banner}\"). \
                     Check the port: SFTP is usually 22."
                )));
            }
            return Err(ssh_failure(host, port, &error, limit, "SSH handshake"));
        }
    };
    let fingerprint = fingerprint.unwrap_or_else(|| "(not reported)".into());

    let auth = match &credential {
        Credential::Password(password) => tokio::time::timeout(
            limit,
            session.authenticate_password(user, password.as_str()),
        )
        .await
        .map_err(|_| timeout("signing in"))?,
        Credential::Key { key, .. } => {
            let hash = if key.algorithm().is_rsa() {
                tokio::time::timeout(limit, session.best_supported_rsa_hash())
                    .await
                    .map_err(|_| timeout("signing in"))?
                    .map_err(|error| ssh_failure(host, port, &error, limit, "signing in"))?
                    .flatten()
            } else {
                None
            };
            let key = PrivateKeyWithHashAlg::new(key.clone(), hash);
            tokio::time::timeout(limit, session.authenticate_publickey(user, key))
                .await
                .map_err(|_| timeout("signing in"))?
        }
    }
    .map_err(|error| ssh_failure(host, port, &error, limit, "signing in"))?;
    if let client::AuthResult::Failure {
        remaining_methods, ..
    } = auth
    {
        let accepted: Vec<String> = remaining_methods
            .iter()
            .map(|method| format!("{method:?}").to_lowercase())
            .collect();
        let accepted = if accepted.is_empty() {
            "none offered".to_owned()
        } else {
            accepted.join(", ")
        };
        let what = match &credential {
            Credential::Password(_) if !accepted.contains("password") => format!(
                "{host} does not accept passwords for \"{user}\" (it accepts: {accepted}). Ask the partner for key access, or switch this connector to a private key."
            ),
            Credential::Password(_) => format!(
                "{host} refused the password for user \"{user}\". Check the user name and enter the password again."
            ),
            Credential::Key { path, .. } => format!(
                "{host} refused to sign in user \"{user}\" with the key {path} (it accepts: {accepted}). \
                 Check the user name, and that this key's public half is authorized on the server."
            ),
        };
        let _ = session
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
        return Err(ConnectorError::Unauthorized(what));
    }

    let listing = list_folder(&session, config, limit).await;
    let _ = session
        .disconnect(russh::Disconnect::ByApplication, "", "en")
        .await;
    let (folder, entries) = match listing {
        Ok(found) => found,
        Err(Failure::Timeout(step)) => return Err(timeout(step)),
        Err(Failure::Ssh(error, step)) => return Err(ssh_failure(host, port, &error, limit, step)),
        Err(Failure::Sftp(error, folder)) => {
            return Err(sftp_failure(host, user, &folder, &error, limit))
        }
    };
    let entries = match entries {
        1 => "1 entry".to_owned(),
        n => format!("{n} entries"),
    };
    Ok(format!(
        "Connected to {host} as {user} (host key {fingerprint}); {folder} is readable ({entries})."
    ))
}

enum Credential {
    Password(String),
    Key {
        key: Arc<russh::keys::PrivateKey>,
        path: String,
    },
}

enum Failure {
    Timeout(&'static str),
    Ssh(russh::Error, &'static str),
    Sftp(russh_sftp::client::error::Error, String),
}

/// Opens the SFTP subsystem and lists the configured folder (or the login folder).
async fn list_folder<H: client::Handler>(
    session: &client::Handle<H>,
    config: &SftpConfig,
    limit: Duration,
) -> Result<(String, usize), Failure> {
    let step = "opening the SFTP subsystem";
    let channel = tokio::time::timeout(limit, session.channel_open_session())
        .await
        .map_err(|_| Failure::Timeout(step))?
        .map_err(|error| Failure::Ssh(error, step))?;
    tokio::time::timeout(limit, channel.request_subsystem(true, "sftp"))
        .await
        .map_err(|_| Failure::Timeout(step))?
        .map_err(|error| Failure::Ssh(error, step))?;
    let sftp = tokio::time::timeout(
        limit,
        russh_sftp::client::SftpSession::new(channel.into_stream()),
    )
    .await
    .map_err(|_| Failure::Timeout(step))?
    .map_err(|error| Failure::Sftp(error, "the SFTP subsystem".into()))?;
    sftp.set_timeout(limit.as_secs().max(1));
    let folder = config
        .remote_dir
        .as_deref()
        .map(str::trim)
        .filter(|dir| !dir.is_empty())
        .unwrap_or(".")
        .to_owned();
    let listing = tokio::time::timeout(limit, sftp.read_dir(folder.clone()))
        .await
        .map_err(|_| Failure::Timeout("listing the remote folder"))?;
    let shown = if folder == "." {
        match tokio::time::timeout(limit, sftp.canonicalize(".")).await {
            Ok(Ok(path)) => format!("the login folder {path}"),
            _ => "the login folder".to_owned(),
        }
    } else {
        folder.clone()
    };
    let _ = sftp.close().await;
    match listing {
        Ok(entries) => Ok((shown, entries.count())),
        Err(error) => Err(Failure::Sftp(error, folder)),
    }
}

/// Reads and decodes the private key file; the passphrase is used only here.
async fn load_key(
    path: &str,
    passphrase: Option<&str>,
) -> Result<russh::keys::PrivateKey, ConnectorError> {
    let path_shown = server_text(path);
    if path.trim().is_empty() {
        return Err(ConnectorError::InvalidInput(
            "Choose the private key file.".into(),
        ));
    }
    let metadata = tokio::fs::metadata(path).await.map_err(|error| {
        ConnectorError::InvalidInput(format!(
            "Cannot read the private key file {path_shown}: {}.",
            io_reason(&error)
        ))
    })?;
    if !metadata.is_file() {
        return Err(ConnectorError::InvalidInput(format!(
            "The private key path {path_shown} is not a file."
        )));
    }
    if metadata.len() > MAX_KEY_FILE_BYTES {
        return Err(ConnectorError::InvalidInput(format!(
            "{path_shown} is {} bytes: too large to be a private key. Choose the key file (e.g. id_ed25519), not another file.",
            metadata.len()
        )));
    }
    let bytes = tokio::fs::read(path).await.map_err(|error| {
        ConnectorError::InvalidInput(format!(
            "Cannot read the private key file {path_shown}: {}.",
            io_reason(&error)
        ))
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        ConnectorError::InvalidInput(format!(
            "{path_shown} is not a private key file (it is binary). Choose an OpenSSH or PEM key file."
        ))
    })?;
    match russh::keys::decode_secret_key(&text, passphrase) {
        Ok(key) => Ok(key),
        Err(russh::keys::Error::KeyIsEncrypted) if passphrase.is_none() => {
            Err(ConnectorError::InvalidInput(format!(
                "The private key {path_shown} is protected by a passphrase: enter the passphrase and test again."
            )))
        }
        Err(_) if passphrase.is_some() && looks_encrypted(&text) => {
            Err(ConnectorError::Unauthorized(format!(
                "The passphrase does not unlock the private key {path_shown}. Enter the passphrase again."
            )))
        }
        Err(_) => Err(ConnectorError::InvalidInput(format!(
            "{path_shown} is not a private key this app can use (OpenSSH, PEM or PuTTY formats are supported)."
        ))),
    }
}

/// Whether an OpenSSH or PEM key file says it is encrypted.
fn looks_encrypted(text: &str) -> bool {
    if text.contains("ENCRYPTED") || text.contains("Proc-Type: 4,ENCRYPTED") {
        return true;
    }
    // OpenSSH format: the cipher name sits, base64-encoded, right after the magic header;
    // "none" means unencrypted. Parse the public part of the envelope to find out.
    russh::keys::ssh_key::PrivateKey::from_openssh(text)
        .map(|key| key.is_encrypted())
        .unwrap_or(false)
}

fn io_reason(error: &std::io::Error) -> &'static str {
    match error.kind() {
        std::io::ErrorKind::NotFound => "the file does not exist",
        std::io::ErrorKind::PermissionDenied => "permission denied",
        _ => "the file cannot be opened",
    }
}

/// An SSH-level failure in words.
fn ssh_failure(
    host: &str,
    port: u16,
    error: &russh::Error,
    limit: Duration,
    step: &str,
) -> ConnectorError {
    match error {
        russh::Error::IO(io_error) => crate::net::io_failure(host, port, io_error, limit),
        russh::Error::ConnectionTimeout
        | russh::Error::InactivityTimeout
        | russh::Error::KeepaliveTimeout
        | russh::Error::Elapsed(_) => ConnectorError::Timeout {
            step: format!("{host}:{port} ({step})"),
            seconds: limit.as_secs().max(1),
        },
        russh::Error::Version | russh::Error::KexInit | russh::Error::Kex => {
            ConnectorError::Unexpected(format!(
                "{host}:{port} answered, but not as an SSH server does ({error}). Check the port: SFTP is usually 22."
            ))
        }
        russh::Error::NoCommonAlgo { kind, .. } => ConnectorError::Unexpected(format!(
            "{host}:{port} and this app share no {kind:?} algorithm; the server is too old or locked down. Ask the partner which algorithms it allows."
        )),
        russh::Error::Disconnect | russh::Error::HUP => ConnectorError::Unexpected(format!(
            "{host}:{port} closed the connection ({step}). The server may limit who can connect (IP allow list) or be overloaded."
        )),
        other => ConnectorError::Unexpected(format!(
            "The SSH connection to {host}:{port} failed ({step}): {}.",
            server_text(&other.to_string())
        )),
    }
}

/// An SFTP-level failure (after sign-in) in words.
fn sftp_failure(
    host: &str,
    user: &str,
    folder: &str,
    error: &russh_sftp::client::error::Error,
    limit: Duration,
) -> ConnectorError {
    use russh_sftp::client::error::Error;
    match error {
        Error::Status(status) if status.status_code == StatusCode::NoSuchFile => {
            ConnectorError::NotFound(format!(
                "Signed in to {host} as {user}, but the folder {folder} does not exist there. Check the remote folder."
            ))
        }
        Error::Status(status) if status.status_code == StatusCode::PermissionDenied => {
            ConnectorError::Forbidden(format!(
                "Signed in to {host} as {user}, but {user} may not read the folder {folder}."
            ))
        }
        Error::Timeout => ConnectorError::Timeout {
            step: format!("{host} (SFTP, listing {folder})"),
            seconds: limit.as_secs().max(1),
        },
        other => ConnectorError::Unexpected(format!(
            "Signed in to {host} as {user}, but SFTP failed on {folder}: {}.",
            server_text(&other.to_string())
        )),
    }
}

/// How many of the server's first bytes are kept to recognise a non-SSH service.
const FIRST_BYTES_KEPT: usize = 256;

/// The TCP stream, remembering the first bytes the server sent.
struct Recording<S> {
    inner: S,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Recording<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Ok(mut seen) = self.seen.lock() {
            let room = FIRST_BYTES_KEPT.saturating_sub(seen.len());
            let new = &buf.filled()[before..];
            seen.extend_from_slice(&new[..new.len().min(room)]);
        }
        polled
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Recording<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The first line a non-SSH server sent, if it sent one and no line was an SSH banner.
fn foreign_banner(seen: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(seen);
    if text.lines().any(|line| line.starts_with("SSH-")) {
        return None;
    }
    let first = text.lines().map(str::trim).find(|line| !line.is_empty())?;
    Some(server_text(&first.chars().take(80).collect::<String>()))
}
