//! Moves data between Trading Grid and the cache in both directions, so the UI only ever reads
//! SQLite: [`pull`] brings partners, colleagues, exceptions and cases down with persisted
//! cursors; [`push`] sends the outbox in per-case order with idempotency keys; [`SyncService`]
//! runs both at start, on a schedule, on demand, and again by itself when the network returns.

pub mod cli;
mod error;
mod pull;
mod push;
mod service;

pub use error::{Error, Result};
pub use pull::{pull, pull_from, PullOptions, PullReport, CASES_CURSOR, MAX_CASE_PAGES};
pub use push::{push, PushOptions, PushReport, MAX_PRECONDITION_RETRIES, MAX_UNAPPLIED_ATTEMPTS};
pub use service::{SyncHandle, SyncLoop, SyncOptions, SyncPeers, SyncService, Topics};
