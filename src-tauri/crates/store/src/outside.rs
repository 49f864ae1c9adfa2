//! Connector work in the cache: inbound events and imported requests turned into cases (each
//! batch with its cursor in one transaction, dedup by event id or item id, per-case ordering by
//! event time, unknown or broken items kept aside), the notices and articles published from a
//! case, the connector writes they queue in the outbox's connector lane (`outbox.target`), and
//! the hook that turns a case change into outbound writes in the same transaction as the change.

use pd_domain::{
    ArticleText, AsideItem, CaseChange, CaseKind, CaseOrigin, CaseStatus, ConnectorWrite,
    DrupalArticleWrite, DrupalStatusWrite, ImportRun, ImportedRequest, NewCase, NoticeText,
    OriginSource, OutboundEvent, OutboxOp, Partner, PublicationKind, PublicationState,
    PublicationView, Timestamp, WixNoticeWrite,
};
use rusqlite::{params, Connection, OptionalExtension};

use crate::cases::read_case;
use crate::codec::{parse_ts, parse_ts_opt, ts};
use crate::error::{Result, StoreError};
use crate::outbox::{append, entry_from_row, OutboxEntry, ENTRY_COLUMNS};

/// Longest excerpt of a kept-aside body stored (the rest is summarised by its size).
pub const ASIDE_EXCERPT_BYTES: usize = 16 * 1024;

/// How a transaction exception stands, as the integration layer reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExceptionState {
    /// The transaction failed: the case is open.
    Failed,
    /// The partner is resending: the case waits on the partner.
    Retrying,
    /// The transaction went through after all: the case is resolved.
    Recovered,
}

impl ExceptionState {
    /// The case status this state means.
    pub fn case_status(self) -> CaseStatus {
        match self {
            ExceptionState::Failed => CaseStatus::Open,
            ExceptionState::Retrying => CaseStatus::WaitingOnPartner,
            ExceptionState::Recovered => CaseStatus::Resolved,
        }
    }
}

/// A transaction exception event, already checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ExceptionEvent {
    /// CloudEvents `source`.
    pub source: String,
    /// CloudEvents `id`.
    pub id: String,
    /// CloudEvents `type`.
    pub event_type: String,
    /// CloudEvents `time`.
    pub time: Timestamp,
    /// The correlation id: one case per id.
    pub correlation_id: String,
    /// The partner's company id.
    pub partner_id: String,
    /// The partner's name, when the event carries it.
    pub partner_name: Option<String>,
    /// What kind of exception.
    pub kind: CaseKind,
    /// Where it stands.
    pub state: ExceptionState,
    /// One-line summary (the case title).
    pub summary: String,
    /// Details (the case's first comment).
    pub detail: Option<String>,
}

/// A partner master-data event, already checked.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerEvent {
    /// CloudEvents `source`.
    pub source: String,
    /// CloudEvents `id`.
    pub id: String,
    /// CloudEvents `type`.
    pub event_type: String,
    /// CloudEvents `time`.
    pub time: Timestamp,
    /// The partner as the event describes it.
    pub partner: Partner,
    /// Ship-to locations and contacts (kept as sent).
    pub extra: serde_json::Value,
}

/// Something received that is not processed: kept aside and listed.
#[derive(Debug, Clone, PartialEq)]
pub struct AsideInput {
    /// Its type, when readable.
    pub item_type: Option<String>,
    /// `source|id` when readable (a redelivery is listed once).
    pub dedup: Option<String>,
    /// Its id, when readable.
    pub item_id: Option<String>,
    /// Why, in words.
    pub reason: String,
    /// The body (cut to [`ASIDE_EXCERPT_BYTES`]).
    pub body: String,
}

/// One received event, checked and classified.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// A transaction exception.
    Exception(ExceptionEvent),
    /// Partner master data.
    Partner(PartnerEvent),
    /// Kept aside.
    Aside(AsideInput),
}

/// What an ingest or import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Cases opened.
    pub opened: u32,
    /// Cases updated by a newer event.
    pub updated: u32,
    /// Events older than the case's newest (recorded, changed nothing).
    pub late: u32,
    /// Events or items seen before.
    pub duplicates: u32,
    /// Items kept aside.
    pub aside: u32,
    /// Partner records updated.
    pub partners: u32,
}

impl IngestReport {
    /// Items that changed something.
    pub fn changed(&self) -> u32 {
        self.opened + self.updated + self.partners
    }
}

/// Where a case opened by an import goes: to the case server's queue, or kept here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseHome {
    /// Queued for the case server.
    Shared,
    /// Kept on this computer (the account has no case server).
    Kept,
}

/// An assignment rule for imported cases: the first rule whose kind and partner match (an
/// empty one matches all) sets the owner and, when given, the kind.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignRule {
    /// The kind it matches.
    pub kind: Option<CaseKind>,
    /// The partner it matches.
    pub partner_id: Option<String>,
    /// The owner's login id.
    pub owner: Option<String>,
    /// The kind set on a request that named none.
    pub set_kind: Option<CaseKind>,
}

