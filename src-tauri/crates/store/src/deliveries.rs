//! The queue of deliveries to partner SFTP inboxes (issue 11, point 6; migration 17): queued
//! durably by "Send to partner…", worked by `pd-transfer`'s `Deliverer`, and finished in one
//! transaction with the case's record of it (an internal comment, pushed once through the
//! outbox under the delivery's id), so a delivery is recorded once or not at all.

use pd_domain::{DeliveryState, DeliveryView, ErrorCode, ErrorInfo, Visibility};
use rusqlite::{params, Connection, Row};

use crate::codec::{parse_ts, parse_ts_opt, ts};
use crate::error::{Result, StoreError};
use crate::Timestamp;

/// A delivery as queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// Its id (a UUID): also its transfer id, its record's comment id and outbox op id.
    pub id: String,
    /// The case.
    pub case_id: String,
    /// The document.
    pub document_id: String,
    /// The document's name (the name it gets in the inbox unless the partner has one such).
    pub document_name: String,
    /// The document's size.
    pub size: u64,
    /// The document's lower-case hex SHA-256.
    pub sha256: String,
    /// The SFTP connector.
    pub connector_id: String,
    /// Its name, for the record.
    pub connector_name: String,
    /// The inbox folder on the server.
    pub inbox: String,
    /// Who sent it.
    pub queued_by: String,
}

/// A delivery as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// What was queued.
    pub delivery: NewDelivery,
    /// The final name chosen in the inbox (none before the first attempt).
    pub remote_name: Option<String>,
    /// Where it stands.
    pub state: DeliveryState,
    /// The last error (code, words).
    pub error: Option<(String, String)>,
    /// When it was queued.
    pub created_at: Timestamp,
    /// When it reached its final name.
    pub sent_at: Option<Timestamp>,
}

impl DeliveryRecord {
    /// The temporary name it is written under before the rename: a dot-name ending in `.part`,
    /// which partners' pickups (and PartnerDesk's own drop folders) skip.
    pub fn temporary_name(&self) -> Option<String> {
        let name = self.remote_name.as_deref()?;
        let short: String = name.chars().take(180).collect();
        Some(format!(".{short}.{}.part", self.delivery.id))
    }

    /// As the UI shows it.
    pub fn view(&self) -> DeliveryView {
        DeliveryView {
            id: self.delivery.id.clone(),
            case_id: self.delivery.case_id.clone(),
            document_id: self.delivery.document_id.clone(),
            document_name: self.delivery.document_name.clone(),
            connector_id: self.delivery.connector_id.clone(),
            connector_name: self.delivery.connector_name.clone(),
            inbox: self.delivery.inbox.clone(),
            remote_name: self.remote_name.clone(),
            state: self.state,
            error: self.error.as_ref().map(|(code, message)| ErrorInfo {
                code: ErrorCode::ALL
                    .iter()
                    .copied()
                    .find(|c| c.as_str() == code)
                    .unwrap_or(ErrorCode::AppInternal),
                message: message.clone(),
            }),
            size: self.delivery.size,
            queued_at: self.created_at,
            sent_at: self.sent_at,
        }
    }
}

const COLUMNS: &str = "id, case_id, document_id, document_name, size, sha256, connector_id, \
    connector_name, inbox, remote_name, state, error_code, error_message, queued_by, created_at, sent_at";

fn from_row(row: &Row<'_>) -> Result<DeliveryRecord> {
    let state: String = row.get(10)?;
    let code: Option<String> = row.get(11)?;
    let message: Option<String> = row.get(12)?;
    let created: String = row.get(14)?;
    Ok(DeliveryRecord {
        delivery: NewDelivery {
            id: row.get(0)?,
            case_id: row.get(1)?,
            document_id: row.get(2)?,
            document_name: row.get(3)?,
            size: u64::try_from(row.get::<_, i64>(4)?).unwrap_or(0),
            sha256: row.get(5)?,
            connector_id: row.get(6)?,
            connector_name: row.get(7)?,
            inbox: row.get(8)?,
            queued_by: row.get(13)?,
        },
        remote_name: row.get(9)?,
        state: DeliveryState::parse(&state)
            .ok_or_else(|| StoreError::Data(format!("unknown delivery state {state:?}")))?,
        error: code.map(|code| (code, message.unwrap_or_default())),
        created_at: parse_ts(&created)?,
        sent_at: parse_ts_opt(row.get(15)?)?,
    })
}

