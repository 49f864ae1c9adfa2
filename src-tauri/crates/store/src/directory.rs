//! Partners, colleagues and Lens transactions: their upserts and the reads behind the partner
//! list and the exceptions inbox.

use std::collections::HashMap;

use pd_domain::{
    content_keys, ContentKey, ExceptionFacets, ExceptionPage, ExceptionQuery, ExceptionRow,
    Partner, PartnerRow, Transaction, User,
};
use rusqlite::{params, params_from_iter, types::Value, Connection, Row};

use crate::error::{Result, StoreError};

pub(crate) fn upsert_partners(conn: &Connection, partners: &[Partner]) -> Result<()> {
    let mut up = conn.prepare_cached(
        "INSERT INTO partners (id, name, status, country_code, contact_email, trading_addresses_json) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO UPDATE SET name = excluded.name, \
         status = excluded.status, country_code = excluded.country_code, \
         contact_email = excluded.contact_email, trading_addresses_json = excluded.trading_addresses_json",
    )?;
    let mut clear = conn.prepare_cached("DELETE FROM partner_addresses WHERE partner_id = ?1")?;
    let mut addr = conn.prepare_cached(
        "INSERT OR IGNORE INTO partner_addresses (address, partner_id) VALUES (?1, ?2)",
    )?;
    for p in partners {
        if p.partner_company_id.trim().is_empty() {
            return Err(StoreError::Invalid(
                "a partner has an empty company id".into(),
            ));
        }
        up.execute(params![
            p.partner_company_id,
            p.partner_company_name,
            p.status,
            p.country_code,
            p.contact_email,
            serde_json::to_string(&p.trading_addresses)?
        ])?;
        clear.execute([&p.partner_company_id])?;
        for a in &p.trading_addresses {
            addr.execute(params![a.trim().to_ascii_uppercase(), p.partner_company_id])?;
        }
    }
    Ok(())
}

pub(crate) fn upsert_users(conn: &Connection, users: &[User]) -> Result<()> {
    let mut up = conn.prepare_cached(
        "INSERT INTO users (user_id, login_id, first_name, last_name, email, roles_json) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(user_id) DO UPDATE SET \
         login_id = excluded.login_id, first_name = excluded.first_name, \
         last_name = excluded.last_name, email = excluded.email, roles_json = excluded.roles_json",
    )?;
    for u in users {
        if u.user_id.trim().is_empty() {
            return Err(StoreError::Invalid("a user has an empty user id".into()));
        }
        up.execute(params![
            u.user_id,
            u.login_id,
            u.first_name,
            u.last_name,
            u.email,
            serde_json::to_string(&u.roles)?
        ])?;
    }
    Ok(())
}

pub(crate) fn upsert_transactions(conn: &Connection, txs: &[Transaction]) -> Result<()> {
    let mut up = conn.prepare_cached(
        "INSERT INTO transactions (id, correlation_id, status, delivery_status, edi_type, \
            transaction_level, sender_name, receiver_name, sender_address, receiver_address, \
            arrival_time, error_code, error_type, external_error_message, content_keys_json, \
            po_number, invoice_number, shipment_number, is_exception) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19) \
         ON CONFLICT(id) DO UPDATE SET correlation_id = excluded.correlation_id, \
            status = excluded.status, delivery_status = excluded.delivery_status, \
            edi_type = excluded.edi_type, transaction_level = excluded.transaction_level, \
            sender_name = excluded.sender_name, receiver_name = excluded.receiver_name, \
            sender_address = excluded.sender_address, receiver_address = excluded.receiver_address, \
            arrival_time = excluded.arrival_time, error_code = excluded.error_code, \
            error_type = excluded.error_type, external_error_message = excluded.external_error_message, \
            content_keys_json = excluded.content_keys_json, po_number = excluded.po_number, \
            invoice_number = excluded.invoice_number, shipment_number = excluded.shipment_number, \
            is_exception = excluded.is_exception",
    )?;
    for t in txs {
        if t.transaction_id.trim().is_empty() {
            return Err(StoreError::Invalid("a transaction has an empty id".into()));
        }
        let upper = |a: &Option<String>| a.as_deref().map(|s| s.trim().to_ascii_uppercase());
        up.execute(params![
            t.transaction_id,
            t.correlation_id,
            t.status,
            t.delivery_status,
            t.edi_type,
            t.transaction_level,
            t.sender_name,
            t.receiver_name,
            upper(&t.sender_address),
            upper(&t.receiver_address),
            t.arrival_time,
            t.error_code,
            t.error_type,
            t.external_error_message,
            serde_json::to_string(&t.content_keys)?,
            t.content_key(content_keys::PURCHASE_ORDER),
            t.content_key(content_keys::INVOICE),
            t.content_key(content_keys::SHIPMENT),
            t.is_exception(),
        ])?;
    }
    Ok(())
}

