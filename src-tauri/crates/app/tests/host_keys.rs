//! SFTP host keys through the commands the Settings screen calls, against a real OpenSSH server
//! on 127.0.0.1 whose host key is regenerated between connections: an unknown key is refused
//! with its fingerprint as data, accepting it (`accept_host_key`) pins it in the connector's
//! settings and the app's `known_hosts` (which `ssh-keygen -F` reads), a changed key is refused
//! with both fingerprints and the server's log shows no sign-in attempt. Needs the keychain
//! (`bash .ci/with-keyring.sh`) and `/usr/sbin/sshd` (`PD_SSHD` overrides it).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use pd_app::commands;
use pd_domain::{ConnectorInput, ConnectorSettings, SftpAuth, SftpHostKey, SftpSettings};

struct Sshd {
    dir: tempfile::TempDir,
    child: Child,
    binary: String,
    port: u16,
    user: String,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "pd-test", "-f"])
        .arg(path)
        .status()
        .expect("run ssh-keygen");
    assert!(status.success());
}

fn fingerprint_of(public_key: &Path) -> String {
    let output = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(public_key)
        .output()
        .expect("ssh-keygen -l");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .nth(1)
        .expect("fingerprint")
        .to_owned()
}

fn spawn(binary: &str, root: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(root.join("sshd.log"))
        .expect("log");
    Command::new(binary)
        .args(["-D", "-e", "-f"])
        .arg(root.join("sshd_config"))
        .stdin(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start sshd")
}

async fn wait_listening(port: u16) {
    eventually("sshd listens", Duration::from_secs(10), || async move {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
    })
    .await;
}

impl Sshd {
    async fn start() -> Option<Sshd> {
        let binary = std::env::var("PD_SSHD").unwrap_or_else(|_| "/usr/sbin/sshd".into());
        if !Path::new(&binary).is_file() {
            assert!(
                std::env::var("PD_REQUIRE_TEST_PEERS").as_deref() != Ok("1"),
                "{binary} is missing (install openssh-server)"
            );
            eprintln!("SKIPPED: {binary} is missing");
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        keygen(&root.join("host_ed25519"));
        keygen(&root.join("client_ed25519"));
        std::fs::copy(
            root.join("client_ed25519.pub"),
            root.join("authorized_keys"),
        )
        .expect("ak");
        std::fs::create_dir_all("/run/sshd").ok();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("addr")
            .port();
        std::fs::write(
            root.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {root}/host_ed25519\nPidFile {root}/sshd.pid\n\
                 AuthorizedKeysFile {root}/authorized_keys\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nStrictModes no\nUsePAM no\nLogLevel DEBUG1\n\
                 Subsystem sftp internal-sftp\n",
                root = root.display()
            ),
        )
        .expect("config");
        let child = spawn(&binary, root);
        let user =
            String::from_utf8_lossy(&Command::new("id").arg("-un").output().expect("id").stdout)
                .trim()
                .to_owned();
        let server = Sshd {
            dir,
            child,
            binary,
            port,
            user,
        };
        wait_listening(port).await;
        Some(server)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn fingerprint(&self) -> String {
        fingerprint_of(&self.path("host_ed25519.pub"))
    }

    fn auth_requests(&self) -> usize {
        std::fs::read_to_string(self.path("sshd.log"))
            .unwrap_or_default()
            .matches("userauth-request")
            .count()
    }

    async fn regenerate_host_key(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for file in ["host_ed25519", "host_ed25519.pub"] {
            std::fs::remove_file(self.path(file)).expect("remove");
        }
        keygen(&self.path("host_ed25519"));
        self.child = spawn(&self.binary, self.dir.path());
        wait_listening(self.port).await;
    }

    fn settings(&self, host: &str) -> ConnectorSettings {
        ConnectorSettings::Sftp(SftpSettings {
            host: host.into(),
            port: self.port,
            user: self.user.clone(),
            auth: SftpAuth::PrivateKey {
                path: self.path("client_ed25519").to_string_lossy().into_owned(),
            },
            remote_dir: None,
            host_key: None,
        })
    }
}

fn pinned(view: &pd_domain::ConnectorView) -> Option<SftpHostKey> {
    match &view.settings {
        ConnectorSettings::Sftp(sftp) => sftp.host_key.clone(),
        _ => None,
    }
}

/// `ssh-keygen -F '[127.0.0.1]:port' -f known_hosts -l`: the fingerprints it finds.
fn ssh_keygen_finds(known_hosts: &Path, port: u16) -> String {
    let output = Command::new("ssh-keygen")
        .args(["-l", "-F", &format!("[127.0.0.1]:{port}"), "-f"])
        .arg(known_hosts)
        .output()
        .expect("ssh-keygen -F");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sftp_host_key_is_accepted_once_seen_pinned_and_a_changed_one_refused() {
    let Some(namespace) = keychain_namespace() else {
        return;
    };
    let Some(mut sshd) = Sshd::start().await else {
        return;
    };
    let dirs = Dirs::new(namespace);
    let state = start(&dirs).await;
    let known_hosts = dirs.config.join("known_hosts");

    let saved = commands::save_connector(
        &state,
        ConnectorInput {
            id: None,
            name: "Partner drop folder".into(),
            settings: sshd.settings("127.0.0.1"),
            secret: None,
        },
    )
    .await
    .expect("saved");
    let id = saved.id.clone();

    // Unknown: refused with the key as data; the server saw no sign-in attempt.
    let first = sshd.fingerprint();
    let result = commands::test_connector(&state, id.clone())
        .await
        .expect("test runs");
    assert!(!result.ok);
    assert_eq!(
        result.code.map(|c| c.as_str()),
        Some("ssh.host_key_unknown")
    );
    let check = result.host_key.expect("key as data");
    assert_eq!(check.presented.fingerprint, first);
    assert_eq!(check.presented.key_type, "ED25519");
    assert!(result.message.contains(&first), "{}", result.message);
    assert_eq!(sshd.auth_requests(), 0);

    // Accepting a fingerprint the server does not present is refused; nothing is stored.
    let wrong = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let refused = commands::accept_host_key(&state, id.clone(), wrong.into())
        .await
        .expect_err("not the key the server presents");
    assert_eq!(refused.code().as_str(), "ssh.host_key_changed");
    assert!(refused.to_string().contains(&first), "{refused}");
    let listed = commands::list_connectors(&state).await.expect("list");
    assert_eq!(pinned(&listed[0]), None);
    assert!(!known_hosts.exists());

    // Accepting what the analyst saw pins it; the test connects; ssh-keygen finds it.
    let view = commands::accept_host_key(&state, id.clone(), first.clone())
        .await
        .expect("accepted");
    assert_eq!(
        pinned(&view).map(|key| key.fingerprint),
        Some(first.clone())
    );
    let result = commands::test_connector(&state, id.clone())
        .await
        .expect("test runs");
    assert!(result.ok, "{}", result.message);
    assert!(sshd.auth_requests() > 0, "the log counts sign-in attempts");
    assert!(ssh_keygen_finds(&known_hosts, sshd.port).contains(&first));

    // The pin survives a restart (it is in the settings file) and an edit from the form,
    // which never carries it.
    drop(state);
    let state = start(&dirs).await;
    let edited = commands::save_connector(
        &state,
        ConnectorInput {
            id: Some(id.clone()),
            name: "Partner drop folder (EDI)".into(),
            settings: sshd.settings("127.0.0.1"),
            secret: None,
        },
    )
    .await
    .expect("edited");
    assert_eq!(
        pinned(&edited).map(|key| key.fingerprint),
        Some(first.clone())
    );

    // Regenerated: refused with both fingerprints, and no sign-in attempt reaches the server.
    sshd.regenerate_host_key().await;
    let second = sshd.fingerprint();
    let before = sshd.auth_requests();
    let result = commands::test_connector(&state, id.clone())
        .await
        .expect("test runs");
    assert_eq!(
        result.code.map(|c| c.as_str()),
        Some("ssh.host_key_changed")
    );
    let check = result.host_key.expect("keys as data");
    assert_eq!(check.presented.fingerprint, second);
    assert_eq!(
        check.accepted.map(|key| key.fingerprint),
        Some(first.clone())
    );
    assert!(result.message.contains(&first) && result.message.contains(&second));
    assert_eq!(sshd.auth_requests(), before, "nothing was sent");

    // The old fingerprint cannot be accepted again; the new one, once compared, can.
    let refused = commands::accept_host_key(&state, id.clone(), first.clone())
        .await
        .expect_err("the server presents another key now");
    assert_eq!(refused.code().as_str(), "ssh.host_key_changed");
    commands::accept_host_key(&state, id.clone(), second.clone())
        .await
        .expect("accepted");
    let result = commands::test_connector(&state, id.clone())
        .await
        .expect("test runs");
    assert!(result.ok, "{}", result.message);
    let found = ssh_keygen_finds(&known_hosts, sshd.port);
    assert!(
        found.contains(&second) && !found.contains(&first),
        "{found}"
    );

    // Another host is another server: the pin does not follow an edited address.
    let moved = commands::save_connector(
        &state,
        ConnectorInput {
            id: Some(id.clone()),
            name: "Partner drop folder (EDI)".into(),
            settings: sshd.settings("localhost"),
            secret: None,
        },
    )
    .await
    .expect("edited");
    assert_eq!(pinned(&moved), None);
    let result = commands::test_connector(&state, id)
        .await
        .expect("test runs");
    assert_eq!(
        result.code.map(|c| c.as_str()),
        Some("ssh.host_key_unknown")
    );

    // A form cannot smuggle a key in: a new connector's host key is whatever was accepted (none).
    let forged = match sshd.settings("127.0.0.1") {
        ConnectorSettings::Sftp(sftp) => ConnectorSettings::Sftp(SftpSettings {
            host_key: pinned(&commands::list_connectors(&state).await.expect("list")[0]).or_else(
                || {
                    Some(SftpHostKey {
                        algorithm: "ssh-ed25519".into(),
                        public_key: "AAAAC3NzaC1lZDI1NTE5AAAAIBogus".into(),
                        fingerprint: "SHA256:bogus".into(),
                    })
                },
            ),
            ..sftp
        }),
        other => other,
    };
    let new = commands::save_connector(
        &state,
        ConnectorInput {
            id: None,
            name: "Forged".into(),
            settings: forged,
            secret: None,
        },
    )
    .await
    .expect("saved");
    assert_eq!(pinned(&new), None);
}
