//! Benchmark: how long seeding a large tenant takes (default 100,000 cases, 5 comments each),
//! and how long a full change-feed drain and an idle feed call take, in-process.
//! `cargo run -p partnerdesk-sandbox --example seed_bench -- [CASES] [COMMENTS_PER_CASE]`

use std::time::Instant;

use partnerdesk_sandbox::{Sandbox, SandboxConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cases: usize = args
        .first()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(100_000);
    let comments: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(5);
    let started = Instant::now();
    let sandbox = Sandbox::start(SandboxConfig {
        cases,
        comments_per_case: comments,
        ..SandboxConfig::default()
    })
    .await?;
    let seeded = started.elapsed();
    let stats = sandbox.stats().await?;
    println!(
        "seeded {} cases, {} comments, {} documents in {:.2} s",
        stats.cases,
        stats.comments,
        stats.documents,
        seeded.as_secs_f64()
    );
    let http = reqwest::Client::new();
    let base = sandbox.base_url();
    let token: serde_json::Value = http
        .post(format!(
            "{base}/v1/oauth2/tokens?grant_type=client_credentials"
        ))
        .basic_auth("partnerdesk-demo", Some("partnerdesk-demo-secret"))
        .send()
        .await?
        .json()
        .await?;
    let token = token["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let feed = format!("{base}/collab/v1/companies/{}/cases", sandbox.company_id());
    let started = Instant::now();
    let mut cursor = String::from("0");
    let mut received = 0usize;
    loop {
        let page: pd_domain::CasePage = http
            .get(format!("{feed}?since={cursor}&limit=2000"))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        received += page.cases.len();
        cursor = page.next_cursor;
        if !page.has_more {
            break;
        }
    }
    println!(
        "drained the feed ({received} cases) in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let idle: pd_domain::CasePage = http
        .get(format!("{feed}?since={cursor}"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    println!(
        "idle feed call ({} cases) in {:.1} ms",
        idle.cases.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    sandbox.shutdown().await?;
    Ok(())
}