/// Columns [`transaction_from_row`] reads (table alias `t`).
pub(crate) const TX_COLUMNS: &str = "t.id, t.correlation_id, t.status, t.delivery_status, \
    t.edi_type, t.transaction_level, t.sender_name, t.receiver_name, t.sender_address, \
    t.receiver_address, t.arrival_time, t.error_code, t.error_type, t.external_error_message, \
    t.content_keys_json";

pub(crate) fn transaction_from_row(r: &Row<'_>) -> Result<Transaction> {
    let keys: String = r.get(14)?;
    let content_keys: Vec<ContentKey> = serde_json::from_str(&keys)?;
    Ok(Transaction {
        transaction_id: r.get(0)?,
        correlation_id: r.get(1)?,
        status: r.get(2)?,
        delivery_status: r.get(3)?,
        edi_type: r.get(4)?,
        transaction_level: r.get(5)?,
        sender_name: r.get(6)?,
        receiver_name: r.get(7)?,
        sender_address: r.get(8)?,
        receiver_address: r.get(9)?,
        arrival_time: r.get(10)?,
        error_code: r.get(11)?,
        error_type: r.get(12)?,
        external_error_message: r.get(13)?,
        content_keys,
    })
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// The partner a transaction involves: a sender or receiver address that belongs to one (our
/// own addresses are not in the partner directory).
const TX_PARTNER_ID: &str = "(SELECT pa.partner_id FROM partner_addresses pa \
    WHERE pa.address IN (t.sender_address, t.receiver_address) ORDER BY pa.partner_id LIMIT 1)";
const TX_PARTNER_NAME: &str =
    "(SELECT p.name FROM partner_addresses pa JOIN partners p ON p.id = pa.partner_id \
    WHERE pa.address IN (t.sender_address, t.receiver_address) ORDER BY pa.partner_id LIMIT 1)";

/// A transaction the inbox shows: a Lens exception, except an envelope whose failure is already
/// shown by a failed document of the same interchange (Lens reports both levels; the analyst
/// works the document, which carries the PO / invoice / shipment numbers).
const INBOX_ROW: &str =
    "t.is_exception = 1 AND NOT (coalesce(t.transaction_level, '') = 'Envelope' \
    AND t.correlation_id IS NOT NULL AND EXISTS (SELECT 1 FROM transactions d \
    WHERE d.correlation_id = t.correlation_id AND d.is_exception = 1 \
    AND coalesce(d.transaction_level, '') <> 'Envelope'))";

pub(crate) fn list_exceptions(conn: &Connection, q: &ExceptionQuery) -> Result<ExceptionPage> {
    let mut filters = vec![INBOX_ROW.to_string()];
    let mut args: Vec<Value> = Vec::new();
    if let Some(pid) = q.partner_id.as_deref().filter(|s| !s.is_empty()) {
        args.push(Value::Text(pid.to_string()));
        filters.push(format!(
            "EXISTS (SELECT 1 FROM partner_addresses pa WHERE pa.partner_id = ?{} \
             AND pa.address IN (t.sender_address, t.receiver_address))",
            args.len()
        ));
    }
    if !q.edi_types.is_empty() {
        let mut marks = Vec::new();
        for e in &q.edi_types {
            args.push(Value::Text(e.clone()));
            marks.push(format!("?{}", args.len()));
        }
        filters.push(format!("t.edi_type IN ({})", marks.join(", ")));
    }
    if let Some(code) = q.error_code.as_deref().filter(|s| !s.is_empty()) {
        args.push(Value::Text(code.to_string()));
        filters.push(format!("t.error_code = ?{}", args.len()));
    }
    if let Some(search) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        // Words AND together; each word may appear in any of the searched columns.
        for word in search.split_whitespace().take(16) {
            let word: String = word.chars().take(200).collect();
            args.push(Value::Text(like_pattern(&word)));
            let n = args.len();
            filters.push(format!(
                "(t.sender_name LIKE ?{n} ESCAPE '\\' OR t.receiver_name LIKE ?{n} ESCAPE '\\' \
                 OR t.external_error_message LIKE ?{n} ESCAPE '\\' OR t.po_number LIKE ?{n} ESCAPE '\\' \
                 OR t.invoice_number LIKE ?{n} ESCAPE '\\' OR t.shipment_number LIKE ?{n} ESCAPE '\\' \
                 OR t.error_code LIKE ?{n} ESCAPE '\\' OR t.id LIKE ?{n} ESCAPE '\\' \
                 OR EXISTS (SELECT 1 FROM partner_addresses pa JOIN partners p ON p.id = pa.partner_id \
                    WHERE pa.address IN (t.sender_address, t.receiver_address) AND p.name LIKE ?{n} ESCAPE '\\'))"
            ));
        }
    }
    let where_sql = filters.join(" AND ");
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM transactions t WHERE {where_sql}"),
        params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    let limit = if q.limit == 0 { 200 } else { q.limit.min(5000) };
    let out = exception_rows(
        conn,
        &format!(
            "{where_sql} ORDER BY t.arrival_time DESC, t.id LIMIT {limit} OFFSET {}",
            q.offset
        ),
        &args,
    )?;
    Ok(ExceptionPage {
        rows: out,
        total: u32::try_from(total).unwrap_or(u32::MAX),
        offset: q.offset,
    })
}

