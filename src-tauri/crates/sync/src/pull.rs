//! Brings the server's state down into the cache. Every kind of data has its own cursor, stored
//! in the same transaction as the data it covers, so a pull can stop anywhere (network gone, app
//! killed) and the next one resumes where it left off without duplicating anything.

use std::time::Duration;

use chrono::SecondsFormat;
use pd_domain::{CasePage, Timestamp, Topic};
use pd_store::{SearchIndexing, Store};
use pd_tradinggrid::{LensQuery, TradingGridClient};

use crate::{Error, Result};

/// Cursor of the `collab/v1` case change feed.
pub const CASES_CURSOR: &str = "collab.cases";
/// Arrival time of the newest exception seen (Lens has no change feed; arrival is the cursor).
pub const EXCEPTIONS_CURSOR: &str = "lens.exceptions.arrival";
/// When the exceptions were last fetched in full (to catch status changes of older ones).
pub const EXCEPTIONS_FULL_AT: &str = "lens.exceptions.full_at";
/// When partners and users were last fetched (Community Management has no change feed).
pub const DIRECTORY_AT: &str = "directory.refreshed_at";

/// Default of [`PullOptions::max_case_pages`]: 10,000 pages of 2,000 cases, two hundred times the
/// largest tenant the benchmarks sync.
pub const MAX_CASE_PAGES: usize = 10_000;

/// How a pull behaves.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// Cases per change-feed page.
    pub case_page_size: u32,
    /// Cases written to the cache in one transaction (whole pages; a large pull writes each
    /// index page once per transaction, so fewer, larger ones are faster).
    pub cases_per_write: usize,
    /// The first sync (an empty cache) builds the full-text index once at the end; `false`
    /// indexes every case as it is written, as later pulls do (the page-by-page sync the tests
    /// compare it with).
    pub defer_search_index: bool,
    /// Partners and users are fetched again when older than this.
    pub directory_max_age: Duration,
    /// The exceptions inbox is fetched in full when the last full fetch is older than this;
    /// in between only newer arrivals are asked for.
    pub exceptions_full_every: Duration,
    /// Change-feed pages one pull follows at most; a feed still saying "more" after that ends
    /// the pull with [`Error::FeedStuck`] (the pages stored so far stay, with their cursor).
    pub max_case_pages: usize,
}

impl Default for PullOptions {
    fn default() -> Self {
        Self {
            case_page_size: 2000,
            cases_per_write: 10_000,
            defer_search_index: true,
            directory_max_age: Duration::from_secs(3600),
            exceptions_full_every: Duration::from_secs(3600),
            max_case_pages: MAX_CASE_PAGES,
        }
    }
}

/// What one pull brought.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    /// Partners stored (0 when the directory was fresh enough).
    pub partners: usize,
    /// Users stored.
    pub users: usize,
    /// Exceptions stored.
    pub exceptions: usize,
    /// Case bundles stored.
    pub cases: usize,
    /// Change-feed pages fetched.
    pub case_pages: usize,
    /// HTTP requests made for data (the token excluded).
    pub requests: usize,
}

impl PullReport {
    /// The UI topics whose queries this pull made stale.
    pub fn changed_topics(&self) -> Vec<Topic> {
        let mut topics = Vec::new();
        if self.partners > 0 || self.users > 0 {
            topics.push(Topic::Partners);
        }
        if self.exceptions > 0 {
            topics.push(Topic::Exceptions);
        }
        if self.cases > 0 {
            topics.push(Topic::Cases);
        }
        topics
    }
}

/// Pulls everything that changed since the last pull into `store`, cases from the same host.
pub async fn pull(
    store: &Store,
    client: &TradingGridClient,
    options: &PullOptions,
    now: Timestamp,
) -> Result<PullReport> {
    pull_from(store, client, Some(client), options, now).await
}

/// Where a pull starts: every cursor it asks from, read in one hop to the blocking pool.
struct PullStart {
    /// The partners and users are due again.
    directory_due: bool,
    /// Arrival time of the newest exception stored.
    exceptions_newest: Option<String>,
    /// The exceptions inbox is fetched in full this time.
    exceptions_full: bool,
    /// The case feed's cursor.
    cases_cursor: Option<String>,
    /// How the cases of this pull are indexed for search.
    search: SearchIndexing,
}

