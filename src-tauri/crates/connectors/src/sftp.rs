//! The SFTP client (drop folders, partner inboxes) and its connection test. Connecting goes
//! step by step as an analyst would check by hand: TCP connect, SSH handshake, sign-in with
//! password or key file, SFTP subsystem; the first step that fails is the answer. The handshake
//! accepts only the host key pinned in the connector's settings (OpenSSH's
//! `StrictHostKeyChecking yes`): an unknown or changed key ends the connection before any
//! authentication, with the key seen as data so the analyst can compare and accept it. Once connected: list, read (streamed, from an
//! offset), write (under a temporary name, renamed when complete), rename, remove.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pd_domain::{
    ConnectionTestResult, HostKeyCheck, HostKeyFingerprint, SftpAuth, SftpHostKey, SftpSettings,
};
use russh::client;
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh_sftp::client::SftpSession;
use russh_sftp::protocol::{OpenFlags, StatusCode};
use tokio::io::{AsyncRead, AsyncSeekExt, AsyncWrite, AsyncWriteExt};

use crate::error::{into_result, server_text, ConnectorError, HostKeyRefusal};
use crate::net::connect_tcp;
use crate::ConnectorOptions;

/// The largest private key file read (real ones are a few KiB).
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// Tests an SFTP connector with the default [`ConnectorOptions`].
pub async fn test_sftp(config: &SftpSettings, secret: Option<&str>) -> ConnectionTestResult {
    test_sftp_with(config, secret, &ConnectorOptions::default()).await
}

/// Tests an SFTP connector: connects, lists the remote folder, disconnects. `secret` is the
/// password, or the private key's passphrase (`None` for an unencrypted key). Success names
/// the host key's SHA-256 fingerprint. Without an accepted key (`config.host_key`) the answer
/// is `ssh.host_key_unknown`, with another key `ssh.host_key_changed`; both carry the keys in
/// [`ConnectionTestResult::host_key`] and nothing is sent.
pub async fn test_sftp_with(
    config: &SftpSettings,
    secret: Option<&str>,
    options: &ConnectorOptions,
) -> ConnectionTestResult {
    into_result(run(config, secret, options).await)
}

async fn run(
    config: &SftpSettings,
    secret: Option<&str>,
    options: &ConnectorOptions,
) -> Result<String, ConnectorError> {
    let client = SftpClient::connect(config, secret, options).await?;
    let outcome = client.describe_home().await;
    client.close().await;
    outcome
}

/// The key the server presented during the handshake, in every form it is needed in: the pin
/// stored in settings and `known_hosts`, and the type and fingerprint shown to the analyst.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedHostKey {
    /// What accepting it stores (settings and `known_hosts`).
    pub pin: SftpHostKey,
    /// The key type as `ssh` names it (`ED25519`).
    pub key_type: String,
}

impl PresentedHostKey {
    fn of(key: &russh::keys::PublicKey) -> Self {
        let algorithm = key.algorithm().as_str().to_owned();
        let public_key = key
            .to_openssh()
            .ok()
            .and_then(|line| line.split_whitespace().nth(1).map(str::to_owned))
            .unwrap_or_default();
        Self {
            pin: SftpHostKey {
                algorithm,
                public_key,
                fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
            },
            key_type: key_type_name(&key.algorithm()),
        }
    }

    /// Type and fingerprint, as the analyst sees them.
    pub fn shown(&self) -> HostKeyFingerprint {
        HostKeyFingerprint {
            key_type: self.key_type.clone(),
            fingerprint: self.pin.fingerprint.clone(),
        }
    }
}

/// The key type as OpenSSH's prompt names it ("ED25519 key fingerprint is ...").
fn key_type_name(algorithm: &russh::keys::Algorithm) -> String {
    use russh::keys::Algorithm;
    match algorithm {
        Algorithm::Ed25519 => "ED25519".into(),
        Algorithm::Rsa { .. } => "RSA".into(),
        Algorithm::Ecdsa { .. } => "ECDSA".into(),
        Algorithm::Dsa => "DSA".into(),
        Algorithm::SkEd25519 => "ED25519-SK".into(),
        Algorithm::SkEcdsaSha2NistP256 => "ECDSA-SK".into(),
        other => other.as_str().to_uppercase(),
    }
}

