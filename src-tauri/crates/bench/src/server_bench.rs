//! `server-bench`: `partnerdesk-server` on one PostgreSQL, how many collab/v1 writes per second
//! 1, 2 and 4 processes accept together, and how long a change takes from one client's write to
//! another client seeing it in the change feed through the other process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pd_pgtest::PgServer;
use serde_json::{json, Value};

use crate::cluster::{server_config, ServerClient, ServerProcess};
use crate::error::{BenchError, Result};
use crate::stats::Percentiles;

const COMPANY: &str = "GC00804444LX";

/// What to run.
#[derive(Debug, Clone)]
pub struct ServerBenchConfig {
    /// The `partnerdesk-server` binary.
    pub server_bin: PathBuf,
    /// Process counts to measure.
    pub processes: Vec<usize>,
    /// Writes per throughput run.
    pub actions: usize,
    /// Concurrent writers (HTTP clients, spread over the processes).
    pub writers: usize,
    /// Cases the writes are spread over.
    pub cases: usize,
    /// Feed latency samples.
    pub samples: usize,
}

impl ServerBenchConfig {
    /// The defaults, with the server binary beside this program.
    pub fn with_defaults() -> ServerBenchConfig {
        let server_bin = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join("partnerdesk-server")))
            .unwrap_or_else(|| PathBuf::from("partnerdesk-server"));
        ServerBenchConfig {
            server_bin,
            processes: vec![1, 2, 4],
            actions: 6000,
            writers: 32,
            cases: 200,
            samples: 200,
        }
    }
}

/// One throughput run.
#[derive(Debug, Clone)]
pub struct Throughput {
    /// Processes.
    pub processes: usize,
    /// Writes accepted.
    pub actions: usize,
    /// Wall time.
    pub time: Duration,
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct ServerBenchReport {
    /// The config.
    pub config: ServerBenchConfig,
    /// One per process count.
    pub throughput: Vec<Throughput>,
    /// Write-to-seen latencies, sorted.
    pub latencies: Vec<Duration>,
}

impl ServerBenchReport {
    /// The figures as Markdown table rows.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("| what | measured |\n|---|---|\n");
        for t in &self.throughput {
            out.push_str(&format!(
                "| {} mixed writes (70 % comments, 30 % status changes) from {} clients through {} process(es) on one PostgreSQL | {:.1} s ({:.0} actions/s) |\n",
                t.actions,
                self.config.writers,
                t.processes,
                t.time.as_secs_f64(),
                t.actions as f64 / t.time.as_secs_f64().max(1e-9)
            ));
        }
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let p = Percentiles::of(&self.latencies);
        out.push_str(&format!(
            "| change-feed latency, a comment written through process 1 to seen by a client polling process 2 back to back ({} samples), p50 / p95 / max | {:.1} / {:.1} / {:.1} ms |\n",
            p.samples,
            ms(p.p50),
            ms(p.p95),
            ms(p.max),
        ));
        out
    }
}

/// An HTTP client with a token.
#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    token: String,
}

impl Api {
    async fn new(base: &str, client: &ServerClient) -> Result<Api> {
        let http = reqwest::Client::new();
        let answer: Value = http
            .post(format!(
                "{base}/v1/oauth2/tokens?grant_type=client_credentials"
            ))
            .basic_auth(&client.id, Some(&client.secret))
            .send()
            .await
            .map_err(http_error)?
            .json()
            .await
            .map_err(http_error)?;
        let token = answer["access_token"]
            .as_str()
            .ok_or_else(|| BenchError::Check(format!("no token in {answer}")))?
            .to_string();
        Ok(Api { http, token })
    }