/// Queues a delivery. The same document already on its way to the same connector is refused
/// in words (a second one would only find it there).
pub(crate) fn queue(conn: &Connection, new: &NewDelivery, now: Timestamp) -> Result<()> {
    let waiting = conn
        .prepare_cached(
            "SELECT 1 FROM deliveries WHERE document_id = ?1 AND connector_id = ?2 \
             AND case_id = ?3 AND state = 'queued'",
        )?
        .exists(params![new.document_id, new.connector_id, new.case_id])?;
    if waiting {
        return Err(StoreError::Invalid(format!(
            "{} is already on its way to {}.",
            new.document_name, new.connector_name
        )));
    }
    conn.prepare_cached(
        "INSERT INTO deliveries (id, case_id, document_id, document_name, size, sha256, \
         connector_id, connector_name, inbox, state, queued_by, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'queued', ?10, ?11, ?11)",
    )?
    .execute(params![
        new.id,
        new.case_id,
        new.document_id,
        new.document_name,
        i64::try_from(new.size).unwrap_or(i64::MAX),
        new.sha256,
        new.connector_id,
        new.connector_name,
        new.inbox,
        new.queued_by,
        ts(now)
    ])?;
    Ok(())
}

/// One delivery.
pub(crate) fn get(conn: &Connection, id: &str) -> Result<Option<DeliveryRecord>> {
    let mut statement =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM deliveries WHERE id = ?1"))?;
    let mut rows = statement.query([id])?;
    match rows.next()? {
        Some(row) => Ok(Some(from_row(row)?)),
        None => Ok(None),
    }
}

/// Deliveries in any of `states`, oldest first.
pub(crate) fn list(conn: &Connection, states: &[DeliveryState]) -> Result<Vec<DeliveryRecord>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM deliveries ORDER BY created_at, id"
    ))?;
    let mut rows = statement.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let record = from_row(row)?;
        if states.contains(&record.state) {
            out.push(record);
        }
    }
    Ok(out)
}

/// A case's deliveries, newest first.
pub(crate) fn of_case(conn: &Connection, case_id: &str) -> Result<Vec<DeliveryRecord>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM deliveries WHERE case_id = ?1 ORDER BY created_at DESC, id"
    ))?;
    let mut rows = statement.query([case_id])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(from_row(row)?);
    }
    Ok(out)
}

/// Fixes the final name before anything is written under it.
pub(crate) fn set_name(conn: &Connection, id: &str, name: &str, now: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "UPDATE deliveries SET remote_name = ?2, updated_at = ?3 WHERE id = ?1 AND state = 'queued'",
    )?
    .execute(params![id, name, ts(now)])?;
    Ok(())
}

/// Sets the state and error of an unfinished delivery (a sent one never changes); answers
/// whether it did.
pub(crate) fn set_state(
    conn: &Connection,
    id: &str,
    state: DeliveryState,
    error: Option<(&str, &str)>,
    now: Timestamp,
) -> Result<bool> {
    if state == DeliveryState::Sent {
        return Err(StoreError::Invalid(
            "a delivery is marked sent only with its record".into(),
        ));
    }
    let changed = conn
        .prepare_cached(
            "UPDATE deliveries SET state = ?2, error_code = ?3, error_message = ?4, updated_at = ?5 \
             WHERE id = ?1 AND state != 'sent'",
        )?
        .execute(params![
            id,
            state.as_str(),
            error.map(|(code, _)| code),
            error.map(|(_, words)| words),
            ts(now)
        ])?;
    Ok(changed > 0)
}

/// Marks the delivery sent and records it on the case: an internal comment by `author` with
/// `body`, its comment id and outbox op id the delivery's id, in this one transaction. A
/// delivery already sent records nothing more (answers `false`).
pub(crate) fn finish(
    conn: &Connection,
    id: &str,
    author: &str,
    body: &str,
    now: Timestamp,
) -> Result<bool> {
    let record = get(conn, id)?.ok_or_else(|| StoreError::not_found("delivery", id))?;
    if record.state == DeliveryState::Sent {
        return Ok(false);
    }
    conn.prepare_cached(
        "UPDATE deliveries SET state = 'sent', error_code = NULL, error_message = NULL, \
         sent_at = ?2, updated_at = ?2 WHERE id = ?1",
    )?
    .execute(params![id, ts(now)])?;
    let recorded = conn
        .prepare_cached("SELECT 1 FROM comments WHERE id = ?1")?
        .exists([id])?;
    if !recorded {
        crate::local::add_local_comment_as(
            conn,
            id,
            Some(id),
            &record.delivery.case_id,
            author,
            body,
            Visibility::Internal,
            now,
        )?;
    }
    Ok(true)
}
