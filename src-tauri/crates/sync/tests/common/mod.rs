//! Shared set-up for the sync tests: a sandbox on loopback, a client for it, a cache file, and
//! the comparison that says "the cache equals the server".

#![allow(dead_code, missing_docs)]

use std::collections::HashMap;
use std::time::Duration;

use partnerdesk_sandbox::{Faults, Sandbox, SandboxConfig, SandboxHandle};
use pd_domain::CaseBundle;
use pd_store::Store;
use pd_tradinggrid::{ClientConfig, RetryPolicy, TradingGridClient};

pub struct World {
    pub dir: tempfile::TempDir,
    pub sandbox: Option<SandboxHandle>,
    pub config: SandboxConfig,
    pub store: Store,
    pub client: TradingGridClient,
}

impl World {
    pub async fn new(cases: usize) -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = SandboxConfig {
            data: Some(dir.path().join("sandbox.db")),
            cases,
            ..SandboxConfig::default()
        };
        let sandbox = Sandbox::start(config.clone()).await.expect("sandbox");
        let config = SandboxConfig {
            listen: sandbox.addr(),
            ..config
        };
        let client = client_for(&sandbox, &config, RetryPolicy::default());
        let store = Store::open(dir.path().join("cache.db")).expect("store");
        World {
            dir,
            sandbox: Some(sandbox),
            config,
            store,
            client,
        }
    }

    pub fn sandbox(&self) -> &SandboxHandle {
        self.sandbox.as_ref().expect("sandbox running")
    }

    pub fn faults(&self, faults: Faults) {
        self.sandbox().set_faults(faults).expect("set faults");
    }

    /// Stops the server (what the client sees as the server going away).
    pub async fn stop_server(&mut self) {
        if let Some(s) = self.sandbox.take() {
            s.shutdown().await.expect("shutdown");
        }
    }

    /// Starts it again on the same port with the same data file.
    pub async fn start_server(&mut self) {
        for _ in 0..50 {
            match Sandbox::start(self.config.clone()).await {
                Ok(s) => {
                    self.sandbox = Some(s);
                    return;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        panic!("sandbox did not restart on {}", self.config.listen);
    }

    /// Ids of the cached cases a list query returns (newest first by default).
    pub fn case_ids(&self, query: pd_domain::CaseQuery) -> Vec<String> {
        self.store
            .list_cases(&query, chrono::Utc::now())
            .expect("case list")
            .rows
            .into_iter()
            .map(|r| r.id)
            .collect()
    }

    /// The first `n` cached cases, newest first.
    pub fn first_case_ids(&self, n: u32) -> Vec<String> {
        self.case_ids(pd_domain::CaseQuery {
            limit: n,
            ..pd_domain::CaseQuery::default()
        })
    }

    /// Every case on the server, with its thread, by id (read with a fault-free client).
    pub async fn server_cases(&self) -> HashMap<String, CaseBundle> {
        let mut all = HashMap::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self
                .client
                .cases_since(cursor.as_deref(), 2000)
                .await
                .expect("read server cases");
            for b in page.cases {
                all.insert(b.case.id.clone(), b);
            }
            cursor = Some(page.next_cursor);
            if !page.has_more {
                return all;
            }
        }
    }

    /// Asserts the cache holds exactly what the server holds: every case's fields, every
    /// comment and document, no extra case and no pending change.
    pub async fn assert_cache_equals_server(&self) {
        self.assert_store_equals_server(&self.store).await;
    }

    /// [`World::assert_cache_equals_server`] for another cache synced from this server.
    pub async fn assert_store_equals_server(&self, store: &Store) {
        let server = self.server_cases().await;
        let counts = store.counts().expect("counts");
        assert_eq!(counts.cases as usize, server.len(), "case count differs");
        let server_comments: usize = server.values().map(|b| b.comments.len()).sum();
        assert_eq!(
            counts.comments as usize, server_comments,
            "comment count differs"
        );
        let now = chrono::Utc::now();
        for (id, bundle) in &server {
            let detail = store.case_detail(id, now).expect("case in cache");
            assert_eq!(detail.case, bundle.case, "case {id} differs");
            let mut cached: Vec<_> = detail.comments.iter().map(|c| c.comment.clone()).collect();
            let mut remote = bundle.comments.clone();
            cached.sort_by(|a, b| a.id.cmp(&b.id));
            remote.sort_by(|a, b| a.id.cmp(&b.id));
            assert_eq!(cached, remote, "thread of case {id} differs");
            let mut docs: Vec<_> = detail
                .documents
                .iter()
                .map(|d| d.document.clone())
                .collect();
            let mut remote_docs = bundle.documents.clone();
            docs.sort_by(|a, b| a.id.cmp(&b.id));
            remote_docs.sort_by(|a, b| a.id.cmp(&b.id));
            assert_eq!(docs, remote_docs, "documents of case {id} differ");
        }
        let outbox = store.outbox_summary().expect("summary");
        assert_eq!(
            (outbox.pending, outbox.failed),
            (0, 0),
            "changes still waiting"
        );
    }
}

pub fn client_for(
    sandbox: &SandboxHandle,
    config: &SandboxConfig,
    retry: RetryPolicy,
) -> TradingGridClient {
    let url = url::Url::parse(&sandbox.base_url()).expect("url");
    let mut cc = ClientConfig::new(
        url,
        config.company_id.clone(),
        config.consumer_key.clone(),
        config.consumer_secret.clone(),
    );
    cc.retry = retry;
    cc.request_timeout = Duration::from_secs(10);
    TradingGridClient::new(cc).expect("client")
}

/// A retry policy for fault tests: many quick attempts.
pub fn stubborn() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 12,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(200),
        max_elapsed: Duration::from_secs(20),
    }
}

/// Sends `request` on to `upstream` (same method, path and query, headers but `host` and
/// `content-length`, body) and answers what upstream answered: status, headers but length and
/// transfer encoding, body. The tests' proxies put their faults around it.
pub async fn relay(
    http: &reqwest::Client,
    upstream: &str,
    request: axum::extract::Request,
) -> axum::response::Response {
    let target = format!(
        "{upstream}{}",
        request
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
    );
    let method = request.method().clone();
    let headers = request.headers().clone();
    let body = axum::body::to_bytes(request.into_body(), 64 << 20)
        .await
        .unwrap_or_default();
    let mut outgoing = http.request(method, &target).body(body.to_vec());
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = outgoing.send().await.expect("upstream answers");
    let status = answer.status();
    let answer_headers = answer.headers().clone();
    let bytes = answer.bytes().await.expect("upstream body");
    let mut response = axum::response::Response::new(axum::body::Body::from(bytes));
    *response.status_mut() = status;
    for (name, value) in &answer_headers {
        if name != "content-length" && name != "transfer-encoding" {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    response
}
