//! Test harness: `partnerdesk-server` as a real process on a loopback port, with a config file
//! in a temp folder, waited for until `/healthz` answers, killed when dropped.
#![allow(dead_code, missing_docs, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pd_collab_contract::Target;

pub const COMPANY: &str = "GC00804444LX";
pub const CLIENT: &str = "anna";
pub const SECRET: &str = "anna-secret-0123456789";
pub const NAME: &str = "Anna Keller";
pub const TOKEN_SECRET: &str = "test-token-secret-0123456789abcdef";

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_partnerdesk-server")
}

/// A running server process.
pub struct ServerProcess {
    pub child: Child,
    pub base_url: String,
    pub dir: PathBuf,
    pub stderr: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    /// The log lines so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

/// The config text for a database URL (`None`: a SQLite file in the folder), with extra lines.
pub fn config_text(database: &str, extra: &str) -> String {
    format!(
        r#"listen = "127.0.0.1:0"
database = "{database}"
companies = ["{COMPANY}", "GC-SECOND"]
token_secret = "{TOKEN_SECRET}"
log_format = "json"
{extra}

[[clients]]
id = "{CLIENT}"
secret = "{SECRET}"
name = "{NAME}"

[[clients]]
id = "integration"
secret = "integration-secret-0123"
name = "ERP integration"
"#
    )
}

/// Starts `serve` with this config text in a fresh temp folder.
pub fn start_with_config(config: &str) -> ServerProcess {
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path().to_path_buf();
    let mut server = start_in(&dir, config, &[]);
    server._temp = Some(temp);
    server
}

/// Starts `serve` with `config` written to `dir/server.toml` (the folder is kept by the caller).
pub fn start_in(dir: &Path, config: &str, env: &[(&str, &str)]) -> ServerProcess {
    let path = dir.join("server.toml");
    std::fs::write(&path, config).expect("write config");
    let stderr = dir.join(format!("stderr-{}.log", uuid::Uuid::new_v4().simple()));
    let mut command = Command::new(binary());
    command
        .args(["serve", "--config"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr).expect("stderr file"));
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("spawn partnerdesk-server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read stdout");
    let base_url = line
        .trim()
        .strip_prefix("partnerdesk-server listening on ")
        .unwrap_or_else(|| {
            panic!(
                "the server did not start: {line:?}; stderr: {}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            )
        })
        .to_string();
    wait_healthy(&base_url);
    ServerProcess {
        child,
        base_url,
        dir: dir.to_path_buf(),
        stderr,
        _temp: None,
    }
}

/// Polls `/healthz` until it answers 200 (at most 20 s).
pub fn wait_healthy(base_url: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if probe::status(&format!("{base_url}/healthz")) == Some(200) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{base_url}/healthz never answered 200");
}

mod probe {
    //! A tiny blocking GET over std, so the harness needs no runtime.
    use std::io::{Read, Write};
    use std::net::TcpStream;

    pub fn status(url: &str) -> Option<u16> {
        let rest = url.strip_prefix("http://")?;
        let (host, path) = rest
            .split_once('/')
            .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
        let mut stream = TcpStream::connect(host).ok()?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        answer.split_whitespace().nth(1)?.parse().ok()
    }
}

/// A server on `database` (`None`: SQLite in a temp folder) as a contract target.
pub async fn server_target(database: Option<String>) -> (Target, ServerProcess) {
    let temp = tempfile::tempdir().expect("tempdir");
    let database = database.unwrap_or_else(|| "sqlite:cases.sqlite".to_string());
    let mut server = start_in(temp.path(), &config_text(&database, ""), &[]);
    server._temp = Some(temp);
    let target = Target {
        base_url: server.base_url.clone(),
        company: COMPANY.into(),
        client_id: CLIENT.into(),
        client_secret: SECRET.into(),
        partner: "GC-PARTNER-1".into(),
        owner: "anna.keller".into(),
        transactions: vec!["tx-0001".into(), "tx-0002".into()],
        unknown: None,
        author: Some(NAME.into()),
    };
    (target, server)
}

/// A bearer token for a client.
pub async fn token(base_url: &str, id: &str, secret: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!(
            "{base_url}/v1/oauth2/tokens?grant_type=client_credentials"
        ))
        .basic_auth(id, Some(secret))
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    body["access_token"].as_str().expect("token").to_string()
}
