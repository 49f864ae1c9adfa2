//! SFTP "Test connection" against a real OpenSSH server started by each test on 127.0.0.1
//! (its own config, host key, client keys and folders in a temp dir; `sshd -D` so the test
//! owns the process; its debug log, which names every authentication request, in `sshd.log`).
//! Connections to it use a pin of its host key unless a test is about the pin itself. Password sign-in is off in this sshd, as in the recipe: password auth is
//! covered by its refusal ("does not accept passwords"), not by a successful sign-in.
//! `PD_SSHD` overrides `/usr/sbin/sshd`; `PD_SSH_KEYGEN` overrides `ssh-keygen`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use pd_connectors::{scan_host_key, test_sftp_with, ConnectorOptions};
use pd_domain::{SftpAuth, SftpHostKey, SftpSettings};

const PASSPHRASE: &str = "correct horse battery staple";

struct Sshd {
    dir: tempfile::TempDir,
    child: Child,
    port: u16,
    user: String,
    fingerprint: String,
    binary: String,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sshd {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Settings signing in with the client key `key`, the server's current host key accepted.
    fn key_config(&self, key: &str, remote_dir: Option<&str>) -> SftpSettings {
        SftpSettings {
            host: "127.0.0.1".into(),
            port: self.port,
            user: self.user.clone(),
            auth: SftpAuth::PrivateKey {
                path: self.path(key).to_string_lossy().into_owned(),
            },
            remote_dir: remote_dir.map(str::to_owned),
            host_key: Some(self.host_key()),
        }
    }

    /// The server's host key as accepting it stores it, read from its `.pub` file.
    fn host_key(&self) -> SftpHostKey {
        let line = std::fs::read_to_string(self.path("host_ed25519.pub")).expect("host key");
        let mut fields = line.split_whitespace();
        SftpHostKey {
            algorithm: fields.next().expect("algorithm").to_owned(),
            public_key: fields.next().expect("key").to_owned(),
            fingerprint: self.fingerprint.clone(),
        }
    }

    /// How many authentication requests the server has logged so far (every sign-in attempt,
    /// `none` included, logs one).
    fn auth_requests(&self) -> usize {
        self.log().matches("userauth-request").count()
    }

    /// Stops the server, gives it a new host key (as a reinstalled or impersonated server has)
    /// and starts it again on the same port.
    async fn regenerate_host_key(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for file in ["host_ed25519", "host_ed25519.pub"] {
            std::fs::remove_file(self.path(file)).expect("remove the old host key");
        }
        generate_key(&self.path("host_ed25519"), "ed25519", "");
        self.fingerprint = fingerprint_of(&self.path("host_ed25519.pub"));
        self.child = spawn_sshd(&self.binary, self.dir.path());
        assert!(
            wait_for_port(self.port, Duration::from_secs(10)).await,
            "sshd did not listen again on {}: {}",
            self.port,
            self.log()
        );
    }

    fn inbound(&self) -> String {
        self.path("inbound").to_string_lossy().into_owned()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.path("sshd.log")).unwrap_or_default()
    }
}

fn keygen() -> String {
    std::env::var("PD_SSH_KEYGEN").unwrap_or_else(|_| "ssh-keygen".into())
}

fn generate_key(path: &Path, kind: &str, passphrase: &str) {
    let mut command = Command::new(keygen());
    command.args(["-q", "-t", kind, "-N", passphrase, "-C", "pd-test", "-f"]);
    command.arg(path);
    if kind == "rsa" {
        command.args(["-b", "2048"]);
    }
    let status = command.status().expect("run ssh-keygen");
    assert!(status.success(), "ssh-keygen failed for {path:?}");
}