/// One inbox row by transaction id (`None` when it is not in the inbox).
pub(crate) fn exception(conn: &Connection, transaction_id: &str) -> Result<Option<ExceptionRow>> {
    let rows = exception_rows(
        conn,
        &format!("{INBOX_ROW} AND t.id = ?1"),
        &[Value::Text(transaction_id.to_string())],
    )?;
    Ok(rows.into_iter().next())
}

/// Inbox rows (with partner, references and linked cases) for a `WHERE` clause and its tail.
fn exception_rows(
    conn: &Connection,
    where_and_tail: &str,
    args: &[Value],
) -> Result<Vec<ExceptionRow>> {
    let sql = format!(
        "SELECT {TX_COLUMNS}, {TX_PARTNER_ID}, {TX_PARTNER_NAME}, t.po_number, t.invoice_number, t.shipment_number \
         FROM transactions t WHERE {where_and_tail}"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(args.iter()))?;
    let mut out = Vec::new();
    let mut links = conn.prepare_cached(
        "SELECT case_id FROM case_transactions WHERE transaction_id = ?1 ORDER BY case_id",
    )?;
    while let Some(r) = rows.next()? {
        let transaction = transaction_from_row(r)?;
        let case_ids = links
            .query_map([&transaction.transaction_id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        out.push(ExceptionRow {
            partner_id: r.get(15)?,
            partner_name: r.get(16)?,
            po_number: r.get(17)?,
            invoice_number: r.get(18)?,
            shipment_number: r.get(19)?,
            transaction,
            case_ids,
        });
    }
    Ok(out)
}

pub(crate) fn exception_facets(conn: &Connection) -> Result<ExceptionFacets> {
    let distinct = |col: &str| -> Result<Vec<String>> {
        let mut stmt = conn.prepare(&format!(
            "SELECT DISTINCT t.{col} FROM transactions t WHERE {INBOX_ROW} AND t.{col} IS NOT NULL \
             AND t.{col} <> '' ORDER BY t.{col}"
        ))?;
        let v = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(v)
    };
    Ok(ExceptionFacets {
        edi_types: distinct("edi_type")?,
        error_codes: distinct("error_code")?,
    })
}

fn partner_of(r: &Row<'_>) -> Result<Partner> {
    let addresses: String = r.get(5)?;
    Ok(Partner {
        partner_company_id: r.get(0)?,
        partner_company_name: r.get(1)?,
        status: r.get(2)?,
        country_code: r.get(3)?,
        contact_email: r.get(4)?,
        trading_addresses: serde_json::from_str(&addresses)?,
    })
}

/// A count as the directory shows it (a hostile or corrupt count is shown as none).
fn shown_count(count: i64) -> u32 {
    u32::try_from(count).unwrap_or(0)
}

/// An open case: not resolved, not closed.
const OPEN_CASE: &str = "status NOT IN ('resolved', 'closed')";

fn partner_row(conn: &Connection, r: &Row<'_>) -> Result<PartnerRow> {
    let partner = partner_of(r)?;
    let open_cases: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM cases WHERE partner_id = ?1 AND {OPEN_CASE}"
        ))?
        .query_row([&partner.partner_company_id], |r| r.get(0))?;
    let exceptions: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM transactions t WHERE {INBOX_ROW} AND EXISTS \
             (SELECT 1 FROM partner_addresses pa WHERE pa.partner_id = ?1 \
              AND pa.address IN (t.sender_address, t.receiver_address))"
        ))?
        .query_row([&partner.partner_company_id], |r| r.get(0))?;
    Ok(PartnerRow {
        partner,
        open_cases: shown_count(open_cases),
        exceptions: shown_count(exceptions),
    })
}