/// The type an accepted key had, from its stored algorithm name.
fn pinned_view(pin: &SftpHostKey) -> HostKeyFingerprint {
    let key_type = russh::keys::Algorithm::new(&pin.algorithm)
        .map(|algorithm| key_type_name(&algorithm))
        .unwrap_or_else(|_| pin.algorithm.to_uppercase());
    HostKeyFingerprint {
        key_type,
        fingerprint: pin.fingerprint.clone(),
    }
}

/// Accepts the server's key only when it is the pinned one. It runs during the key exchange,
/// before any authentication: refusing here ends the connection with nothing sent.
struct Checker {
    seen: Arc<Mutex<Option<PresentedHostKey>>>,
    pinned: Option<SftpHostKey>,
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
        let presented = PresentedHostKey::of(&key);
        let accepted = self.pinned.as_ref().is_some_and(|pinned| {
            !presented.pin.public_key.is_empty()
                && pinned.algorithm == presented.pin.algorithm
                && pinned.public_key.trim() == presented.pin.public_key
        });
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(presented);
        }
        Ok(accepted)
    }
}

/// One signed-in SFTP session. Every failure is a [`ConnectorError`] naming the host, user and
/// path involved; no message ever carries the password or passphrase.
pub struct SftpClient {
    session: client::Handle<Checker>,
    sftp: SftpSession,
    host: String,
    port: u16,
    user: String,
    host_key: PresentedHostKey,
    remote_dir: Option<String>,
    limit: Duration,
}

/// One entry of a remote folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEntry {
    /// The name as the server sent it (any bytes a file name may hold, newlines included).
    pub name: String,
    /// Folder path joined with the name.
    pub path: String,
    /// What it is.
    pub kind: RemoteKind,
    /// Size in bytes, if the server said.
    pub size: Option<u64>,
    /// Modification time, seconds since 1970, if the server said.
    pub modified: Option<u32>,
}

/// The kind of a remote folder entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteKind {
    /// A regular file.
    File,
    /// A folder.
    Dir,
    /// A symbolic link (not followed).
    Symlink,
    /// Anything else (device, socket, ...).
    Other,
}

impl SftpClient {
    /// Connects and signs in; `secret` as for [`test_sftp_with`].
    pub async fn connect(
        config: &SftpSettings,
        secret: Option<&str>,
        options: &ConnectorOptions,
    ) -> Result<Self, ConnectorError> {
        connect(config, secret, options).await
    }

    /// The server's host key fingerprint (`SHA256:...`) seen during the handshake (the
    /// accepted one: any other refuses the connection).
    pub fn host_key(&self) -> &str {
        &self.host_key.pin.fingerprint
    }

    /// The entries of a remote folder (without `.` and `..`), in the server's order.
    pub async fn list(&self, dir: &str) -> Result<Vec<RemoteEntry>, ConnectorError> {
        check_remote_path(dir, "folder")?;
        let entries = tokio::time::timeout(self.limit, self.sftp.read_dir(dir.to_owned()))
            .await
            .map_err(|_| self.timeout("listing the remote folder"))?
            .map_err(|error| self.sftp_error(dir, &error))?;
        Ok(entries
            .filter(|entry| !matches!(entry.file_name().as_str(), "." | ".."))
            .map(|entry| {
                let metadata = entry.metadata();
                let kind = if metadata.is_symlink() {
                    RemoteKind::Symlink
                } else if metadata.is_dir() {
                    RemoteKind::Dir
                } else if metadata.is_regular() {
                    RemoteKind::File
                } else {
                    RemoteKind::Other
                };
                RemoteEntry {
                    name: entry.file_name(),
                    path: entry.path(),
                    kind,
                    size: metadata.size,
                    modified: metadata.mtime,
                }
            })
            .collect())
    }

