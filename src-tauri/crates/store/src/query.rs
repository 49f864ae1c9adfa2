//! The reads the UI makes: the filtered, searched, sorted case list with its total, the counts
//! per status, and the case page. Also the translation of hostile search input into a safe FTS5
//! query.

use pd_domain::{
    ActivityEntry, CaseDetail, CaseListPage, CaseQuery, CaseRow, CaseSortField, CaseStatus,
    CommentView, SendState, StatusCount, Timestamp,
};
use rusqlite::Connection;

use crate::cases::{case_from_row, comment_from_row, read_case, CASE_COLUMNS, COMMENT_COLUMNS};
use crate::directory::{transaction_from_row, TX_COLUMNS};
use crate::error::{Result, StoreError};
use crate::facets::{self, CountKey, FacetSlot, Facets, SlaMark};
use crate::outbox::{self, OutboxState};
use pd_domain::OutboxOp;
use std::sync::Arc;

/// Most search words used; the rest of a pasted essay is ignored.
const MAX_SEARCH_TOKENS: usize = 16;
/// Longest search word kept, in characters.
const MAX_TOKEN_CHARS: usize = 64;
/// Default and largest page size.
pub(crate) const DEFAULT_LIMIT: u32 = 200;
/// See [`DEFAULT_LIMIT`].
pub(crate) const MAX_LIMIT: u32 = 5000;

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
    match search_words(input) {
        None => SearchFilter::Nothing,
        Some(words) if words.is_empty() => SearchFilter::MatchesNothing,
        Some(words) => SearchFilter::Fts(words.join(" ")),
    }
}

/// The words of [`search_filter`]'s expression, each an FTS5 expression of its own (their AND
/// is the search): `None` for blank input, no words when nothing can match.
pub(crate) fn search_words(input: Option<&str>) -> Option<Vec<String>> {
    let text = input.map(str::trim).filter(|s| !s.is_empty())?;
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
    let last = words.len().saturating_sub(1);
    Some(
        words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i == last {
                    format!("\"{w}\"*")
                } else {
                    format!("\"{w}\"")
                }
            })
            .collect(),
    )
}

/// The rowids of the cases the query's search text matches: `Ok(None)` when it has no search
/// text, an empty list when the text cannot match anything.
fn search_rids(facets: &Facets, conn: &Connection, q: &CaseQuery) -> Result<Option<Arc<Vec<i64>>>> {
    match search_words(q.search.as_deref()) {
        None => Ok(None),
        Some(words) if words.is_empty() => Ok(Some(Arc::new(Vec::new()))),
        Some(words) => Ok(Some(facets.search(conn, &words)?)),
    }
}

