//! The reads the UI makes: the filtered, searched, sorted case list with its total, the counts
//! per status, and the case page. Also the translation of hostile search input into a safe FTS5
//! query.

use pd_domain::{
    ActivityEntry, CaseDetail, CaseListPage, CaseQuery, CaseRow, CaseSortField, CaseStatus,
    CommentView, SendState, StatusCount, Timestamp,
};
use rusqlite::{params_from_iter, types::Value, Connection};

use crate::cases::{
    case_from_row, comment_from_row, document_from_row, read_case, CASE_COLUMNS, COMMENT_COLUMNS,
    DOCUMENT_COLUMNS,
};
use crate::codec::{status_rank, ts};
use crate::directory::{transaction_from_row, TX_COLUMNS};
use crate::error::{Result, StoreError};
use crate::facets::{self, FacetSlot};
use crate::outbox::{
    self, OutboxState, KIND_COMMENT, KIND_CREATE, KIND_LINK, KIND_PATCH, KIND_UNLINK,
};

/// Most search words used; the rest of a pasted essay is ignored.
const MAX_SEARCH_TOKENS: usize = 16;
/// Longest search word kept, in characters.
const MAX_TOKEN_CHARS: usize = 64;
/// Default and largest page size.
const DEFAULT_LIMIT: u32 = 200;
const MAX_LIMIT: u32 = 5000;

/// What a user's search text becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchFilter {
    /// Blank input: no search filter at all.
    Nothing,
    /// Input with no searchable word (only punctuation or symbols): nothing can match.
    MatchesNothing,
    /// A safe FTS5 expression: every word quoted, the last one a prefix.
    Fts(String),
}

/// Turns free text into an FTS5 query that cannot be a syntax error: each word is quoted as a
/// phrase (FTS5 operators and quotes lose their meaning), words AND together, and the last word
/// matches as a prefix so results appear while typing.
pub fn search_filter(input: Option<&str>) -> SearchFilter {
    let Some(text) = input.map(str::trim).filter(|s| !s.is_empty()) else {
        return SearchFilter::Nothing;
    };
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| *c != '"')
                .take(MAX_TOKEN_CHARS)
                .collect::<String>()
        })
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .take(MAX_SEARCH_TOKENS)
        .collect();
    if words.is_empty() {
        return SearchFilter::MatchesNothing;
    }
    let last = words.len() - 1;
    let parts: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if i == last {
                format!("\"{w}\"*")
            } else {
                format!("\"{w}\"")
            }
        })
        .collect();
    SearchFilter::Fts(parts.join(" "))
}

/// A case query split into its full-text part and its plain column filters.
struct Filters {
    /// The FTS5 expression, bound as `?1`, when the query searches.
    fts: Option<String>,
    /// Conditions on `c.*` joined with AND (`1` when there are none).
    plain: String,
    /// Arguments: the FTS expression first (if any), then the plain filters' values.
    args: Vec<Value>,
}

