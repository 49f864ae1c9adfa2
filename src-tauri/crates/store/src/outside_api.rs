//! The [`Store`] methods of connector work (kept apart from `lib.rs` so the shared file only
//! gains a line): each one transaction, as `outside.rs` explains.

use pd_domain::{
    ArticleText, AsideItem, CaseOrigin, ImportRun, ImportedRequest, NoticeText, OriginSource,
    PublicationKind, PublicationState, PublicationView, Timestamp,
};

use crate::outside::{self, AsideInput, AssignRule, CaseHome, Inbound, IngestReport, Place};
use crate::{OutboxEntry, Result, Store};

impl Store {
    /// Applies a batch of inbound events (dedup by source and id, per-case time order, late
    /// events recorded without effect, unknown ones kept aside) and stores the feed cursor
    /// `(job, value)` after it, in one transaction.
    pub fn ingest_events(
        &self,
        connector_id: &str,
        home: CaseHome,
        events: &[Inbound],
        cursor: Option<(&str, &str)>,
        now: Timestamp,
    ) -> Result<IngestReport> {
        self.db
            .write(|tx| outside::ingest(tx, connector_id, home, events, cursor, now))
    }

    /// Opens a case per new imported request (assigned by `rules`) and stores the cursor, in one
    /// transaction. `Err` items are kept aside.
    pub fn import_requests(
        &self,
        connector_id: &str,
        home: CaseHome,
        requests: &[std::result::Result<ImportedRequest, AsideInput>],
        rules: &[AssignRule],
        cursor: (&str, &str),
        now: Timestamp,
    ) -> Result<IngestReport> {
        self.db.write(|tx| {
            outside::import_requests(tx, connector_id, home, requests, rules, cursor, now)
        })
    }

    /// A connector job's cursor.
    pub fn connector_cursor(&self, connector_id: &str, job: &str) -> Result<Option<String>> {
        self.db.read(|c| outside::run_cursor(c, connector_id, job))
    }

    /// Records how a connector job's run ended (`error`: its failure in words).
    pub fn record_connector_run(
        &self,
        connector_id: &str,
        job: &str,
        imports: &str,
        error: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        self.db
            .write(|tx| outside::record_run(tx, connector_id, job, imports, error, now))
    }

    /// Every connector job's last run.
    pub fn connector_runs(&self) -> Result<Vec<ImportRun>> {
        self.db.read(outside::runs)
    }

    /// Items kept aside, newest first.
    pub fn aside_items(&self, limit: u32) -> Result<Vec<AsideItem>> {
        self.db.read(|c| outside::aside(c, limit))
    }

    /// Where a case came from.
    pub fn case_origins(&self, case_id: &str) -> Result<Vec<CaseOrigin>> {
        self.db.read(|c| outside::origins(c, case_id))
    }

    /// The case an import or a correlation id opened.
    pub fn case_for_origin(
        &self,
        connector_id: &str,
        source: OriginSource,
        external_id: &str,
    ) -> Result<Option<String>> {
        self.db
            .read(|c| outside::case_for(c, connector_id, source, external_id))
    }

    /// A case's notice and article.
    pub fn publications(&self, case_id: &str) -> Result<Vec<PublicationView>> {
        self.db.read(|c| outside::publications(c, case_id))
    }

    /// The notice text to preview (the last one published, or one drafted from the case).
    pub fn draft_notice(&self, case_id: &str) -> Result<NoticeText> {
        self.db.read(|c| outside::draft_notice(c, case_id))
    }

    /// The article text to preview (the last one promoted, or one drafted from the case).
    pub fn draft_article(&self, case_id: &str) -> Result<ArticleText> {
        self.db.read(|c| outside::draft_article(c, case_id))
    }

    /// Publishes a notice (or publishes it again with new text): the row and its queued write
    /// in one transaction. Answers the state it is now in.
    pub fn publish_notice(
        &self,
        case_id: &str,
        place: &Place,
        notice: &NoticeText,
        now: Timestamp,
    ) -> Result<PublicationState> {
        let text = serde_json::to_value(notice)?;
        self.db.write(|tx| {
            outside::publish(tx, case_id, PublicationKind::WixNotice, place, &text, now)
        })
    }

    /// Promotes a case's resolution to an article (or updates it with new text).
    pub fn promote_article(
        &self,
        case_id: &str,
        place: &Place,
        article: &ArticleText,
        now: Timestamp,
    ) -> Result<PublicationState> {
        let text = serde_json::to_value(article)?;
        self.db.write(|tx| {
            outside::publish(
                tx,
                case_id,
                PublicationKind::DrupalArticle,
                place,
                &text,
                now,
            )
        })
    }

    /// Sends (or stops sending) case changes to an xConnector's outbound endpoint.
    pub fn set_outbound_route(&self, connector_id: &str, on: bool) -> Result<()> {
        self.db
            .write(|tx| outside::set_outbound(tx, connector_id, on))
    }

    /// Claims connector writes for the connector push (see [`Store::outbox_claim`]).
    pub fn connector_claim(
        &self,
        claimer: &str,
        limit: u32,
        now: Timestamp,
        lease: std::time::Duration,
    ) -> Result<Vec<OutboxEntry>> {
        self.db
            .write(|tx| outside::claim(tx, claimer, limit, now, lease))
    }

    /// A connector write the outside system took: removed, its publication acknowledged.
    pub fn connector_settle(&self, op_id: &str) -> Result<()> {
        self.db.write(|tx| outside::settle(tx, op_id))
    }

    /// Every connector's work settings in this workspace (stored as JSON by their owner).
    pub fn connector_work(&self) -> Result<Vec<(String, serde_json::Value)>> {
        self.db.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT connector_id, config_json FROM connector_work ORDER BY connector_id",
            )?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            let mut out = Vec::new();
            for row in rows {
                let (id, json) = row?;
                out.push((id, serde_json::from_str(&json)?));
            }
            Ok(out)
        })
    }

    /// Saves (or, with `None`, removes) a connector's work settings.
    pub fn save_connector_work(
        &self,
        connector_id: &str,
        config: Option<&serde_json::Value>,
        now: Timestamp,
    ) -> Result<()> {
        self.db.write(|tx| {
            match config {
                Some(config) => tx
                    .prepare_cached(
                        "INSERT INTO connector_work (connector_id, config_json, updated_at) VALUES (?1, ?2, ?3) \
                         ON CONFLICT(connector_id) DO UPDATE SET config_json = excluded.config_json, \
                         updated_at = excluded.updated_at",
                    )?
                    .execute(rusqlite::params![connector_id, config.to_string(), crate::codec::ts(now)])?,
                None => tx
                    .prepare_cached("DELETE FROM connector_work WHERE connector_id = ?1")?
                    .execute([connector_id])?,
            };
            Ok(())
        })
    }
}
