//! What the command-line tools (`partnerdesk-push`, `partnerdesk-pull`) share before their work:
//! reading `--name value` arguments, and opening a cache the way the app would — its lock file
//! first (exit status 3 while PartnerDesk has that workspace open), then the store and a client
//! for the server, the consumer secret read from `PARTNERDESK_CONSUMER_SECRET`, never the command
//! line. Each failure is printed in words and answered with the tool's exit status.

use std::process::ExitCode;

use pd_store::{CacheLock, Store, StoreError};
use pd_tradinggrid::{ClientConfig, TradingGridClient};

/// The value after `name` in `args`, if given.
pub fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// A cache opened for a tool: keep it (its lock) for as long as the store is used.
pub struct Opened {
    /// The cache's lock, released when dropped.
    pub lock: CacheLock,
    /// The cache.
    pub store: Store,
    /// The server's client.
    pub client: TradingGridClient,
}

/// Reads `--db`, `--url`, `--company-id` and `--consumer-key` (printing `usage` when one is
/// missing), takes the cache's lock as `tool` (what PartnerDesk does with the cache is `doing`,
/// said when the lock is held elsewhere), then opens the store and the client.
pub fn open(args: &[String], tool: &str, usage: &str, doing: &str) -> Result<Opened, ExitCode> {
    let (Some(db), Some(url), Some(company), Some(key)) = (
        arg(args, "--db"),
        arg(args, "--url"),
        arg(args, "--company-id"),
        arg(args, "--consumer-key"),
    ) else {
        eprintln!("{usage}");
        return Err(ExitCode::from(2));
    };
    let secret = std::env::var("PARTNERDESK_CONSUMER_SECRET").unwrap_or_default();
    let url = url::Url::parse(&url).map_err(|e| {
        eprintln!("--url: {e}");
        ExitCode::from(2)
    })?;
    let lock = match CacheLock::try_acquire(std::path::Path::new(&db), tool) {
        Ok(lock) => lock,
        Err(e @ StoreError::Locked { .. }) => {
            eprintln!(
                "{}: {e}. PartnerDesk {doing} itself while the workspace is open; close it (or \
                 wait for the other run to finish) and try again.",
                e.code()
            );
            return Err(ExitCode::from(3));
        }
        Err(e) => {
            eprintln!("{}: {e}", e.code());
            return Err(ExitCode::FAILURE);
        }
    };
    let store = Store::open(&db).map_err(|e| {
        eprintln!("{}: {e}", e.code());
        ExitCode::FAILURE
    })?;
    let client =
        TradingGridClient::new(ClientConfig::new(url, company, key, secret)).map_err(|e| {
            eprintln!("{}: {e}", e.code());
            ExitCode::FAILURE
        })?;
    Ok(Opened {
        lock,
        store,
        client,
    })
}