fn open_case(conn: &Connection, home: CaseHome, new: &NewCase, now: Timestamp) -> Result<String> {
    let id = crate::local::create_local_case(conn, new, "PartnerDesk import", now)?;
    if home == CaseHome::Kept {
        conn.prepare_cached("INSERT OR IGNORE INTO kept_cases (case_id, kept_at) VALUES (?1, ?2)")?
            .execute(params![id, ts(now)])?;
    }
    Ok(id)
}

fn keep_aside(
    conn: &Connection,
    connector_id: &str,
    a: &AsideInput,
    now: Timestamp,
) -> Result<bool> {
    let mut body = a.body.clone();
    if body.len() > ASIDE_EXCERPT_BYTES {
        let mut cut = ASIDE_EXCERPT_BYTES;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
        body.push_str(&format!(" … ({} bytes in all)", a.body.len()));
    }
    let n = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO ext_aside (connector_id, received_at, item_type, item_id, dedup, \
             reason, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            connector_id,
            ts(now),
            a.item_type,
            a.item_id,
            a.dedup,
            a.reason,
            body
        ])?;
    Ok(n > 0)
}

/// Records an event id; false when it was seen before.
fn first_sight(
    conn: &Connection,
    source: &str,
    id: &str,
    event_type: &str,
    time: Timestamp,
    now: Timestamp,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO ext_events (source, event_id, event_type, event_time, received_at, \
             outcome) VALUES (?1, ?2, ?3, ?4, ?5, 'seen')",
        )?
        .execute(params![source, id, event_type, ts(time), ts(now)])?;
    Ok(n > 0)
}

fn set_outcome(conn: &Connection, source: &str, id: &str, outcome: &str) -> Result<()> {
    conn.prepare_cached("UPDATE ext_events SET outcome = ?3 WHERE source = ?1 AND event_id = ?2")?
        .execute(params![source, id, outcome])?;
    Ok(())
}

/// Ordering key of an event: time, then id (so two events at one instant order the same way
/// whatever order they arrive in).
fn newer(
    time: Timestamp,
    id: &str,
    last_time: Option<&str>,
    last_id: Option<&str>,
) -> Result<bool> {
    let Some(last_time) = last_time else {
        return Ok(true);
    };
    let last = parse_ts(last_time)?;
    Ok((time, id) > (last, last_id.unwrap_or("")))
}