/// Splits a case query into [`Filters`]; `with_status` false leaves the status filter out.
/// `None`: the search text cannot match anything.
fn case_filters(q: &CaseQuery, now: Timestamp, with_status: bool) -> Option<Filters> {
    let mut filters: Vec<String> = Vec::new();
    let mut args: Vec<Value> = Vec::new();
    let list =
        |col: &str, values: Vec<String>, filters: &mut Vec<String>, args: &mut Vec<Value>| {
            if values.is_empty() {
                return;
            }
            let mut marks = Vec::new();
            for v in values {
                args.push(Value::Text(v));
                marks.push(format!("?{}", args.len()));
            }
            filters.push(format!("{col} IN ({})", marks.join(", ")));
        };
    let fts = match search_filter(q.search.as_deref()) {
        SearchFilter::Nothing => None,
        SearchFilter::MatchesNothing => return None,
        SearchFilter::Fts(expr) => {
            args.push(Value::Text(expr.clone()));
            Some(expr)
        }
    };
    if with_status && !q.statuses.is_empty() {
        let mut ranks: Vec<String> = q
            .statuses
            .iter()
            .map(|s| status_rank(*s).to_string())
            .collect();
        ranks.sort();
        ranks.dedup();
        filters.push(format!("c.status_rank IN ({})", ranks.join(", ")));
    }
    list(
        "c.partner_id",
        q.partner_ids.clone(),
        &mut filters,
        &mut args,
    );
    list(
        "c.kind",
        q.kinds.iter().map(|k| k.as_str().to_string()).collect(),
        &mut filters,
        &mut args,
    );
    if !q.owners.is_empty() {
        let unassigned = q.owners.iter().any(|o| o.is_empty());
        let named: Vec<String> = q.owners.iter().filter(|o| !o.is_empty()).cloned().collect();
        let mut sub = Vec::new();
        list("c.owner", named, &mut sub, &mut args);
        if unassigned {
            sub.push("c.owner IS NULL".to_string());
        }
        filters.push(format!("({})", sub.join(" OR ")));
    }
    if q.sla_breached {
        args.push(Value::Text(ts(now)));
        let terminal: Vec<String> = CaseStatus::ALL
            .iter()
            .filter(|s| s.is_terminal())
            .map(|s| status_rank(*s).to_string())
            .collect();
        filters.push(format!(
            "(c.sla_due IS NOT NULL AND c.sla_due <= ?{} AND c.status_rank NOT IN ({}))",
            args.len(),
            terminal.join(", ")
        ));
    }
    let plain = if !filters.is_empty() {
        filters.join(" AND ")
    } else {
        "1".to_string()
    };
    Some(Filters { fts, plain, args })
}

/// The ORDER BY for a sort, and the index that yields exactly that order. Ties break on `rid`
/// (every index ends with it). Owner and SLA due put NULLs last either way: ascending through an
/// index on `(x IS NULL, x)`, descending naturally (NULL sorts lowest).
fn order_by(sort: CaseSortField, descending: bool) -> (String, &'static str) {
    let dir = if descending { "DESC" } else { "ASC" };
    let (key, index) = match (sort, descending) {
        (CaseSortField::Reference, _) => (format!("c.reference {dir}"), "cases_reference"),
        (CaseSortField::Title, _) => (format!("c.title COLLATE NOCASE {dir}"), "cases_title"),
        (CaseSortField::Partner, _) => (
            format!("c.partner_name COLLATE NOCASE {dir}"),
            "cases_partner_name",
        ),
        (CaseSortField::Kind, _) => (format!("c.kind {dir}"), "cases_kind"),
        (CaseSortField::Status, _) => (format!("c.status_rank {dir}"), "cases_status_rank"),
        (CaseSortField::Priority, _) => (format!("c.priority_rank {dir}"), "cases_priority_rank"),
        (CaseSortField::Owner, false) => (
            "c.owner IS NULL ASC, c.owner ASC".to_string(),
            "cases_owner_nulls_last",
        ),
        (CaseSortField::Owner, true) => ("c.owner DESC".to_string(), "cases_owner"),
        (CaseSortField::SlaDue, false) => (
            "c.sla_due IS NULL ASC, c.sla_due ASC".to_string(),
            "cases_sla_nulls_last",
        ),
        (CaseSortField::SlaDue, true) => ("c.sla_due DESC".to_string(), "cases_sla_due"),
        (CaseSortField::Updated, _) => (format!("c.updated_at {dir}"), "cases_updated"),
    };
    (format!("{key}, c.rid {dir}"), index)
}

/// Rows a page query may step over in sort order before driving from the filters (and sorting
/// what they match) is cheaper.
const ORDERED_WALK_BUDGET: u64 = 20_000;