/// Pulls partners, users and exceptions from the Trading Grid host and, when the account has a
/// case server (`cases`), the case change feed from it; without one the case feed is not asked.
/// The cursors are read in one step, then the directory (when due), the exceptions inbox and the
/// feed's first page are asked at the same time; what came back is stored in that order (a
/// failure stores nothing after it, as when they were asked one after the other). A pull that
/// brought nothing writes nothing.
pub async fn pull_from(
    store: &Store,
    client: &TradingGridClient,
    cases: Option<&TradingGridClient>,
    options: &PullOptions,
    now: Timestamp,
) -> Result<PullReport> {
    let mut report = PullReport::default();
    let (defer, directory_max_age, full_every) = (
        options.defer_search_index,
        options.directory_max_age,
        options.exceptions_full_every,
    );
    let start = blocking(store, move |s| {
        let newest = s.cursor(EXCEPTIONS_CURSOR)?;
        let exceptions_full =
            newest.is_none() || is_older_than(s.cursor(EXCEPTIONS_FULL_AT)?, full_every, now);
        Ok(PullStart {
            directory_due: is_older_than(s.cursor(DIRECTORY_AT)?, directory_max_age, now),
            exceptions_newest: newest,
            exceptions_full,
            cases_cursor: s.cursor(CASES_CURSOR)?,
            search: if s.search_index_deferred()? || (defer && s.has_no_cases()?) {
                SearchIndexing::Deferred
            } else {
                SearchIndexing::Now
            },
        })
    })
    .await?;
    let lens_query = exceptions_query(&start);
    // The case feed's fetching task starts at once, beside the other requests.
    let feed = cases.map(|cases| Feed::start(cases, start.cases_cursor.clone(), options));
    let (directory, exceptions) = tokio::join!(
        async {
            if start.directory_due {
                Some(fetch_directory(client).await)
            } else {
                None
            }
        },
        client.lens_all(&lens_query),
    );
    if let Some(directory) = directory {
        store_directory(store, directory?, now, &mut report).await?;
    }
    store_exceptions(store, &start, exceptions?, now, &mut report).await?;
    if let Some(feed) = feed {
        pull_cases(store, feed, start.search, &mut report).await?;
    }
    if report.cases >= OPTIMIZE_AFTER_CASES {
        // A large pull (the first sync of a big tenant) leaves the search index fragmented and the
        // planner's statistics stale; tidying now keeps every later list query fast.
        blocking(store, |s| s.optimize()).await?;
    }
    Ok(report)
}

/// A pull that stored at least this many cases is followed by [`Store::optimize`].
pub const OPTIMIZE_AFTER_CASES: usize = 5_000;

async fn blocking<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&Store) -> pd_store::Result<T> + Send + 'static,
) -> Result<T> {
    let store = store.clone();
    Ok(tokio::task::spawn_blocking(move || f(&store)).await??)
}

fn is_older_than(stamp: Option<String>, age: Duration, now: Timestamp) -> bool {
    let Some(at) = stamp.and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok()) else {
        return true;
    };
    let age = chrono::Duration::from_std(age).unwrap_or(chrono::Duration::MAX);
    now.signed_duration_since(at) >= age
}

fn stamp(at: Timestamp) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Partners and users, as Community Management lists them.
async fn fetch_directory(
    client: &TradingGridClient,
) -> pd_tradinggrid::Result<(Vec<pd_domain::Partner>, Vec<pd_domain::User>)> {
    let partners = client.partners(None).await?;
    let users = client.users_with_roles().await?;
    Ok((partners, users))
}

async fn store_directory(
    store: &Store,
    (partners, users): (Vec<pd_domain::Partner>, Vec<pd_domain::User>),
    now: Timestamp,
    report: &mut PullReport,
) -> Result<()> {
    report.requests += 2 + users.len();
    report.partners = partners.len();
    report.users = users.len();
    let at = stamp(now);
    blocking(store, move |s| {
        s.upsert_partners(&partners)?;
        s.upsert_users(&users)?;
        s.set_cursor(DIRECTORY_AT, &at)
    })
    .await
}

/// The Lens query for failed transactions: all of them on a full fetch, else those that
/// arrived after the newest one stored.
fn exceptions_query(start: &PullStart) -> LensQuery {
    let mut query = LensQuery::failed().count(500);
    if !start.exceptions_full {
        if let Some(after) = start
            .exceptions_newest
            .as_deref()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        {
            let from = stamp(after.with_timezone(&chrono::Utc) + chrono::Duration::milliseconds(1));
            query = query.range("arrivaltime", Some(&from), None);
        }
    }
    query
}

