//! Pull sync against the sandbox on loopback into a real cache file: complete, incremental,
//! resumable, and unharmed by a misbehaving server.

mod common;

use common::{client_for, stubborn, World};
use partnerdesk_sandbox::Faults;
use pd_sync::{pull, PullOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_pull_fills_the_cache_and_a_second_transfers_nothing() {
    let world = World::new(300).await;
    let options = PullOptions {
        case_page_size: 64,
        ..PullOptions::default()
    };
    let first = pull(&world.store, &world.client, &options, chrono::Utc::now())
        .await
        .expect("first pull");
    assert_eq!(first.cases, 300);
    assert!(first.partners >= 30, "partners: {}", first.partners);
    assert_eq!(first.users, 12);
    assert!(first.exceptions > 100, "exceptions: {}", first.exceptions);
    world.assert_cache_equals_server().await;

    let stats_before = world.sandbox().stats().await.expect("stats");
    let again = pull(&world.store, &world.client, &options, chrono::Utc::now())
        .await
        .expect("second pull");
    let stats_after = world.sandbox().stats().await.expect("stats");
    assert_eq!((again.cases, again.exceptions, again.partners), (0, 0, 0));
    assert_eq!(
        stats_after.requests - stats_before.requests,
        2,
        "a sync with nothing new is one change-feed check and one exceptions check"
    );

    // Server-side changes arrive on the next pull, and only they do.
    let touched = world
        .sandbox()
        .simulate_partner_replies(5)
        .await
        .expect("simulate");
    let third = pull(&world.store, &world.client, &options, chrono::Utc::now())
        .await
        .expect("third pull");
    let distinct: std::collections::HashSet<_> = touched.iter().collect();
    assert_eq!(third.cases, distinct.len());
    world.assert_cache_equals_server().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_expiring_mid_sync_does_not_stop_it() {
    let world = World::new(200).await;
    world.faults(Faults {
        token_ttl_secs: Some(1),
        latency_ms: 120,
        ..Faults::default()
    });
    let options = PullOptions {
        case_page_size: 20,
        ..PullOptions::default()
    };
    let report = pull(&world.store, &world.client, &options, chrono::Utc::now())
        .await
        .expect("pull completes across token expiries");
    assert_eq!(report.cases, 200);
    assert!(report.case_pages >= 10);
    world.faults(Faults::default());
    world.assert_cache_equals_server().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_give_a_clear_401_and_leave_the_cache_alone() {
    let world = World::new(50).await;
    let mut config = world.config.clone();
    config.consumer_secret = "not-the-secret".into();
    let client = client_for(world.sandbox(), &config, stubborn());
    let err = pull(
        &world.store,
        &client,
        &PullOptions::default(),
        chrono::Utc::now(),
    )
    .await
    .expect_err("refused");
    assert_eq!(err.code(), "auth.unauthorized");
    assert!(err.to_string().contains("secret"), "{err}");
    assert_eq!(world.store.counts().expect("counts").cases, 0);
}

/// With every fault switched on, each pull either completes with a cache identical to the
/// server or fails with a clear error and the cache exactly as it was before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misbehaving_server_never_leaves_a_half_written_cache() {
    let world = World::new(300).await;
    let client = client_for(world.sandbox(), &world.config, stubborn());
    world.faults(Faults {
        error_rate: 0.15,
        rate_limit_rate: 0.1,
        retry_after_secs: 0,
        drop_rate: 0.1,
        malformed_rate: 0.1,
        ..Faults::default()
    });
    let options = PullOptions {
        case_page_size: 25,
        ..PullOptions::default()
    };
    let mut failures = Vec::new();
    let mut completed = false;
    for _ in 0..60 {
        let before = world.store.counts().expect("counts");
        let cursor_before = world.store.cursor(pd_sync_cursor()).expect("cursor");
        match pull(&world.store, &client, &options, chrono::Utc::now()).await {
            Ok(_) => {
                completed = true;
                break;
            }
            Err(e) => {
                // Whatever was stored is whole pages with their cursor: never a partial page.
                let after = world.store.counts().expect("counts");
                let cursor_after = world.store.cursor(pd_sync_cursor()).expect("cursor");
                assert!(after.cases >= before.cases);
                if cursor_after == cursor_before {
                    assert_eq!(
                        after.cases, before.cases,
                        "cases changed without the cursor"
                    );
                }
                assert!(!e.code().as_str().is_empty() && !e.to_string().is_empty());
                failures.push(e.code());
            }
        }
    }
    assert!(completed, "no pull completed; failures: {failures:?}");
    world.faults(Faults::default());
    world.assert_cache_equals_server().await;
}

/// The server goes away half-way through the first pull; the next pull resumes from the last
/// stored page and ends with no duplicates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_pull_resumes_where_it_stopped() {
    let mut world = World::new(400).await;
    world.faults(Faults {
        latency_ms: 40,
        ..Faults::default()
    });
    let options = PullOptions {
        case_page_size: 20,
        ..PullOptions::default()
    };
    let client = client_for(
        world.sandbox(),
        &world.config,
        pd_tradinggrid::RetryPolicy::no_retries(),
    );
    let (store, c, o) = (world.store.clone(), client.clone(), options.clone());
    let running = tokio::spawn(async move { pull(&store, &c, &o, chrono::Utc::now()).await });
    // Let some pages land, then take the server away.
    for _ in 0..200 {
        if world.store.counts().expect("counts").cases >= 60 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    world.stop_server().await;
    let outcome = running.await.expect("join");
    let partial = world.store.counts().expect("counts").cases;
    assert!(outcome.is_err(), "the pull should have been cut off");
    assert!(partial > 0 && partial < 400, "partial: {partial}");

    world.start_server().await;
    world.faults(Faults::default());
    let report = pull(&world.store, &client, &options, chrono::Utc::now())
        .await
        .expect("resumed pull");
    assert_eq!(
        report.cases as u64 + partial,
        400,
        "resumed from the stored cursor"
    );
    world.assert_cache_equals_server().await;
}

fn pd_sync_cursor() -> &'static str {
    "collab.cases"
}
