//! A real PostgreSQL for tests: the server tests run their SQL against the engine a team will
//! deploy, not a stand-in. [`PgServer::start`] runs Debian's `initdb` (trust authentication,
//! superuser `pd`) into a temporary directory and `pg_ctl start` on a free loopback port with the
//! socket in that directory, waits until it answers (`pg_isready`, bounded; the error carries the
//! server log's tail), hands out one fresh database per test ([`PgServer::create_database`]) and
//! stops the server when dropped, also when a test panics.
//!
//! PostgreSQL refuses to run as root: as root the binaries run through `runuser -u postgres`
//! and the directory is handed to `postgres` first. When the binaries are missing,
//! [`PgServer::start_or_skip`] skips the test with a message, or fails it when
//! `PD_REQUIRE_TEST_PEERS=1` (CI), as the sshd and s3s-fs tests do.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// What can go wrong starting or using the test server.
#[derive(Debug, thiserror::Error)]
pub enum PgTestError {
    /// No PostgreSQL binaries were found.
    #[error("PostgreSQL is not installed (no initdb/pg_ctl under /usr/lib/postgresql/*/bin, PD_PG_BIN or PATH): apt-get install postgresql")]
    NotInstalled,
    /// A file-system step failed.
    #[error("{what}: {source}")]
    Io {
        /// The step.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A PostgreSQL tool exited with a failure.
    #[error("{what} failed ({status}): {output}")]
    Tool {
        /// The step.
        what: String,
        /// Its exit status.
        status: String,
        /// Its stdout and stderr, and the server log's tail when there is one.
        output: String,
    },
    /// The server did not answer in time.
    #[error("PostgreSQL on port {port} did not answer within {seconds} s; log tail:\n{log}")]
    NotReady {
        /// The port it should listen on.
        port: u16,
        /// How long we waited.
        seconds: u64,
        /// The end of its log.
        log: String,
    },
}

/// How long the server gets to answer after `pg_ctl start`.
const READY_LIMIT: Duration = Duration::from_secs(60);
/// The superuser `initdb` creates; tests connect as it (trust authentication, loopback only).
pub const USER: &str = "pd";

/// A running PostgreSQL, stopped when dropped.
pub struct PgServer {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
    next_db: AtomicU32,
    stopped: bool,
}

impl std::fmt::Debug for PgServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgServer")
            .field("port", &self.port)
            .field("dir", &self.dir.path())
            .finish()
    }
}

/// The directory of `initdb`/`pg_ctl`: `$PD_PG_BIN`, else the newest
/// `/usr/lib/postgresql/<version>/bin`, else the directory of `pg_ctl` on PATH.
pub fn find_bin_dir() -> Option<PathBuf> {
    let usable = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("PD_PG_BIN") {
        let dir = PathBuf::from(dir);
        return usable(&dir).then_some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            usable(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .find(|dir| usable(dir))
        .map(|dir| {
            std::fs::canonicalize(dir.join("pg_ctl"))
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf))
                .unwrap_or(dir)
        })
}

/// Whether this process runs as root (PostgreSQL then runs as `postgres`).
fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .is_some_and(|uid| uid.trim() == "0")
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> Result<u16, PgTestError> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|source| PgTestError::Io {
            what: "bind a free loopback port".into(),
            source,
        })?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|source| PgTestError::Io {
            what: "read the free port".into(),
            source,
        })
}

fn describe(output: &Output) -> String {
    let mut text = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let err = String::from_utf8_lossy(&output.stderr);
    if !err.trim().is_empty() {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(err.trim());
    }
    text
}

impl PgServer {
    /// Starts a server, or answers `None` after printing why the test is skipped; panics when
    /// PostgreSQL is missing and `PD_REQUIRE_TEST_PEERS=1`, or when it is installed but fails
    /// to start (that is a real failure, not a skip).
    #[allow(clippy::panic)]
    pub fn start_or_skip() -> Option<PgServer> {
        match PgServer::start() {
            Ok(server) => Some(server),
            Err(PgTestError::NotInstalled) => {
                let reason = PgTestError::NotInstalled.to_string();
                if std::env::var("PD_REQUIRE_TEST_PEERS").as_deref() == Ok("1") {
                    panic!("PD_REQUIRE_TEST_PEERS=1 but {reason}");
                }
                eprintln!("SKIPPED: {reason}");
                None
            }
            Err(e) => panic!("cannot start the test PostgreSQL: {e}"),
        }
    }

