//! The first sync into an empty cache is written in large transactions with the search index
//! built once at the end. What an analyst then sees must be exactly what the page-by-page sync
//! (every case indexed as it is written) gives, and what the server holds; a first sync cut
//! short is finished by the next one, every case searchable. The first sync drops the cache's
//! secondary indexes while it loads: a sync killed then leaves a cache whose list still answers,
//! and the next sync finishes it with every index back. The feed is fetched ahead while the cache
//! writes (pipelined): a feed failing then keeps every page fetched before the failure.

mod common;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::World;
use partnerdesk_sandbox::Faults;
use pd_domain::{CaseBundle, CaseQuery};
use pd_store::{SearchIndexing, Store};
use pd_sync::{pull, pull_from, PullOptions, CASES_CURSOR};
use pd_tradinggrid::{ClientConfig, RetryPolicy, TradingGridClient};
use rusqlite::types::Value;

/// Every row of the tables a sync writes, in a fixed order, as text.
fn dump(store: &Store) -> Vec<(String, Vec<String>)> {
    let conn = rusqlite::Connection::open_with_flags(
        store.path(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open cache");
    let queries = [
        "SELECT * FROM cases ORDER BY id",
        "SELECT * FROM comments ORDER BY id",
        "SELECT * FROM documents ORDER BY id",
        "SELECT * FROM case_transactions ORDER BY case_id, transaction_id",
        "SELECT * FROM case_base ORDER BY case_id",
        "SELECT key, value FROM sync_state WHERE key NOT IN \
            ('directory.refreshed_at', 'lens.exceptions.full_at') ORDER BY key",
        "SELECT case_id, status, at FROM case_status_log ORDER BY case_id, at, status",
        "SELECT case_id, kind, value FROM case_reference_index ORDER BY case_id, kind, value",
        "SELECT type, name, tbl_name, sql FROM sqlite_schema \
            WHERE type IN ('index', 'trigger') ORDER BY name",
    ];
    queries
        .iter()
        .map(|sql| {
            let mut stmt = conn.prepare(sql).expect("prepare");
            let width = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    let cells: Vec<String> = (0..width)
                        .map(|i| format!("{:?}", r.get::<_, Value>(i).expect("cell")))
                        .collect();
                    Ok(cells.join(" | "))
                })
                .expect("query")
                .collect::<rusqlite::Result<Vec<_>>>()
                .expect("rows");
            (sql.to_string(), rows)
        })
        .collect()
}

/// Words and prefixes an analyst would type, taken from the server's titles and comments.
fn vocabulary(server: &[CaseBundle]) -> Vec<String> {
    let mut words = BTreeSet::new();
    for b in server {
        let texts = std::iter::once(b.case.title.as_str())
            .chain(std::iter::once(b.case.reference.as_str()))
            .chain(b.comments.iter().map(|c| c.body.as_str()));
        for text in texts {
            for w in text.split_whitespace() {
                let w = w.trim_end_matches(['.', ',', ':', ';', '?', '!']);
                if w.chars().count() >= 3 && w.chars().all(|c| c.is_ascii_alphanumeric()) {
                    words.insert(w.to_lowercase());
                }
            }
        }
    }
    let all: Vec<String> = words.into_iter().collect();
    let step = (all.len() / 120).max(1);
    let mut picked: Vec<String> = all.iter().step_by(step).cloned().collect();
    picked.extend(
        all.iter()
            .step_by(step * 3)
            .map(|w| w.chars().take(2).collect()),
    );
    picked
}

fn search(store: &Store, text: &str) -> Vec<String> {
    store
        .list_cases(
            &CaseQuery {
                search: Some(text.to_string()),
                limit: 5000,
                ..CaseQuery::default()
            },
            chrono::Utc::now(),
        )
        .expect("search")
        .rows
        .into_iter()
        .map(|r| r.id)
        .collect()
}

