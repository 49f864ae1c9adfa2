//! `/__admin`: switch faults while running, read counts and the applied-ops log, and make
//! server-side changes (partner replies) for incremental-sync tests and the demo. Takes the
//! consumer key and secret as HTTP Basic; never subject to faults.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use rusqlite::{params, OptionalExtension};
use serde::Deserialize;
use serde_json::{json, Value};

use super::json_body;
use crate::db::{self, ts};
use crate::error::ApiError;
use crate::faults::Faults;
use crate::seed::text;
use crate::state::{Admin, AppState};
use crate::{AppliedOp, SandboxStats};
use pd_collab::sqlite::{log_op, touch};
use pd_collab::OpKind;

/// The routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/__admin/faults", get(get_faults).put(put_faults))
        .route("/__admin/stats", get(get_stats))
        .route("/__admin/ops", get(get_ops))
        .route("/__admin/simulate", post(simulate))
}

async fn get_faults(State(state): State<Arc<AppState>>, _admin: Admin) -> Json<Faults> {
    Json(state.faults())
}

async fn put_faults(
    State(state): State<Arc<AppState>>,
    _admin: Admin,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Faults>, ApiError> {
    let faults: Faults = json_body(body)?;
    faults.validate().map_err(ApiError::validation)?;
    state.set_faults(faults.clone());
    Ok(Json(faults))
}

/// Row counts and the request counter.
pub async fn stats(state: &AppState) -> Result<SandboxStats, ApiError> {
    let requests = state.requests();
    state
        .db(move |conn| {
            Ok(SandboxStats {
                cases: db::count(conn, "cases")?,
                comments: db::count(conn, "comments")?,
                documents: db::count(conn, "documents")?,
                transactions: db::count(conn, "transactions")?,
                applied_ops: db::count(conn, "applied_ops")?,
                requests,
            })
        })
        .await
}

async fn get_stats(
    State(state): State<Arc<AppState>>,
    _admin: Admin,
) -> Result<Json<SandboxStats>, ApiError> {
    stats(&state).await.map(Json)
}

/// The applied-ops log, oldest first.
pub async fn applied_ops(
    state: &AppState,
    case_id: Option<String>,
) -> Result<Vec<AppliedOp>, ApiError> {
    state
        .db(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT seq, op_id, case_id, kind, at FROM applied_ops
                 WHERE ?1 IS NULL OR case_id = ?1 ORDER BY seq",
            )?;
            let ops = stmt
                .query_map([case_id], |r| {
                    Ok(AppliedOp {
                        seq: r.get(0)?,
                        op_id: r.get(1)?,
                        case_id: r.get(2)?,
                        kind: r.get(3)?,
                        at: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(ops)
        })
        .await
}

async fn get_ops(
    State(state): State<Arc<AppState>>,
    _admin: Admin,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<AppliedOp>>, ApiError> {
    applied_ops(&state, query.get("caseId").cloned())
        .await
        .map(Json)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Simulate {
    #[serde(default)]
    partner_replies: usize,
}

/// Adds `n` partner comments to random open cases; returns the case ids touched, in order.
pub async fn partner_replies(state: &AppState, n: usize) -> Result<Vec<String>, ApiError> {
    if n > 100_000 {
        return Err(ApiError::validation(
            "partnerReplies must be at most 100000",
        ));
    }
    state
        .db(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let open: Vec<(String, String, String)> = tx
                .prepare(
                    "SELECT c.id, c.partner_name, p.contact FROM cases c JOIN partners p ON p.id = c.partner_id
                     WHERE c.status NOT IN ('resolved', 'closed') ORDER BY c.seq",
                )?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut touched = Vec::new();
            if open.is_empty() {
                return Ok(touched);
            }
            for _ in 0..n {
                let (case_id, partner, contact) = &open[rand::random::<usize>() % open.len()];
                insert_partner_reply(&tx, case_id, partner, contact)?;
                touched.push(case_id.clone());
            }
            tx.commit()?;
            Ok(touched)
        })
        .await
}

/// One partner comment on the case (a server-side change: new change sequence and version).
fn insert_partner_reply(
    tx: &rusqlite::Transaction<'_>,
    case_id: &str,
    partner: &str,
    contact: &str,
) -> Result<(), ApiError> {
    let template = text::PARTNER_COMMENTS[rand::random::<usize>() % text::PARTNER_COMMENTS.len()];
    let body = template
        .replace("{po}", "your PO")
        .replace("{inv}", "the invoice")
        .replace("{ship}", "the shipment")
        .replace("{n}", "2")
        .replace("{m}", "24");
    let at = ts(Utc::now());
    tx.execute(
        "INSERT INTO comments(id, case_id, author, author_is_partner, body, visibility, created_at)
         VALUES (?1, ?2, ?3, 1, ?4, 'partner', ?5)",
        params![
            uuid::Uuid::new_v4().to_string(),
            case_id,
            format!("{contact} ({partner})"),
            body,
            at
        ],
    )?;
    tx.execute(
        "UPDATE cases SET status = 'waiting_on_us' WHERE id = ?1 AND status = 'waiting_on_partner'",
        [case_id],
    )?;
    touch(tx, case_id, &at)?;
    log_op(
        tx,
        &uuid::Uuid::new_v4().to_string(),
        case_id,
        OpKind::PartnerReply,
        &at,
    )?;
    Ok(())
}

/// A partner reply on one given case (the stale-replay fault's server-side change); a case that
/// does not exist is left alone.
pub async fn partner_reply_on(state: &AppState, case_id: String) -> Result<(), ApiError> {
    state
        .db(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let row: Option<(String, String)> = tx
                .query_row(
                    "SELECT c.partner_name, p.contact FROM cases c JOIN partners p ON p.id = c.partner_id
                     WHERE c.id = ?1",
                    [&case_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((partner, contact)) = row {
                insert_partner_reply(&tx, &case_id, &partner, &contact)?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
}

async fn simulate(
    State(state): State<Arc<AppState>>,
    _admin: Admin,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let request: Simulate = json_body(body)?;
    let touched = partner_replies(&state, request.partner_replies).await?;
    Ok(Json(
        json!({ "partnerReplies": touched.len(), "caseIds": touched }),
    ))
}