/// Cases per status rank that `q` matches, ignoring its status filter: the search's rowids
/// from the full-text index (or every case), checked against the in-memory filter columns.
/// Call inside a read transaction so the copy and the search read one snapshot.
fn count_by_status(
    conn: &Connection,
    slot: &FacetSlot,
    q: &CaseQuery,
    f: &Filters,
    now: Timestamp,
) -> Result<(Vec<i64>, usize)> {
    let facets = facets::current(conn, slot)?;
    let filter = facets.filter(q, now);
    let counts = match &f.fts {
        Some(expr) => {
            let mut stmt =
                conn.prepare_cached("SELECT rowid FROM case_fts WHERE case_fts MATCH ?1")?;
            let rids = stmt
                .query_map([expr], |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            facets.count_by_status(Some(&rids), &filter)
        }
        None => facets.count_by_status(None, &filter),
    };
    Ok((counts, facets.case_slots()))
}

pub(crate) fn list_cases(
    conn: &Connection,
    slot: &FacetSlot,
    q: &CaseQuery,
    now: Timestamp,
) -> Result<CaseListPage> {
    let empty = || CaseListPage {
        rows: Vec::new(),
        total: 0,
        offset: q.offset,
    };
    let Some(f) = case_filters(q, now, true) else {
        return Ok(empty());
    };
    // The total is the status counts' sum over the statuses asked for; the same counts answer
    // the status_counts call that comes with it.
    let (counts, all) = count_by_status(conn, slot, q, &f, now)?;
    let total: i64 = CaseStatus::ALL
        .iter()
        .zip(&counts)
        .filter(|(s, _)| q.statuses.is_empty() || q.statuses.contains(s))
        .map(|(_, n)| n)
        .sum();
    let limit = if q.limit == 0 {
        DEFAULT_LIMIT
    } else {
        q.limit.min(MAX_LIMIT)
    };
    if total <= i64::from(q.offset) {
        return Ok(CaseListPage {
            total: u32::try_from(total).unwrap_or(u32::MAX),
            ..empty()
        });
    }
    // How far a walk in sort order would go to fill the page, if matches are spread evenly.
    let all = u64::try_from(all).unwrap_or(u64::MAX);
    let window = u64::from(q.offset) + u64::from(limit);
    let walk = window.saturating_mul(all) / u64::try_from(total.max(1)).unwrap_or(1);
    let (order, sort_index) = order_by(q.sort, q.descending);
    let walk_in_order = walk <= ORDERED_WALK_BUDGET;
    let source = match (&f.fts, walk_in_order) {
        // Many matches: walk the sort index, keep what the search matched, stop after a page.
        (Some(_), true) => format!(
            "cases c INDEXED BY {sort_index} WHERE c.rid IN \
             (SELECT rowid FROM case_fts WHERE case_fts MATCH ?1) AND {}",
            f.plain
        ),
        // Few matches: start from the search and sort what it found.
        (Some(_), false) => format!(
            "case_fts CROSS JOIN cases c ON c.rid = case_fts.rowid \
             WHERE case_fts MATCH ?1 AND {}",
            f.plain
        ),
        (None, true) => format!("cases c INDEXED BY {sort_index} WHERE {}", f.plain),
        (None, false) => format!("cases c WHERE {}", f.plain),
    };
    let sql = format!(
        "SELECT {CASE_COLUMNS}, \
            (SELECT u.first_name || ' ' || u.last_name FROM users u WHERE u.login_id = c.owner LIMIT 1), \
            (SELECT count(*) FROM outbox o WHERE o.case_id = c.id AND o.state <> 'failed'), \
            (SELECT count(*) FROM outbox o WHERE o.case_id = c.id AND o.state = 'failed') \
         FROM {source} ORDER BY {order} LIMIT {limit} OFFSET {}",
        q.offset
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(f.args.iter()))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let (case, local_only) = case_from_row(r)?;
        let sla_state = case.sla_state(now);
        out.push(CaseRow {
            id: case.id,
            reference: case.reference,
            title: case.title,
            partner_id: case.partner_id,
            partner_name: case.partner_name,
            kind: case.kind,
            status: case.status,
            priority: case.priority,
            owner: case.owner,
            owner_name: r.get(15)?,
            sla_due: case.sla_due,
            sla_state,
            updated_at: case.updated_at,
            pending_changes: u32::try_from(r.get::<_, i64>(16)?).unwrap_or(0),
            failed_changes: u32::try_from(r.get::<_, i64>(17)?).unwrap_or(0),
            local_only,
        });
    }
    Ok(CaseListPage {
        rows: out,
        total: u32::try_from(total).unwrap_or(u32::MAX),
        offset: q.offset,
    })
}

