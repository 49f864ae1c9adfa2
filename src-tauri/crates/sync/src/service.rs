//! Keeps a workspace in sync without anyone asking: a cycle (push, pull, push) at start, on a
//! schedule, on demand, soon after every local change, and every few seconds while the server
//! is unreachable, so work resumes by itself when the network returns.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use pd_domain::{Connectivity, ErrorCode, ErrorInfo, SyncStatus, Timestamp, Topic};
use pd_store::Store;
use pd_tradinggrid::TradingGridClient;
use tokio::sync::{watch, Notify};

use crate::{pull_from, push, Error, PullOptions, PushOptions};

/// Called with the UI topics a cycle made stale (`cases`, `exceptions`, `partners`, `outbox`,
/// `sync`).
pub type Topics = Arc<dyn Fn(&[Topic]) + Send + Sync>;

/// Who a workspace syncs with: its Trading Grid host (partners, users, exceptions) and, when
/// the account has one, its case server (`collab/v1`: the case feed and the outbox). Without a
/// case server the loop never touches `collab/v1`: nothing of it can fail, and cases opened
/// here are kept on this computer (`pd-store`'s kept cases).
#[derive(Debug, Clone)]
pub struct SyncPeers {
    /// The Trading Grid host.
    pub trading_grid: TradingGridClient,
    /// The case server, if any (the same client when the host serves cases too).
    pub cases: Option<TradingGridClient>,
}

impl From<TradingGridClient> for SyncPeers {
    fn from(client: TradingGridClient) -> Self {
        Self::one_host(client)
    }
}

impl SyncPeers {
    /// One host serving everything, cases included (the sandbox, the tests).
    pub fn one_host(client: TradingGridClient) -> Self {
        Self {
            cases: Some(client.clone()),
            trading_grid: client,
        }
    }
}

/// How the service behaves.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Shown in the status bar ("Demo workspace", an account's name).
    pub workspace_name: String,
    /// The workspace is the built-in sandbox.
    pub is_demo: bool,
    /// Time between scheduled cycles while online.
    pub interval: Duration,
    /// Time between attempts while offline or while changes wait for a retry.
    pub retry_interval: Duration,
    /// Pull settings.
    pub pull: PullOptions,
    /// Push settings.
    pub push: PushOptions,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            workspace_name: "Demo workspace".into(),
            is_demo: true,
            interval: Duration::from_secs(180),
            retry_interval: Duration::from_secs(5),
            pull: PullOptions::default(),
            push: PushOptions::default(),
        }
    }
}

#[derive(Debug, Clone)]
struct State {
    syncing: bool,
    connectivity: Connectivity,
    last_synced_at: Option<Timestamp>,
    last_error: Option<ErrorInfo>,
}

struct Inner {
    store: Store,
    peers: SyncPeers,
    options: SyncOptions,
    on_topics: Topics,
    state: Mutex<State>,
    cycle: tokio::sync::Mutex<()>,
    wake: Notify,
    stop: watch::Sender<bool>,
    /// Test hook ([`SyncHandle::set_panicking`]): the loop's cycles panic while it is set.
    panicking: AtomicBool,
}

/// Starts the background sync of one workspace.
pub struct SyncService;

impl SyncService {
    /// Builds the service: the handle, and the loop for a supervisor to run on the Tokio
    /// runtime (and to run again should it panic); the loop first queues again the entries a
    /// crash left in flight, then runs a cycle at once. [`SyncHandle::shutdown`] ends it.
    pub fn prepare(
        store: Store,
        peers: impl Into<SyncPeers>,
        options: SyncOptions,
        on_topics: Topics,
    ) -> (SyncHandle, SyncLoop) {
        let (stop, stopped) = watch::channel(false);
        let inner = Arc::new(Inner {
            store,
            peers: peers.into(),
            options,
            on_topics,
            state: Mutex::new(State {
                syncing: false,
                connectivity: Connectivity::Unknown,
                last_synced_at: None,
                last_error: None,
            }),
            cycle: tokio::sync::Mutex::new(()),
            wake: Notify::new(),
            stop,
            panicking: AtomicBool::new(false),
        });
        let sync_loop = SyncLoop {
            inner: inner.clone(),
            stopped,
        };
        let handle = SyncHandle { inner };
        (handle, sync_loop)
    }
}

/// The sync loop of one workspace, to be run by a supervisor; cheap to clone.
#[derive(Clone)]
pub struct SyncLoop {
    inner: Arc<Inner>,
    stopped: watch::Receiver<bool>,
}

impl std::fmt::Debug for SyncLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncLoop").finish_non_exhaustive()
    }
}

impl SyncLoop {
    /// The loop: re-queues entries left in flight, then cycles until the handle shuts it down.
    pub fn run(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        run(self.inner.clone(), self.stopped.clone())
    }
}

/// Controls a running sync.
pub struct SyncHandle {
    inner: Arc<Inner>,
}

impl SyncHandle {
    /// Runs a cycle now (waiting for one in progress first) and returns the status after it.
    /// A failed cycle is not an error here: the status carries it, as the UI shows it.
    pub async fn sync_now(&self) -> SyncStatus {
        cycle(&self.inner, false).await;
        self.status().await
    }

    /// Asks for a push soon (after a local change); returns at once.
    pub fn nudge(&self) {
        self.inner.wake.notify_one();
    }

    /// Where the sync stands, with the outbox counts from the cache.
    pub async fn status(&self) -> SyncStatus {
        status(&self.inner).await
    }