fn current_user() -> String {
    let output = Command::new("id").arg("-un").output().expect("run id -un");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// `SHA256:...` of a public key file, as `ssh-keygen -l` prints it.
fn fingerprint_of(public_key: &Path) -> String {
    let output = Command::new(keygen())
        .args(["-l", "-E", "sha256", "-f"])
        .arg(public_key)
        .output()
        .expect("fingerprint");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .nth(1)
        .expect("fingerprint field")
        .to_owned()
}

/// Starts sshd in the foreground with the config in `root`; with `-e` it and every session
/// process log to its stderr, appended to `root/sshd.log`.
fn spawn_sshd(binary: &str, root: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(root.join("sshd.log"))
        .expect("sshd.log");
    Command::new(binary)
        .arg("-D")
        .arg("-e")
        .arg("-f")
        .arg(root.join("sshd_config"))
        .stdin(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start sshd")
}

/// Starts sshd, or returns None (test skipped, reason printed) when it is not installed.
async fn start_sshd() -> Option<Sshd> {
    let sshd = std::env::var("PD_SSHD").unwrap_or_else(|_| "/usr/sbin/sshd".into());
    if !Path::new(&sshd).is_file() {
        skip_or_fail(&format!(
            "{sshd} is missing (install openssh-server, or set PD_SSHD)"
        ));
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    generate_key(&root.join("host_ed25519"), "ed25519", "");
    generate_key(&root.join("client_ed25519"), "ed25519", "");
    generate_key(&root.join("client_rsa"), "rsa", "");
    generate_key(&root.join("client_encrypted"), "ed25519", PASSPHRASE);
    generate_key(&root.join("stranger_ed25519"), "ed25519", "");
    let mut authorized = String::new();
    for key in ["client_ed25519", "client_rsa", "client_encrypted"] {
        authorized.push_str(
            &std::fs::read_to_string(root.join(format!("{key}.pub"))).expect("public key"),
        );
    }
    std::fs::write(root.join("authorized_keys"), authorized).expect("authorized_keys");
    std::fs::create_dir(root.join("inbound")).expect("inbound");
    std::fs::write(root.join("inbound/ORDERS_0001.edi"), "UNA:+.? '").expect("file");
    std::fs::create_dir_all("/run/sshd").ok();

    let fingerprint = fingerprint_of(&root.join("host_ed25519.pub"));

    let port = free_port();
    let config = format!(
        "Port {port}\nListenAddress 127.0.0.1\nHostKey {root}/host_ed25519\nPidFile {root}/sshd.pid\n\
         AuthorizedKeysFile {root}/authorized_keys\nPermitRootLogin prohibit-password\n\
         PasswordAuthentication no\nKbdInteractiveAuthentication no\nStrictModes no\nUsePAM no\n\
         LogLevel DEBUG1\nSubsystem sftp internal-sftp\n",
        root = root.display()
    );
    std::fs::write(root.join("sshd_config"), config).expect("sshd_config");
    let child = spawn_sshd(&sshd, root);
    let server = Sshd {
        dir,
        child,
        port,
        user: current_user(),
        fingerprint,
        binary: sshd,
    };
    assert!(
        wait_for_port(port, Duration::from_secs(10)).await,
        "sshd did not listen on {port}: {}",
        server.log()
    );
    Some(server)
}

#[tokio::test]
async fn good_key_lists_the_folder_and_reports_the_host_key() {
    let Some(sshd) = start_sshd().await else {
        return;
    };
    let inbound = sshd.inbound();
    let result = test_sftp_with(
        &sshd.key_config("client_ed25519", Some(&inbound)),
        None,
        &ConnectorOptions::default(),
    )
    .await;
    assert_success(
        &result,
        &[
            "127.0.0.1",
            &sshd.user,
            &sshd.fingerprint,
            &inbound,
            "readable",
            "1 entry",
        ],
        &[],
    );
    assert!(sshd.fingerprint.starts_with("SHA256:"));

    // The login folder when no remote folder is set.
    let result = test_sftp_with(
        &sshd.key_config("client_ed25519", None),
        None,
        &ConnectorOptions::default(),
    )
    .await;
    assert_success(&result, &["login folder"], &[]);
}

#[tokio::test]
async fn rsa_key_signs_in_with_a_sha2_signature() {
    let Some(sshd) = start_sshd().await else {
        return;
    };
    let result = test_sftp_with(
        &sshd.key_config("client_rsa", Some(&sshd.inbound())),
        None,
        &ConnectorOptions::default(),
    )
    .await;
    assert_success(&result, &["readable"], &[]);
}

#[tokio::test]
async fn encrypted_key_needs_its_passphrase() {
    let Some(sshd) = start_sshd().await else {
        return;
    };
    let config = sshd.key_config("client_encrypted", Some(&sshd.inbound()));
    let options = ConnectorOptions::default();

    let result = test_sftp_with(&config, Some(PASSPHRASE), &options).await;
    assert_success(&result, &["readable"], &[PASSPHRASE]);

    let result = test_sftp_with(&config, None, &options).await;
    assert_failure(
        &result,
        "input.invalid",
        &["passphrase", "client_encrypted"],
        &[],
    );

    let wrong = "not the passphrase";
    let result = test_sftp_with(&config, Some(wrong), &options).await;
    assert_failure(
        &result,
        "auth.unauthorized",
        &["passphrase", "client_encrypted"],
        &[wrong],
    );
}

#[tokio::test]
async fn a_key_the_server_does_not_know_is_refused_by_name() {
    let Some(sshd) = start_sshd().await else {
        return;
    };
    let result = test_sftp_with(
        &sshd.key_config("stranger_ed25519", Some(&sshd.inbound())),
        None,
        &ConnectorOptions::default(),
    )
    .await;
    assert_failure(
        &result,
        "auth.unauthorized",
        &["127.0.0.1", "stranger_ed25519", &sshd.user, "publickey"],
        &[],
    );
}

#[tokio::test]
async fn a_wrong_user_is_refused() {
    let Some(sshd) = start_sshd().await else {
        return;
    };
    let mut config = sshd.key_config("client_ed25519", Some(&sshd.inbound()));
    config.user = "no-such-partner-user".into();
    let result = test_sftp_with(&config, None, &ConnectorOptions::default()).await;
    assert_failure(&result, "auth.unauthorized", &["no-such-partner-user"], &[]);
}

#[tokio::test]
async fn a_password_is_refused_when_the_server_takes_keys_only() {
    let Some(sshd) = start_sshd().await else {
        return;
    };
    let password = "Summer2026!";
    let config = SftpSettings {
        auth: SftpAuth::Password,
        ..sshd.key_config("client_ed25519", None)
    };
    let result = test_sftp_with(&config, Some(password), &ConnectorOptions::default()).await;
    assert_failure(
        &result,
        "auth.unauthorized",
        &["does not accept passwords", "publickey"],
        &[password],
    );

    let result = test_sftp_with(&config, None, &ConnectorOptions::default()).await;
    assert_failure(&result, "input.invalid", &["No password"], &[]);
}

#[tokio::test]
async fn a_missing_remote_folder_is_named() {
    let Some(sshd) = start_sshd().await else {
        return;
    };
    let missing = sshd.path("outbound-typo").to_string_lossy().into_owned();
    let result = test_sftp_with(
        &sshd.key_config("client_ed25519", Some(&missing)),
        None,
        &ConnectorOptions::default(),
    )
    .await;
    assert_failure(
        &result,
        "api.not_found",
        &[&missing, "does not exist", "Signed in"],
        &[],
    );
}

#[tokio::test]
async fn unreadable_or_wrong_key_files_are_refused_before_connecting() {
    let Some(sshd) = start_sshd().await else {
        return;
    };
    let options = ConnectorOptions::default();

    let result = test_sftp_with(&sshd.key_config("no_such_key", None), None, &options).await;
    assert_failure(
        &result,
        "input.invalid",
        &["no_such_key", "does not exist"],
        &[],
    );

    std::fs::write(sshd.path("garbage_key"), "-----BEGIN NONSENSE-----\nxx\n").expect("write");
    let result = test_sftp_with(&sshd.key_config("garbage_key", None), None, &options).await;
    assert_failure(
        &result,
        "input.invalid",
        &["garbage_key", "not a private key"],
        &[],
    );

    std::fs::write(sshd.path("binary_key"), [0u8, 159, 146, 150, 255]).expect("write");
    let result = test_sftp_with(&sshd.key_config("binary_key", None), None, &options).await;
    assert_failure(&result, "input.invalid", &["binary_key"], &[]);

    std::fs::write(sshd.path("huge_key"), vec![b'A'; 5 * 1024 * 1024]).expect("write");
    let result = test_sftp_with(&sshd.key_config("huge_key", None), None, &options).await;
    assert_failure(&result, "input.invalid", &["too large"], &[]);

    let result = test_sftp_with(&sshd.key_config("inbound", None), None, &options).await;
    assert_failure(&result, "input.invalid", &["not a file"], &[]);
}

#[tokio::test]
async fn a_pinned_host_key_must_match() {
    let Some(sshd) = start_sshd().await else {
        return;
    };
    let config = sshd.key_config("client_ed25519", Some(&sshd.inbound()));
    assert_success(
        &test_sftp_with(&config, None, &ConnectorOptions::default()).await,
        &["readable"],
        &[],
    );

    // Pinned to another server's key (the stranger key stands for it).
    let line = std::fs::read_to_string(sshd.path("stranger_ed25519.pub")).expect("key");
    let other = fingerprint_of(&sshd.path("stranger_ed25519.pub"));
    let mismatch = SftpSettings {
        host_key: Some(SftpHostKey {
            algorithm: "ssh-ed25519".into(),
            public_key: line.split_whitespace().nth(1).expect("key").to_owned(),
            fingerprint: other.clone(),
        }),
        ..config
    };
    let result = test_sftp_with(&mismatch, None, &ConnectorOptions::default()).await;
    assert_failure(
        &result,
        "ssh.host_key_changed",
        &[&sshd.fingerprint, &other],
        &[],
    );
}

#[tokio::test]
async fn an_unknown_host_key_is_refused_with_its_fingerprint_before_signing_in() {
    let Some(sshd) = start_sshd().await else {
        return;
    };
    let password = "Summer2026!";
    let unpinned = SftpSettings {
        auth: SftpAuth::Password,
        host_key: None,
        ..sshd.key_config("client_ed25519", Some(&sshd.inbound()))
    };
    let result = test_sftp_with(&unpinned, Some(password), &ConnectorOptions::default()).await;
    let server = format!("[127.0.0.1]:{}", sshd.port);
    assert_failure(
        &result,
        "ssh.host_key_unknown",
        &[
            &format!("The authenticity of host '{server}' can't be established"),
            &format!("ED25519 key fingerprint is {}", sshd.fingerprint),
        ],
        &[password],
    );
    // The fingerprint travels as data, for the dialog to show and the accept command to take.
    let check = result.host_key.expect("the key as data");
    assert_eq!(check.host, "127.0.0.1");
    assert_eq!(check.port, sshd.port);
    assert_eq!(check.presented.key_type, "ED25519");
    assert_eq!(check.presented.fingerprint, sshd.fingerprint);
    assert_eq!(check.accepted, None);
    // The refusal came during the key exchange: the server saw no sign-in attempt.
    assert_eq!(sshd.auth_requests(), 0, "{}", sshd.log());

    // The same for a key sign-in, and for the client itself (drop folders use it).
    let key_unpinned = SftpSettings {
        host_key: None,
        ..sshd.key_config("client_ed25519", None)
    };
    let error =
        pd_connectors::SftpClient::connect(&key_unpinned, None, &ConnectorOptions::default())
            .await
            .err()
            .expect("refused");
    assert_eq!(error.code().as_str(), "ssh.host_key_unknown", "{error}");
    assert_eq!(sshd.auth_requests(), 0, "{}", sshd.log());

    // What the scan finds is what a pin needs, and with it the same settings connect: the
    // server's log now shows sign-in requests, so the count above could see them.
    let scanned = scan_host_key(&key_unpinned, &ConnectorOptions::default())
        .await
        .expect("scan");
    assert_eq!(scanned.pin, sshd.host_key());
    assert_eq!(scanned.key_type, "ED25519");
    assert_eq!(sshd.auth_requests(), 0, "{}", sshd.log());
    let accepted = SftpSettings {
        host_key: Some(scanned.pin),
        ..key_unpinned
    };
    assert_success(
        &test_sftp_with(&accepted, None, &ConnectorOptions::default()).await,
        &[&sshd.fingerprint, "readable"],
        &[],
    );
    assert!(sshd.auth_requests() > 0, "{}", sshd.log());
}

#[tokio::test]
async fn a_regenerated_host_key_is_refused_with_both_fingerprints_and_nothing_is_sent() {
    let Some(mut sshd) = start_sshd().await else {
        return;
    };
    let config = sshd.key_config("client_encrypted", Some(&sshd.inbound()));
    let first = sshd.fingerprint.clone();
    assert_success(
        &test_sftp_with(&config, Some(PASSPHRASE), &ConnectorOptions::default()).await,
        &[&first, "readable"],
        &[PASSPHRASE],
    );

    sshd.regenerate_host_key().await;
    let second = sshd.fingerprint.clone();
    assert_ne!(first, second);
    let requests_before = sshd.auth_requests();
    let result = test_sftp_with(&config, Some(PASSPHRASE), &ConnectorOptions::default()).await;
    assert_failure(
        &result,
        "ssh.host_key_changed",
        &[
            &format!("[127.0.0.1]:{}", sshd.port),
            "has changed",
            &first,
            &second,
            "nothing (no password, no key) was sent",
        ],
        &[PASSPHRASE],
    );
    let check = result.host_key.expect("both keys as data");
    assert_eq!(check.presented.fingerprint, second);
    assert_eq!(check.presented.key_type, "ED25519");
    let accepted = check.accepted.expect("the accepted key");
    assert_eq!(accepted.fingerprint, first);
    assert_eq!(accepted.key_type, "ED25519");
    assert_eq!(
        sshd.auth_requests(),
        requests_before,
        "no sign-in attempt reached the server: {}",
        sshd.log()
    );

    // The client (what drop folders use) is refused the same way.
    let error =
        pd_connectors::SftpClient::connect(&config, Some(PASSPHRASE), &ConnectorOptions::default())
            .await
            .err()
            .expect("refused");
    assert_eq!(error.code().as_str(), "ssh.host_key_changed", "{error}");
    assert_eq!(sshd.auth_requests(), requests_before);

    // Accepting the new key (after checking it with the partner) connects again.
    let renewed = SftpSettings {
        host_key: Some(sshd.host_key()),
        ..config
    };
    assert_success(
        &test_sftp_with(&renewed, Some(PASSPHRASE), &ConnectorOptions::default()).await,
        &[&second, "readable"],
        &[PASSPHRASE],
    );
}

#[tokio::test]
async fn an_accepted_key_is_found_by_ssh_keygen_in_the_known_hosts_file() {
    let Some(mut sshd) = start_sshd().await else {
        return;
    };
    let file = sshd.path("app_known_hosts");
    let config = sshd.key_config("client_ed25519", None);
    let scanned = scan_host_key(&config, &ConnectorOptions::default())
        .await
        .expect("scan");
    pd_connectors::known_hosts::remember(&file, "127.0.0.1", sshd.port, &scanned.pin)
        .expect("remember");
    let server = format!("[127.0.0.1]:{}", sshd.port);
    let found = |fingerprint: &str| {
        let output = Command::new(keygen())
            .args(["-l", "-F", &server, "-f"])
            .arg(&file)
            .output()
            .expect("ssh-keygen -F");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        output.status.success() && text.contains(fingerprint)
    };
    assert!(found(&sshd.fingerprint), "ssh-keygen -F finds the key");

    // A key accepted again after a change replaces the old line.
    let old = sshd.fingerprint.clone();
    sshd.regenerate_host_key().await;
    let scanned = scan_host_key(&config, &ConnectorOptions::default())
        .await
        .expect("scan");
    pd_connectors::known_hosts::remember(&file, "127.0.0.1", sshd.port, &scanned.pin)
        .expect("remember");
    assert!(found(&sshd.fingerprint));
    assert!(!found(&old));
    let lines = std::fs::read_to_string(&file)
        .expect("read")
        .lines()
        .count();
    assert_eq!(lines, 1);
}

fn config_at(host: &str, port: u16, key: &Path) -> SftpSettings {
    SftpSettings {
        host: host.into(),
        port,
        user: "edi".into(),
        auth: SftpAuth::PrivateKey {
            path: key.to_string_lossy().into_owned(),
        },
        remote_dir: None,
        host_key: None,
    }
}

/// A usable key file for the network cases (they fail before signing in).
fn scratch_key() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("id_ed25519");
    generate_key(&key, "ed25519", "");
    (dir, key)
}

#[tokio::test]
async fn a_closed_port_is_reported_as_refused() {
    let (_dir, key) = scratch_key();
    let port = free_port();
    let result = test_sftp_with(&config_at("127.0.0.1", port, &key), None, &quick_options(5)).await;
    assert_failure(
        &result,
        "net.refused",
        &[&format!("127.0.0.1:{port}"), "refused"],
        &[],
    );
}

#[tokio::test]
async fn an_unknown_host_name_is_reported_as_dns() {
    let (_dir, key) = scratch_key();
    let result = test_sftp_with(
        &config_at("nonexistent.invalid", 22, &key),
        None,
        &quick_options(10),
    )
    .await;
    assert_failure(&result, "net.dns", &["nonexistent.invalid"], &[]);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let (_dir, key) = scratch_key();
    let port = silent_server().await;
    let result = test_sftp_with(&config_at("127.0.0.1", port, &key), None, &quick_options(1)).await;
    assert_failure(
        &result,
        "net.timeout",
        &["SSH handshake", &port.to_string()],
        &[],
    );
}

#[tokio::test]
async fn a_port_that_is_not_ssh_is_named() {
    let (_dir, key) = scratch_key();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // An HTTP server: reads what the client sent, answers 400 and closes politely.
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = socket.read(&mut buffer).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .await;
                let _ = socket.shutdown().await;
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            });
        }
    });
    let result = test_sftp_with(&config_at("127.0.0.1", port, &key), None, &quick_options(3)).await;
    assert_failure(
        &result,
        "api.unexpected",
        &[&port.to_string(), "not as an SSH server"],
        &[],
    );
}