    /// Streams the remote file from byte `offset` (0: the whole file; a partial download's
    /// length: the rest) into `writer`; returns the bytes copied. A connection lost midway is
    /// `net.interrupted`: keep what was written and resume from its length.
    pub async fn read_to_writer<W: AsyncWrite + Unpin>(
        &self,
        path: &str,
        offset: u64,
        writer: &mut W,
    ) -> Result<u64, ConnectorError> {
        check_remote_path(path, "file")?;
        let mut file = tokio::time::timeout(self.limit, self.sftp.open(path.to_owned()))
            .await
            .map_err(|_| self.timeout("opening the remote file"))?
            .map_err(|error| self.sftp_error(path, &error))?;
        if offset > 0 {
            file.seek(std::io::SeekFrom::Start(offset))
                .await
                .map_err(|error| self.interrupted(path, &error))?;
        }
        let copied = copy(&mut file, writer)
            .await
            .map_err(|failure| match failure {
                CopyFailure::Read(error) => self.interrupted(path, &error),
                CopyFailure::Write(error) => local_error("write the downloaded file", &error),
            })?;
        writer
            .flush()
            .await
            .map_err(|error| local_error("write the downloaded file", &error))?;
        let _ = file.shutdown().await;
        Ok(copied)
    }

    /// Downloads the remote file to `local` (created or replaced); returns its size.
    pub async fn read_to_path(&self, path: &str, local: &Path) -> Result<u64, ConnectorError> {
        let mut file = tokio::fs::File::create(local)
            .await
            .map_err(|error| local_error(&format!("create {}", local.display()), &error))?;
        let copied = self.read_to_writer(path, 0, &mut file).await?;
        file.sync_all()
            .await
            .map_err(|error| local_error(&format!("save {}", local.display()), &error))?;
        Ok(copied)
    }

    /// Uploads `reader` as `dir/name`: written under a temporary dot-name ending in `.part`
    /// and renamed when complete, so a reader of the folder never sees half a file. An
    /// existing `dir/name` is not overwritten (`api.conflict`). Returns the bytes written.
    pub async fn write_from_reader<R: AsyncRead + Unpin>(
        &self,
        dir: &str,
        name: &str,
        reader: &mut R,
    ) -> Result<u64, ConnectorError> {
        check_remote_path(dir, "folder")?;
        check_file_name(name)?;
        let target = join(dir, name);
        let exists = tokio::time::timeout(self.limit, self.sftp.try_exists(target.clone()))
            .await
            .map_err(|_| self.timeout("checking the remote file"))?
            .map_err(|error| self.sftp_error(&target, &error))?;
        if exists {
            return Err(ConnectorError::Conflict(format!(
                "{} already exists on {}: PartnerDesk does not overwrite a partner's file.",
                server_text(&target),
                self.host
            )));
        }
        let temporary = join(dir, &temporary_name(name));
        let written = self.write_temporary(&temporary, reader).await;
        let outcome = match written {
            Ok(bytes) => tokio::time::timeout(
                self.limit,
                self.sftp.rename(temporary.clone(), target.clone()),
            )
            .await
            .map_err(|_| self.timeout("renaming the uploaded file"))
            .and_then(|renamed| renamed.map_err(|error| self.sftp_error(&target, &error)))
            .map(|()| bytes),
            Err(error) => Err(error),
        };
        if outcome.is_err() {
            let _ = tokio::time::timeout(self.limit, self.sftp.remove_file(temporary)).await;
        }
        outcome
    }

    /// Uploads the local file `local` as `dir/name` (see [`SftpClient::write_from_reader`]).
    pub async fn write_from_path(
        &self,
        local: &Path,
        dir: &str,
        name: &str,
    ) -> Result<u64, ConnectorError> {
        let mut file = tokio::fs::File::open(local)
            .await
            .map_err(|error| local_error(&format!("open {}", local.display()), &error))?;
        self.write_from_reader(dir, name, &mut file).await
    }

