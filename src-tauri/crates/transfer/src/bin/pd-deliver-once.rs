//! Runs the partner-inbox delivery queue of one cache file once, as the app's deliveries job
//! does (each queued delivery in turn), and exits. The crash tests kill it mid-delivery
//! (`PD_DELIVER_PAUSE_AT=<point>` makes it print `PAUSED <point>` there and wait; the points
//! are `pd_transfer::DeliverPoint` names such as `half_written` or `renamed`) and run it again.
//!
//! Usage: `pd-deliver-once CACHE BYTES_DIR SFTP_SETTINGS_JSON`: each document's bytes are
//! `BYTES_DIR/<sha256>` (as the spool folder keeps them), the connector's settings are
//! `pd_domain::SftpSettings` as JSON, its secret (if any) in `PD_SFTP_SECRET`. Prints
//! `DONE <sent> <recovered>`.

use std::io::Write;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use pd_domain::{DeliveryState, SftpSettings};
use pd_transfer::{DeliverPoint, Delivered, Deliverer};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Err(message) = run().await {
        eprintln!("pd-deliver-once: {message}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cache, bytes_dir, settings] = args.as_slice() else {
        return Err("usage: pd-deliver-once CACHE BYTES_DIR SFTP_SETTINGS_JSON".into());
    };
    let store = pd_store::Store::open(cache).map_err(|e| e.to_string())?;
    let settings: SftpSettings = serde_json::from_str(settings).map_err(|e| e.to_string())?;
    let secret = std::env::var("PD_SFTP_SECRET").ok();
    let mut deliverer = Deliverer::new(store.clone(), settings, secret);
    if let Ok(at) = std::env::var("PD_DELIVER_PAUSE_AT") {
        deliverer = deliverer.with_hook(Arc::new(move |point: DeliverPoint| {
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
        .deliveries_in(&[DeliveryState::Queued])
        .map_err(|e| e.to_string())?;
    let cancel = Arc::new(AtomicBool::new(false));
    let progress: pd_transfer::Progress = Arc::new(|_| {});
    let (mut sent, mut recovered) = (0, 0);
    for record in queued {
        let bytes = std::path::Path::new(bytes_dir).join(&record.delivery.sha256);
        match deliverer
            .run(&record.delivery.id, &bytes, &cancel, &progress)
            .await
            .map_err(|e| format!("{}: {e}", record.delivery.document_name))?
        {
            Delivered::Sent => sent += 1,
            Delivered::Recovered => recovered += 1,
            Delivered::AlreadySent | Delivered::Cancelled => {}
        }
    }
    println!("DONE {sent} {recovered}");
    Ok(())
}