fn apply_exception(
    conn: &Connection,
    connector_id: &str,
    home: CaseHome,
    e: &ExceptionEvent,
    now: Timestamp,
    report: &mut IngestReport,
) -> Result<()> {
    if !first_sight(conn, &e.source, &e.id, &e.event_type, e.time, now)? {
        report.duplicates += 1;
        return Ok(());
    }
    let source = OriginSource::XconnectorEvent.as_str();
    let origin: Option<(String, Option<String>, Option<String>)> = conn
        .prepare_cached(
            "SELECT case_id, last_time, last_event FROM case_origins \
             WHERE connector_id = ?1 AND source = ?2 AND external_id = ?3",
        )?
        .query_row(params![connector_id, source, e.correlation_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let target = e.state.case_status();
    let case_id = match origin {
        None => {
            if let Some(name) = e.partner_name.as_deref().filter(|n| !n.trim().is_empty()) {
                // A partner the directory does not know yet is listed under the event's name.
                conn.prepare_cached(
                    "INSERT OR IGNORE INTO partners (id, name, status, trading_addresses_json) \
                     VALUES (?1, ?2, 'Unknown', '[]')",
                )?
                .execute(params![e.partner_id, name])?;
            }
            let new = NewCase {
                id: uuid::Uuid::new_v4().to_string(),
                title: e.summary.clone(),
                partner_id: e.partner_id.clone(),
                partner_name: e.partner_name.clone(),
                kind: e.kind,
                priority: None,
                owner: None,
                sla_due: None,
                linked_transactions: Vec::new(),
                references: Default::default(),
                description: e.detail.clone(),
            };
            let id = open_case(conn, home, &new, now)?;
            conn.prepare_cached(
                "INSERT INTO case_origins (connector_id, source, external_id, case_id, link, label, \
                 last_time, last_event) VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7)",
            )?
            .execute(params![
                connector_id,
                source,
                e.correlation_id,
                id,
                format!("xConnector event, correlation id {}", e.correlation_id),
                ts(e.time),
                e.id
            ])?;
            report.opened += 1;
            set_outcome(conn, &e.source, &e.id, "opened")?;
            id
        }
        Some((case_id, last_time, last_id)) => {
            if !newer(e.time, &e.id, last_time.as_deref(), last_id.as_deref())? {
                report.late += 1;
                set_outcome(conn, &e.source, &e.id, "late")?;
                return Ok(());
            }
            conn.prepare_cached(
                "UPDATE case_origins SET last_time = ?4, last_event = ?5 \
                 WHERE connector_id = ?1 AND source = ?2 AND external_id = ?3",
            )?
            .execute(params![
                connector_id,
                source,
                e.correlation_id,
                ts(e.time),
                e.id
            ])?;
            report.updated += 1;
            set_outcome(conn, &e.source, &e.id, "updated")?;
            case_id
        }
    };
    let patch = pd_domain::CasePatch {
        status: Some(target),
        title: Some(e.summary.clone()),
        ..Default::default()
    };
    crate::local::patch_local_case(conn, &case_id, &patch, now)?;
    Ok(())
}

fn apply_partner(
    conn: &Connection,
    p: &PartnerEvent,
    now: Timestamp,
    report: &mut IngestReport,
) -> Result<()> {
    if !first_sight(conn, &p.source, &p.id, &p.event_type, p.time, now)? {
        report.duplicates += 1;
        return Ok(());
    }
    let last: Option<(String, String)> = conn
        .prepare_cached("SELECT event_time, event_id FROM partner_master WHERE partner_id = ?1")?
        .query_row([&p.partner.partner_company_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let is_newer = match &last {
        None => true,
        Some((time, id)) => newer(p.time, &p.id, Some(time), Some(id))?,
    };
    if !is_newer {
        report.late += 1;
        return set_outcome(conn, &p.source, &p.id, "late");
    }
    crate::directory::upsert_partners(conn, std::slice::from_ref(&p.partner))?;
    conn.prepare_cached(
        "INSERT INTO partner_master (partner_id, event_time, event_id, data_json) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT(partner_id) DO UPDATE SET event_time = excluded.event_time, \
         event_id = excluded.event_id, data_json = excluded.data_json",
    )?
    .execute(params![
        p.partner.partner_company_id,
        ts(p.time),
        p.id,
        p.extra.to_string()
    ])?;
    report.partners += 1;
    set_outcome(conn, &p.source, &p.id, "partner")
}

/// Applies a batch of inbound events and, when given, stores the feed cursor after it: all in
/// the caller's transaction.
pub(crate) fn ingest(
    conn: &Connection,
    connector_id: &str,
    home: CaseHome,
    events: &[Inbound],
    cursor: Option<(&str, &str)>,
    now: Timestamp,
) -> Result<IngestReport> {
    let mut report = IngestReport::default();
    // Per case, events apply in time order whatever order the batch holds them in.
    let mut order: Vec<&Inbound> = events.iter().collect();
    order.sort_by(|a, b| key(a).cmp(&key(b)));
    for event in order {
        match event {
            Inbound::Exception(e) => {
                apply_exception(conn, connector_id, home, e, now, &mut report)?
            }
            Inbound::Partner(p) => apply_partner(conn, p, now, &mut report)?,
            Inbound::Aside(a) => {
                if keep_aside(conn, connector_id, a, now)? {
                    report.aside += 1;
                } else {
                    report.duplicates += 1;
                }
            }
        }
    }
    if let Some((job, value)) = cursor {
        set_run_cursor(conn, connector_id, job, value)?;
    }
    record_import(
        conn,
        connector_id,
        cursor.map(|c| c.0).unwrap_or("listener"),
        &report,
    )?;
    Ok(report)
}

fn key(event: &Inbound) -> (Option<Timestamp>, &str) {
    match event {
        Inbound::Exception(e) => (Some(e.time), e.id.as_str()),
        Inbound::Partner(p) => (Some(p.time), p.id.as_str()),
        Inbound::Aside(_) => (None, ""),
    }
}

fn record_import(
    conn: &Connection,
    connector_id: &str,
    job: &str,
    report: &IngestReport,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO connector_runs (connector_id, job, imports, imported) VALUES (?1, ?2, '', ?3) \
         ON CONFLICT(connector_id, job) DO UPDATE SET imported = imported + excluded.imported",
    )?
    .execute(params![connector_id, job, i64::from(report.changed())])?;
    Ok(())
}

fn set_run_cursor(conn: &Connection, connector_id: &str, job: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO connector_runs (connector_id, job, imports, cursor) VALUES (?1, ?2, '', ?3) \
         ON CONFLICT(connector_id, job) DO UPDATE SET cursor = excluded.cursor",
    )?
    .execute(params![connector_id, job, value])?;
    Ok(())
}

/// Opens a case per new request (dedup by source and external id), assigned by the rules, and
/// stores the cursor, in the caller's transaction. Items with missing fields come as aside.
pub(crate) fn import_requests(
    conn: &Connection,
    connector_id: &str,
    home: CaseHome,
    requests: &[std::result::Result<ImportedRequest, AsideInput>],
    rules: &[AssignRule],
    cursor: (&str, &str),
    now: Timestamp,
) -> Result<IngestReport> {
    let mut report = IngestReport::default();
    for request in requests {
        let r = match request {
            Ok(r) => r,
            Err(aside) => {
                if keep_aside(conn, connector_id, aside, now)? {
                    report.aside += 1;
                } else {
                    report.duplicates += 1;
                }
                continue;
            }
        };
        let source = r.source.as_str();
        let known = conn
            .prepare_cached(
                "SELECT 1 FROM case_origins WHERE connector_id = ?1 AND source = ?2 AND external_id = ?3",
            )?
            .exists(params![connector_id, source, r.external_id])?;
        if known {
            report.duplicates += 1;
            continue;
        }
        let rule = rules.iter().find(|rule| {
            rule.kind.is_none_or(|k| Some(k) == r.kind)
                && rule
                    .partner_id
                    .as_deref()
                    .is_none_or(|p| p.eq_ignore_ascii_case(&r.partner_id))
        });
        let kind = r
            .kind
            .or(rule.and_then(|rule| rule.set_kind))
            .unwrap_or(CaseKind::Other);
        let new = NewCase {
            id: uuid::Uuid::new_v4().to_string(),
            title: r.title.clone(),
            partner_id: r.partner_id.clone(),
            partner_name: None,
            kind,
            priority: None,
            owner: rule.and_then(|rule| rule.owner.clone()),
            sla_due: None,
            linked_transactions: Vec::new(),
            references: Default::default(),
            description: r.description.clone(),
        };
        let case_id = open_case(conn, home, &new, now)?;
        let label = match r.source {
            OriginSource::WixRequest => format!("Wix form request {}", r.external_id),
            OriginSource::DrupalRequest => format!("Drupal issue request {}", r.external_id),
            OriginSource::XconnectorEvent => format!("xConnector event {}", r.external_id),
        };
        conn.prepare_cached(
            "INSERT INTO case_origins (connector_id, source, external_id, case_id, link, label) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            connector_id,
            source,
            r.external_id,
            case_id,
            r.link,
            label
        ])?;
        report.opened += 1;
    }
    set_run_cursor(conn, connector_id, cursor.0, cursor.1)?;
    record_import(conn, connector_id, cursor.0, &report)?;
    Ok(report)
}

/// Records how a run of a connector job ended (the cursor is stored with its batches).
pub(crate) fn record_run(
    conn: &Connection,
    connector_id: &str,
    job: &str,
    imports: &str,
    error: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO connector_runs (connector_id, job, imports, last_run_at, last_ok_at, last_error) \
         VALUES (?1, ?2, ?3, ?4, CASE WHEN ?5 IS NULL THEN ?4 END, ?5) \
         ON CONFLICT(connector_id, job) DO UPDATE SET imports = excluded.imports, \
         last_run_at = excluded.last_run_at, \
         last_ok_at = coalesce(excluded.last_ok_at, last_ok_at), last_error = excluded.last_error",
    )?
    .execute(params![connector_id, job, imports, ts(now), error])?;
    Ok(())
}

