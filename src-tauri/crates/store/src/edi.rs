//! EDI routing's part of the cache: what recognition found in each taken file (written by the
//! routing rules inside the ingest transaction, through [`IngestTx`]), the lookups those rules
//! make (partner by EDI address, the case of an acknowledged set, a Lens transaction by control
//! number), the ledger's EDI details, and the analyst's order of the routing rules.

use pd_domain::{EdiSummary, LedgerEdiView, RoutingRuleKind, RoutingRuleSetting};
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;
use crate::ingest::IngestTx;

/// One transaction set of a taken EDI file, as kept for later acknowledgements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdiSetRecord {
    /// `850`, `INVOIC`.
    pub set_type: String,
    /// ST02 / UNH reference.
    pub set_control: String,
    /// GS06 / UNG reference.
    pub group_control: Option<String>,
    /// ISA13 / UNB reference.
    pub interchange_control: String,
    /// Sender address (`ZZ:ACME`).
    pub sender: String,
    /// Receiver address.
    pub receiver: String,
}

/// A partner found by address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerHit {
    /// Company id.
    pub partner_id: String,
    /// Display name.
    pub name: String,
}

/// A case found through an earlier file or a Lens transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedHit {
    /// The case id.
    pub case_id: String,
    /// Its reference.
    pub reference: String,
    /// What led there, in words ("the 850 with ST02 0001 taken from po.edi").
    pub via: String,
}

