//! One program at a time on a workspace's cache: the open workspace holds the cache's lock file
//! (so `partnerdesk-push` keeps off it), lets go when it closes, and an app opening a cache that
//! a push run holds waits, then says plainly what holds it.

mod common;

use common::{quiet_changes, start, Dirs};
use pd_app::AppState;
use pd_domain::ErrorCode;
use pd_store::{CacheLock, StoreError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_workspace_holds_its_cache_and_a_push_run_holds_off_the_app() {
    let Some(namespace) = common::keychain_namespace() else {
        return;
    };
    let dirs = Dirs::new(namespace);
    let state = start(&dirs).await;
    let cache = dirs.data.join(pd_app::CACHE_FILE);

    let refused = CacheLock::try_acquire(&cache, "partnerdesk-push")
        .expect_err("the open workspace holds its cache");
    assert_eq!(refused.code(), ErrorCode::StoreLocked);
    let StoreError::Locked { holder, .. } = &refused else {
        panic!("{refused:?}")
    };
    assert_eq!(
        holder,
        &format!("PartnerDesk, process {}", std::process::id())
    );

    state.shutdown().await;
    let push_run = CacheLock::try_acquire(&cache, "partnerdesk-push").expect("free once closed");

    // While a push run holds the cache, opening the workspace waits for it, then says so.
    let blocked = AppState::start(dirs.options(), quiet_changes()).await;
    let Err(error) = blocked else {
        panic!("the app opened a cache a push run holds")
    };
    assert_eq!(error.code(), ErrorCode::StoreLocked);
    let info = error.to_info();
    assert!(
        info.message.contains("partnerdesk-push"),
        "{}",
        info.message
    );

    drop(push_run);
    let state = start(&dirs).await;
    state.shutdown().await;
}
