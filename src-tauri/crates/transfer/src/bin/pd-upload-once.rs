//! Runs the S3 upload queue of one cache file once, as the app's uploads job does (every queued
//! upload in turn, resumed from its confirmed parts), and exits. The crash tests kill it
//! mid-upload (`PD_UPLOAD_PAUSE_AT=<point>` makes it print `PAUSED <point>` there and wait; the
//! points are `pd_transfer::PausePoint` names such as `part_sent:2`) and run it again; the
//! benchmark times it.
//!
//! Usage: `pd-upload-once CACHE ENDPOINT BUCKET` with `PD_S3_ACCESS_KEY` / `PD_S3_SECRET_KEY`
//! in the environment (`PD_UPLOAD_PARALLEL`: parts on the wire at once; `PD_UPLOAD_TRACE=1`:
//! each point with its time on stderr). Prints `DONE <uploads finished>`.

use std::io::Write;
use std::sync::Arc;

use pd_connectors::{ConnectorOptions, S3Client};
use pd_domain::S3Settings;
use pd_store::UploadState;
use pd_transfer::{Finished, PausePoint, Uploader};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Err(message) = run().await {
        eprintln!("pd-upload-once: {message}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cache, endpoint, bucket] = args.as_slice() else {
        return Err("usage: pd-upload-once CACHE ENDPOINT BUCKET".into());
    };
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
    let mut uploader = Uploader::new(store.clone(), s3);
    if let Some(parallel) = std::env::var("PD_UPLOAD_PARALLEL")
        .ok()
        .and_then(|p| p.parse().ok())
    {
        uploader.parallel = parallel;
    }
    if std::env::var_os("PD_UPLOAD_TRACE").is_some() {
        // Where the time goes: each point with the seconds since the start.
        let started = std::time::Instant::now();
        uploader = uploader.with_pause(Arc::new(move |point: PausePoint| {
            eprintln!("{:8.3} s {}", started.elapsed().as_secs_f64(), point.name());
        }));
    }
    if let Ok(at) = std::env::var("PD_UPLOAD_PAUSE_AT") {
        uploader = uploader.with_pause(Arc::new(move |point: PausePoint| {
            if point.name() == at {
                println!("PAUSED {}", point.name());
                let _ = std::io::stdout().flush();
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(60));
                }
            }
        }));
    }
    let queued = store
        .uploads_in(&[UploadState::Queued])
        .map_err(|e| e.to_string())?;
    let (_stop, mut stop_rx) = tokio::sync::watch::channel(None);
    let progress: pd_transfer::Progress = Arc::new(|_| {});
    let mut done = 0;
    for upload in queued {
        match uploader
            .run(&upload.upload.id, &mut stop_rx, &progress)
            .await
            .map_err(|e| format!("{}: {e}", upload.upload.name))?
        {
            Finished::Done => done += 1,
            Finished::Paused | Finished::Cancelled => {}
        }
    }
    println!("DONE {done}");
    Ok(())
}