    /// Moves the file `name` the server listed in `dir` into `to_dir` under the same name (a
    /// drop folder's `processed/` or `failed/`). The name is the server's own spelling, so a
    /// partner's name with a line break is moved as it is (PartnerDesk creates no new name);
    /// it must be one path component. The target must not exist.
    pub async fn move_listed(
        &self,
        dir: &str,
        name: &str,
        to_dir: &str,
    ) -> Result<(), ConnectorError> {
        check_remote_path(dir, "folder")?;
        check_remote_path(to_dir, "folder")?;
        if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
            return Err(ConnectorError::InvalidInput(format!(
                "\"{}\" is not a file name in {}.",
                server_text(name),
                server_text(dir)
            )));
        }
        let (from, to) = (join(dir, name), join(to_dir, name));
        tokio::time::timeout(self.limit, self.sftp.rename(from.clone(), to))
            .await
            .map_err(|_| self.timeout("moving the remote file"))?
            .map_err(|error| self.sftp_error(&from, &error))
    }

    /// Renames or moves a remote file (e.g. into `processed/`); the target must not exist.
    pub async fn rename(&self, from: &str, to: &str) -> Result<(), ConnectorError> {
        check_remote_path(from, "file")?;
        check_remote_path(to, "file")?;
        if let Some(name) = to.rsplit('/').next() {
            check_file_name(name)?;
        }
        tokio::time::timeout(self.limit, self.sftp.rename(from.to_owned(), to.to_owned()))
            .await
            .map_err(|_| self.timeout("renaming the remote file"))?
            .map_err(|error| self.sftp_error(from, &error))
    }

    /// Creates a remote folder unless it is there already (e.g. `failed/` for files that could
    /// not be taken).
    pub async fn ensure_dir(&self, dir: &str) -> Result<(), ConnectorError> {
        check_remote_path(dir, "folder")?;
        let exists = tokio::time::timeout(self.limit, self.sftp.try_exists(dir.to_owned()))
            .await
            .map_err(|_| self.timeout("checking the remote folder"))?
            .map_err(|error| self.sftp_error(dir, &error))?;
        if exists {
            return Ok(());
        }
        tokio::time::timeout(self.limit, self.sftp.create_dir(dir.to_owned()))
            .await
            .map_err(|_| self.timeout("creating the remote folder"))?
            .map_err(|error| self.sftp_error(dir, &error))
    }

    /// Removes a remote file.
    pub async fn remove(&self, path: &str) -> Result<(), ConnectorError> {
        check_remote_path(path, "file")?;
        tokio::time::timeout(self.limit, self.sftp.remove_file(path.to_owned()))
            .await
            .map_err(|_| self.timeout("removing the remote file"))?
            .map_err(|error| self.sftp_error(path, &error))
    }

    /// Ends the session politely.
    pub async fn close(self) {
        let _ = self.sftp.close().await;
        let _ = self
            .session
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }

    /// The connection test's sentence: the configured folder (or the login folder) listed.
    async fn describe_home(&self) -> Result<String, ConnectorError> {
        let folder = self.remote_dir.clone().unwrap_or_else(|| ".".to_owned());
        let listing = tokio::time::timeout(self.limit, self.sftp.read_dir(folder.clone()))
            .await
            .map_err(|_| self.timeout("listing the remote folder"))?;
        let shown = if folder == "." {
            match tokio::time::timeout(self.limit, self.sftp.canonicalize(".")).await {
                Ok(Ok(path)) => format!("the login folder {path}"),
                _ => "the login folder".to_owned(),
            }
        } else {
            folder.clone()
        };
        let entries = listing
            .map_err(|error| sftp_failure(&self.host, &self.user, &folder, &error, self.limit))?
            .count();
        let entries = match entries {
            1 => "1 entry".to_owned(),
            n => format!("{n} entries"),
        };
        Ok(format!(
            "Connected to {} as {} (host key {}); {shown} is readable ({entries}).",
            self.host, self.user, self.host_key.pin.fingerprint
        ))
    }

    async fn write_temporary<R: AsyncRead + Unpin>(
        &self,
        temporary: &str,
        reader: &mut R,
    ) -> Result<u64, ConnectorError> {
        let flags = OpenFlags::CREATE | OpenFlags::WRITE | OpenFlags::TRUNCATE | OpenFlags::EXCLUDE;
        let mut file = tokio::time::timeout(
            self.limit,
            self.sftp.open_with_flags(temporary.to_owned(), flags),
        )
        .await
        .map_err(|_| self.timeout("creating the remote file"))?
        .map_err(|error| self.sftp_error(temporary, &error))?;
        let copied = copy(reader, &mut file)
            .await
            .map_err(|failure| match failure {
                CopyFailure::Read(error) => local_error("read the file to upload", &error),
                CopyFailure::Write(error) => self.write_failure(temporary, &error),
            })?;
        file.shutdown()
            .await
            .map_err(|error| self.write_failure(temporary, &error))?;
        Ok(copied)
    }

    fn timeout(&self, step: &str) -> ConnectorError {
        ConnectorError::Timeout {
            step: format!("{}:{} ({step})", self.host, self.port),
            seconds: self.limit.as_secs().max(1),
        }
    }

    fn sftp_error(&self, path: &str, error: &russh_sftp::client::error::Error) -> ConnectorError {
        sftp_failure(&self.host, &self.user, path, error, self.limit)
    }

    /// A failed write in words. The SFTP client turns a status the server answered a write with
    /// into a plain error carrying the server's message (a broken connection keeps the client's
    /// own error inside): OpenSSH answers a full disk or a used-up quota with its generic
    /// "Failure". Anything else broke the transfer midway.
    fn write_failure(&self, path: &str, error: &std::io::Error) -> ConnectorError {
        let answered = error.kind() == std::io::ErrorKind::Other
            && error.get_ref().is_some_and(|inner| {
                inner
                    .downcast_ref::<russh_sftp::client::error::Error>()
                    .is_none()
            });
        if !answered {
            return self.interrupted(path, error);
        }
        let said = error.to_string();
        let lower = said.to_lowercase();
        if lower == "failure" || lower.contains("space") || lower.contains("quota") {
            ConnectorError::DiskFull(format!(
                "{} could not store {}: its disk is probably full or the account's quota used up (the server said \"{}\"). Nothing was left under the final name; ask the partner to make room, then retry.",
                self.host,
                server_text(path),
                server_text(&said)
            ))
        } else if lower.contains("permission") {
            ConnectorError::Forbidden(format!(
                "{} refused to let {} write {} (permission denied).",
                self.host,
                self.user,
                server_text(path)
            ))
        } else {
            ConnectorError::Unexpected(format!(
                "{} refused to store {}: {}.",
                self.host,
                server_text(path),
                server_text(&said)
            ))
        }
    }

    fn interrupted(&self, path: &str, error: &std::io::Error) -> ConnectorError {
        if error.kind() == std::io::ErrorKind::TimedOut {
            return self.timeout("transferring a file");
        }
        ConnectorError::Interrupted(format!(
            "The transfer of {} with {}:{} stopped midway ({}). Nothing half-done is kept under the final name; try again.",
            server_text(path),
            self.host,
            self.port,
            server_text(&error.to_string())
        ))
    }
}

