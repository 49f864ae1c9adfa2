//! Real S3 servers for tests, so retention is proven against a server that enforces it:
//! [`S3Peer::moto`] starts `moto_server` (PyPI `moto[server]`, in the virtual environment
//! `.ci/install.sh --test` creates) which serves multipart uploads, buckets with Object Lock,
//! governance and compliance retention and legal holds, and refuses to delete a locked version;
//! [`S3Peer::s3s_fs`] starts `s3s-fs`, which checks every SigV4 signature. Each is started on a
//! free loopback port, waited for until it answers HTTP, and killed when dropped.
//!
//! When a peer is missing, [`skip_or_fail`] skips the test with the reason, or fails it when
//! `PD_REQUIRE_TEST_PEERS=1` (CI).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Access key the peers accept (moto accepts any; s3s-fs is started with this one).
pub const ACCESS_KEY: &str = "PDRETAINACCESSKEY1";
/// Secret of [`ACCESS_KEY`].
pub const SECRET_KEY: &str = "pd-retain-secret/with+symbols=";
/// Region the clients sign for.
pub const REGION: &str = "us-east-1";

/// A running S3 server, killed on drop.
#[derive(Debug)]
pub struct S3Peer {
    child: Child,
    port: u16,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for S3Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `moto_server` program: `PD_MOTO_SERVER`, else the venv `.ci/install.sh --test` makes
/// (`$PARTNERDESK_TOOLS/moto/bin`, default `~/.cache/partnerdesk/tools`), else PATH.
pub fn moto_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PD_MOTO_SERVER") {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let tools = std::env::var_os("PARTNERDESK_TOOLS")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|home| PathBuf::from(home).join(".cache/partnerdesk/tools"))
        });
    if let Some(candidate) = tools.map(|tools| tools.join("moto/bin/moto_server")) {
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    on_path("moto_server")
}

/// The `s3s-fs` program: `PD_S3S_FS`, else the tools folder, else PATH.
pub fn s3s_fs_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PD_S3S_FS") {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if let Some(candidate) = home.map(|home| home.join(".cache/partnerdesk/tools/bin/s3s-fs")) {
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    on_path("s3s-fs")
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Skips (returns true, with the reason printed) unless `PD_REQUIRE_TEST_PEERS=1`, where a
/// missing peer fails the test instead.
pub fn skip_or_fail(reason: &str) -> bool {
    if std::env::var("PD_REQUIRE_TEST_PEERS").as_deref() == Ok("1") {
        panic!("PD_REQUIRE_TEST_PEERS=1 but {reason}");
    }
    eprintln!("SKIPPED: {reason}");
    true
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap_or(0)
}

/// True once `GET /` on the port gets any HTTP answer.
fn answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0_u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}

impl S3Peer {
    /// Starts `moto_server` on a free loopback port; `None` (after [`skip_or_fail`]) when it
    /// is not installed.
    pub fn moto() -> Option<S3Peer> {
        let Some(binary) = moto_binary() else {
            skip_or_fail("moto_server not found (bash .ci/install.sh --test makes its venv, or set PD_MOTO_SERVER)");
            return None;
        };
        let port = free_port();
        let child = Command::new(binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("starting moto_server: {error}"));
        Some(S3Peer::wait(child, port, None, "moto_server"))
    }

    /// Starts `s3s-fs` (signature checks with [`ACCESS_KEY`]/[`SECRET_KEY`]) over a temporary
    /// folder with the given buckets; `None` (after [`skip_or_fail`]) when not installed.
    pub fn s3s_fs(buckets: &[&str]) -> Option<S3Peer> {
        S3Peer::s3s_fs_in(&std::env::temp_dir(), buckets)
    }

    /// [`S3Peer::s3s_fs`] over a folder with `bytes` free for what the test will store: the
    /// system temporary folder when its disk has room, else the memory-backed `/dev/shm` (a
    /// machine like CI's keeps about 8 GB of disk free once everything is built, less than a
    /// large upload's parts and object). Panics naming both when neither has room.
    pub fn s3s_fs_with_room(buckets: &[&str], bytes: u64) -> Option<S3Peer> {
        let candidates = [std::env::temp_dir(), PathBuf::from("/dev/shm")];
        let free: Vec<(PathBuf, u64)> = candidates
            .into_iter()
            .map(|dir| {
                let free = free_bytes(&dir);
                (dir, free)
            })
            .collect();
        match free.iter().find(|(_, free)| *free > bytes) {
            Some((dir, _)) => S3Peer::s3s_fs_in(dir, buckets),
            None => panic!("the S3 peer needs {bytes} bytes free; there are only {free:?}"),
        }
    }

    fn s3s_fs_in(parent: &Path, buckets: &[&str]) -> Option<S3Peer> {
        let Some(binary) = s3s_fs_binary() else {
            skip_or_fail("s3s-fs not found (bash .ci/install.sh --test, or set PD_S3S_FS)");
            return None;
        };
        let dir = tempfile::tempdir_in(parent).unwrap_or_else(|error| panic!("temp dir: {error}"));
        for bucket in buckets {
            std::fs::create_dir(dir.path().join(bucket))
                .unwrap_or_else(|error| panic!("bucket folder: {error}"));
        }
        let port = free_port();
        let child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("starting s3s-fs: {error}"));
        Some(S3Peer::wait(child, port, Some(dir), "s3s-fs"))
    }

    fn wait(mut child: Child, port: u16, dir: Option<tempfile::TempDir>, name: &str) -> S3Peer {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if answers(port) {
                return S3Peer {
                    child,
                    port,
                    _dir: dir,
                };
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("{name} exited before answering: {status}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        panic!("{name} did not answer on 127.0.0.1:{port} within 30 s");
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

/// Free bytes on the file system of `path` (`df`, as the machine reports them), 0 when it
/// cannot be read.
pub fn free_bytes(path: &Path) -> u64 {
    Command::new("df")
        .args(["-B1", "--output=avail"])
        .arg(path)
        .output()
        .ok()
        .and_then(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .nth(1)
                .and_then(|line| line.trim().parse().ok())
        })
        .unwrap_or(0)
}
