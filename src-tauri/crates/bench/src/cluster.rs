//! Several `partnerdesk-server` processes on one database, for the fault run and the server
//! benchmark: the real binary spawned with a config file, killed with SIGKILL and started again;
//! a loopback TCP proxy in front of each process (a fixed address for the clients while the
//! process behind it comes and goes) that can cut connections at random; and an analyst, a
//! cache file of the app's own store synced with the app's own push (`pd_sync::push`) and the
//! case part of its pull (change-feed pages stored with their cursor by
//! `Store::apply_case_page`, as `pd_sync`'s pull does; the server keeps no directory, so
//! partners, users and transactions are invented ids it accepts).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use pd_domain::{CaseKind, CasePatch, CaseStatus, NewCase, Priority, Visibility};
use pd_store::Store;
use pd_sync::{push, PushOptions, PushReport};
use pd_tradinggrid::{ClientConfig, TradingGridClient};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::error::{BenchError, Result};

/// One OAuth2 client of the server (an analyst).
#[derive(Debug, Clone)]
pub struct ServerClient {
    /// Client id.
    pub id: String,
    /// Client secret.
    pub secret: String,
    /// Display name (the author of its comments).
    pub name: String,
}

impl ServerClient {
    /// Client `n`: `analyst-n`.
    pub fn numbered(n: usize) -> ServerClient {
        ServerClient {
            id: format!("analyst-{n}"),
            secret: format!("analyst-{n}-secret-0123456789"),
            name: format!("Analyst {n}"),
        }
    }
}

/// A server config file's text: loopback, any free port, this database and company, these clients.
pub fn server_config(database: &str, company: &str, clients: &[ServerClient]) -> String {
    let mut text = format!(
        "listen = \"127.0.0.1:0\"\ndatabase = \"{database}\"\ncompanies = [\"{company}\"]\n\
         token_secret = \"cluster-token-secret-0123456789abcdef\"\nlog_format = \"json\"\n"
    );
    for client in clients {
        text.push_str(&format!(
            "\n[[clients]]\nid = \"{}\"\nsecret = \"{}\"\nname = \"{}\"\n",
            client.id, client.secret, client.name
        ));
    }
    text
}