impl IngestTx<'_> {
    /// Keeps what recognition found in the file with these bytes (replacing an earlier record of
    /// the same bytes), in the ingest transaction.
    pub fn record_edi(
        &self,
        sha256: &str,
        summary: &EdiSummary,
        segment_view: &str,
        sets: &[EdiSetRecord],
    ) -> Result<()> {
        let conn = self.connection();
        conn.prepare_cached("DELETE FROM ingest_edi WHERE sha256 = ?1")?
            .execute([sha256])?;
        conn.prepare_cached(
            "INSERT INTO ingest_edi (sha256, standard, summary_json, segment_view) \
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            sha256,
            summary.standard,
            serde_json::to_string(summary)?,
            segment_view
        ])?;
        let mut ins = conn.prepare_cached(
            "INSERT INTO ingest_edi_sets (sha256, position, set_type, set_control, group_control, \
                interchange_control, sender, receiver) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for (i, s) in sets.iter().enumerate() {
            ins.execute(params![
                sha256,
                i64::try_from(i).unwrap_or(i64::MAX),
                s.set_type,
                s.set_control,
                s.group_control,
                s.interchange_control,
                s.sender,
                s.receiver
            ])?;
        }
        Ok(())
    }

    /// The name of partner `id`, if the directory knows it.
    pub fn partner_name(&self, id: &str) -> Result<Option<String>> {
        Ok(self
            .connection()
            .prepare_cached("SELECT name FROM partners WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }

    /// The partner whose directory entry lists `address` (`ZZ:ACME`, any letter case).
    pub fn partner_by_address(&self, address: &str) -> Result<Option<PartnerHit>> {
        Ok(self
            .connection()
            .prepare_cached(
                "SELECT p.id, p.name FROM partner_addresses a JOIN partners p ON p.id = a.partner_id \
                 WHERE a.address = ?1 ORDER BY p.id LIMIT 1",
            )?
            .query_row([address.trim().to_ascii_uppercase()], |r| {
                Ok(PartnerHit {
                    partner_id: r.get(0)?,
                    name: r.get(1)?,
                })
            })
            .optional()?)
    }

    /// The case an earlier taken file with this set went to: set control number, and the group
    /// control (X12) or interchange control (EDIFACT) when given; the newest first.
    pub fn case_by_edi_set(
        &self,
        set_control: &str,
        group_control: Option<&str>,
        interchange_control: Option<&str>,
    ) -> Result<Option<LinkedHit>> {
        Ok(self
            .connection()
            .prepare_cached(
                "SELECT l.case_id, c.reference, s.set_type, l.path FROM ingest_edi_sets s \
                 JOIN ingest_ledger l ON l.sha256 = s.sha256 AND l.outcome = 'taken' \
                 JOIN cases c ON c.id = l.case_id \
                 WHERE s.set_control = ?1 AND (?2 IS NULL OR s.group_control = ?2) \
                   AND (?3 IS NULL OR s.interchange_control = ?3) \
                 ORDER BY l.id DESC LIMIT 1",
            )?
            .query_row(
                params![set_control, group_control, interchange_control],
                |r| {
                    let set_type: String = r.get(2)?;
                    let path: String = r.get(3)?;
                    Ok(LinkedHit {
                        case_id: r.get(0)?,
                        reference: r.get(1)?,
                        via: format!(
                            "the {set_type} with control number {set_control} taken from {path}"
                        ),
                    })
                },
            )
            .optional()?)
    }

    /// The case linked to a Lens transaction whose sender reference (the interchange control
    /// number) or correlation id is `control`, sent by `sender` when given.
    pub fn case_by_lens_control(
        &self,
        control: &str,
        sender: Option<&str>,
    ) -> Result<Option<LinkedHit>> {
        Ok(self
            .connection()
            .prepare_cached(
                "SELECT ct.case_id, c.reference, t.id FROM transactions t \
                 JOIN case_transactions ct ON ct.transaction_id = t.id \
                 JOIN cases c ON c.id = ct.case_id \
                 WHERE (t.correlation_id = ?1 OR EXISTS (SELECT 1 FROM json_each(t.content_keys_json) k \
                        WHERE json_extract(k.value, '$.key') = 'sender reference' \
                          AND json_extract(k.value, '$.value') = ?1)) \
                   AND (?2 IS NULL OR upper(t.sender_address) = upper(?2)) \
                 ORDER BY c.updated_at DESC LIMIT 1",
            )?
            .query_row(params![control, sender], |r| {
                let tx: String = r.get(2)?;
                Ok(LinkedHit {
                    case_id: r.get(0)?,
                    reference: r.get(1)?,
                    via: format!("Lens transaction {tx}"),
                })
            })
            .optional()?)
    }

    /// The case linked to a Lens transaction carrying `value` as a content key (purchase order,
    /// invoice or shipment number), sent by `sender` when given.
    pub fn case_by_lens_reference(
        &self,
        value: &str,
        sender: Option<&str>,
    ) -> Result<Option<LinkedHit>> {
        Ok(self
            .connection()
            .prepare_cached(
                "SELECT ct.case_id, c.reference, t.id, json_extract(k.value, '$.key') \
                 FROM transactions t, json_each(t.content_keys_json) k \
                 JOIN case_transactions ct ON ct.transaction_id = t.id \
                 JOIN cases c ON c.id = ct.case_id \
                 WHERE json_extract(k.value, '$.value') = ?1 \
                   AND (?2 IS NULL OR upper(t.sender_address) = upper(?2)) \
                 ORDER BY c.updated_at DESC LIMIT 1",
            )?
            .query_row(params![value, sender], |r| {
                let tx: String = r.get(2)?;
                let key: String = r.get(3)?;
                Ok(LinkedHit {
                    case_id: r.get(0)?,
                    reference: r.get(1)?,
                    via: format!("Lens transaction {tx} ({key} {value})"),
                })
            })
            .optional()?)
    }
}

/// The EDI details of ledger row `ledger_id`, if its file was EDI.
pub(crate) fn ledger_edi(conn: &Connection, ledger_id: i64) -> Result<Option<LedgerEdiView>> {
    let row: Option<(String, String)> = conn
        .prepare_cached(
            "SELECT e.summary_json, e.segment_view FROM ingest_ledger l \
             JOIN ingest_edi e ON e.sha256 = l.sha256 WHERE l.id = ?1",
        )?
        .query_row([ledger_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        None => Ok(None),
        Some((json, segment_view)) => Ok(Some(LedgerEdiView {
            summary: serde_json::from_str(&json)?,
            segment_view,
        })),
    }
}

/// The routing rules in the analyst's order (the default order when never saved).
pub(crate) fn routing_rules(conn: &Connection) -> Result<Vec<RoutingRuleSetting>> {
    let mut stmt = conn.prepare_cached(
        "SELECT rule, enabled, setting_json FROM routing_rules ORDER BY position",
    )?;
    let rows: Vec<(String, bool, Option<String>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if rows.is_empty() {
        return Ok(RoutingRuleSetting::defaults());
    }
    let saved: Vec<RoutingRuleSetting> = rows
        .into_iter()
        .filter_map(|(rule, enabled, json)| {
            let kind = RoutingRuleKind::from_ledger_name(&rule)?;
            let setting = match json {
                // A stored rule this build cannot read is skipped, not guessed.
                Some(json) => serde_json::from_str::<RoutingRuleSetting>(&json).ok()?,
                None => RoutingRuleSetting::plain(kind, enabled),
            };
            Some(RoutingRuleSetting {
                kind,
                enabled,
                ..setting
            })
        })
        .collect();
    Ok(RoutingRuleSetting::normalized(&saved))
}

/// Saves the analyst's order and what each rule matches.
pub(crate) fn save_routing_rules(conn: &Connection, rules: &[RoutingRuleSetting]) -> Result<()> {
    conn.execute("DELETE FROM routing_rules", [])?;
    let mut ins = conn.prepare_cached(
        "INSERT INTO routing_rules (position, rule, enabled, setting_json) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (i, r) in RoutingRuleSetting::normalized(rules).iter().enumerate() {
        let json = if r.is_added() {
            Some(serde_json::to_string(r)?)
        } else {
            None
        };
        ins.execute(params![
            i64::try_from(i).unwrap_or(i64::MAX),
            r.kind.ledger_name(),
            r.enabled,
            json
        ])?;
    }
    Ok(())
}