async fn server_bundles(world: &World) -> Vec<CaseBundle> {
    world.server_cases().await.into_values().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_in_bulk_equals_a_page_by_page_sync_and_the_server() {
    let world = World::new(400).await;
    let bulk = PullOptions {
        case_page_size: 64,
        cases_per_write: 150,
        ..PullOptions::default()
    };
    let report = pull(&world.store, &world.client, &bulk, chrono::Utc::now())
        .await
        .expect("first sync in bulk");
    assert_eq!(report.cases, 400);
    assert!(report.case_pages >= 7, "pages: {}", report.case_pages);
    assert!(!world.store.search_index_deferred().expect("flag"));

    let by_page = synced_page_by_page(&world).await;

    world.assert_cache_equals_server().await;
    world.assert_store_equals_server(&by_page).await;
    let (a, b) = (dump(&world.store), dump(&by_page));
    for ((sql, rows_a), (_, rows_b)) in a.iter().zip(&b) {
        assert_eq!(rows_a.len(), rows_b.len(), "{sql}: row counts differ");
        assert_eq!(rows_a, rows_b, "{sql}: rows differ");
    }
    let server = server_bundles(&world).await;
    let words = vocabulary(&server);
    assert!(words.len() > 100, "vocabulary: {}", words.len());
    let mut found_any = 0;
    for w in &words {
        let (x, y) = (search(&world.store, w), search(&by_page, w));
        assert_eq!(x, y, "search {w:?} differs between the two caches");
        found_any += usize::from(!x.is_empty());
    }
    assert_eq!(
        found_any,
        words.len(),
        "every word taken from the server finds a case"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_first_sync_is_finished_by_the_next_and_every_case_is_searchable() {
    let world = World::new(300).await;
    // The app stopped after storing the first pages of its first sync, before the index build.
    let first = world
        .client
        .cases_since(None, 120)
        .await
        .expect("first pages");
    assert!(first.has_more);
    world
        .store
        .apply_case_pages(
            std::slice::from_ref(&first),
            CASES_CURSOR,
            SearchIndexing::Deferred,
        )
        .expect("stored before the stop");
    assert!(world.store.search_index_deferred().expect("flag"));

    // Cut short again, by a feed that stops moving on after two more pages.
    let cut = PullOptions {
        case_page_size: 50,
        max_case_pages: 2,
        ..PullOptions::default()
    };
    let err = pull(&world.store, &world.client, &cut, chrono::Utc::now())
        .await
        .expect_err("feed stopped part way");
    assert!(matches!(err, pd_sync::Error::FeedStuck { .. }), "{err:?}");
    assert_eq!(world.store.counts().expect("counts").cases, 220);
    assert!(
        !world.store.search_index_deferred().expect("flag"),
        "what was stored is searchable even though the sync failed"
    );
    let early = &first.cases[0];
    let title_word = early
        .case
        .title
        .split_whitespace()
        .find(|w| w.chars().count() >= 4 && w.chars().all(char::is_alphanumeric))
        .expect("a word in the title")
        .to_string();
    assert!(search(&world.store, &title_word).contains(&early.case.id));

    let report = pull(
        &world.store,
        &world.client,
        &PullOptions::default(),
        chrono::Utc::now(),
    )
    .await
    .expect("the next sync finishes");
    assert_eq!(report.cases, 80);
    world.assert_cache_equals_server().await;
    let server = server_bundles(&world).await;
    for bundle in server.iter().step_by(7) {
        let reference = &bundle.case.reference;
        assert!(
            search(&world.store, reference).contains(&bundle.case.id),
            "case {reference} is found by its reference"
        );
    }
}

/// Cases in the file and whether the first sync's indexes are dropped, read by another
/// connection while the pull process writes.
fn progress(path: &std::path::Path) -> Option<(i64, bool)> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .ok()?;
    conn.busy_timeout(Duration::from_secs(2)).ok()?;
    let cases = conn
        .query_row("SELECT count(*) FROM cases", [], |r| r.get(0))
        .ok()?;
    let dropped = conn
        .query_row(
            "SELECT count(*) FROM sync_state WHERE key = 'bulk.dropped_indexes'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .ok()?;
    Some((cases, dropped == 1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_killed_while_it_loads_is_finished_by_the_next_with_every_index_back() {
    let world = World::new(400).await;
    // Slow pages, so the process is surely killed with part of the feed stored.
    world.faults(Faults {
        latency_ms: 150,
        ..Faults::default()
    });
    let path = world.dir.path().join("killed.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_partnerdesk-pull"))
        .args([
            "--db",
            &path.to_string_lossy(),
            "--url",
            &world.sandbox().base_url(),
            "--company-id",
            &world.config.company_id,
            "--consumer-key",
            &world.config.consumer_key,
            "--page-size",
            "20",
            "--cases-per-write",
            "40",
        ])
        .env("PARTNERDESK_CONSUMER_SECRET", &world.config.consumer_secret)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start partnerdesk-pull");
    let started = Instant::now();
    let stored = loop {
        if let Some((cases, true)) = progress(&path) {
            if cases >= 100 {
                break cases;
            }
        }
        assert!(
            child.try_wait().expect("child").is_none(),
            "the pull ended before it was killed"
        );
        assert!(started.elapsed() < Duration::from_secs(40), "no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    child.kill().expect("kill");
    child.wait().expect("reaped");
    let (after_kill, dropped) = progress(&path).expect("readable after the kill");
    assert!(
        after_kill >= stored && after_kill < 400,
        "{after_kill} cases"
    );
    assert!(dropped, "killed while the indexes were dropped");

    // The app opens the half-loaded cache: the list answers (without the indexes).
    world.faults(Faults::default());
    let store = Store::open(&path).expect("open the killed sync's cache");
    assert!(store.search_index_deferred().expect("flag"));
    let listed = store
        .list_cases(
            &CaseQuery {
                sort: pd_domain::CaseSortField::Title,
                limit: 5000,
                ..CaseQuery::default()
            },
            chrono::Utc::now(),
        )
        .expect("the list while the first sync is unfinished");
    assert_eq!(i64::from(listed.total), after_kill);
    let titles: Vec<String> = listed.rows.iter().map(|r| r.title.to_lowercase()).collect();
    assert!(titles.windows(2).all(|w| w[0] <= w[1]), "sorted by title");

    let report = pull(
        &store,
        &world.client,
        &PullOptions::default(),
        chrono::Utc::now(),
    )
    .await
    .expect("the next sync finishes the first");
    assert_eq!(
        i64::try_from(report.cases).expect("count"),
        400 - after_kill
    );
    assert!(!store.search_index_deferred().expect("flag"));
    world.assert_store_equals_server(&store).await;

    // Equal, schema and rows, to a cache synced page by page with its indexes all along.
    let one_page_at_a_time = PullOptions {
        case_page_size: 64,
        cases_per_write: 1,
        defer_search_index: false,
        ..PullOptions::default()
    };
    pull(
        &world.store,
        &world.client,
        &one_page_at_a_time,
        chrono::Utc::now(),
    )
    .await
    .expect("page-by-page sync");
    let (a, b) = (dump(&store), dump(&world.store));
    for ((sql, rows_a), (_, rows_b)) in a.iter().zip(&b) {
        assert_eq!(rows_a, rows_b, "{sql}: rows differ");
    }
    let server = server_bundles(&world).await;
    for bundle in server.iter().step_by(9) {
        let reference = &bundle.case.reference;
        assert!(
            search(&store, reference).contains(&bundle.case.id),
            "case {reference} is found by its reference"
        );
    }
}

// ---- the pipelined first sync: pages fetched while the cache writes -------------------------

/// A proxy in front of the sandbox that counts the change-feed requests it answers and, once
/// `feed_pages_passed` of them went through, answers every further one 503.
#[derive(Clone)]
struct FeedProxy {
    upstream: String,
    http: reqwest::Client,
    feed_requests: Arc<AtomicUsize>,
    feed_pages_passed: Arc<AtomicUsize>,
}

async fn forward_feed(
    axum::extract::State(proxy): axum::extract::State<FeedProxy>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let method = request.method().clone();
    let is_feed = method == axum::http::Method::GET && request.uri().path().ends_with("/cases");
    if is_feed {
        let seen = proxy.feed_requests.fetch_add(1, Ordering::SeqCst);
        if seen >= proxy.feed_pages_passed.load(Ordering::SeqCst) {
            return (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                [("content-type", "application/json")],
                r#"{"code":"unavailable","message":"proxy: the feed is down"}"#,
            )
                .into_response();
        }
    }
    common::relay(&proxy.http, &proxy.upstream, request).await
}

/// A second cache beside the world's, synced one page of 64 at a time, each in its own write,
/// its search index kept row by row: what every faster path must equal.
async fn synced_page_by_page(world: &World) -> Store {
    let by_page = Store::open(world.dir.path().join("page-by-page.db")).expect("second cache");
    let one_page_at_a_time = PullOptions {
        case_page_size: 64,
        cases_per_write: 1,
        defer_search_index: false,
        ..PullOptions::default()
    };
    pull(
        &by_page,
        &world.client,
        &one_page_at_a_time,
        chrono::Utc::now(),
    )
    .await
    .expect("page-by-page sync");
    by_page
}

async fn start_feed_proxy(world: &World) -> (FeedProxy, TradingGridClient) {
    let proxy = FeedProxy {
        upstream: world.sandbox().base_url().trim_end_matches('/').to_string(),
        http: reqwest::Client::new(),
        feed_requests: Arc::new(AtomicUsize::new(0)),
        feed_pages_passed: Arc::new(AtomicUsize::new(usize::MAX)),
    };
    let app = axum::Router::new()
        .fallback(forward_feed)
        .with_state(proxy.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("proxy port");
    let addr = listener.local_addr().expect("proxy address");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("proxy serves");
    });
    let mut config = ClientConfig::new(
        url::Url::parse(&format!("http://{addr}/")).expect("proxy url"),
        world.config.company_id.clone(),
        world.config.consumer_key.clone(),
        world.config.consumer_secret.clone(),
    );
    // A feed request the proxy refuses fails the pull at once.
    config.retry = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    config.request_timeout = Duration::from_secs(10);
    (proxy, TradingGridClient::new(config).expect("client"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipelined_first_sync_fetches_ahead_of_a_busy_cache_and_keeps_every_page_it_fetched() {
    let world = World::new(400).await;
    let (proxy, through_proxy) = start_feed_proxy(&world).await;
    let now = chrono::Utc::now();
    // Partners, users and exceptions first, so the case feed is all the next pull writes.
    pull_from(
        &world.store,
        &world.client,
        None,
        &PullOptions::default(),
        now,
    )
    .await
    .expect("directory and exceptions");

    // Pages of 20 cases, transactions of up to 100: the fetching task runs up to 5 pages ahead.
    // The feed fails after its 4th page.
    proxy.feed_pages_passed.store(4, Ordering::SeqCst);
    let options = PullOptions {
        case_page_size: 20,
        cases_per_write: 100,
        ..PullOptions::default()
    };
    // Another connection holds the cache's write lock, so the writer waits on its first page.
    let path = world.store.path().to_path_buf();
    let holder = rusqlite::Connection::open(&path).expect("second connection");
    holder.execute_batch("BEGIN IMMEDIATE").expect("write lock");
    let sync = {
        let (store, client, options) = (world.store.clone(), world.client.clone(), options.clone());
        let cases = through_proxy.clone();
        tokio::spawn(async move { pull_from(&store, &client, Some(&cases), &options, now).await })
    };
    // While the cache is busy, the feed is fetched on: the four pages and the failed fifth.
    let started = Instant::now();
    while proxy.feed_requests.load(Ordering::SeqCst) < 5 {
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "only {} feed requests while the cache was busy: the feed was not fetched ahead",
            proxy.feed_requests.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        progress(&path).expect("readable").0,
        0,
        "nothing written yet"
    );
    holder.execute_batch("ROLLBACK").expect("lock released");

    let err = sync
        .await
        .expect("sync task")
        .expect_err("the feed failed after 4 pages");
    assert!(matches!(err, pd_sync::Error::Remote(_)), "{err:?}");
    // Every page fetched before the failure is stored, in order, with its cursor.
    let first_80 = world
        .client
        .cases_since(None, 80)
        .await
        .expect("the feed's first 80 cases");
    let expected: BTreeSet<String> = first_80.cases.iter().map(|b| b.case.id.clone()).collect();
    let cached: BTreeSet<String> = world
        .case_ids(CaseQuery {
            limit: 5000,
            ..CaseQuery::default()
        })
        .into_iter()
        .collect();
    assert_eq!(cached, expected, "the cache holds the 4 fetched pages");
    assert_eq!(
        world.store.cursor(CASES_CURSOR).expect("cursor"),
        Some(first_80.next_cursor.clone())
    );
    assert!(
        !world.store.search_index_deferred().expect("flag"),
        "what was stored is searchable even though the sync failed"
    );
    let last = first_80.cases.last().expect("a case");
    assert!(search(&world.store, &last.case.reference).contains(&last.case.id));

    // The feed is back: the next sync finishes the first, and the cache equals the server and a
    // page-by-page sync, rows, schema and searches.
    proxy.feed_pages_passed.store(usize::MAX, Ordering::SeqCst);
    let report = pull_from(
        &world.store,
        &world.client,
        Some(&through_proxy),
        &options,
        chrono::Utc::now(),
    )
    .await
    .expect("the next sync");
    assert_eq!(report.cases, 320);
    world.assert_cache_equals_server().await;
    let by_page = synced_page_by_page(&world).await;
    let (a, b) = (dump(&world.store), dump(&by_page));
    for ((sql, rows_a), (_, rows_b)) in a.iter().zip(&b) {
        assert_eq!(rows_a, rows_b, "{sql}: rows differ");
    }
    let server = server_bundles(&world).await;
    for w in vocabulary(&server).iter().step_by(5) {
        assert_eq!(
            search(&world.store, w),
            search(&by_page, w),
            "search {w:?} differs between the two caches"
        );
    }
}