/// The ORDER BY for a sort, and the index that yields exactly that order. Ties break on `rid`
/// (every index ends with it). Owner and SLA due put NULLs last either way: ascending through an
/// index on `(x IS NULL, x)`, descending naturally (NULL sorts lowest).
pub(crate) fn order_by(sort: CaseSortField, descending: bool) -> (String, &'static str) {
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

/// A match set up to this size is sorted in memory (its sort column kept beside the filter
/// columns); a larger one too, unless it is sorted by text and dense (at least one case in
/// [`WALK_DENSITY`]): then walking the column's index until the page is full reads fewer rows
/// than comparing every match.
const SORT_DIRECTLY_UP_TO: usize = 2000;
/// See [`SORT_DIRECTLY_UP_TO`].
const WALK_DENSITY: usize = 4;

/// The list: counts and the match set come from the search's rowids checked against the
/// in-memory filter columns ([`facets`]); the page comes from sorting a small match set in
/// SQL, or from walking the sort column's index and keeping the matches until the page is
/// full. Call inside a read transaction (one snapshot for all of it).
pub(crate) fn list_cases(
    conn: &Connection,
    slot: &FacetSlot,
    q: &CaseQuery,
    now: Timestamp,
    policy: &pd_domain::SlaPolicy,
) -> Result<CaseListPage> {
    let limit = if q.limit == 0 {
        DEFAULT_LIMIT
    } else {
        q.limit.min(MAX_LIMIT)
    };
    let facets = facets::current(conn, slot)?;
    let computed = computed_sla(q, policy);
    let filter = if computed {
        // The SLA conditions are checked below, on the computed marks.
        facets.filter(
            &CaseQuery {
                sla_breached: false,
                ..q.clone()
            },
            now,
        )
    } else {
        facets.filter(q, now)
    };
    let rids = search_rids(&facets, conn, q)?;
    let rids = rids.as_deref().map(Vec::as_slice);
    let mut matching = if computed {
        facets.matching(rids, &filter, &q.statuses)
    } else {
        // The status counts asked beside the list come from this same pass.
        facets.matching_and_counting(rids, &filter, &q.statuses, CountKey::of(q, now))
    };
    let offset = usize::try_from(q.offset).unwrap_or(usize::MAX);
    let window = usize::try_from(limit).unwrap_or(usize::MAX);
    // With computed clocks the SLA filter is applied here, and the SLA sort ranks the whole
    // (filtered) match set here before the page is cut.
    let mut sla_ranked = None;
    if computed {
        let mut marks = facets.sla_marks(conn, &matching, now, policy)?;
        marks.retain(|m| sla_filter_passes(q, m.state));
        if q.sort == CaseSortField::SlaDue {
            sla_ranked = Some(marks);
        } else {
            matching = marks.into_iter().map(|m| m.rid).collect();
            matching.sort_unstable();
        }
    }
    let total = sla_ranked.as_ref().map_or(matching.len(), Vec::len);
    let dense =
        total > SORT_DIRECTLY_UP_TO && total.saturating_mul(WALK_DENSITY) >= facets.case_slots();
    let page_rids = if let Some(marks) = sla_ranked {
        page_by_sla(&marks, q.descending, offset, window)
    } else if total <= offset {
        Vec::new()
    } else if dense && facets::SortColumn::is_text(q.sort) {
        walk_sort_index(conn, &facets, q, &matching, offset, window)?
    } else {
        let column = facets.sort_column(conn, q.sort)?;
        Facets::page_in_order(&column, q.descending, matching, offset, window)
    };
    finish_page(
        conn,
        Some(&facets),
        page_rids,
        0,
        limit,
        q,
        now,
        policy,
        total,
    )
}

/// The page `offset .. offset + window` of `marks` by SLA urgency (the worse mark first, then
/// the sooner due instant; ties by rid; all reversed for `descending`): each mark's key taken
/// once, and only the page's share of them ordered.
fn page_by_sla(marks: &[SlaMark], descending: bool, offset: usize, window: usize) -> Vec<i64> {
    let mut keyed: Vec<_> = marks
        .iter()
        .map(|m| (pd_domain::sla_urgency_key(m.state, m.due), m.rid))
        .collect();
    let compare = |a: &(_, i64), b: &(_, i64)| {
        if descending {
            b.cmp(a)
        } else {
            a.cmp(b)
        }
    };
    let need = offset.saturating_add(window).min(keyed.len());
    if need > 0 && need < keyed.len() {
        keyed.select_nth_unstable_by(need - 1, compare);
        keyed.truncate(need);
    }
    keyed.sort_unstable_by(compare);
    keyed
        .into_iter()
        .skip(offset)
        .take(window)
        .map(|(_, rid)| rid)
        .collect()
}

/// The page of a large match set in a text column's order: walks the column's index and keeps
/// matches until the page is full (dense matches fill it after a few hundred entries).
fn walk_sort_index(
    conn: &Connection,
    facets: &Facets,
    q: &CaseQuery,
    matching: &[i64],
    offset: usize,
    window: usize,
) -> Result<Vec<i64>> {
    let (order, sort_index) = order_by(q.sort, q.descending);
    let mut member = vec![false; facets.case_slots()];
    for rid in matching {
        if let Some(slot) = usize::try_from(*rid).ok().and_then(|i| member.get_mut(i)) {
            *slot = true;
        }
    }
    // While a first sync loads, its indexes are gone: the same order, sorted by SQLite.
    let walk_sql = if crate::bulk::index_exists(conn, sort_index)? {
        format!("SELECT c.rid FROM cases c INDEXED BY {sort_index} ORDER BY {order}")
    } else {
        format!("SELECT c.rid FROM cases c ORDER BY {order}")
    };
    let mut walk = conn.prepare_cached(&walk_sql)?;
    let mut rows = walk.query([])?;
    let mut seen = 0usize;
    let mut page = Vec::with_capacity(window);
    while let Some(r) = rows.next()? {
        let rid: i64 = r.get(0)?;
        let hit = usize::try_from(rid)
            .ok()
            .and_then(|i| member.get(i))
            .copied()
            .unwrap_or(false);
        if !hit {
            continue;
        }
        seen += 1;
        if seen > offset {
            page.push(rid);
            if page.len() >= window {
                break;
            }
        }
    }
    Ok(page)
}

/// The rows of one page (`page_rids`, in the sort's order, `skip` rows skipped), with their
/// SLA marks, in that order: from the SLA bounds kept in `facets` when it is given, else (and
/// where the bounds cannot tell) computed from each row's history.
#[allow(clippy::too_many_arguments)]
pub(crate) fn finish_page(
    conn: &Connection,
    facets: Option<&Facets>,
    page_rids: Vec<i64>,
    skip: usize,
    limit: u32,
    q: &CaseQuery,
    now: Timestamp,
    policy: &pd_domain::SlaPolicy,
    total: usize,
) -> Result<CaseListPage> {
    let mut out = Vec::new();
    // One cached statement per row, in the page's order (the rids come cut and ordered).
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CASE_COLUMNS}, \
            (SELECT u.first_name || ' ' || u.last_name FROM users u WHERE u.login_id = c.owner LIMIT 1), \
            (SELECT count(*) FROM outbox o WHERE o.case_id = c.id AND o.state <> 'failed'), \
            (SELECT count(*) FROM outbox o WHERE o.case_id = c.id AND o.state = 'failed'), \
            EXISTS (SELECT 1 FROM kept_cases k WHERE k.case_id = c.id) \
         FROM cases c WHERE c.rid = ?1"
    ))?;
    let take = usize::try_from(limit).unwrap_or(usize::MAX);
    let page: Vec<i64> = page_rids.iter().skip(skip).take(take).copied().collect();
    let kept_marks = match facets {
        Some(facets) if policy.enabled => facets.sla_marks(conn, &page, now, policy)?,
        _ => Vec::new(),
    };
    for rid in &page {
        let mut rows = stmt.query([rid])?;
        if let Some(r) = rows.next()? {
            let (case, local_only) = case_from_row(r)?;
            let kept: bool = r.get(18)?;
            let from_bounds = kept_marks
                .iter()
                .find(|m| m.rid == *rid)
                .and_then(|m| Some((m.state, m.due, m.paused?)));
            let (sla_state, sla_due, sla_paused) = match from_bounds {
                Some(mark) => mark,
                None => sla_mark(conn, &case, policy, now)?,
            };
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
                sla_due,
                sla_state,
                sla_paused,
                updated_at: case.updated_at,
                pending_changes: if kept {
                    0
                } else {
                    u32::try_from(r.get::<_, i64>(16)?).unwrap_or(0)
                },
                failed_changes: u32::try_from(r.get::<_, i64>(17)?).unwrap_or(0),
                local_only,
                this_computer_only: kept,
            });
        }
    }
    Ok(CaseListPage {
        rows: out,
        total: u32::try_from(total).unwrap_or(u32::MAX),
        offset: q.offset,
    })
}

