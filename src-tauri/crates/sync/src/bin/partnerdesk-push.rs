//! Sends a cache file's outbox to a server and exits: a support tool for draining a cache
//! without the app, and the process the crash-safety test kills at random points.
//!
//! `partnerdesk-push --db cache.db --url http://127.0.0.1:PORT --company-id ID --consumer-key KEY`
//! with the consumer secret in the environment variable `PARTNERDESK_CONSUMER_SECRET` (never on
//! the command line, where other users could read it). `--lease-secs N` sets how long a claimed
//! entry stays this run's without a renewal (default 30).
//!
//! It takes the cache's lock file first and refuses to run (exit status 3, with a message
//! naming the holder) while PartnerDesk has that workspace open: the app's own sync sends the
//! outbox then. Entries another sender left in flight are sent once their lease runs out.

use std::process::ExitCode;
use std::time::Duration;

use pd_sync::cli::{self, arg};
use pd_sync::{push, PushOptions};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let lease = match arg(&args, "--lease-secs").map(|s| s.parse::<u64>()) {
        None => pd_store::DEFAULT_LEASE,
        Some(Ok(secs)) if secs > 0 => Duration::from_secs(secs),
        Some(_) => {
            eprintln!("--lease-secs: a whole number of seconds above 0");
            return ExitCode::from(2);
        }
    };
    let opened = match cli::open(
        &args,
        "partnerdesk-push",
        "usage: partnerdesk-push --db FILE --url URL --company-id ID --consumer-key KEY (secret in PARTNERDESK_CONSUMER_SECRET)",
        "sends this outbox",
    ) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let (store, client) = (&opened.store, &opened.client);
    let options = PushOptions {
        concurrency: 4,
        max_backoff: Duration::from_millis(500),
        lease,
    };
    loop {
        let result = push(store, client, &options).await;
        let summary = match store.outbox_summary() {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{}: {e}", e.code());
                return ExitCode::FAILURE;
            }
        };
        if summary.pending == 0 {
            println!("sent; {} refused", summary.failed);
            return ExitCode::SUCCESS;
        }
        if let Err(e) = result {
            eprintln!("{}: {e}; retrying", e.code());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