pub(crate) fn run_cursor(
    conn: &Connection,
    connector_id: &str,
    job: &str,
) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT cursor FROM connector_runs WHERE connector_id = ?1 AND job = ?2")?
        .query_row(params![connector_id, job], |r| r.get(0))
        .optional()?
        .flatten())
}

pub(crate) fn runs(conn: &Connection) -> Result<Vec<ImportRun>> {
    let mut stmt = conn.prepare_cached(
        "SELECT connector_id, imports, cursor, last_run_at, last_ok_at, last_error, imported, job \
         FROM connector_runs ORDER BY connector_id, job",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let imports: String = r.get(1)?;
        let job: String = r.get(7)?;
        out.push(ImportRun {
            connector_id: r.get(0)?,
            imports: if imports.is_empty() { job } else { imports },
            cursor: r.get(2)?,
            last_run_at: parse_ts_opt(r.get(3)?)?,
            last_ok_at: parse_ts_opt(r.get(4)?)?,
            last_error: r.get(5)?,
            imported: u64::try_from(r.get::<_, i64>(6)?).unwrap_or(0),
        });
    }
    Ok(out)
}

pub(crate) fn aside(conn: &Connection, limit: u32) -> Result<Vec<AsideItem>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, connector_id, received_at, item_type, item_id, reason, body FROM ext_aside \
         ORDER BY id DESC LIMIT ?1",
    )?;
    let mut rows = stmt.query([limit])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let at: String = r.get(2)?;
        let body: String = r.get(6)?;
        out.push(AsideItem {
            id: r.get(0)?,
            connector_id: r.get(1)?,
            received_at: parse_ts(&at)?,
            item_type: r.get(3)?,
            item_id: r.get(4)?,
            reason: r.get(5)?,
            excerpt: body.chars().take(400).collect(),
        });
    }
    Ok(out)
}