/// A case's SLA mark as every list shows it: computed from the desktop's policy when it is on
/// (state, the next due instant, paused), else from the server's due date.
pub(crate) fn sla_mark(
    conn: &Connection,
    case: &pd_domain::Case,
    policy: &pd_domain::SlaPolicy,
    now: Timestamp,
) -> Result<(pd_domain::SlaState, Option<Timestamp>, bool)> {
    // With the policy off the server's due date decides: no history to read.
    if policy.enabled {
        let sla = pd_domain::evaluate(&crate::sla::facts(conn, case)?, policy, now);
        Ok((sla.state, sla.next_due, sla.paused))
    } else {
        Ok((case.sla_state(now), case.sla_due, false))
    }
}

/// Whether the list's SLA filter or sort needs each match's mark computed: the "at risk"
/// filter always, the "SLA breached" filter and the SLA sort when the policy is on (with it
/// off, the server's due column answers them through the kept filter columns and an index).
pub(crate) fn computed_sla(q: &CaseQuery, policy: &pd_domain::SlaPolicy) -> bool {
    q.sla_at_risk || (policy.enabled && (q.sort == CaseSortField::SlaDue || q.sla_breached))
}

/// The "SLA breached" / "at risk" filters on a computed mark (both on: either).
fn sla_filter_passes(q: &CaseQuery, state: pd_domain::SlaState) -> bool {
    match (q.sla_breached, q.sla_at_risk) {
        (false, false) => true,
        (true, false) => state == pd_domain::SlaState::Breached,
        (false, true) => state == pd_domain::SlaState::AtRisk,
        (true, true) => matches!(
            state,
            pd_domain::SlaState::Breached | pd_domain::SlaState::AtRisk
        ),
    }
}

