//! Runs the retention exports of one cache file once, as the app's export job does (sweep the
//! unfinished uploads, queue closed cases, finish every queued or interrupted export), and
//! exits. The crash tests kill it mid-export (`PD_EXPORT_PAUSE_AT=<point>` makes it print
//! `PAUSED <point>` there and wait) and run it again.
//!
//! Usage: `pd-export-once CACHE SPOOL DOCS ENDPOINT BUCKET PART_SIZE` with
//! `PD_S3_ACCESS_KEY` / `PD_S3_SECRET_KEY` in the environment; documents are read from
//! `DOCS/<document id>`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use pd_archive::{Exporter, FolderSource, PausePoint};
use pd_connectors::{ConnectorOptions, S3Client};
use pd_domain::{LockMode, RetentionPolicy, S3Settings};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(message) = run().await {
        eprintln!("pd-export-once: {message}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cache, spool, docs, endpoint, bucket, part_size] = args.as_slice() else {
        return Err("usage: pd-export-once CACHE SPOOL DOCS ENDPOINT BUCKET PART_SIZE".into());
    };
    let part_size: u64 = part_size.parse().map_err(|_| "PART_SIZE is a number")?;
    let store = pd_store::Store::open(cache).map_err(|e| e.to_string())?;
    let settings = S3Settings {
        endpoint: Some(endpoint.clone()),
        region: "us-east-1".into(),
        bucket: bucket.clone(),
        access_key_id: std::env::var("PD_S3_ACCESS_KEY").unwrap_or_default(),
    };
    let secret = std::env::var("PD_S3_SECRET_KEY").ok();
    let s3 = S3Client::new(&settings, secret.as_deref(), &ConnectorOptions::default())
        .map_err(|e| e.to_string())?;
    let policy = RetentionPolicy {
        mode: LockMode::Governance,
        default_days: 30,
        ..RetentionPolicy::default()
    };
    let mut exporter = Exporter::new(
        store.clone(),
        s3,
        Arc::new(FolderSource(PathBuf::from(docs))),
        PathBuf::from(spool),
        policy,
    );
    exporter.multipart_threshold = part_size;
    exporter.part_size = part_size;
    if let Ok(at) = std::env::var("PD_EXPORT_PAUSE_AT") {
        exporter = exporter.with_pause(Arc::new(move |point: PausePoint| {
            if point.as_str() == at {
                println!("PAUSED {}", point.as_str());
                let _ = std::io::stdout().flush();
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(60));
                }
            }
        }));
    }
    store
        .queue_closed_exports(None, None, chrono::Utc::now())
        .map_err(|e| e.to_string())?;
    let done = exporter.run_pending().await.map_err(|e| e.to_string())?;
    println!("DONE {done}");
    Ok(())
}
