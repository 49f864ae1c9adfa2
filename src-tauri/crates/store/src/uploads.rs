//! Uploads on their way to the server (issue 10): where a document an analyst attached stands
//! in its delivery (queued in the case outbox, refused, recorded), for the Transfers view.

use rusqlite::{Connection, OptionalExtension};

use crate::error::Result;

/// Where an attached document's record stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Its outbox entry waits or is being sent.
    Queued,
    /// Its outbox entry was refused or failed for good (the entry's last error).
    Failed(String),
    /// The server has it.
    Sent,
    /// The document is gone (its entry was discarded).
    Gone,
}

/// The delivery of document `document_id`.
pub(crate) fn delivery(conn: &Connection, document_id: &str) -> Result<Delivery> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM documents WHERE id = ?1")?
        .exists([document_id])?;
    let entry: Option<(Option<String>, Option<String>)> = conn
        .prepare_cached(
            "SELECT o.state, o.last_error FROM pending_documents p \
             LEFT JOIN outbox o ON o.op_id = p.op_id WHERE p.document_id = ?1",
        )?
        .query_row([document_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(match (exists, entry) {
        (false, _) => Delivery::Gone,
        (true, None) => Delivery::Sent,
        (true, Some((Some(state), error))) if state == "failed" => {
            Delivery::Failed(error.unwrap_or_default())
        }
        (true, Some((Some(_), _))) => Delivery::Queued,
        // The entry is gone but the row not settled: the push settles it next.
        (true, Some((None, _))) => Delivery::Queued,
    })
}