pub(crate) fn status_counts(
    conn: &Connection,
    slot: &FacetSlot,
    q: &CaseQuery,
    now: Timestamp,
) -> Result<Vec<StatusCount>> {
    let counts = match case_filters(q, now, false) {
        Some(f) => count_by_status(conn, slot, q, &f, now)?.0,
        None => vec![0; CaseStatus::ALL.len()],
    };
    Ok(CaseStatus::ALL
        .iter()
        .zip(counts)
        .map(|(s, n)| StatusCount {
            status: *s,
            count: u32::try_from(n).unwrap_or(u32::MAX),
        })
        .collect())
}

fn status_words(s: CaseStatus) -> &'static str {
    match s {
        CaseStatus::New => "New",
        CaseStatus::Open => "Open",
        CaseStatus::WaitingOnPartner => "Waiting on partner",
        CaseStatus::WaitingOnUs => "Waiting on us",
        CaseStatus::Resolved => "Resolved",
        CaseStatus::Closed => "Closed",
    }
}

/// What an entry does, in words, without its send state.
pub(crate) fn entry_words(entry: &outbox::OutboxEntry) -> String {
    match entry.kind.as_str() {
        KIND_PATCH => {
            let patch: pd_domain::CasePatch =
                serde_json::from_value(entry.payload.clone()).unwrap_or_default();
            let mut parts = Vec::new();
            if let Some(s) = patch.status {
                parts.push(format!("Status changed to {}", status_words(s)));
            }
            if let Some(p) = patch.priority {
                parts.push(format!("Priority changed to {}", p.as_str()));
            }
            if let Some(o) = &patch.owner {
                parts.push(match o {
                    Some(o) => format!("Assigned to {o}"),
                    None => "Unassigned".to_string(),
                });
            }
            if let Some(d) = patch.sla_due {
                parts.push(match d {
                    Some(d) => format!("SLA due set to {}", d.format("%Y-%m-%d %H:%M UTC")),
                    None => "SLA cleared".to_string(),
                });
            }
            if let Some(t) = &patch.title {
                parts.push(format!("Title changed to \u{201c}{t}\u{201d}"));
            }
            parts.join("; ")
        }
        KIND_LINK | KIND_UNLINK => {
            let id = entry
                .payload
                .get("transactionId")
                .and_then(|v| v.as_str())
                .unwrap_or("?");
            if entry.kind == KIND_LINK {
                format!("Linked transaction {id}")
            } else {
                format!("Unlinked transaction {id}")
            }
        }
        KIND_CREATE => "Case created here".to_string(),
        KIND_COMMENT => {
            let body = entry
                .payload
                .get("body")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            let mut short: String = body.chars().take(60).collect();
            if body.chars().count() > 60 {
                short.push('\u{2026}');
            }
            format!("Comment: \u{201c}{short}\u{201d}")
        }
        other => other.to_string(),
    }
}

fn describe_entry(entry: &outbox::OutboxEntry) -> String {
    let what = entry_words(entry);
    match entry.state {
        OutboxState::Failed => format!(
            "{what} (not accepted: {})",
            entry
                .last_error
                .as_deref()
                .unwrap_or("refused by the server")
        ),
        _ => format!("{what} (waiting to be sent)"),
    }
}