pub(crate) fn origins(conn: &Connection, case_id: &str) -> Result<Vec<CaseOrigin>> {
    let mut stmt = conn.prepare_cached(
        "SELECT connector_id, source, external_id, link, label FROM case_origins WHERE case_id = ?1",
    )?;
    let mut rows = stmt.query([case_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let source: String = r.get(1)?;
        out.push(CaseOrigin {
            connector_id: r.get(0)?,
            source: OriginSource::parse(&source)
                .ok_or_else(|| StoreError::Data(format!("unknown origin {source:?}")))?,
            external_id: r.get(2)?,
            link: r.get(3)?,
            label: r.get(4)?,
        });
    }
    Ok(out)
}

/// The case a correlation id opened, if any.
pub(crate) fn case_for(
    conn: &Connection,
    connector_id: &str,
    source: OriginSource,
    external_id: &str,
) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT case_id FROM case_origins WHERE connector_id = ?1 AND source = ?2 AND external_id = ?3",
        )?
        .query_row(params![connector_id, source.as_str(), external_id], |r| r.get(0))
        .optional()?)
}

// ---- publications --------------------------------------------------------------------------

/// Where a publication goes: the connector and the collection (Wix) or bundle (Drupal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The connector.
    pub connector_id: String,
    /// Collection or bundle.
    pub place: String,
}

fn stored_text(kind: PublicationKind, json: &str) -> (Option<NoticeText>, Option<ArticleText>) {
    match kind {
        PublicationKind::WixNotice => (serde_json::from_str(json).ok(), None),
        PublicationKind::DrupalArticle => (None, serde_json::from_str(json).ok()),
    }
}

fn remote_id(kind: PublicationKind, case_id: &str) -> String {
    match kind {
        // Wix item ids: letters, digits and dashes.
        PublicationKind::WixNotice => format!("pd-notice-{case_id}"),
        // JSON:API client-generated ids are UUIDs: a fresh one per case, remembered in the row.
        PublicationKind::DrupalArticle => uuid::Uuid::new_v4().to_string(),
    }
}

pub(crate) fn publications(conn: &Connection, case_id: &str) -> Result<Vec<PublicationView>> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, connector_id, state, text_json, remote_id, updated_at FROM publications \
         WHERE case_id = ?1 ORDER BY kind",
    )?;
    let mut rows = stmt.query([case_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let kind: String = r.get(0)?;
        let kind = PublicationKind::parse(&kind)
            .ok_or_else(|| StoreError::Data(format!("unknown publication {kind:?}")))?;
        let state: String = r.get(2)?;
        let text: String = r.get(3)?;
        let at: String = r.get(5)?;
        let connector_id: String = r.get(1)?;
        let (notice, article) = stored_text(kind, &text);
        let (queued, last_error) = queued_for(conn, case_id, &connector_id, kind)?;
        out.push(PublicationView {
            kind,
            connector_id,
            state: PublicationState::parse(&state)
                .ok_or_else(|| StoreError::Data(format!("unknown state {state:?}")))?,
            notice,
            article,
            remote_id: r.get(4)?,
            queued,
            last_error,
            updated_at: parse_ts(&at)?,
        });
    }
    Ok(out)
}

fn queued_for(
    conn: &Connection,
    case_id: &str,
    connector_id: &str,
    kind: PublicationKind,
) -> Result<(u32, Option<String>)> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM outbox WHERE case_id = ?1 AND target = ?2 ORDER BY seq"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![case_id, connector_id])?;
    let (mut n, mut error) = (0, None);
    while let Some(row) = rows.next()? {
        let entry = entry_from_row(row)?;
        let mine = matches!(
            (&entry.op, kind),
            (
                Ok(OutboxOp::Connector(ConnectorWrite::WixNotice(_))),
                PublicationKind::WixNotice
            ) | (
                Ok(OutboxOp::Connector(ConnectorWrite::DrupalArticle(_))),
                PublicationKind::DrupalArticle
            )
        );
        if mine {
            n += 1;
            if entry.last_error.is_some() {
                error = entry.last_error;
            }
        }
    }
    Ok((n, error))
}

