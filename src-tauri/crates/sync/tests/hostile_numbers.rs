//! Numbers a server sends cannot stop syncing: an absurd token lifetime, an absurd
//! `Retry-After`, a change feed that says "more" and never moves on, and one longer than any
//! tenant. Against the sandbox on loopback with its fault switches, into a real cache file.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::World;
use partnerdesk_sandbox::Faults;
use pd_domain::ErrorCode;
use pd_sync::{pull, PullOptions, SyncOptions, SyncService};

/// A pull that hangs is a failure of the test, not a test that never ends.
const HANG_GUARD: Duration = Duration::from_secs(120);

fn small_pages() -> PullOptions {
    PullOptions {
        case_page_size: 64,
        ..PullOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_lifetime_of_ten_quintillion_seconds_does_not_stop_the_sync() {
    let world = World::new(150).await;
    world.faults(Faults {
        token_expires_in: Some(10_000_000_000_000_000_000),
        ..Faults::default()
    });
    let report = pull(
        &world.store,
        &world.client,
        &small_pages(),
        chrono::Utc::now(),
    )
    .await
    .expect("the pull completes");
    assert_eq!(report.cases, 150);
    world.assert_cache_equals_server().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_of_two_to_the_sixty_four_seconds_ends_the_pull_as_rate_limited() {
    let world = World::new(100).await;
    // Answers arrive after a second, so the wait is added to a deadline already under way.
    world.faults(Faults {
        rate_limit_rate: 1.0,
        retry_after_secs: u64::MAX,
        latency_ms: 1100,
        ..Faults::default()
    });
    let error = pull(
        &world.store,
        &world.client,
        &small_pages(),
        chrono::Utc::now(),
    )
    .await
    .expect_err("rate limited");
    assert_eq!(error.code(), ErrorCode::ApiRateLimited, "{error}");
    assert_eq!(world.store.counts().expect("counts").cases, 0);

    // The server calms down: the next pull brings everything.
    world.faults(Faults::default());
    pull(
        &world.store,
        &world.client,
        &small_pages(),
        chrono::Utc::now(),
    )
    .await
    .expect("pull after the storm");
    world.assert_cache_equals_server().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_feed_that_never_moves_on_ends_with_a_clear_error_and_frees_the_sync() {
    let world = World::new(200).await;
    world.faults(Faults {
        stuck_change_feed: true,
        ..Faults::default()
    });
    let error = tokio::time::timeout(
        HANG_GUARD,
        pull(
            &world.store,
            &world.client,
            &small_pages(),
            chrono::Utc::now(),
        ),
    )
    .await
    .expect("the pull ends instead of looping")
    .expect_err("a stuck feed is an error");
    assert_eq!(error.code(), ErrorCode::SyncFeedStuck, "{error}");
    assert!(error.to_string().contains("same cursor"), "{error}");
    assert_eq!(
        world.store.counts().expect("counts").cases,
        64,
        "the page that did arrive is kept"
    );

    // Through the service, as the app runs it: the status says why, and the sync lock is free
    // for the next cycle, which completes once the feed behaves.
    let (handle, _loop) = SyncService::prepare(
        world.store.clone(),
        world.client.clone(),
        SyncOptions {
            pull: small_pages(),
            ..SyncOptions::default()
        },
        Arc::new(|_: &[pd_domain::Topic]| {}),
    );
    let status = tokio::time::timeout(HANG_GUARD, handle.sync_now())
        .await
        .expect("the cycle ends");
    let shown = status.last_error.expect("an error is shown");
    assert_eq!(shown.code, ErrorCode::SyncFeedStuck);
    assert!(!status.syncing);
    world.faults(Faults::default());
    let status = tokio::time::timeout(HANG_GUARD, handle.sync_now())
        .await
        .expect("the next cycle is not blocked");
    assert_eq!(status.last_error, None);
    world.assert_cache_equals_server().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_longer_than_the_page_cap_ends_the_pull_and_the_next_one_resumes() {
    let world = World::new(300).await;
    let options = PullOptions {
        max_case_pages: 2,
        ..small_pages()
    };
    let error = pull(&world.store, &world.client, &options, chrono::Utc::now())
        .await
        .expect_err("over the cap");
    assert_eq!(error.code(), ErrorCode::SyncFeedStuck, "{error}");
    assert_eq!(world.store.counts().expect("counts").cases, 128);
    // Each pull moves on from the stored cursor: three more and the cache is whole.
    let mut pulls = 1;
    loop {
        pulls += 1;
        match pull(&world.store, &world.client, &options, chrono::Utc::now()).await {
            Ok(_) => break,
            Err(e) => assert_eq!(e.code(), ErrorCode::SyncFeedStuck, "{e}"),
        }
        assert!(pulls < 10, "the pulls do not move on");
    }
    assert_eq!(
        pulls, 3,
        "300 cases in pages of 64 under a cap of two pages"
    );
    world.assert_cache_equals_server().await;
}