    async fn send(
        &self,
        method: reqwest::Method,
        url: String,
        body: &Value,
        key: &str,
    ) -> Result<()> {
        let response = self
            .http
            .request(method, &url)
            .bearer_auth(&self.token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .map_err(http_error)?;
        if !response.status().is_success() {
            return Err(BenchError::Check(format!(
                "{url}: {} {}",
                response.status(),
                response.text().await.unwrap_or_default()
            )));
        }
        Ok(())
    }

    async fn get(&self, url: String) -> Result<Value> {
        self.http
            .get(&url)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(http_error)?
            .json()
            .await
            .map_err(http_error)
    }
}

fn http_error(e: reqwest::Error) -> BenchError {
    BenchError::Check(format!("http: {e}"))
}

fn cases_url(base: &str) -> String {
    format!("{base}/collab/v1/companies/{COMPANY}/cases")
}

/// A database with `processes` servers on it; answers the processes and their base URLs.
fn start_processes(
    dir: &Path,
    bin: &Path,
    url: &str,
    processes: usize,
    client: &ServerClient,
) -> Result<Vec<ServerProcess>> {
    let config = dir.join(format!("server-{processes}.toml"));
    std::fs::write(
        &config,
        server_config(url, COMPANY, std::slice::from_ref(client)),
    )?;
    (0..processes)
        .map(|i| {
            ServerProcess::start(
                bin,
                &config,
                &dir.join(format!("server-{processes}-{i}.log")),
            )
        })
        .collect()
}

/// Runs the benchmark.
pub async fn run(config: &ServerBenchConfig) -> Result<ServerBenchReport> {
    if !config.server_bin.is_file() {
        return Err(BenchError::Check(format!(
            "{} not found: build it first (cargo build --release -p partnerdesk-server) or pass --server-bin",
            config.server_bin.display()
        )));
    }
    let pg = PgServer::start().map_err(|e| BenchError::Check(format!("PostgreSQL: {e}")))?;
    let dir = tempfile::Builder::new()
        .prefix("pd-server-bench-")
        .tempdir()?;
    let client = ServerClient::numbered(0);
    let mut throughput = Vec::new();
    for &processes in &config.processes {
        let url = pg
            .create_database(&format!("throughput_{processes}"))
            .map_err(|e| BenchError::Check(e.to_string()))?;
        let servers = start_processes(dir.path(), &config.server_bin, &url, processes, &client)?;
        let bases: Vec<String> = servers
            .iter()
            .map(|s| format!("http://{}", s.addr()))
            .collect();
        let api = Api::new(&bases[0], &client).await?;
        for c in 0..config.cases {
            let body = json!({"id": format!("case-{c}"), "title": format!("Bench case {c}"),
                "partnerId": "GC-PARTNER-1", "kind": "shipment"});
            api.send(
                reqwest::Method::POST,
                cases_url(&bases[0]),
                &body,
                &format!("create-{c}"),
            )
            .await?;
        }
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for w in 0..config.writers {
            let base = bases[w % bases.len()].clone();
            let api = api.clone();
            let (n, cases) = (config.actions / config.writers, config.cases);
            tasks.spawn(async move {
                for i in 0..n {
                    let case = format!("case-{}", (w * 31 + i * 7) % cases);
                    let key = format!("w{w}-{i}");
                    if i % 10 < 7 {
                        let body = json!({"id": key, "author": "Bench", "body": "Checking the ASN", "visibility": "internal"});
                        api.send(reqwest::Method::POST, format!("{}/{case}/comments", cases_url(&base)), &body, &key).await?;
                    } else {
                        let status = ["open", "waiting_on_partner", "resolved"][i % 3];
                        let body = json!({"status": status});
                        api.send(reqwest::Method::PATCH, format!("{}/{case}", cases_url(&base)), &body, &key).await?;
                    }
                }
                Ok::<usize, BenchError>(n)
            });
        }
        let mut actions = 0;
        while let Some(done) = tasks.join_next().await {
            actions += done.map_err(|e| BenchError::Check(format!("writer: {e}")))??;
        }
        let time = started.elapsed();
        println!(
            "{processes} process(es): {actions} writes in {:.2} s = {:.0} actions/s",
            time.as_secs_f64(),
            actions as f64 / time.as_secs_f64()
        );
        throughput.push(Throughput {
            processes,
            actions,
            time,
        });
        drop(servers);
    }

    let latencies = feed_latency(config, &pg, dir.path(), &client).await?;
    Ok(ServerBenchReport {
        config: config.clone(),
        throughput,
        latencies,
    })
}

/// Writes through one process, a reader polls the feed of the other back to back; answers the
/// sorted write-start-to-seen times.
async fn feed_latency(
    config: &ServerBenchConfig,
    pg: &PgServer,
    dir: &Path,
    client: &ServerClient,
) -> Result<Vec<Duration>> {
    let url = pg
        .create_database("latency")
        .map_err(|e| BenchError::Check(e.to_string()))?;
    let servers = start_processes(dir, &config.server_bin, &url, 2, client)?;
    let bases: Vec<String> = servers
        .iter()
        .map(|s| format!("http://{}", s.addr()))
        .collect();
    let writer = Api::new(&bases[0], client).await?;
    let reader = Api::new(&bases[1], client).await?;
    for c in 0..10 {
        let body = json!({"id": format!("case-{c}"), "title": format!("Latency case {c}"),
            "partnerId": "GC-PARTNER-1", "kind": "shipment"});
        writer
            .send(
                reqwest::Method::POST,
                cases_url(&bases[0]),
                &body,
                &format!("create-{c}"),
            )
            .await?;
    }
    let mut cursor = reader
        .get(format!("{}?limit=2000", cases_url(&bases[1])))
        .await?["nextCursor"]
        .as_str()
        .unwrap_or("0")
        .to_string();
    let seen: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = {
        let (seen, stop, base) = (Arc::clone(&seen), Arc::clone(&stop), bases[1].clone());
        tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let Ok(page) = reader
                    .get(format!("{}?since={cursor}&limit=2000", cases_url(&base)))
                    .await
                else {
                    continue;
                };
                let now = Instant::now();
                if let Some(cases) = page["cases"].as_array() {
                    let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
                    for bundle in cases {
                        for comment in bundle["comments"].as_array().into_iter().flatten() {
                            if let Some(id) = comment["id"].as_str() {
                                seen.entry(id.to_string()).or_insert(now);
                            }
                        }
                    }
                }
                if let Some(next) = page["nextCursor"].as_str() {
                    cursor = next.to_string();
                }
            }
        })
    };
    let mut latencies = Vec::new();
    for i in 0..config.samples {
        let id = format!("latency-{i}");
        let body =
            json!({"id": id, "author": "Bench", "body": "Any news?", "visibility": "internal"});
        let sent = Instant::now();
        writer
            .send(
                reqwest::Method::POST,
                format!("{}/case-{}/comments", cases_url(&bases[0]), i % 10),
                &body,
                &id,
            )
            .await?;
        let deadline = sent + Duration::from_secs(10);
        loop {
            let at = seen
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&id)
                .copied();
            if let Some(at) = at {
                latencies.push(at.saturating_duration_since(sent));
                break;
            }
            if Instant::now() > deadline {
                return Err(BenchError::Check(format!("{id} never reached the reader")));
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = poller.await;
    drop(servers);
    latencies.sort();
    Ok(latencies)
}