/// Publishes (or republishes with new text) a case's notice or article: the row and its
/// queued write in the caller's transaction.
pub(crate) fn publish(
    conn: &Connection,
    case_id: &str,
    kind: PublicationKind,
    place: &Place,
    text: &serde_json::Value,
    now: Timestamp,
) -> Result<PublicationState> {
    let (case, _) =
        read_case(conn, case_id)?.ok_or_else(|| StoreError::not_found("case", case_id))?;
    let existing: Option<(String, String, Option<String>)> = conn
        .prepare_cached(
            "SELECT state, remote_id, sent_state FROM publications WHERE case_id = ?1 AND kind = ?2",
        )?
        .query_row(params![case_id, kind.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    // A write of this publication that has not gone out yet (waiting, or refused) is rewritten
    // with the new text instead of queued behind: the edit of a refused notice or article.
    let unsent = unsent_write(conn, case_id, kind)?;
    let (state, remote) = match existing {
        None => (PublicationState::Published, remote_id(kind, case_id)),
        // Never acknowledged and its first write rewritten: still a first publish.
        Some((_, remote, None)) if unsent.is_some() => (PublicationState::Published, remote),
        Some((state, remote, _)) => match PublicationState::parse(&state) {
            Some(PublicationState::Draft) | None => (PublicationState::Published, remote),
            Some(_) => (PublicationState::Updated, remote),
        },
    };
    let write = match kind {
        PublicationKind::WixNotice => {
            let notice: NoticeText = serde_json::from_value(text.clone())
                .map_err(|e| StoreError::Invalid(format!("the notice text is incomplete: {e}")))?;
            check_text(&[&notice.title, &notice.affected, &notice.next_steps])?;
            ConnectorWrite::WixNotice(WixNoticeWrite {
                connector_id: place.connector_id.clone(),
                collection: place.place.clone(),
                item_id: remote.clone(),
                case_reference: case.reference.clone(),
                partner_id: case.partner_id.clone(),
                case_status: case.status,
                notice,
                state,
            })
        }
        PublicationKind::DrupalArticle => {
            let article: ArticleText = serde_json::from_value(text.clone())
                .map_err(|e| StoreError::Invalid(format!("the article text is incomplete: {e}")))?;
            check_text(&[&article.title, &article.body])?;
            ConnectorWrite::DrupalArticle(DrupalArticleWrite {
                connector_id: place.connector_id.clone(),
                bundle: place.place.clone(),
                node_id: remote.clone(),
                article,
            })
        }
    };
    conn.prepare_cached(
        "INSERT INTO publications (case_id, kind, connector_id, place, remote_id, state, text_json, \
         updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(case_id, kind) DO UPDATE SET \
         connector_id = excluded.connector_id, place = excluded.place, state = excluded.state, \
         text_json = excluded.text_json, updated_at = excluded.updated_at",
    )?
    .execute(params![
        case_id,
        kind.as_str(),
        place.connector_id,
        place.place,
        remote,
        state.as_str(),
        text.to_string(),
        ts(now)
    ])?;
    match unsent {
        Some(op_id) => {
            let n = conn
                .prepare_cached(
                    "UPDATE outbox SET op_json = ?2, target = ?3, state = 'pending', \
                     next_attempt_at = NULL, last_error = NULL WHERE op_id = ?1",
                )?
                .execute(params![
                    op_id,
                    OutboxOp::Connector(write).encode(),
                    place.connector_id
                ])?;
            if n == 0 {
                return Err(StoreError::not_found("outbox entry", op_id));
            }
        }
        None => {
            append(conn, case_id, &OutboxOp::Connector(write), None, now)?;
        }
    }
    Ok(state)
}

/// The id of a queued write of the case's publication that no sender holds now (pending and
/// not claimed, or failed).
fn unsent_write(conn: &Connection, case_id: &str, kind: PublicationKind) -> Result<Option<String>> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM outbox WHERE case_id = ?1 AND target <> '' \
         AND (state = 'failed' OR (state = 'pending' AND claimed_by IS NULL)) ORDER BY seq"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([case_id])?;
    let mut found = None;
    while let Some(row) = rows.next()? {
        let entry = entry_from_row(row)?;
        let same = matches!(
            (&entry.op, kind),
            (
                Ok(OutboxOp::Connector(ConnectorWrite::WixNotice(_))),
                PublicationKind::WixNotice
            ) | (
                Ok(OutboxOp::Connector(ConnectorWrite::DrupalArticle(_))),
                PublicationKind::DrupalArticle
            )
        );
        if same {
            found = Some(entry.op_id);
        }
    }
    Ok(found)
}

fn check_text(parts: &[&str]) -> Result<()> {
    if parts.iter().any(|p| p.trim().is_empty()) {
        return Err(StoreError::Invalid(
            "fill in every part of the text before it goes out".into(),
        ));
    }
    if parts.iter().map(|p| p.len()).sum::<usize>() > 100_000 {
        return Err(StoreError::Invalid(
            "the text is longer than 100,000 characters".into(),
        ));
    }
    Ok(())
}

/// The outbound writes a case change makes: an event per outbound route, the notice updated or
/// withdrawn, the status posted back to the Drupal request the case came from. Called inside
/// the transaction of the change itself (`local.rs`), so both are stored or neither.
pub(crate) fn on_case_change(
    conn: &Connection,
    case_id: &str,
    change: &CaseChange,
    now: Timestamp,
) -> Result<()> {
    let Some((case, _)) = read_case(conn, case_id)? else {
        return Ok(());
    };
    let correlation: Option<String> = conn
        .prepare_cached(
            "SELECT external_id FROM case_origins WHERE case_id = ?1 AND source = 'xconnector_event' LIMIT 1",
        )?
        .query_row([case_id], |r| r.get(0))
        .optional()?;
    let routes: Vec<String> = conn
        .prepare_cached("SELECT connector_id FROM outbound_routes ORDER BY connector_id")?
        .query_map([], |r| r.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    for connector_id in routes {
        let event = OutboundEvent {
            connector_id,
            case_id: case_id.to_string(),
            case_reference: case.reference.clone(),
            correlation_id: correlation.clone(),
            time: now,
            change: change.clone(),
        };
        append(
            conn,
            case_id,
            &OutboxOp::Connector(ConnectorWrite::XcEvent(event)),
            None,
            now,
        )?;
    }
    let CaseChange::StatusChanged { status } = change else {
        return Ok(());
    };
    // The notice follows the case: updated while it moves, withdrawn once resolved.
    let notice: Option<(String, String, String, String, String)> = conn
        .prepare_cached(
            "SELECT connector_id, place, remote_id, state, text_json FROM publications \
             WHERE case_id = ?1 AND kind = 'wix_notice'",
        )?
        .query_row([case_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    if let Some((connector_id, place, item_id, state, text)) = notice {
        let state = PublicationState::parse(&state);
        let live = matches!(
            state,
            Some(PublicationState::Published | PublicationState::Updated)
        );
        let closing = matches!(status, CaseStatus::Resolved | CaseStatus::Closed);
        if live {
            let next = if closing {
                PublicationState::Withdrawn
            } else {
                PublicationState::Updated
            };
            if let Ok(notice) = serde_json::from_str::<NoticeText>(&text) {
                let write = ConnectorWrite::WixNotice(WixNoticeWrite {
                    connector_id,
                    collection: place,
                    item_id,
                    case_reference: case.reference.clone(),
                    partner_id: case.partner_id.clone(),
                    case_status: *status,
                    notice,
                    state: next,
                });
                append(conn, case_id, &OutboxOp::Connector(write), None, now)?;
                conn.prepare_cached(
                    "UPDATE publications SET state = ?3, updated_at = ?4 WHERE case_id = ?1 AND kind = ?2",
                )?
                .execute(params![case_id, "wix_notice", next.as_str(), ts(now)])?;
            }
        }
    }
    let requests: Vec<(String, String, Option<String>)> = conn
        .prepare_cached(
            "SELECT connector_id, external_id, link FROM case_origins \
             WHERE case_id = ?1 AND source = 'drupal_request'",
        )?
        .query_map([case_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<std::result::Result<_, _>>()?;
    for (connector_id, node_id, link) in requests {
        let bundle = link.as_deref().and_then(bundle_of);
        let write = ConnectorWrite::DrupalRequestStatus(DrupalStatusWrite {
            connector_id,
            bundle: bundle.unwrap_or_else(|| "issue_request".into()),
            node_id,
            case_reference: case.reference.clone(),
            status: *status,
        });
        append(conn, case_id, &OutboxOp::Connector(write), None, now)?;
    }
    Ok(())
}

/// The bundle in a JSON:API node link (`…/jsonapi/node/{bundle}/{uuid}`).
fn bundle_of(link: &str) -> Option<String> {
    let mut parts = link.rsplit('/');
    parts.next()?;
    parts.next().map(str::to_owned)
}

/// A discarded connector write takes its publication back to what the outside system last
/// acknowledged (a first publish never sent: a draft again).
pub(crate) fn on_discard(conn: &Connection, case_id: &str, write: &ConnectorWrite) -> Result<()> {
    let kind = match write {
        ConnectorWrite::WixNotice(_) => PublicationKind::WixNotice,
        ConnectorWrite::DrupalArticle(_) => PublicationKind::DrupalArticle,
        _ => return Ok(()),
    };
    conn.prepare_cached(
        "UPDATE publications SET state = coalesce(sent_state, 'draft') WHERE case_id = ?1 AND kind = ?2",
    )?
    .execute(params![case_id, kind.as_str()])?;
    Ok(())
}

// ---- the connector lane of the outbox ------------------------------------------------------

/// Claims up to `limit` connector writes (the oldest of each case and connector, pending and
/// due, or in flight under a lapsed lease), like the case push's claim.
pub(crate) fn claim(
    conn: &Connection,
    claimer: &str,
    limit: u32,
    now: Timestamp,
    lease: std::time::Duration,
) -> Result<Vec<OutboxEntry>> {
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
    let sql = format!(
        "UPDATE outbox SET state = 'in_flight', claimed_by = ?1, lease_until = ?2, \
            attempts = attempts + 1 \
         WHERE seq IN (SELECT seq FROM outbox WHERE seq IN \
                (SELECT min(seq) FROM outbox WHERE target <> '' GROUP BY case_id, target) \
            AND ((state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?3)) \
              OR (state = 'in_flight' AND (lease_until IS NULL OR lease_until <= ?3))) \
            ORDER BY seq LIMIT ?4) \
         RETURNING {ENTRY_COLUMNS}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![claimer, ts(until), ts(now), limit])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(entry_from_row(row)?);
    }
    out.sort_by_key(|e| e.seq);
    Ok(out)
}

/// The outside system took the write: the entry goes, its publication is acknowledged.
pub(crate) fn settle(conn: &Connection, op_id: &str) -> Result<()> {
    let entry = crate::outbox::read_entry(conn, op_id)?;
    conn.prepare_cached("DELETE FROM outbox WHERE op_id = ?1")?
        .execute([op_id])?;
    let acknowledged = match &entry.op {
        Ok(OutboxOp::Connector(ConnectorWrite::WixNotice(w))) => {
            Some((PublicationKind::WixNotice, w.state))
        }
        Ok(OutboxOp::Connector(ConnectorWrite::DrupalArticle(_))) => {
            let state: Option<String> = conn
                .prepare_cached(
                    "SELECT sent_state FROM publications WHERE case_id = ?1 AND kind = 'drupal_article'",
                )?
                .query_row([&entry.case_id], |r| r.get(0))
                .optional()?
                .flatten();
            Some((
                PublicationKind::DrupalArticle,
                if state.is_some() {
                    PublicationState::Updated
                } else {
                    PublicationState::Published
                },
            ))
        }
        _ => None,
    };
    if let Some((kind, state)) = acknowledged {
        conn.prepare_cached(
            "UPDATE publications SET sent_state = ?3 WHERE case_id = ?1 AND kind = ?2",
        )?
        .execute(params![entry.case_id, kind.as_str(), state.as_str()])?;
    }
    Ok(())
}

/// Sets or clears an xConnector's outbound route.
pub(crate) fn set_outbound(conn: &Connection, connector_id: &str, on: bool) -> Result<()> {
    if on {
        conn.prepare_cached("INSERT OR IGNORE INTO outbound_routes (connector_id) VALUES (?1)")?
            .execute([connector_id])?;
    } else {
        conn.prepare_cached("DELETE FROM outbound_routes WHERE connector_id = ?1")?
            .execute([connector_id])?;
    }
    Ok(())
}

/// The default notice text for a case (the analyst edits it before it goes).
pub(crate) fn draft_notice(conn: &Connection, case_id: &str) -> Result<NoticeText> {
    if let Some(text) = stored(conn, case_id, PublicationKind::WixNotice)? {
        if let Ok(notice) = serde_json::from_str(&text) {
            return Ok(notice);
        }
    }
    let (case, _) =
        read_case(conn, case_id)?.ok_or_else(|| StoreError::not_found("case", case_id))?;
    Ok(NoticeText {
        title: format!("{}: {}", case.partner_name, case.title),
        affected: format!(
            "{} documents exchanged with {} ({}).",
            kind_words(case.kind),
            case.partner_name,
            case.reference
        ),
        next_steps: "We are working on it and will update this notice as it progresses. No action is needed from you unless we contact you.".into(),
        expected_resolution: match case.sla_due {
            Some(due) => format!("By {}", due.format("%Y-%m-%d %H:%M UTC")),
            None => "Within one business day.".into(),
        },
    })
}

/// The default article text for a case: its partner-visible comments as the resolution.
pub(crate) fn draft_article(conn: &Connection, case_id: &str) -> Result<ArticleText> {
    if let Some(text) = stored(conn, case_id, PublicationKind::DrupalArticle)? {
        if let Ok(article) = serde_json::from_str(&text) {
            return Ok(article);
        }
    }
    let (case, _) =
        read_case(conn, case_id)?.ok_or_else(|| StoreError::not_found("case", case_id))?;
    let comments: Vec<String> = conn
        .prepare_cached(
            "SELECT body FROM comments WHERE case_id = ?1 AND visibility = 'partner' ORDER BY created_at",
        )?
        .query_map([case_id], |r| r.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    let body = if comments.is_empty() {
        format!(
            "Problem: {}\n\nResolution: (describe how it was resolved)",
            case.title
        )
    } else {
        format!(
            "Problem: {}\n\nResolution:\n{}",
            case.title,
            comments.join("\n\n")
        )
    };
    Ok(ArticleText {
        title: format!("How we resolved: {}", case.title),
        body,
        tags: vec![case.partner_name.clone(), kind_words(case.kind).to_string()],
    })
}

fn stored(conn: &Connection, case_id: &str, kind: PublicationKind) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT text_json FROM publications WHERE case_id = ?1 AND kind = ?2")?
        .query_row(params![case_id, kind.as_str()], |r| r.get(0))
        .optional()?)
}

fn kind_words(kind: CaseKind) -> &'static str {
    match kind {
        CaseKind::Shipment => "Shipment",
        CaseKind::Invoice => "Invoice",
        CaseKind::Order => "Order",
        CaseKind::Compliance => "Compliance",
        CaseKind::Onboarding => "Onboarding",
        CaseKind::Other => "Other",
    }
}
