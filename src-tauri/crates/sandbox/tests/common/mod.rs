//! Shared test helpers: a sandbox on 127.0.0.1 with a small tenant, a reqwest client and a
//! token.
#![allow(dead_code, missing_docs)]

use chrono::TimeZone;
use partnerdesk_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::Value;

pub const KEY: &str = "test-key";
pub const SECRET: &str = "test-secret";
pub const COMPANY: &str = "GC00804444LX";

pub struct Env {
    pub sandbox: SandboxHandle,
    pub http: Client,
    pub token: String,
}

pub fn config(cases: usize) -> SandboxConfig {
    SandboxConfig {
        consumer_key: KEY.into(),
        consumer_secret: SECRET.into(),
        company_id: COMPANY.into(),
        cases,
        seed_now: chrono::Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single(),
        ..SandboxConfig::default()
    }
}

pub async fn start(cases: usize) -> Env {
    start_with(config(cases)).await
}

pub async fn start_with(config: SandboxConfig) -> Env {
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    let http = Client::new();
    let token = token(&http, &sandbox.base_url()).await;
    Env {
        sandbox,
        http,
        token,
    }
}

pub async fn token(http: &Client, base: &str) -> String {
    let response = http
        .post(format!(
            "{base}/v1/oauth2/tokens?grant_type=client_credentials"
        ))
        .basic_auth(KEY, Some(SECRET))
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("token json");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

impl Env {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.token)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path)
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.json().await.expect("json")
    }

    pub fn collab(&self, rest: &str) -> String {
        format!("/collab/v1/companies/{COMPANY}/cases{rest}")
    }

    pub fn cm(&self, rest: &str) -> String {
        format!("/TGCommunityServices/v1/companies/{COMPANY}{rest}")
    }

    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        body: &Value,
        key: Option<&str>,
    ) -> Response {
        let mut request = self.request(method, path).json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.expect("request")
    }

    pub async fn lens(&self, query: &str) -> Value {
        let response = self
            .request(Method::POST, "/visibility_transaction_search")
            .json(&serde_json::json!({ "query": query, "variables": "" }))
            .send()
            .await
            .expect("lens request");
        assert_eq!(response.status(), 200);
        response.json().await.expect("lens json")
    }

    pub async fn admin_put_faults(&self, faults: &Value) -> Response {
        self.http
            .put(self.url("/__admin/faults"))
            .basic_auth(KEY, Some(SECRET))
            .json(faults)
            .send()
            .await
            .expect("admin request")
    }

    /// Every case through the change feed, following cursors; returns (bundles, final cursor).
    pub async fn drain_feed(&self, since: &str, limit: usize) -> (Vec<Value>, String) {
        let mut cursor = since.to_string();
        let mut all = Vec::new();
        loop {
            let page = self
                .get_json(&self.collab(&format!("?since={cursor}&limit={limit}")))
                .await;
            let cases = page["cases"].as_array().expect("cases").clone();
            assert!(cases.len() <= limit);
            all.extend(cases);
            cursor = page["nextCursor"].as_str().expect("cursor").to_string();
            if !page["hasMore"].as_bool().expect("hasMore") {
                return (all, cursor);
            }
        }
    }
}

/// The partner directory's first partner id and a user's loginId.
pub async fn partner_and_owner(env: &Env) -> (String, String) {
    let partners = env.get_json(&env.cm("/partnerDirectory")).await;
    let users = env.get_json(&env.cm("/users")).await;
    (
        partners["partners"][0]["partnerCompanyId"]
            .as_str()
            .expect("partner id")
            .to_string(),
        users["users"][0]["loginId"]
            .as_str()
            .expect("login")
            .to_string(),
    )
}
