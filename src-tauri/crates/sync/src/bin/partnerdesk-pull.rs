//! Pulls a server's data into a cache file once and exits: a support tool for filling a cache
//! without the app, and the process the first-sync test kills in the middle of its load.
//!
//! `partnerdesk-pull --db cache.db --url http://127.0.0.1:PORT --company-id ID --consumer-key KEY
//! [--page-size N] [--cases-per-write N]` with the consumer secret in the environment variable
//! `PARTNERDESK_CONSUMER_SECRET` (never on the command line). Like `partnerdesk-push` it takes
//! the cache's lock file first and refuses to run (exit status 3) while PartnerDesk has that
//! workspace open.

use std::process::ExitCode;

use pd_sync::cli::{self, arg};
use pd_sync::{pull, PullOptions};

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
    let opened = match cli::open(
        &args,
        "partnerdesk-pull",
        "usage: partnerdesk-pull --db FILE --url URL --company-id ID --consumer-key KEY [--page-size N] [--cases-per-write N] (secret in PARTNERDESK_CONSUMER_SECRET)",
        "syncs this cache",
    ) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let (store, client) = (&opened.store, &opened.client);
    match pull(store, client, &options, chrono::Utc::now()).await {
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
