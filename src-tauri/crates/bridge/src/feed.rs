//! Pulling the xConnector's event feed: page after page from the stored cursor, each page's
//! events and the cursor after it stored in one transaction (a kill between pages repeats
//! nothing; a kill inside one stores nothing of it), until a page comes back empty.

use pd_connectors::XcClient;
use pd_store::{CaseHome, IngestReport, Store};
use serde_json::Value;

use crate::cloudevents::read_value;
use crate::BridgeError;

/// The cursor's job name in `connector_runs`.
pub const FEED_JOB: &str = "xc_feed";

/// What one pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    /// Pages read.
    pub pages: u32,
    /// What they changed.
    pub ingest: IngestReport,
}

fn add(total: &mut IngestReport, page: &IngestReport) {
    total.opened += page.opened;
    total.updated += page.updated;
    total.late += page.late;
    total.duplicates += page.duplicates;
    total.aside += page.aside;
    total.partners += page.partners;
}

/// Reads the feed from the stored cursor to its end (at most `max_pages`).
pub async fn pull_feed(
    store: &Store,
    client: &XcClient,
    connector_id: &str,
    feed_url: &str,
    home: CaseHome,
    max_pages: u32,
) -> Result<PullReport, BridgeError> {
    let mut report = PullReport::default();
    let mut cursor = store.connector_cursor(connector_id, FEED_JOB)?;
    while report.pages < max_pages {
        let body = client.feed_page(feed_url, cursor.as_deref()).await?;
        let page: Value = serde_json::from_str(&body).map_err(|e| {
            BridgeError::Unreadable(format!(
                "The event feed's page is not JSON ({e}); the feed stays at the same position and is read again next time."
            ))
        })?;
        let Some(events) = page.get("events").and_then(Value::as_array) else {
            return Err(BridgeError::Unreadable(
                "The event feed's page has no \"events\" list; the feed stays at the same position.".into(),
            ));
        };
        let next = page.get("next").and_then(Value::as_str).map(str::to_owned);
        if events.is_empty() {
            break;
        }
        let inbound: Vec<_> = events.iter().cloned().map(read_value).collect();
        let next_cursor = next.clone().unwrap_or_default();
        let cursor_pair = next.as_deref().map(|n| (FEED_JOB, n));
        let page_report = store.ingest_events(
            connector_id,
            home,
            &inbound,
            cursor_pair,
            chrono::Utc::now(),
        )?;
        add(&mut report.ingest, &page_report);
        report.pages += 1;
        if next.is_none() || cursor.as_deref() == Some(next_cursor.as_str()) {
            break;
        }
        cursor = next;
    }
    Ok(report)
}