    /// Initialises and starts a server in a fresh temporary directory, and waits until it answers.
    pub fn start() -> Result<PgServer, PgTestError> {
        let bin = find_bin_dir().ok_or(PgTestError::NotInstalled)?;
        let as_postgres = running_as_root();
        let dir = tempfile::Builder::new()
            .prefix("pd-pg-")
            .tempdir()
            .map_err(|source| PgTestError::Io {
                what: "create the PostgreSQL directory".into(),
                source,
            })?;
        let port = free_port()?;
        let mut server = PgServer {
            bin,
            dir,
            port,
            as_postgres,
            next_db: AtomicU32::new(0),
            // Nothing to stop until pg_ctl start ran.
            stopped: true,
        };
        if as_postgres {
            server.run_plain(
                "chown the PostgreSQL directory to postgres",
                Command::new("chown")
                    .arg("postgres:postgres")
                    .arg(server.dir.path()),
            )?;
        }
        let data = server.data_dir();
        server.tool(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-A".as_ref(),
                "trust".as_ref(),
                "-U".as_ref(),
                USER.as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--no-sync".as_ref(),
            ],
        )?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            server.dir.path().display()
        );
        let log = server.log_path();
        server.stopped = false;
        let started = server.tool(
            "pg_ctl start",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-o".as_ref(),
                options.as_ref(),
                "-l".as_ref(),
                log.as_os_str(),
                "-w".as_ref(),
                "-t".as_ref(),
                READY_LIMIT.as_secs().to_string().as_ref(),
                "start".as_ref(),
            ],
        );
        if let Err(e) = started {
            return Err(match e {
                PgTestError::Tool {
                    what,
                    status,
                    output,
                } => PgTestError::Tool {
                    what,
                    status,
                    output: format!("{output}\nlog tail:\n{}", server.log_tail()),
                },
                other => other,
            });
        }
        server.wait_ready()?;
        Ok(server)
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A `postgres://` URL for database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates a fresh, empty database and answers its URL. Each call makes a new name.
    pub fn create_database(&self, label: &str) -> Result<String, PgTestError> {
        let n = self.next_db.fetch_add(1, Ordering::Relaxed);
        let clean: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        let name = format!("t{n}_{clean}");
        self.sql(&format!("CREATE DATABASE \"{name}\""))?;
        Ok(self.url(&name))
    }

    /// Runs one SQL statement in the `postgres` database through `psql`.
    pub fn sql(&self, statement: &str) -> Result<String, PgTestError> {
        let port = self.port.to_string();
        let output = Command::new(self.bin.join("psql"))
            .args(["-h", "127.0.0.1", "-p", &port, "-U", USER, "-d", "postgres"])
            .args([
                "-v",
                "ON_ERROR_STOP=1",
                "-X",
                "-q",
                "-t",
                "-A",
                "-c",
                statement,
            ])
            .output()
            .map_err(|source| PgTestError::Io {
                what: "run psql".into(),
                source,
            })?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
        } else {
            Err(PgTestError::Tool {
                what: format!("psql -c {statement:?}"),
                status: output.status.to_string(),
                output: describe(&output),
            })
        }
    }

    /// The last lines of the server log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Stops the server now (fast shutdown); dropping it does the same.
    pub fn stop(&mut self) -> Result<(), PgTestError> {
        if self.stopped {
            return Ok(());
        }
        self.stopped = true;
        let data = self.data_dir();
        self.tool(
            "pg_ctl stop",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-m".as_ref(),
                "fast".as_ref(),
                "-w".as_ref(),
                "stop".as_ref(),
            ],
        )
        .map(|_| ())
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("log")
    }

    /// Waits until `pg_isready` says the server accepts connections.
    fn wait_ready(&self) -> Result<(), PgTestError> {
        let deadline = Instant::now() + READY_LIMIT;
        let port = self.port.to_string();
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port,
                    "-U",
                    USER,
                    "-d",
                    "postgres",
                    "-t",
                    "2",
                ])
                .output()
                .is_ok_and(|o| o.status.success());
            if ready {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(PgTestError::NotReady {
                    port: self.port,
                    seconds: READY_LIMIT.as_secs(),
                    log: self.log_tail(),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs a PostgreSQL tool from the bin directory, as `postgres` when we are root.
    fn tool(&self, what: &str, args: &[&std::ffi::OsStr]) -> Result<Output, PgTestError> {
        let program = self.bin.join(what.split(' ').next().unwrap_or(what));
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.args(args).current_dir(self.dir.path());
        self.run_plain(what, &mut command)
    }

    fn run_plain(&self, what: &str, command: &mut Command) -> Result<Output, PgTestError> {
        let output = command.output().map_err(|source| PgTestError::Io {
            what: format!("run {what}"),
            source,
        })?;
        if output.status.success() {
            Ok(output)
        } else {
            Err(PgTestError::Tool {
                what: what.to_string(),
                status: output.status.to_string(),
                output: describe(&output),
            })
        }
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("stopping the test PostgreSQL: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_started_server_answers_makes_databases_and_is_gone_after_drop() {
        let Some(server) = PgServer::start_or_skip() else {
            return;
        };
        let port = server.port();
        let url = server.create_database("first").expect("create a database");
        assert!(url.ends_with("/t0_first"), "{url}");
        let second = server.create_database("first").expect("a second one");
        assert_ne!(url, second, "each call makes a new database");
        let names = server
            .sql("SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE datname ~ '^t[0-9]'")
            .expect("list databases");
        assert_eq!(names, "t0_first,t1_first");
        let dir = server.dir.path().to_path_buf();
        drop(server);
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "nothing listens on {port} after drop"
        );
        assert!(!dir.exists(), "the temporary directory is removed");
    }

    #[test]
    fn a_bad_statement_is_a_clear_error() {
        let Some(server) = PgServer::start_or_skip() else {
            return;
        };
        let err = server.sql("SELEC 1").expect_err("a syntax error");
        let text = err.to_string();
        assert!(text.contains("syntax error"), "{text}");
    }
}