/// Each partner's open cases and inbox exceptions, counted in one pass over the cases and one
/// over the inbox (the directory of every partner asked two counts per partner, a scan of the
/// inbox each, which made it seconds long at 100,000 cases and held the app's start).
fn counts_by_partner(conn: &Connection) -> Result<HashMap<String, (i64, i64)>> {
    let mut counts: HashMap<String, (i64, i64)> = HashMap::new();
    let mut open = conn.prepare_cached(&format!(
        "SELECT partner_id, count(*) FROM cases WHERE {OPEN_CASE} GROUP BY partner_id"
    ))?;
    let mut rows = open.query([])?;
    while let Some(r) = rows.next()? {
        counts.entry(r.get(0)?).or_default().0 = r.get(1)?;
    }
    let mut inbox = conn.prepare_cached(&format!(
        "SELECT pa.partner_id, count(DISTINCT t.id) FROM transactions t \
         JOIN partner_addresses pa ON pa.address IN (t.sender_address, t.receiver_address) \
         WHERE {INBOX_ROW} GROUP BY pa.partner_id"
    ))?;
    let mut rows = inbox.query([])?;
    while let Some(r) = rows.next()? {
        counts.entry(r.get(0)?).or_default().1 = r.get(1)?;
    }
    Ok(counts)
}

const PARTNER_COLUMNS: &str =
    "id, name, status, country_code, contact_email, trading_addresses_json";

pub(crate) fn list_partners(conn: &Connection, search: Option<&str>) -> Result<Vec<PartnerRow>> {
    let pattern = search
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(like_pattern);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {PARTNER_COLUMNS} FROM partners WHERE ?1 IS NULL OR name LIKE ?1 ESCAPE '\\' \
         OR id LIKE ?1 ESCAPE '\\' OR trading_addresses_json LIKE ?1 ESCAPE '\\' \
         ORDER BY name COLLATE NOCASE, id"
    ))?;
    let counts = counts_by_partner(conn)?;
    let mut rows = stmt.query([pattern])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let partner = partner_of(r)?;
        let (open_cases, exceptions) = counts
            .get(&partner.partner_company_id)
            .copied()
            .unwrap_or_default();
        out.push(PartnerRow {
            partner,
            open_cases: shown_count(open_cases),
            exceptions: shown_count(exceptions),
        });
    }
    Ok(out)
}

pub(crate) fn partner(conn: &Connection, id: &str) -> Result<PartnerRow> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {PARTNER_COLUMNS} FROM partners WHERE id = ?1"
    ))?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(r) => partner_row(conn, r),
        None => Err(StoreError::not_found("partner", id)),
    }
}

pub(crate) fn list_users(conn: &Connection) -> Result<Vec<User>> {
    let mut stmt = conn.prepare_cached(
        "SELECT user_id, login_id, first_name, last_name, email, roles_json FROM users \
         ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, user_id",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let roles: String = r.get(5)?;
        out.push(User {
            user_id: r.get(0)?,
            login_id: r.get(1)?,
            first_name: r.get(2)?,
            last_name: r.get(3)?,
            email: r.get(4)?,
            roles: serde_json::from_str(&roles)?,
        });
    }
    Ok(out)
}
