//! The case list's first answer before its filter columns are read (issue 16, cold start): the
//! app opens on the whole list in one order, and reading the columns of 100,000 cases into
//! memory took 300 ms or more of the first list's answer on this machine. For that plain query
//! (no search, filter or status, no order computed from the SLA clocks) the page is read by
//! walking the sort column's index and the total is one count, the same answer the in-memory
//! path gives; the columns are read by the next query that needs them (the status counts asked
//! beside it at the app's start).

use pd_domain::{CaseListPage, CaseQuery, Timestamp};
use rusqlite::Connection;

use crate::error::Result;
use crate::facets::FacetSlot;
use crate::query::{computed_sla, finish_page, order_by, DEFAULT_LIMIT, MAX_LIMIT};

/// Whether a query shows every case, in an order the case table keeps an index for.
fn is_plain(q: &CaseQuery, policy: &pd_domain::SlaPolicy) -> bool {
    q.search.as_deref().is_none_or(|s| s.trim().is_empty())
        && q.statuses.is_empty()
        && q.partner_ids.is_empty()
        && q.kinds.is_empty()
        && q.owners.is_empty()
        && !q.sla_breached
        && !q.sla_at_risk
        && !computed_sla(q, policy)
}

/// The page of a plain query read from the sort column's index, while the store holds no copy
/// of the list's columns; `None` when the in-memory path should answer (the columns are there,
/// the query filters, or a first sync has dropped the index while it loads).
pub(crate) fn before_columns(
    conn: &Connection,
    slot: &FacetSlot,
    q: &CaseQuery,
    now: Timestamp,
    policy: &pd_domain::SlaPolicy,
) -> Result<Option<CaseListPage>> {
    if slot.is_loaded() || !is_plain(q, policy) {
        return Ok(None);
    }
    let (order, index) = order_by(q.sort, q.descending);
    if !crate::bulk::index_exists(conn, index)? {
        return Ok(None);
    }
    let limit = if q.limit == 0 {
        DEFAULT_LIMIT
    } else {
        q.limit.min(MAX_LIMIT)
    };
    let total: i64 = conn
        .prepare_cached("SELECT count(*) FROM cases")?
        .query_row([], |r| r.get(0))?;
    let page_rids = conn
        .prepare_cached(&format!(
            "SELECT c.rid FROM cases c INDEXED BY {index} ORDER BY {order} LIMIT ?1 OFFSET ?2"
        ))?
        .query_map([i64::from(limit), i64::from(q.offset)], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    let total = usize::try_from(total).unwrap_or(0);
    finish_page(conn, None, page_rids, 0, limit, q, now, policy, total).map(Some)
}