    /// Test hook: while `on`, every cycle the loop runs panics (a stand-in for a bug in a
    /// dependency), so tests can watch the supervisor restart the loop and the status report
    /// it. Cycles asked for with [`SyncHandle::sync_now`] are not affected. Nothing in the app
    /// calls it.
    #[doc(hidden)]
    pub fn set_panicking(&self, on: bool) {
        self.inner.panicking.store(on, Ordering::SeqCst);
        self.inner.wake.notify_one();
    }

    /// Asks the loop to stop at its next turn (its runner aborts a cycle in progress); nothing
    /// is lost: the outbox and cursors are in the cache for the next start.
    pub fn shutdown(&self) {
        let _ = self.inner.stop.send(true);
        self.inner.wake.notify_one();
    }
}

async fn status(inner: &Inner) -> SyncStatus {
    let state = inner
        .state
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let store = inner.store.clone();
    let summary = tokio::task::spawn_blocking(move || store.outbox_summary())
        .await
        .ok()
        .and_then(Result::ok);
    SyncStatus {
        workspace_name: inner.options.workspace_name.clone(),
        is_demo: inner.options.is_demo,
        syncing: state.syncing,
        connectivity: state.connectivity,
        last_synced_at: state.last_synced_at,
        last_error: state.last_error,
        pending_changes: summary.as_ref().map_or(0, |s| s.pending),
        failed_changes: summary.as_ref().map_or(0, |s| s.failed),
        oldest_pending_at: summary.and_then(|s| s.oldest),
        keychain_unavailable: false,
    }
}

async fn run(inner: Arc<Inner>, mut stopped: watch::Receiver<bool>) {
    // Entries a sender left in flight (the app killed, a reopened account's old push) are not
    // reset here: they come back when their lease runs out, so a push still running on this
    // cache file never has its entries sent a second time.
    loop {
        let healthy = cycle(&inner, true).await;
        let waiting = status(&inner).await.pending_changes > 0;
        let pause = if healthy && !waiting {
            inner.options.interval
        } else {
            inner.options.retry_interval
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = inner.wake.notified() => {
                // Let a burst of local changes settle into one push.
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            _ = stopped.changed() => {}
        }
        if *stopped.borrow() {
            return;
        }
    }
}

/// Marks the sync as running for as long as it lives: dropped at the end of a cycle, or while
/// a panic unwinds, so the status never says "syncing" for a cycle that is gone.
struct Syncing<'a>(&'a Inner);

impl<'a> Syncing<'a> {
    fn start(inner: &'a Inner) -> Self {
        set(inner, |s| s.syncing = true);
        (inner.on_topics)(&[Topic::Sync]);
        Syncing(inner)
    }
}

impl Drop for Syncing<'_> {
    fn drop(&mut self) {
        set(self.0, |s| s.syncing = false);
        (self.0.on_topics)(&[Topic::Sync]);
    }
}

/// One push–pull–push cycle. Returns whether the server was reachable and accepted us.
async fn cycle(inner: &Inner, from_loop: bool) -> bool {
    let _running = inner.cycle.lock().await;
    let _syncing = Syncing::start(inner);
    if from_loop && inner.panicking.load(Ordering::SeqCst) {
        panic!("the sync loop's test hook asked for a panic");
    }
    let result = async {
        let mut topics = Vec::new();
        let cases = inner.peers.cases.as_ref();
        if let Some(cases) = cases {
            let pushed = push(&inner.store, cases, &inner.options.push).await?;
            topics.extend(pushed.changed_topics());
        }
        let pulled = pull_from(
            &inner.store,
            &inner.peers.trading_grid,
            cases,
            &inner.options.pull,
            chrono::Utc::now(),
        )
        .await?;
        topics.extend(pulled.changed_topics());
        if let Some(cases) = cases {
            let pushed = push(&inner.store, cases, &inner.options.push).await?;
            topics.extend(pushed.changed_topics());
        }
        Ok::<_, Error>(topics)
    }
    .await;
    let ok = match result {
        Ok(mut topics) => {
            set(inner, |s| {
                s.connectivity = Connectivity::Online;
                s.last_synced_at = Some(chrono::Utc::now());
                s.last_error = None;
            });
            topics.sort_unstable();
            topics.dedup();
            topics.push(Topic::Sync);
            (inner.on_topics)(&topics);
            true
        }
        Err(e) => {
            let offline = e.is_offline();
            tracing::warn!(code = %e.code(), error = %e, "sync cycle failed");
            set(inner, |s| {
                s.connectivity = if offline {
                    Connectivity::Offline
                } else {
                    Connectivity::Online
                };
                s.last_error = Some(describe(&e));
            });
            // A push may have changed the outbox before the failure.
            (inner.on_topics)(&[Topic::Sync, Topic::Outbox, Topic::Cases]);
            false
        }
    };
    ok
}

fn set(inner: &Inner, change: impl FnOnce(&mut State)) {
    change(&mut inner.state.lock().unwrap_or_else(PoisonError::into_inner));
}

/// The error in words an analyst understands.
fn describe(e: &Error) -> ErrorInfo {
    let code = e.code();
    let message = match code {
        ErrorCode::NetOffline
        | ErrorCode::NetInterrupted
        | ErrorCode::NetDns
        | ErrorCode::NetTimeout
        | ErrorCode::NetTls
        | ErrorCode::AuthUnauthorized
        | ErrorCode::AuthForbidden
        | ErrorCode::ApiRateLimited
        | ErrorCode::ApiServer
        | ErrorCode::SyncFeedStuck => code.words().to_owned(),
        ErrorCode::ApiMalformed | ErrorCode::ApiGraphql => format!("The server sent an answer PartnerDesk could not read; nothing was changed in the cache. ({e})"),
        _ if matches!(e, Error::Store(_)) => format!("The local cache could not be updated: {e}"),
        _ => e.to_string(),
    };
    ErrorInfo { code, message }
}