#[tokio::test]
async fn empty_fields_are_refused_without_a_network_call() {
    let (_dir, key) = scratch_key();
    let options = ConnectorOptions::default();
    let mut config = config_at("", 22, &key);
    assert_failure(
        &test_sftp_with(&config, None, &options).await,
        "input.invalid",
        &["host"],
        &[],
    );
    config.host = "sftp://partner.example/inbound".into();
    assert_failure(
        &test_sftp_with(&config, None, &options).await,
        "input.invalid",
        &["not a host name"],
        &[],
    );
    config.host = "127.0.0.1".into();
    config.user = " ".into();
    assert_failure(
        &test_sftp_with(&config, None, &options).await,
        "input.invalid",
        &["user"],
        &[],
    );
    config.user = "edi".into();
    config.port = 0;
    assert_failure(
        &test_sftp_with(&config, None, &options).await,
        "input.invalid",
        &["port"],
        &[],
    );
}

// ---- The client's operations against the real sshd ----

async fn connected(sshd: &Sshd) -> pd_connectors::SftpClient {
    pd_connectors::SftpClient::connect(
        &sshd.key_config("client_ed25519", Some(&sshd.inbound())),
        None,
        &ConnectorOptions::default(),
    )
    .await
    .expect("connect")
}

#[tokio::test]
async fn the_client_writes_lists_reads_renames_and_removes() {
    let Some(sshd) = start_sshd().await else {
        return;
    };
    let client = connected(&sshd).await;
    assert_eq!(client.host_key(), sshd.fingerprint);
    let inbound = sshd.inbound();
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();

    let written = client
        .write_from_reader(&inbound, "INVOIC_0002.edi", &mut content.as_slice())
        .await
        .expect("write");
    assert_eq!(written, content.len() as u64);
    // The final name holds the whole file; no temporary name is left behind.
    let on_disk = std::fs::read(sshd.path("inbound/INVOIC_0002.edi")).expect("on the server");
    assert!(on_disk == content);
    let mut names: Vec<String> = client
        .list(&inbound)
        .await
        .expect("list")
        .into_iter()
        .map(|entry| entry.name)
        .collect();
    names.sort();
    assert_eq!(names, ["INVOIC_0002.edi", "ORDERS_0001.edi"]);
    let entry = client
        .list(&inbound)
        .await
        .expect("list")
        .into_iter()
        .find(|entry| entry.name == "INVOIC_0002.edi")
        .expect("listed");
    assert_eq!(entry.kind, pd_connectors::RemoteKind::File);
    assert_eq!(entry.size, Some(content.len() as u64));

    // Never overwrites a partner's file.
    let again = client
        .write_from_reader(&inbound, "INVOIC_0002.edi", &mut &b"other"[..])
        .await
        .expect_err("exists");
    assert_eq!(again.code().as_str(), "api.conflict", "{again}");
    assert!(std::fs::read(sshd.path("inbound/INVOIC_0002.edi")).expect("kept") == content);

    // Read whole, and resumed from an offset.
    let local = sshd.path("downloaded.edi");
    let read = client
        .read_to_path(&format!("{inbound}/INVOIC_0002.edi"), &local)
        .await
        .expect("read");
    assert_eq!(read, content.len() as u64);
    assert!(std::fs::read(&local).expect("local") == content);
    let mut rest = Vec::new();
    client
        .read_to_writer(&format!("{inbound}/INVOIC_0002.edi"), 100_000, &mut rest)
        .await
        .expect("resume");
    assert!(rest == content[100_000..]);

    // Moved to processed/, then removed.
    std::fs::create_dir(sshd.path("inbound/processed")).expect("processed");
    client
        .rename(
            &format!("{inbound}/INVOIC_0002.edi"),
            &format!("{inbound}/processed/INVOIC_0002.edi"),
        )
        .await
        .expect("rename");
    assert!(sshd.path("inbound/processed/INVOIC_0002.edi").is_file());
    assert!(!sshd.path("inbound/INVOIC_0002.edi").exists());
    client
        .remove(&format!("{inbound}/processed/INVOIC_0002.edi"))
        .await
        .expect("remove");
    assert!(!sshd.path("inbound/processed/INVOIC_0002.edi").exists());

    let missing = client
        .read_to_writer(&format!("{inbound}/nope.edi"), 0, &mut Vec::new())
        .await
        .expect_err("missing");
    assert_eq!(missing.code().as_str(), "api.not_found", "{missing}");
    client.close().await;
}

