//! Pulls a server's data into a cache file once and exits: a support tool for filling a cache
//! without the app, and the process the first-sync test kills in the middle of its load.
//!
//! `partnerdesk-pull --db cache.db --url http://127.0.0.1:PORT --company-id ID --consumer-key KEY
//! [--page-size N] [--cases-per-write N]` with the consumer secret in the environment variable
//! `PARTNERDESK_CONSUMER_SECRET` (never on the command line). Like `partnerdesk-push` it takes
//! the cache's lock file first and refuses to run (exit status 3) while PartnerDesk has that
//! workspace open.

use std::process::ExitCode;

use pd_store::{CacheLock, Store, StoreError};
use pd_sync::{pull, PullOptions};
use pd_tradinggrid::{ClientConfig, TradingGridClient};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// A whole number above 0 given as `name`, or `default` when absent.
fn count(args: &[String], name: &str, default: usize) -> Result<usize, String> {
    match arg(args, name).map(|s| s.parse::<usize>()) {
        None => Ok(default),
        Some(Ok(n)) if n > 0 => Ok(n),
        Some(_) => Err(format!("{name}: a whole number above 0")),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(db), Some(url), Some(company), Some(key)) = (
        arg(&args, "--db"),
        arg(&args, "--url"),
        arg(&args, "--company-id"),
        arg(&args, "--consumer-key"),
    ) else {
        eprintln!("usage: partnerdesk-pull --db FILE --url URL --company-id ID --consumer-key KEY [--page-size N] [--cases-per-write N] (secret in PARTNERDESK_CONSUMER_SECRET)");
        return ExitCode::from(2);
    };
    let secret = std::env::var("PARTNERDESK_CONSUMER_SECRET").unwrap_or_default();
    let url = match url::Url::parse(&url) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("--url: {e}");
            return ExitCode::from(2);
        }
    };
    let d = PullOptions::default();
    let options = match (
        count(&args, "--page-size", d.case_page_size as usize),
        count(&args, "--cases-per-write", d.cases_per_write),
    ) {
        (Ok(page), Ok(per_write)) => PullOptions {
            case_page_size: u32::try_from(page).unwrap_or(u32::MAX),
            cases_per_write: per_write,
            ..d
        },
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let _lock = match CacheLock::try_acquire(std::path::Path::new(&db), "partnerdesk-pull") {
        Ok(lock) => lock,
        Err(e @ StoreError::Locked { .. }) => {
            eprintln!(
                "{}: {e}. PartnerDesk syncs this cache itself while the workspace is open; \
                 close it (or wait for the other run to finish) and try again.",
                e.code()
            );
            return ExitCode::from(3);
        }
        Err(e) => {
            eprintln!("{}: {e}", e.code());
            return ExitCode::FAILURE;
        }
    };
    let store = match Store::open(&db) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}: {e}", e.code());
            return ExitCode::FAILURE;
        }
    };
    let client = match TradingGridClient::new(ClientConfig::new(url, company, key, secret)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}: {e}", e.code());
            return ExitCode::FAILURE;
        }
    };
    match pull(&store, &client, &options, chrono::Utc::now()).await {
        Ok(report) => {
            println!(
                "pulled {} cases in {} pages ({} requests)",
                report.cases, report.case_pages, report.requests
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: {e}", e.code());
            ExitCode::FAILURE
        }
    }
}