/// Counts per status for the query without its status filter.
pub(crate) fn status_counts(
    conn: &Connection,
    slot: &FacetSlot,
    q: &CaseQuery,
    now: Timestamp,
    policy: &pd_domain::SlaPolicy,
) -> Result<Vec<StatusCount>> {
    let facets = facets::current(conn, slot)?;
    let rids = search_rids(&facets, conn, q)?;
    let sla_filtered = q.sla_at_risk || (policy.enabled && q.sla_breached);
    let counts = if sla_filtered {
        // Counted on the computed marks, as the list filters them.
        let filter = facets.filter(
            &CaseQuery {
                sla_breached: false,
                ..q.clone()
            },
            now,
        );
        let matching = facets.matching(rids.as_deref().map(Vec::as_slice), &filter, &[]);
        let mut counts = vec![0i64; CaseStatus::ALL.len()];
        for mark in facets.sla_marks(conn, &matching, now, policy)? {
            if !sla_filter_passes(q, mark.state) {
                continue;
            }
            if let Some(i) = CaseStatus::ALL.iter().position(|s| *s == mark.status) {
                counts[i] += 1;
            }
        }
        counts
    } else {
        match facets.counted(&CountKey::of(q, now)) {
            Some(counts) => counts,
            None => {
                let filter = facets.filter(q, now);
                facets.count_by_status(rids.as_deref().map(Vec::as_slice), &filter)
            }
        }
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
    let Ok(op) = &entry.op else {
        return "A queued change that could not be read".to_string();
    };
    match op {
        OutboxOp::PatchCase(patch) => {
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
        OutboxOp::LinkTransaction(link) => format!("Linked transaction {}", link.transaction_id),
        OutboxOp::UnlinkTransaction(link) => {
            format!("Unlinked transaction {}", link.transaction_id)
        }
        OutboxOp::CreateCase(_) => "Case created here".to_string(),
        OutboxOp::Connector(write) => write.describe(),
        OutboxOp::AttachDocument(doc) => format!("Attached {}", doc.name),
        OutboxOp::AddComment(comment) => {
            let body = comment.body.as_str();
            let mut short: String = body.chars().take(60).collect();
            if body.chars().count() > 60 {
                short.push('\u{2026}');
            }
            format!("Comment: \u{201c}{short}\u{201d}")
        }
    }
}

/// Where an entry stands as the analyst sees it: an unreadable entry is failed (with why) even
/// before the cache has marked it so.
fn shown_state(entry: &outbox::OutboxEntry) -> (OutboxState, Option<String>) {
    match &entry.op {
        Err(unreadable) if entry.state != OutboxState::Failed || entry.last_error.is_none() => {
            (OutboxState::Failed, Some(unreadable.reason()))
        }
        _ => (entry.state, entry.last_error.clone()),
    }
}

fn describe_entry(entry: &outbox::OutboxEntry) -> String {
    let what = entry_words(entry);
    let (state, last_error) = shown_state(entry);
    match state {
        OutboxState::Failed => format!(
            "{what} (not accepted: {})",
            last_error.as_deref().unwrap_or("refused by the server")
        ),
        _ => format!("{what} (waiting to be sent)"),
    }
}

pub(crate) fn case_detail(
    conn: &Connection,
    id: &str,
    now: Timestamp,
    policy: &pd_domain::SlaPolicy,
) -> Result<CaseDetail> {
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
    let documents = crate::documents::document_views(conn, id)?;
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
    for d in documents.iter().map(|d| &d.document) {
        activity.push(ActivityEntry {
            at: d.uploaded_at,
            actor: Some(d.uploaded_by.clone()),
            summary: format!("Attached {}", d.name),
        });
    }
    for entry in outbox::entries(conn, Some(id))? {
        if let Ok(OutboxOp::AddComment(_) | OutboxOp::CreateCase(_) | OutboxOp::AttachDocument(_)) =
            entry.op
        {
            continue; // shown with the comment, the creation line or the document
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
    for fired in crate::sla::fired(conn, id)? {
        activity.push(ActivityEntry {
            at: fired.fired_at,
            actor: None,
            summary: format!(
                "Escalation rule \"{}\" fired: {}",
                fired.rule_name, fired.actions
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
    let sla = pd_domain::evaluate(&crate::sla::facts(conn, &case)?, policy, now);
    Ok(CaseDetail {
        case,
        owner_name,
        sla_state: sla.state,
        sla,
        comments,
        documents,
        linked_transactions,
        activity,
        local_only,
        this_computer_only: crate::local::is_kept(conn, id)?,
        conflicts,
    })
}

pub(crate) fn outbox_views(conn: &Connection) -> Result<Vec<pd_domain::OutboxEntryView>> {
    let mut reference = conn.prepare_cached("SELECT reference FROM cases WHERE id = ?1")?;
    let mut out = Vec::new();
    for entry in outbox::entries(conn, None)? {
        if crate::local::is_kept(conn, &entry.case_id)? {
            // Not queued for any server: the case list shows it as on this computer only.
            continue;
        }
        let case_reference: String = reference
            .query_row([&entry.case_id], |r| r.get(0))
            .unwrap_or_else(|_| entry.case_id.clone());
        let (state, last_error) = shown_state(&entry);
        out.push(pd_domain::OutboxEntryView {
            summary: entry_words(&entry),
            op_id: entry.op_id,
            case_id: entry.case_id,
            case_reference,
            op: entry.op.ok(),
            state,
            attempts: entry.attempts,
            last_error,
            created_at: entry.created_at,
        });
    }
    Ok(out)
}