enum CopyFailure {
    Read(std::io::Error),
    Write(std::io::Error),
}

/// Copies until the end of `reader`, telling a failed read from a failed write.
async fn copy<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    reader: &mut R,
    writer: &mut W,
) -> Result<u64, CopyFailure> {
    use tokio::io::AsyncReadExt;
    let mut buffer = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let read = reader.read(&mut buffer).await.map_err(CopyFailure::Read)?;
        if read == 0 {
            return Ok(total);
        }
        writer
            .write_all(&buffer[..read])
            .await
            .map_err(CopyFailure::Write)?;
        total += read as u64;
    }
}

fn local_error(what: &str, error: &std::io::Error) -> ConnectorError {
    ConnectorError::Local(format!(
        "PartnerDesk could not {what} on this computer: {}.",
        server_text(&error.to_string())
    ))
}

/// `dir/name`, with one slash.
fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir == "." {
        name.to_owned()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// `.name.<random>.part`: a dot-name drop-folder scanners skip until it is renamed.
fn temporary_name(name: &str) -> String {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or_default()
        ^ std::process::id();
    let short: String = name.chars().take(200).collect();
    format!(".{short}.{nonce:08x}.part")
}

/// A remote path PartnerDesk may send: not empty, no NUL, a sane length.
fn check_remote_path(path: &str, what: &str) -> Result<(), ConnectorError> {
    if path.is_empty() {
        return Err(ConnectorError::InvalidInput(format!(
            "The remote {what} path is empty."
        )));
    }
    if path.contains('\0') || path.len() > 4096 {
        return Err(ConnectorError::InvalidInput(format!(
            "\"{}\" is not a remote {what} path this app will use.",
            server_text(path)
        )));
    }
    Ok(())
}

/// A file name PartnerDesk may create: one path component, no control characters, at most
/// 255 bytes, not `.` or `..`.
fn check_file_name(name: &str) -> Result<(), ConnectorError> {
    let refused = |why: &str| {
        Err(ConnectorError::InvalidInput(format!(
            "\"{}\" cannot be used as a remote file name: {why}.",
            server_text(name)
        )))
    };
    if name.is_empty() || name == "." || name == ".." {
        return refused("it is empty, . or ..");
    }
    if name.contains('/') {
        return refused("it contains a slash");
    }
    if name.chars().any(char::is_control) {
        return refused("it contains control characters");
    }
    if name.len() > 255 {
        return refused("it is longer than 255 bytes");
    }
    Ok(())
}

/// The host and port of `config`, refused as invalid input when they cannot be used.
fn checked_address(config: &SftpSettings) -> Result<(&str, u16), ConnectorError> {
    let host = config.host.trim();
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
    Ok((host, port))
}

/// Asks the server for its host key and disconnects: TCP and the SSH key exchange only, no
/// authentication (nothing about the analyst is sent). What "accept this key" checks against.
pub async fn scan_host_key(
    config: &SftpSettings,
    options: &ConnectorOptions,
) -> Result<PresentedHostKey, ConnectorError> {
    let (host, port) = checked_address(config)?;
    match handshake(host, port, None, options.timeout).await {
        Err(ConnectorError::HostKeyUnknown(refusal)) => Ok(refusal.presented),
        Err(error) => Err(error),
        // Unreachable with no pin; a session that opened anyway is closed unused.
        Ok((session, presented)) => {
            let _ = session
                .disconnect(russh::Disconnect::ByApplication, "", "en")
                .await;
            Ok(presented)
        }
    }
}

async fn connect(
    config: &SftpSettings,
    secret: Option<&str>,
    options: &ConnectorOptions,
) -> Result<SftpClient, ConnectorError> {
    let (host, port) = checked_address(config)?;
    let user = config.user.trim();
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

    let (mut session, host_key) = handshake(host, port, config.host_key.clone(), limit).await?;

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

    let sftp = match open_subsystem(&session, limit).await {
        Ok(sftp) => sftp,
        Err(failure) => {
            let _ = session
                .disconnect(russh::Disconnect::ByApplication, "", "en")
                .await;
            return Err(match failure {
                Failure::Timeout(step) => timeout(step),
                Failure::Ssh(error, step) => ssh_failure(host, port, &error, limit, step),
                Failure::Sftp(error, what) => sftp_failure(host, user, &what, &error, limit),
            });
        }
    };
    Ok(SftpClient {
        session,
        sftp,
        host: host.to_owned(),
        port,
        user: user.to_owned(),
        host_key,
        remote_dir: config
            .remote_dir
            .as_deref()
            .map(str::trim)
            .filter(|dir| !dir.is_empty())
            .map(str::to_owned),
        limit,
    })
}

/// TCP connect and the SSH key exchange, accepting only the `pinned` host key: an unknown key
/// (no pin) or another key fails with the key seen, before anything is authenticated.
async fn handshake(
    host: &str,
    port: u16,
    pinned: Option<SftpHostKey>,
    limit: Duration,
) -> Result<(client::Handle<Checker>, PresentedHostKey), ConnectorError> {
    let timeout = |step: &str| ConnectorError::Timeout {
        step: format!("{host}:{port} ({step})"),
        seconds: limit.as_secs().max(1),
    };
    let stream = connect_tcp(host, port, limit).await?;
    let first_bytes = Arc::new(Mutex::new(Vec::new()));
    let stream = Recording {
        inner: stream,
        seen: first_bytes.clone(),
    };
    let seen = Arc::new(Mutex::new(None));
    let checker = Checker {
        seen: seen.clone(),
        pinned: pinned.clone(),
    };
    let ssh_config = Arc::new(client::Config {
        inactivity_timeout: Some(limit),
        ..Default::default()
    });
    let connected =
        tokio::time::timeout(limit, client::connect_stream(ssh_config, stream, checker))
            .await
            .map_err(|_| timeout("SSH handshake"))?;
    let presented = seen.lock().ok().and_then(|seen| seen.clone());
    match (connected, presented) {
        (Ok(session), Some(presented)) => Ok((session, presented)),
        (Ok(session), None) => {
            let _ = session
                .disconnect(russh::Disconnect::ByApplication, "", "en")
                .await;
            Err(ConnectorError::Unexpected(format!(
                "{host}:{port} did not present a host key; PartnerDesk does not connect to a server it cannot identify."
            )))
        }
        (Err(russh::Error::UnknownKey), Some(presented)) => {
            let refusal = Box::new(HostKeyRefusal {
                check: HostKeyCheck {
                    host: host.to_owned(),
                    port,
                    presented: presented.shown(),
                    accepted: pinned.as_ref().map(pinned_view),
                },
                presented,
            });
            Err(match pinned {
                None => ConnectorError::HostKeyUnknown(refusal),
                Some(_) => ConnectorError::HostKeyChanged(refusal),
            })
        }
        (Err(error), _) => {
            let seen = first_bytes.lock().map(|b| b.clone()).unwrap_or_default();
            if let Some(banner) = foreign_banner(&seen) {
                return Err(ConnectorError::Unexpected(format!(
                    "{host}:{port} answered, but not as an SSH server does (it said \"{banner}\"). \
                     Check the port: SFTP is usually 22."
                )));
            }
            Err(ssh_failure(host, port, &error, limit, "SSH handshake"))
        }
    }
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

/// Opens the SFTP subsystem on a signed-in session.
async fn open_subsystem<H: client::Handler>(
    session: &client::Handle<H>,
    limit: Duration,
) -> Result<SftpSession, Failure> {
    let step = "opening the SFTP subsystem";
    let channel = tokio::time::timeout(limit, session.channel_open_session())
        .await
        .map_err(|_| Failure::Timeout(step))?
        .map_err(|error| Failure::Ssh(error, step))?;
    tokio::time::timeout(limit, channel.request_subsystem(true, "sftp"))
        .await
        .map_err(|_| Failure::Timeout(step))?
        .map_err(|error| Failure::Ssh(error, step))?;
    let sftp = tokio::time::timeout(limit, SftpSession::new(channel.into_stream()))
        .await
        .map_err(|_| Failure::Timeout(step))?
        .map_err(|error| Failure::Sftp(error, "the SFTP subsystem".into()))?;
    sftp.set_timeout(limit.as_secs().max(1));
    Ok(sftp)
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
                "Signed in to {host} as {user}, but {} does not exist there. Check the remote folder.",
                server_text(folder)
            ))
        }
        Error::Status(status) if status.status_code == StatusCode::PermissionDenied => {
            ConnectorError::Forbidden(format!(
                "Signed in to {host} as {user}, but {user} may not use {} (permission denied).",
                server_text(folder)
            ))
        }
        Error::Timeout => ConnectorError::Timeout {
            step: format!("{host} (SFTP, {})", server_text(folder)),
            seconds: limit.as_secs().max(1),
        },
        Error::IO(detail) => ConnectorError::Interrupted(format!(
            "The SFTP connection to {host} broke while working on {} ({}). Try again.",
            server_text(folder),
            server_text(detail)
        )),
        other => ConnectorError::Unexpected(format!(
            "Signed in to {host} as {user}, but SFTP failed on {}: {}.",
            server_text(folder),
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

// ---- delivery to a partner inbox (issue 11, point 6): the steps the delivery engine
// (`pd-transfer` `deliver.rs`) takes one by one, so it can check and record between them.
impl SftpClient {
    /// The size of the remote file at `path`, or `None` when there is none (a folder is refused
    /// as a file would be). Does not follow the caller's wishes about links: it asks `stat`.
    pub async fn file_size(&self, path: &str) -> Result<Option<u64>, ConnectorError> {
        check_remote_path(path, "file")?;
        match tokio::time::timeout(self.limit, self.sftp.metadata(path.to_owned()))
            .await
            .map_err(|_| self.timeout("checking the remote file"))?
        {
            Ok(metadata) if metadata.is_dir() => Err(ConnectorError::Conflict(format!(
                "{} on {} is a folder, not a file.",
                server_text(path),
                self.host
            ))),
            Ok(metadata) => Ok(Some(metadata.size.unwrap_or(0))),
            Err(russh_sftp::client::error::Error::Status(status))
                if status.status_code == StatusCode::NoSuchFile =>
            {
                Ok(None)
            }
            Err(error) => Err(self.sftp_error(path, &error)),
        }
    }

    /// Writes `reader` into a new remote file at `path` (refused when it exists: the caller
    /// removes a stale temporary file first); returns the bytes written. Nothing is renamed.
    pub async fn write_new<R: AsyncRead + Unpin>(
        &self,
        path: &str,
        reader: &mut R,
    ) -> Result<u64, ConnectorError> {
        check_remote_path(path, "file")?;
        if let Some(name) = path.rsplit('/').next() {
            check_file_name(name)?;
        }
        self.write_temporary(path, reader).await
    }
}
