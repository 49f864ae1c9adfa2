//! A real OpenSSH server for `folder-bench`'s SFTP side, as the SFTP tests start one: its own
//! config, host and client keys and folders in a temporary directory, `sshd -D` on a free
//! loopback port (`PD_SSHD` overrides `/usr/sbin/sshd`), waited for until it listens, stopped
//! with every session process it started when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pd_domain::{SftpAuth, SftpHostKey, SftpSettings};

use crate::error::{BenchError, Result};

/// A running sshd, stopped on drop.
pub struct Sshd {
    dir: tempfile::TempDir,
    child: Option<Child>,
    port: u16,
    user: String,
}

fn run(program: &str, args: &[&str], path: &Path) -> Result<String> {
    let out = Command::new(program)
        .args(args)
        .arg(path)
        .output()
        .map_err(|e| BenchError::Check(format!("{program}: {e}")))?;
    if !out.status.success() {
        return Err(BenchError::Check(format!(
            "{program} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The processes below `root`, read from /proc.
fn descendants(root: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
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
                .map(|(c, _)| *c),
        );
        i += 1;
    }
    found.remove(0);
    found
}

impl Sshd {
    /// Starts sshd with an `inbound/` folder; `None` when sshd is not installed.
    pub fn start() -> Result<Option<Sshd>> {
        let binary = std::env::var("PD_SSHD").unwrap_or_else(|_| "/usr/sbin/sshd".into());
        if !Path::new(&binary).is_file() {
            return Ok(None);
        }
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        for key in ["host_ed25519", "client_ed25519"] {
            run(
                "ssh-keygen",
                &["-q", "-t", "ed25519", "-N", "", "-C", "pd-bench", "-f"],
                &root.join(key),
            )?;
        }
        std::fs::copy(
            root.join("client_ed25519.pub"),
            root.join("authorized_keys"),
        )?;
        std::fs::create_dir_all(root.join("inbound/processed"))?;
        std::fs::create_dir_all("/run/sshd").ok();
        let user = String::from_utf8_lossy(&Command::new("id").arg("-un").output()?.stdout)
            .trim()
            .to_owned();
        let port = free_port()?;
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {root}/host_ed25519\nPidFile {root}/sshd.pid\n\
             AuthorizedKeysFile {root}/authorized_keys\nPermitRootLogin prohibit-password\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nStrictModes no\nUsePAM no\n\
             Subsystem sftp internal-sftp\n",
            root = root.display()
        );
        std::fs::write(root.join("sshd_config"), config)?;
        let child = Command::new(&binary)
            .args(["-D", "-e", "-f"])
            .arg(root.join("sshd_config"))
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let sshd = Sshd {
            dir,
            child: Some(child),
            port,
            user,
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                return Err(BenchError::Check("sshd did not listen within 10 s".into()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Some(sshd))
    }

    /// The folder files land in.
    pub fn inbound(&self) -> PathBuf {
        self.dir.path().join("inbound")
    }

    /// Connector settings for it, its host key accepted.
    pub fn settings(&self) -> Result<SftpSettings> {
        let public = self.dir.path().join("host_ed25519.pub");
        let line = std::fs::read_to_string(&public)?;
        let mut fields = line.split_whitespace();
        let (Some(algorithm), Some(key)) = (fields.next(), fields.next()) else {
            return Err(BenchError::Check("unreadable host key".into()));
        };
        let fingerprint = run("ssh-keygen", &["-l", "-E", "sha256", "-f"], &public)?
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        Ok(SftpSettings {
            host: "127.0.0.1".into(),
            port: self.port,
            user: self.user.clone(),
            auth: SftpAuth::PrivateKey {
                path: self
                    .dir
                    .path()
                    .join("client_ed25519")
                    .to_string_lossy()
                    .into_owned(),
            },
            remote_dir: None,
            host_key: Some(SftpHostKey {
                algorithm: algorithm.to_owned(),
                public_key: key.to_owned(),
                fingerprint,
            }),
        })
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let mut pids = descendants(child.id());
            pids.reverse();
            let _ = child.kill();
            let _ = child.wait();
            for pid in pids {
                let _ = Command::new("kill")
                    .args(["-s", "KILL", "--", &pid.to_string()])
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }
}