#[tokio::test]
async fn hostile_names_are_refused_and_odd_ones_listed_as_they_are() {
    let Some(sshd) = start_sshd().await else {
        return;
    };
    let client = connected(&sshd).await;
    let inbound = sshd.inbound();
    let long = "x".repeat(256);
    for name in [
        "",
        ".",
        "..",
        "../escape.edi",
        "a/b.edi",
        "line\nbreak.edi",
        long.as_str(),
    ] {
        let error = client
            .write_from_reader(&inbound, name, &mut &b"x"[..])
            .await
            .expect_err(name);
        assert_eq!(error.code().as_str(), "input.invalid", "{name:?}: {error}");
    }
    assert!(!sshd.path("escape.edi").exists());
    // A name a partner's system may produce (unicode, newline) is listed unchanged.
    std::fs::write(sshd.path("inbound/Rechnung über\nzwei Zeilen.pdf"), b"%PDF").expect("odd");
    let names: Vec<String> = client
        .list(&inbound)
        .await
        .expect("list")
        .into_iter()
        .map(|entry| entry.name)
        .collect();
    assert!(
        names.iter().any(|n| n == "Rechnung über\nzwei Zeilen.pdf"),
        "{names:?}"
    );
    client.close().await;
}

#[tokio::test]
async fn a_server_that_dies_mid_transfer_is_named_and_leaves_no_final_file() {
    let Some(mut sshd) = start_sshd().await else {
        return;
    };
    let client = connected(&sshd).await;
    let inbound = sshd.inbound();
    // A reader that stops the server after the first chunk.
    struct KillAfterFirst<'a> {
        sent: bool,
        sshd: &'a mut Sshd,
    }
    impl tokio::io::AsyncRead for KillAfterFirst<'_> {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            if self.sent {
                // Kill sshd and every session process it forked.
                let pid = self.sshd.child.id();
                let _ = Command::new("pkill")
                    .args(["-KILL", "-P", &pid.to_string()])
                    .status();
                let _ = self.sshd.child.kill();
                std::thread::sleep(Duration::from_millis(200));
                buf.put_slice(&[7u8; 65536]);
            } else {
                self.sent = true;
                buf.put_slice(&[1u8; 65536]);
            }
            std::task::Poll::Ready(Ok(()))
        }
    }
    let mut reader = KillAfterFirst {
        sent: false,
        sshd: &mut sshd,
    };
    let outcome = tokio::time::timeout(
        Duration::from_secs(60),
        client.write_from_reader(&inbound, "ORDERS_0002.edi", &mut reader),
    )
    .await
    .expect("fails in time");
    let error = outcome.expect_err("the server is gone");
    assert!(
        matches!(
            error.code().as_str(),
            "net.interrupted" | "net.timeout" | "api.unexpected"
        ),
        "{}: {error}",
        error.code().as_str()
    );
    assert!(error.to_string().contains("127.0.0.1"), "{error}");
    assert!(
        !sshd.path("inbound/ORDERS_0002.edi").exists(),
        "no half file under the final name"
    );
}
