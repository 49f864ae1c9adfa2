//! A real OpenSSH server for tests, so SFTP folders and deliveries are proven against the server
//! partners run, written once for every suite and the benchmark that needs one:
//! [`SshServer::start`] generates host, client and a spare ("other") ed25519 key with
//! `ssh-keygen` into a temporary directory, authorises the client key, writes an `sshd_config`
//! (loopback only, key auth, `Subsystem sftp internal-sftp <flags>`), runs `sshd -D` on a free
//! loopback port (`PD_SSHD` overrides `/usr/sbin/sshd`) and waits until it listens (bounded; the
//! error carries the server log). [`SshServer::stop`] and drop kill sshd and every session
//! process it started, so a test can stop the server mid-transfer and [`SshServer::run`] it
//! again on the same port with the same keys.
//!
//! When sshd is missing, [`SshServer::start_or_skip`] skips the test with a message, or fails it
//! when `PD_REQUIRE_TEST_PEERS=1` (CI), as the PostgreSQL and S3 tests do.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pd_domain::{SftpAuth, SftpHostKey, SftpSettings};

/// What can go wrong starting the test server.
#[derive(Debug, thiserror::Error)]
pub enum SshTestError {
    /// No sshd program was found.
    #[error(
        "{binary} is missing (install openssh-server: bash .ci/install.sh --test, or set PD_SSHD)"
    )]
    NotInstalled {
        /// Where it was looked for.
        binary: String,
    },
    /// A file-system or process step failed.
    #[error("{what}: {source}")]
    Io {
        /// The step.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A tool (`ssh-keygen`, `id`) failed or answered something unreadable.
    #[error("{what} failed: {output}")]
    Tool {
        /// The step.
        what: String,
        /// What it printed.
        output: String,
    },
    /// sshd did not listen in time.
    #[error("sshd did not listen on 127.0.0.1:{port} within {seconds} s; its log:\n{log}")]
    NotListening {
        /// The port it should listen on.
        port: u16,
        /// How long we waited.
        seconds: u64,
        /// Its log.
        log: String,
    },
}

type Result<T> = std::result::Result<T, SshTestError>;

/// How long sshd gets to listen after it is started.
const LISTEN_LIMIT: Duration = Duration::from_secs(10);

/// A running sshd, stopped with its session processes when dropped.
#[derive(Debug)]
pub struct SshServer {
    dir: tempfile::TempDir,
    child: Option<Child>,
    binary: PathBuf,
    port: u16,
    user: String,
    host_key: SftpHostKey,
    other_key: SftpHostKey,
}

fn io(what: &str) -> impl FnOnce(std::io::Error) -> SshTestError + '_ {
    move |source| SshTestError::Io {
        what: what.to_owned(),
        source,
    }
}