pub(crate) fn case_detail(conn: &Connection, id: &str, now: Timestamp) -> Result<CaseDetail> {
    let (case, local_only) =
        read_case(conn, id)?.ok_or_else(|| StoreError::not_found("case", id))?;
    let owner_name: Option<String> = match &case.owner {
        Some(o) => conn
            .prepare_cached(
                "SELECT first_name || ' ' || last_name FROM users WHERE login_id = ?1 LIMIT 1",
            )?
            .query_row([o], |r| r.get(0))
            .ok(),
        None => None,
    };
    let mut comments = Vec::new();
    {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {}, (SELECT state FROM outbox o WHERE o.op_id = cm.op_id) FROM comments cm \
             WHERE cm.case_id = ?1 ORDER BY cm.created_at, cm.rowid",
            COMMENT_COLUMNS
                .split(", ")
                .map(|c| format!("cm.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
        let mut rows = stmt.query([id])?;
        while let Some(r) = rows.next()? {
            let (comment, _) = comment_from_row(r)?;
            let state: Option<String> = r.get(8)?;
            let send_state = match state.as_deref() {
                None => SendState::Sent,
                Some("failed") => SendState::Failed,
                Some(_) => SendState::Pending,
            };
            comments.push(CommentView {
                comment,
                send_state,
            });
        }
    }
    let mut documents = Vec::new();
    {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents WHERE case_id = ?1 ORDER BY uploaded_at, id"
        ))?;
        let mut rows = stmt.query([id])?;
        while let Some(r) = rows.next()? {
            documents.push(document_from_row(r)?);
        }
    }
    let mut linked_transactions = Vec::new();
    {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {TX_COLUMNS} FROM case_transactions ct JOIN transactions t ON t.id = ct.transaction_id \
             WHERE ct.case_id = ?1 ORDER BY ct.position"
        ))?;
        let mut rows = stmt.query([id])?;
        while let Some(r) = rows.next()? {
            linked_transactions.push(transaction_from_row(r)?);
        }
    }

    let mut activity = vec![ActivityEntry {
        at: case.created_at,
        actor: None,
        summary: if local_only {
            "Case created here, not yet on the server".to_string()
        } else {
            format!("Case {} opened", case.reference)
        },
    }];
    for c in &comments {
        let what = match c.comment.visibility {
            pd_domain::Visibility::Partner => "Commented",
            pd_domain::Visibility::Internal => "Added an internal note",
        };
        let state = match c.send_state {
            SendState::Sent => "",
            SendState::Pending => " (waiting to be sent)",
            SendState::Failed => " (not accepted by the server)",
        };
        activity.push(ActivityEntry {
            at: c.comment.created_at,
            actor: Some(c.comment.author.clone()),
            summary: format!("{what}{state}"),
        });
    }
    for d in &documents {
        activity.push(ActivityEntry {
            at: d.uploaded_at,
            actor: Some(d.uploaded_by.clone()),
            summary: format!("Attached {}", d.name),
        });
    }
    for entry in outbox::entries(conn, Some(id))? {
        if entry.kind == KIND_COMMENT || entry.kind == KIND_CREATE {
            continue; // shown with the comment and the creation line
        }
        activity.push(ActivityEntry {
            at: entry.created_at,
            actor: None,
            summary: describe_entry(&entry),
        });
    }
    for c in outbox::conflicts(conn, id)? {
        activity.push(ActivityEntry {
            at: c.detected_at,
            actor: None,
            summary: format!(
                "Your change to {} ({}) lost to a newer server value ({})",
                c.field, c.local_value, c.server_value
            ),
        });
    }
    activity.sort_by_key(|a| std::cmp::Reverse(a.at));
    let conflicts = outbox::conflicts(conn, id)?
        .into_iter()
        .map(|c| pd_domain::ConflictView {
            id: c.id.to_string(),
            field: c.field,
            local_value: Some(c.local_value),
            server_value: Some(c.server_value),
            detected_at: c.detected_at,
        })
        .collect();
    let sla_state = case.sla_state(now);
    Ok(CaseDetail {
        case,
        owner_name,
        sla_state,
        comments,
        documents,
        linked_transactions,
        activity,
        local_only,
        conflicts,
    })
}

pub(crate) fn outbox_views(conn: &Connection) -> Result<Vec<pd_domain::OutboxEntryView>> {
    let mut reference = conn.prepare_cached("SELECT reference FROM cases WHERE id = ?1")?;
    let mut out = Vec::new();
    for entry in outbox::entries(conn, None)? {
        let case_reference: String = reference
            .query_row([&entry.case_id], |r| r.get(0))
            .unwrap_or_else(|_| entry.case_id.clone());
        out.push(pd_domain::OutboxEntryView {
            summary: entry_words(&entry),
            op_id: entry.op_id,
            case_id: entry.case_id,
            case_reference,
            kind: entry.kind,
            state: entry.state,
            attempts: entry.attempts,
            last_error: entry.last_error,
            created_at: entry.created_at,
        });
    }
    Ok(out)
}