async fn store_exceptions(
    store: &Store,
    start: &PullStart,
    transactions: Vec<pd_domain::Transaction>,
    now: Timestamp,
    report: &mut PullReport,
) -> Result<()> {
    report.requests += 1 + transactions.len() / 500;
    report.exceptions = transactions.len();
    let latest = transactions
        .iter()
        .filter_map(|t| t.arrival_time.as_deref())
        .filter_map(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .max()
        .map(|t| stamp(t.with_timezone(&chrono::Utc)));
    let full_stamp = start.exceptions_full.then(|| stamp(now));
    if transactions.is_empty() && full_stamp.is_none() {
        // Nothing arrived and no full fetch to record: nothing to write.
        return Ok(());
    }
    blocking(store, move |s| {
        if !transactions.is_empty() {
            s.upsert_transactions(&transactions)?;
        }
        let newer = match (latest, s.cursor(EXCEPTIONS_CURSOR)?) {
            (Some(l), Some(old)) if old >= l => None,
            (l, _) => l,
        };
        if let Some(newest) = newer {
            s.set_cursor(EXCEPTIONS_CURSOR, &newest)?;
        }
        if let Some(at) = full_stamp {
            s.set_cursor(EXCEPTIONS_FULL_AT, &at)?;
        }
        Ok(())
    })
    .await
}

/// Follows the change feed to its end. Fetching and writing overlap: a task fetches and decodes
/// the next pages (HTTP, JSON, the server's own work) while the pages before them are written,
/// up to about one transaction's worth ahead ([`pages_ahead`]), so on two cores the network side
/// is off the writer's path. Pages are written in feed order with their cursor, the first alone
/// and then twice as many cases to a transaction each time, up to
/// [`PullOptions::cases_per_write`]; a cursor is stored only with the rows it covers. The first
/// sync (a cache without cases, or an interrupted first sync) leaves the full-text index to be
/// built once at the end, also when the feed fails part way, so what was stored is searchable.
/// A feed whose first page brings nothing and keeps the cursor writes nothing.
async fn pull_cases(
    store: &Store,
    feed: Feed,
    search: SearchIndexing,
    report: &mut PullReport,
) -> Result<()> {
    let followed = follow_feed(store, feed, search, report).await;
    if search == SearchIndexing::Deferred {
        let built = blocking(store, |s| s.build_deferred_search_index()).await;
        if followed.is_ok() {
            built?;
        } else if let Err(e) = built {
            tracing::warn!(error = %e, "the search index could not be built after a failed sync");
        }
    }
    followed
}

/// What the fetching task hands the writer, in feed order.
enum Fetched {
    /// A page, with more to come.
    Page(CasePage),
    /// The feed's last page.
    Last(CasePage),
    /// A page after which the feed says "more" without moving on (or more pages than any tenant
    /// has): stored, then the pull ends with [`Error::FeedStuck`].
    Stuck(CasePage, String),
    /// The next page could not be fetched; the pages before it are stored.
    Failed(pd_tradinggrid::Error),
}

/// Feed pages fetched ahead of the writer: about one transaction's worth, so a transaction's
/// pages are ready when the one before it commits, while a slow writer does not make the pull
/// hold the whole feed in memory.
fn pages_ahead(options: &PullOptions) -> usize {
    let page = usize::try_from(options.case_page_size.max(1)).unwrap_or(usize::MAX);
    options.cases_per_write.div_ceil(page).max(1)
}

/// Stops the fetching task when the pull ends or is dropped (a stopped sync, a failed write).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

/// The change feed being fetched ahead of the writer: its pages in feed order, the task fetching
/// them (stopped when this is dropped) and the cursor it was asked from.
struct Feed {
    pages: tokio::sync::mpsc::Receiver<Fetched>,
    fetcher: AbortOnDrop,
    asked: Option<String>,
    cases_per_write: usize,
}

impl Feed {
    /// Starts fetching the feed of `client` from `asked` on.
    fn start(client: &TradingGridClient, asked: Option<String>, options: &PullOptions) -> Feed {
        let (sender, pages) = tokio::sync::mpsc::channel(pages_ahead(options));
        let fetcher = AbortOnDrop(tokio::spawn(fetch_feed(
            client.clone(),
            asked.clone(),
            options.case_page_size,
            options.max_case_pages,
            sender,
        )));
        Feed {
            pages,
            fetcher,
            asked,
            cases_per_write: options.cases_per_write,
        }
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Fetches the feed from `asked` on, page after page, until it ends, fails, is stuck or the
/// writer stops listening.
async fn fetch_feed(
    client: TradingGridClient,
    mut asked: Option<String>,
    limit: u32,
    max_pages: usize,
    pages: tokio::sync::mpsc::Sender<Fetched>,
) {
    let mut fetched = 0usize;
    loop {
        let page = match client.cases_since(asked.as_deref(), limit).await {
            Ok(page) => page,
            Err(e) => {
                let _ = pages.send(Fetched::Failed(e)).await;
                return;
            }
        };
        fetched += 1;
        let has_more = page.has_more && !page.cases.is_empty();
        // A feed that says "more" must move on: the same cursor back, or more pages than any
        // tenant has, would hold the sync (and its lock) for ever.
        let stuck = if !has_more {
            None
        } else if asked.as_deref() == Some(page.next_cursor.as_str()) {
            Some(format!(
                "it answered cursor {:?} with more cases and the same cursor",
                page.next_cursor
            ))
        } else if fetched >= max_pages {
            Some(format!(
                "it still said there was more after {fetched} pages"
            ))
        } else {
            None
        };
        let item = match stuck {
            Some(detail) => Fetched::Stuck(page, detail),
            None if !has_more => Fetched::Last(page),
            None => {
                asked = Some(page.next_cursor.clone());
                Fetched::Page(page)
            }
        };
        let go_on = matches!(item, Fetched::Page(_));
        if pages.send(item).await.is_err() || !go_on {
            return;
        }
    }
}

async fn follow_feed(
    store: &Store,
    feed: Feed,
    search: SearchIndexing,
    report: &mut PullReport,
) -> Result<()> {
    let Feed {
        mut pages,
        mut fetcher,
        asked,
        cases_per_write,
    } = feed;
    let mut batch: Vec<CasePage> = Vec::new();
    let mut batch_cases = 0usize;
    // The first page is written alone (the list shows cases at once), then each transaction
    // takes twice as many cases as the one before, up to `cases_per_write`.
    let mut write_at = 1usize;
    loop {
        let Some(fetched) = pages.recv().await else {
            // The fetching task ended without a word: it panicked or the runtime is stopping.
            // Keep what it fetched, then say why.
            store_pages(store, batch, search).await?;
            (&mut fetcher.0).await?;
            return Err(Error::Task(
                "the change feed's fetching task stopped".into(),
            ));
        };
        let (page, end) = match fetched {
            Fetched::Page(page) => (page, None),
            Fetched::Last(page) => (page, Some(Ok(()))),
            Fetched::Stuck(page, detail) => (page, Some(Err(Error::FeedStuck { detail }))),
            Fetched::Failed(e) => {
                // Keep what was fetched before the failure.
                store_pages(store, batch, search).await?;
                return Err(e.into());
            }
        };
        report.requests += 1;
        report.case_pages += 1;
        let unchanged = report.case_pages == 1
            && page.cases.is_empty()
            && asked.as_deref() == Some(page.next_cursor.as_str());
        let end = match end {
            // Nothing changed: the cursor stays, nothing is written.
            Some(end) if unchanged => return end,
            other => other,
        };
        report.cases += page.cases.len();
        batch_cases += page.cases.len();
        batch.push(page);
        if let Some(end) = end {
            store_pages(store, batch, search).await?;
            return end;
        }
        if batch_cases >= write_at {
            write_at = (batch_cases * 2).min(cases_per_write).max(1);
            batch_cases = 0;
            // The fetching task goes on meanwhile.
            store_pages(store, std::mem::take(&mut batch), search).await?;
        }
    }
}

async fn store_pages(store: &Store, pages: Vec<CasePage>, search: SearchIndexing) -> Result<()> {
    let Some(last) = pages.last() else {
        return Ok(());
    };
    if pages.iter().all(|p| p.cases.is_empty()) {
        // Nothing new: keep the cursor unless the server moved it.
        let cursor = last.next_cursor.clone();
        let current = blocking(store, |s| s.cursor(CASES_CURSOR)).await?;
        if current.as_deref() == Some(cursor.as_str()) {
            return Ok(());
        }
    }
    blocking(store, move |s| {
        s.apply_case_pages(&pages, CASES_CURSOR, search)
    })
    .await
}