/// Runs a tool and answers its standard output.
fn tool(what: &str, command: &mut Command) -> Result<String> {
    let output = command.output().map_err(io(what))?;
    if !output.status.success() {
        return Err(SshTestError::Tool {
            what: what.to_owned(),
            output: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn keygen(path: &Path) -> Result<()> {
    tool(
        "ssh-keygen",
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "pd-test", "-f"])
            .arg(path),
    )
    .map(|_| ())
}

/// The SHA256 fingerprint of a public key file, as `ssh-keygen -l` prints it (`SHA256:…`).
pub fn fingerprint_of(public_key: &Path) -> Result<String> {
    let listed = tool(
        "ssh-keygen -l",
        Command::new("ssh-keygen")
            .args(["-l", "-E", "sha256", "-f"])
            .arg(public_key),
    )?;
    listed
        .split_whitespace()
        .nth(1)
        .map(str::to_owned)
        .ok_or_else(|| SshTestError::Tool {
            what: "ssh-keygen -l".into(),
            output: format!("no fingerprint in {listed:?}"),
        })
}

/// A public key file as the connector settings pin it.
fn host_key_of(public_key: &Path) -> Result<SftpHostKey> {
    let line = std::fs::read_to_string(public_key).map_err(io("read a public key"))?;
    let mut fields = line.split_whitespace();
    let (Some(algorithm), Some(key)) = (fields.next(), fields.next()) else {
        return Err(SshTestError::Tool {
            what: "read a public key".into(),
            output: format!("unreadable key file {}", public_key.display()),
        });
    };
    Ok(SftpHostKey {
        algorithm: algorithm.to_owned(),
        public_key: key.to_owned(),
        fingerprint: fingerprint_of(public_key)?,
    })
}

/// A loopback port nothing listens on right now.
fn free_port() -> Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(io("bind a free loopback port"))
}

/// The processes below `root` (children, grandchildren, …: sshd's session processes), read
/// from /proc.
/// Sends `kill -s <name>` to one process; a process already gone is not an error here.
fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .args(["-s", name, "--", &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

fn descendants(root: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": the fields after the last ')'.
        if let Some(ppid) = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok())
        {
            parent_of.push((pid, ppid));
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while let Some(&parent) = found.get(i) {
        found.extend(
            parent_of
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(child, _)| *child),
        );
        i += 1;
    }
    found.remove(0);
    found
}

impl SshServer {
    /// Starts a server whose SFTP subsystem runs `internal-sftp <sftp_flags>` (`-R`: read-only,
    /// `-P read`: reading refused), or answers `None` after printing why the test is skipped;
    /// panics when sshd is missing and `PD_REQUIRE_TEST_PEERS=1`, or when it is installed but
    /// fails to start (a real failure, not a skip).
    #[allow(clippy::panic)]
    pub fn start_or_skip(sftp_flags: &str) -> Option<SshServer> {
        match SshServer::start(sftp_flags) {
            Ok(server) => Some(server),
            Err(missing @ SshTestError::NotInstalled { .. }) => {
                if std::env::var("PD_REQUIRE_TEST_PEERS").as_deref() == Ok("1") {
                    panic!("PD_REQUIRE_TEST_PEERS=1 but {missing}");
                }
                eprintln!("SKIPPED: {missing}");
                None
            }
            Err(error) => panic!("cannot start the test sshd: {error}"),
        }
    }

    /// Generates the keys, writes the config with an empty `inbound/` folder and starts sshd,
    /// waiting until it listens.
    pub fn start(sftp_flags: &str) -> Result<SshServer> {
        let binary = std::env::var("PD_SSHD").unwrap_or_else(|_| "/usr/sbin/sshd".into());
        if !Path::new(&binary).is_file() {
            return Err(SshTestError::NotInstalled { binary });
        }
        let dir = tempfile::tempdir().map_err(io("create the sshd directory"))?;
        let root = dir.path();
        for key in ["host_ed25519", "client_ed25519", "other_ed25519"] {
            keygen(&root.join(key))?;
        }
        std::fs::copy(
            root.join("client_ed25519.pub"),
            root.join("authorized_keys"),
        )
        .map_err(io("authorise the client key"))?;
        std::fs::create_dir_all(root.join("inbound")).map_err(io("create the inbox"))?;
        // The privilege-separation directory sshd insists on.
        std::fs::create_dir_all("/run/sshd").ok();
        let user = tool("id -un", Command::new("id").arg("-un"))?
            .trim()
            .to_owned();
        let mut server = SshServer {
            host_key: host_key_of(&root.join("host_ed25519.pub"))?,
            other_key: host_key_of(&root.join("other_ed25519.pub"))?,
            port: free_port()?,
            dir,
            child: None,
            binary: PathBuf::from(binary),
            user,
        };
        server.set_sftp_flags(sftp_flags)?;
        server.run()?;
        Ok(server)
    }

    /// Rewrites the config with other `internal-sftp` flags; they take effect at the next
    /// [`SshServer::run`].
    pub fn set_sftp_flags(&mut self, sftp_flags: &str) -> Result<()> {
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {root}/host_ed25519\nPidFile {root}/sshd.pid\n\
             AuthorizedKeysFile {root}/authorized_keys\nPermitRootLogin prohibit-password\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nStrictModes no\nUsePAM no\n\
             Subsystem sftp internal-sftp {sftp_flags}\n",
            port = self.port,
            root = self.dir.path().display()
        );
        std::fs::write(self.path("sshd_config"), config).map_err(io("write sshd_config"))
    }

    /// Starts sshd (again, after [`SshServer::stop`]) on its port and waits until it listens.
    pub fn run(&mut self) -> Result<()> {
        self.stop();
        let log_path = self.path("sshd.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(io("open sshd.log"))?;
        // Only what this run writes counts: an earlier run's "listening" line must not.
        let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
        let child = Command::new(&self.binary)
            .args(["-D", "-e", "-f"])
            .arg(self.path("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(io("start sshd"))?;
        self.child = Some(child);
        // Waits for sshd's own "Server listening" line rather than probing the port: a probe is a
        // connection sshd forks a session process for, which a stop right after could miss.
        let listening = format!("Server listening on 127.0.0.1 port {}", self.port);
        let started = Instant::now();
        loop {
            let written = std::fs::read(&log_path).unwrap_or_default();
            let this_run =
                String::from_utf8_lossy(written.get(log_start as usize..).unwrap_or(&[]));
            if this_run.contains(&listening) {
                return Ok(());
            }
            let exited = self
                .child
                .as_mut()
                .is_none_or(|child| matches!(child.try_wait(), Ok(Some(_))));
            if exited || started.elapsed() > LISTEN_LIMIT {
                self.stop();
                return Err(SshTestError::NotListening {
                    port: self.port,
                    seconds: LISTEN_LIMIT.as_secs(),
                    log: this_run.into_owned(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops sshd and every session process it forked, so that nothing listens on the port when
    /// this returns. sshd is frozen first (SIGSTOP) and then each generation of its descendants,
    /// until no new one appears, so that no process forked during the stop escapes the kill (an
    /// escaped session process still holding the listening socket kept the port open).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let root = child.id();
            signal(root, "STOP");
            let mut frozen: Vec<u32> = Vec::new();
            loop {
                let unseen: Vec<u32> = descendants(root)
                    .into_iter()
                    .filter(|pid| !frozen.contains(pid))
                    .collect();
                if unseen.is_empty() {
                    break;
                }
                for pid in unseen {
                    signal(pid, "STOP");
                    frozen.push(pid);
                }
            }
            let _ = child.kill();
            let _ = child.wait();
            for pid in frozen {
                signal(pid, "KILL");
            }
        }
    }

    /// A file in the server's temporary directory (keys, config, log, folders).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The user it accepts (the one running the test).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The `inbound/` folder (empty at start), absolute, as the server sees it.
    pub fn inbox(&self) -> PathBuf {
        self.path("inbound")
    }

    /// The host key the server presents.
    pub fn host_key(&self) -> SftpHostKey {
        self.host_key.clone()
    }

    /// Another key, which the server does not present (a "changed" host key).
    pub fn other_key(&self) -> SftpHostKey {
        self.other_key.clone()
    }

    /// The SHA256 fingerprint of the host key, as the analyst compares it.
    pub fn fingerprint(&self) -> &str {
        &self.host_key.fingerprint
    }

    /// Connector settings for it: the client key, and `host_key` pinned (`None`: not yet
    /// accepted).
    pub fn settings(&self, host_key: Option<SftpHostKey>) -> SftpSettings {
        SftpSettings {
            host: "127.0.0.1".into(),
            port: self.port,
            user: self.user.clone(),
            auth: SftpAuth::PrivateKey {
                path: self.path("client_ed25519").to_string_lossy().into_owned(),
            },
            remote_dir: None,
            host_key,
        }
    }

    /// Connector settings with its host key accepted.
    pub fn accepted(&self) -> SftpSettings {
        self.settings(Some(self.host_key()))
    }

    /// The inbox's file names, sorted.
    ///
    /// # Panics
    /// When the inbox cannot be read (a test failure, with the reason).
    #[allow(clippy::panic)]
    pub fn listing(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.inbox())
            .unwrap_or_else(|error| panic!("read the inbox: {error}"))
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_started_server_listens_stops_and_starts_again_on_its_port() {
        let Some(mut server) = SshServer::start_or_skip("") else {
            return;
        };
        let port = server.port();
        assert!(server.fingerprint().starts_with("SHA256:"));
        assert_ne!(server.host_key(), server.other_key());
        assert!(server.listing().is_empty());
        server.stop();
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "nothing listens on {port} after stop"
        );
        server.run().expect("starts again");
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        let dir = server.path("");
        drop(server);
        assert!(!dir.exists(), "the temporary directory is removed");
    }
}