/// A `partnerdesk-server serve` process; killed (SIGKILL) when dropped.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    /// Spawns `bin serve --config config`, logs appended to `log`, and waits for the line that
    /// says where it listens (it prints it once the database is migrated and the port bound).
    pub fn start(bin: &Path, config: &Path, log: &Path) -> Result<ServerProcess> {
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        let mut child = Command::new(bin)
            .args(["serve", "--config"])
            .arg(config)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|e| BenchError::Check(format!("cannot run {}: {e}", bin.display())))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| BenchError::Check("no stdout".into()))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let addr = line
            .trim()
            .strip_prefix("partnerdesk-server listening on http://")
            .and_then(|a| a.parse::<SocketAddr>().ok());
        match addr {
            Some(addr) => Ok(ServerProcess { child, addr }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(BenchError::Check(format!(
                    "partnerdesk-server did not start ({line:?}); log tail:\n{}",
                    tail(log, 20)
                )))
            }
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// SIGKILL, and reap it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The last `n` lines of a file.
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A loopback TCP proxy in front of one server process. While no backend is set, connections
/// are accepted and closed at once (as a dead process would). With cuts on, each connection
/// gets a random byte budget (exponential, of the given mean) and is cut when it is spent, in the
/// middle of a request or an answer.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    backend: Arc<Mutex<Option<SocketAddr>>>,
    mean_budget: Arc<AtomicU64>,
    cuts: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on a free loopback port.
    pub async fn start() -> Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let backend: Arc<Mutex<Option<SocketAddr>>> = Arc::new(Mutex::new(None));
        let mean_budget = Arc::new(AtomicU64::new(0));
        let cuts = Arc::new(AtomicU64::new(0));
        let (b, m, c) = (
            Arc::clone(&backend),
            Arc::clone(&mean_budget),
            Arc::clone(&cuts),
        );
        let task = tokio::spawn(async move {
            let mut seed = 1u64;
            while let Ok((socket, _)) = listener.accept().await {
                seed += 1;
                let target = *b.lock().unwrap_or_else(|p| p.into_inner());
                let mean = m.load(Ordering::Relaxed);
                let cuts = Arc::clone(&c);
                let m2 = Arc::clone(&m);
                tokio::spawn(async move {
                    let Some(target) = target else {
                        return;
                    };
                    let Ok(server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let budget = if mean == 0 {
                        u64::MAX
                    } else {
                        let mut rng = StdRng::seed_from_u64(seed);
                        let u: f64 = rng.gen_range(f64::EPSILON..1.0);
                        (-u.ln() * mean as f64) as u64
                    };
                    if pipe(socket, server, budget, &m2).await {
                        cuts.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        Ok(FaultProxy {
            addr,
            backend,
            mean_budget,
            cuts,
            task,
        })
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Where new connections go (`None`: closed at once).
    pub fn set_backend(&self, backend: Option<SocketAddr>) {
        *self.backend.lock().unwrap_or_else(|p| p.into_inner()) = backend;
    }

    /// Cut connections after a random number of bytes of this mean (0: never).
    pub fn set_cuts(&self, mean_bytes: u64) {
        self.mean_budget.store(mean_bytes, Ordering::Relaxed);
    }

    /// Connections cut so far.
    pub fn cuts(&self) -> u64 {
        self.cuts.load(Ordering::Relaxed)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies both ways until either side closes (false) or `budget` bytes have passed (true: cut);
/// once cuts are switched off (`mean` 0) nothing is cut any more.
async fn pipe(
    mut client: TcpStream,
    mut server: TcpStream,
    mut budget: u64,
    mean: &AtomicU64,
) -> bool {
    let (mut client_read, mut client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();
    let mut up = vec![0u8; 16 * 1024];
    let mut down = vec![0u8; 16 * 1024];
    loop {
        let (n, to_server) = tokio::select! {
            n = client_read.read(&mut up) => (n, true),
            n = server_read.read(&mut down) => (n, false),
        };
        let n = match n {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        let (buf, out) = if to_server {
            (&up[..n], &mut server_write)
        } else {
            (&down[..n], &mut client_write)
        };
        if n as u64 >= budget && mean.load(Ordering::Relaxed) > 0 {
            let part = usize::try_from(budget).unwrap_or(0);
            let _ = out.write_all(&buf[..part]).await;
            return true;
        }
        budget = budget.saturating_sub(n as u64);
        if out.write_all(buf).await.is_err() {
            return false;
        }
    }
}

/// The cursor key of the case change feed in the cache (`pd_sync`'s).
const CASES_CURSOR: &str = "collab.cases";

/// An analyst: the app's cache file, the app's push and case pull, and one or more addresses of
/// the case server (used in turn).
pub struct Analyst {
    /// The cache.
    pub store: Store,
    case_servers: Vec<TradingGridClient>,
    round: usize,
    rng: StdRng,
    /// Cases this analyst created.
    pub own_cases: Vec<String>,
    /// Ids of the comments it queued.
    pub comment_ids: Vec<String>,
    /// Actions queued so far.
    pub queued: usize,
    users: Vec<String>,
    transactions: Vec<String>,
    partners: Vec<String>,
    name: String,
    push_options: PushOptions,
}

impl Analyst {
    /// A new analyst with an empty cache at `cache`.
    pub fn new(
        cache: &Path,
        case_server_urls: &[String],
        company: &str,
        client: &ServerClient,
        seed: u64,
    ) -> Result<Analyst> {
        let store = Store::open(cache)?;
        let mut case_servers = Vec::new();
        for url in case_server_urls {
            let url = url::Url::parse(url)
                .map_err(|e| BenchError::Check(format!("case server URL {url}: {e}")))?;
            let mut config = ClientConfig::new(url, company, &client.id, &client.secret);
            config.retry.max_elapsed = std::time::Duration::from_secs(5);
            case_servers.push(TradingGridClient::new(config)?);
        }
        Ok(Analyst {
            store,
            case_servers,
            round: 0,
            rng: StdRng::seed_from_u64(seed),
            own_cases: Vec::new(),
            comment_ids: Vec::new(),
            queued: 0,
            users: (0..6).map(|n| format!("analyst.{n}")).collect(),
            transactions: (0..40).map(|n| format!("tx-{n:04}")).collect(),
            partners: (0..5).map(|n| format!("GC-PARTNER-{n}")).collect(),
            name: client.name.clone(),
            push_options: PushOptions {
                concurrency: 4,
                max_backoff: std::time::Duration::from_millis(500),
                ..PushOptions::default()
            },
        })
    }

    /// The case server used this round.
    fn case_server(&self) -> &TradingGridClient {
        &self.case_servers[self.round % self.case_servers.len()]
    }

    /// One push through this round's case server (errors are the sync's: the entries wait).
    pub async fn push(&mut self) -> pd_sync::Result<PushReport> {
        self.round += 1;
        push(&self.store, self.case_server(), &self.push_options).await
    }

    /// One pull of the case change feed through this round's case server: each page stored
    /// with its cursor in one transaction. Answers the cases stored.
    pub async fn pull(&mut self) -> Result<usize> {
        self.round += 1;
        let client = self.case_server().clone();
        let mut stored = 0;
        loop {
            let cursor = self.store.cursor(CASES_CURSOR)?;
            let page = client.cases_since(cursor.as_deref(), 500).await?;
            stored += page.cases.len();
            let more = page.has_more && !page.cases.is_empty();
            let store = self.store.clone();
            tokio::task::spawn_blocking(move || store.apply_case_page(&page, CASES_CURSOR))
                .await
                .map_err(|e| BenchError::Check(format!("cache task: {e}")))??;
            if !more {
                return Ok(stored);
            }
        }
    }

    /// Queues `n` more actions: first its own `cases` cases are created, then a mix on them
    /// (about 55 % comments, 30 % status, priority or owner changes, 15 % links and unlinks).
    pub fn queue(&mut self, n: usize, cases: usize) -> Result<()> {
        let now = chrono::Utc::now();
        let target = self.queued + n;
        while self.queued < target {
            if self.own_cases.len() < cases {
                let partner = self
                    .partners
                    .get(self.own_cases.len() % self.partners.len().max(1))
                    .cloned()
                    .unwrap_or_else(|| "GC-PARTNER".into());
                let new = NewCase {
                    id: uuid::Uuid::new_v4().to_string(),
                    title: format!("{}: short shipment {}", self.name, self.own_cases.len()),
                    partner_id: partner,
                    partner_name: None,
                    kind: CaseKind::Shipment,
                    priority: None,
                    owner: None,
                    sla_due: None,
                    linked_transactions: Vec::new(),
                    references: Default::default(),
                    description: None,
                };
                let id = self.store.create_local_case(&new, &self.name, now)?;
                self.own_cases.push(id);
                self.queued += 1;
                continue;
            }
            let case_id = self.own_cases[self.rng.gen_range(0..self.own_cases.len())].clone();
            let roll = self.rng.gen_range(0..100);
            let queued = if roll < 55 || (roll >= 85 && self.transactions.is_empty()) {
                let comment = self.store.add_local_comment(
                    &case_id,
                    &self.name,
                    &format!("Action {}: checking the ASN with the carrier", self.queued),
                    if self.rng.gen_bool(0.5) {
                        Visibility::Partner
                    } else {
                        Visibility::Internal
                    },
                    now,
                )?;
                self.comment_ids.push(comment.id);
                true
            } else if roll < 85 {
                let patch = match roll % 3 {
                    0 => CasePatch {
                        status: Some(CaseStatus::ALL[self.rng.gen_range(0..CaseStatus::ALL.len())]),
                        ..CasePatch::default()
                    },
                    1 => CasePatch {
                        priority: Some(Priority::ALL[self.rng.gen_range(0..Priority::ALL.len())]),
                        ..CasePatch::default()
                    },
                    _ => CasePatch {
                        owner: Some(
                            self.users
                                .get(self.rng.gen_range(0..self.users.len().max(1)))
                                .cloned(),
                        ),
                        ..CasePatch::default()
                    },
                };
                self.store
                    .patch_local_case(&case_id, &patch, now)?
                    .is_some()
            } else {
                let tx = self.transactions[self.rng.gen_range(0..self.transactions.len())].clone();
                let linked = self
                    .store
                    .case(&case_id)?
                    .map(|c| c.linked_transactions)
                    .unwrap_or_default();
                if linked.contains(&tx) {
                    self.store
                        .unlink_local_transaction(&case_id, &tx, now)?
                        .is_some()
                } else {
                    self.store
                        .link_local_transaction(&case_id, &tx, now)?
                        .is_some()
                }
            };
            if queued {
                self.queued += 1;
            }
        }
        Ok(())
    }
}
