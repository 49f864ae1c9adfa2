//! `collab/v1`: the case change feed and case writes, as `collab-v1.openapi.yaml` specifies.
//! Every write runs in one IMMEDIATE transaction that applies the change, bumps the case's
//! change sequence, logs the applied op and stores the idempotent result together. Answers that
//! carry a case send `ETag: "<version>"`; a PATCH with `If-Match` is applied only when the case
//! is still at that version (412 `precondition_failed` otherwise).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::Utc;
use pd_domain::{
    CaseBundle, CasePage, CasePatch, CaseStatus, Comment, NewCase, NewComment, Priority,
    TransactionLink,
};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{check_company, json_body, MAX_DOCUMENT_BYTES};
use crate::db::{self, ts};
use crate::error::ApiError;
use crate::lens::LensIndex;
use crate::state::{AppState, Bearer};

const BASE: &str = "/collab/v1/companies/{companyId}/cases";
const MAX_TITLE: usize = 500;
const MAX_COMMENT: usize = 65_536;
const MAX_ID: usize = 100;
const DEFAULT_LIMIT: i64 = 500;
const MAX_LIMIT: i64 = 2000;

/// The routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(BASE, get(list_changed).post(create_case))
        .route(
            &format!("{BASE}/{{caseId}}"),
            get(get_case).patch(patch_case),
        )
        .route(&format!("{BASE}/{{caseId}}/comments"), post(add_comment))
        .route(
            &format!("{BASE}/{{caseId}}/transactions"),
            post(link_transaction),
        )
        .route(
            &format!("{BASE}/{{caseId}}/transactions/{{transactionId}}"),
            delete(unlink_transaction),
        )
        .route(
            &format!("{BASE}/{{caseId}}/documents"),
            post(upload_document),
        )
        .route(
            &format!("{BASE}/{{caseId}}/documents/{{documentId}}"),
            get(get_document),
        )
        .route(
            &format!("{BASE}/{{caseId}}/documents/{{documentId}}/content"),
            get(document_content),
        )
}

async fn list_changed(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path(company_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<CasePage>, ApiError> {
    check_company(&state, &company_id)?;
    let since = match query.get("since").map(|s| s.trim()) {
        None | Some("") => 0,
        Some(s) => s.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ApiError::validation(format!(
                "unreadable cursor {s:?}: pass a nextCursor this server returned"
            ))
        })?,
    };
    let limit = match query.get("limit") {
        None => DEFAULT_LIMIT,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::validation(format!("limit must be 1..{MAX_LIMIT}, got {s:?}"))
            })?,
    };
    state
        .db(move |conn| {
            let (cases, last, has_more) = db::load_page(conn, since, limit)?;
            let cursor = last.unwrap_or(since);
            Ok(Json(CasePage {
                cases,
                next_cursor: cursor.to_string(),
                has_more,
            }))
        })
        .await
}

async fn get_case(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path((company_id, case_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    check_company(&state, &company_id)?;
    state
        .db(move |conn| {
            let bundle: CaseBundle =
                db::load_bundle(conn, &case_id)?.ok_or_else(|| unknown_case(&case_id))?;
            let version = bundle.case.version;
            let mut response = Json(bundle).into_response();
            set_etag(&mut response, Some(version));
            Ok(response)
        })
        .await
}

/// `ETag: "<version>"` on an answer that carries a case.
fn set_etag(response: &mut Response, version: Option<i64>) {
    if let Some(value) = version.and_then(|v| HeaderValue::from_str(&format!("\"{v}\"")).ok()) {
        response.headers_mut().insert(header::ETAG, value);
    }
}

/// The `If-Match` header of a conditional write: a quoted non-negative case version.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let malformed = || {
        ApiError::validation(
            "If-Match must be a case version in double quotes, e.g. \"7\" (the ETag of the case)",
        )
    };
    let text = value.to_str().map_err(|_| malformed())?.trim();
    let inner = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .ok_or_else(malformed)?;
    if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    inner.parse::<i64>().map(Some).map_err(|_| malformed())
}

fn unknown_case(id: &str) -> ApiError {
    ApiError::not_found(format!("unknown case {id}"))
}

/// The `Idempotency-Key` header, if any.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| ApiError::validation("Idempotency-Key must be visible ASCII"))?
        .trim()
        .to_string();
    if key.is_empty() || key.len() > 200 {
        return Err(ApiError::validation(
            "Idempotency-Key must be 1 to 200 characters",
        ));
    }
    Ok(Some(key))
}

fn json_response(status: StatusCode, body: Vec<u8>, version: Option<i64>) -> Response {
    let mut response = (status, Body::from(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    set_etag(&mut response, version);
    response
}

/// The case a write addresses, and the version it must still be at (`If-Match`), if any.
struct Target {
    case_id: String,
    expected: Option<i64>,
}

impl Target {
    fn case(case_id: &str) -> Self {
        Target {
            case_id: case_id.to_string(),
            expected: None,
        }
    }
}

/// Applies one write exactly once per idempotency key. A key with a stored answer gets that
/// answer first (whatever its `If-Match` says); otherwise an expected version that differs from
/// the case's is refused with 412 and nothing changes.
#[allow(clippy::too_many_arguments)]
async fn write<T, F>(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
    uri: &Uri,
    body: &[u8],
    target: Target,
    apply: F,
) -> Result<Response, ApiError>
where
    T: Serialize,
    F: FnOnce(&Transaction<'_>, &str) -> Result<(StatusCode, T), ApiError> + Send + 'static,
{
    let key = idempotency_key(headers)?;
    let mut hasher = Sha256::new();
    hasher.update(method.as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(uri.path().as_bytes());
    hasher.update(b"?");
    hasher.update(uri.query().unwrap_or("").as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    let fingerprint = format!("{:x}", hasher.finalize());
    state
        .db(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            if let Some(key) = &key {
                let stored: Option<(String, i64, Vec<u8>, Option<i64>)> = tx
                    .query_row(
                        "SELECT fingerprint, status, body, etag FROM idempotency WHERE key = ?1",
                        [key],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .optional()?;
                if let Some((stored_fingerprint, status, body, etag)) = stored {
                    if stored_fingerprint != fingerprint {
                        return Err(ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "validation",
                            format!("Idempotency-Key {key} was already used with a different request"),
                        ));
                    }
                    let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
                    return Ok(json_response(status, body, etag));
                }
            }
            if let Some(expected) = target.expected {
                let current = case_version(&tx, &target.case_id)?.ok_or_else(|| unknown_case(&target.case_id))?;
                if current != expected {
                    return Err(ApiError::new(
                        StatusCode::PRECONDITION_FAILED,
                        "precondition_failed",
                        format!(
                            "case {} is at version {current}, the request expected {expected}",
                            target.case_id
                        ),
                    ));
                }
            }
            let op_id = key.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            let (status, value) = apply(&tx, &op_id)?;
            let body = serde_json::to_vec(&value).map_err(|e| ApiError::internal(e.to_string()))?;
            let etag = case_version(&tx, &target.case_id)?;
            if let Some(key) = &key {
                tx.execute(
                    "INSERT INTO idempotency(key, fingerprint, status, content_type, body, created_at, etag)
                     VALUES (?1, ?2, ?3, 'application/json', ?4, ?5, ?6)",
                    params![key, fingerprint, i64::from(status.as_u16()), body, ts(Utc::now()), etag],
                )?;
            }
            tx.commit()?;
            Ok(json_response(status, body, etag))
        })
        .await
}

/// Gives the case a new change sequence number and version.
pub(crate) fn touch(tx: &Transaction<'_>, case_id: &str, at: &str) -> Result<(), ApiError> {
    let seq = db::next_seq(tx)?;
    tx.execute(
        "UPDATE cases SET seq = ?2, version = version + 1, updated_at = ?3 WHERE id = ?1",
        params![case_id, seq, at],
    )?;
    Ok(())
}

/// Records one applied write.
pub(crate) fn log_op(
    tx: &Transaction<'_>,
    op_id: &str,
    case_id: &str,
    kind: &str,
    at: &str,
) -> Result<(), ApiError> {
    tx.execute(
        "INSERT INTO applied_ops(op_id, case_id, kind, at) VALUES (?1, ?2, ?3, ?4)",
        params![op_id, case_id, kind, at],
    )?;
    Ok(())
}

fn case_version(tx: &Transaction<'_>, case_id: &str) -> Result<Option<i64>, ApiError> {
    Ok(tx
        .query_row("SELECT version FROM cases WHERE id = ?1", [case_id], |r| {
            r.get(0)
        })
        .optional()?)
}

fn require_case(tx: &Transaction<'_>, case_id: &str) -> Result<(), ApiError> {
    let exists: Option<i64> = tx
        .query_row("SELECT 1 FROM cases WHERE id = ?1", [case_id], |r| r.get(0))
        .optional()?;
    exists.map(|_| ()).ok_or_else(|| unknown_case(case_id))
}

fn check_owner(tx: &Transaction<'_>, owner: &str) -> Result<(), ApiError> {
    let exists: Option<i64> = tx
        .query_row("SELECT 1 FROM users WHERE login_id = ?1", [owner], |r| {
            r.get(0)
        })
        .optional()?;
    exists
        .map(|_| ())
        .ok_or_else(|| ApiError::validation(format!("unknown owner loginId {owner:?}")))
}

fn owner_display(tx: &Transaction<'_>, owner: &str) -> Result<Option<String>, ApiError> {
    let data: Option<String> = tx
        .query_row("SELECT data FROM users WHERE login_id = ?1", [owner], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(data
        .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
        .map(|v| {
            format!(
                "{} {}",
                v["firstName"].as_str().unwrap_or_default(),
                v["lastName"].as_str().unwrap_or_default()
            )
        }))
}

fn check_id(what: &str, id: &str) -> Result<(), ApiError> {
    if id.trim().is_empty() || id.len() > MAX_ID || id.chars().any(|c| c.is_control() || c == '/') {
        return Err(ApiError::validation(format!(
            "{what} must be 1 to {MAX_ID} characters without '/' or control characters"
        )));
    }
    Ok(())
}

fn check_title(title: &str) -> Result<(), ApiError> {
    if title.trim().is_empty() {
        return Err(ApiError::validation("title must not be empty"));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(ApiError::validation(format!(
            "title is longer than {MAX_TITLE} characters"
        )));
    }
    Ok(())
}

fn check_transaction(lens: &LensIndex, id: &str) -> Result<(), ApiError> {
    if lens.contains(id) {
        Ok(())
    } else {
        Err(ApiError::validation(format!(
            "unknown transaction id {id:?}"
        )))
    }
}

/// A JSON write addressed to this company: the raw body (kept for the idempotency comparison)
/// and its parsed value.
fn json_write<T: serde::de::DeserializeOwned>(
    state: &AppState,
    company_id: &str,
    body: Result<Bytes, BytesRejection>,
) -> Result<(Bytes, T), ApiError> {
    check_company(state, company_id)?;
    let bytes =
        body.map_err(|e| ApiError::validation(format!("cannot read the request body: {e}")))?;
    let value = json_body(Ok(bytes.clone()))?;
    Ok((bytes, value))
}

#[allow(clippy::too_many_arguments)]
async fn create_case(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path(company_id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (bytes, new) = json_write::<NewCase>(&state, &company_id, body)?;
    check_id("id", &new.id)?;
    check_title(&new.title)?;
    if new
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_COMMENT)
    {
        return Err(ApiError::validation(format!(
            "description is longer than {MAX_COMMENT} characters"
        )));
    }
    for id in &new.linked_transactions {
        check_transaction(&state.lens, id)?;
    }
    let target = Target::case(&new.id);
    write(&state, &headers, &method, &uri, &bytes, target, move |tx, op_id| {
        let partner: Option<String> = tx
            .query_row("SELECT name FROM partners WHERE id = ?1", [&new.partner_id], |r| r.get(0))
            .optional()?;
        let partner_name =
            partner.ok_or_else(|| ApiError::validation(format!("unknown partner {:?}", new.partner_id)))?;
        if let Some(owner) = &new.owner {
            check_owner(tx, owner)?;
        }
        let exists: Option<i64> =
            tx.query_row("SELECT 1 FROM cases WHERE id = ?1", [&new.id], |r| r.get(0)).optional()?;
        if exists.is_some() {
            return Err(ApiError::conflict(format!("case {} already exists", new.id)));
        }
        let now = Utc::now();
        let at = ts(now);
        let number: i64 = tx.query_row("SELECT COUNT(*) + 1 FROM cases", [], |r| r.get(0))?;
        let reference = format!("CASE-{}-{number:06}", now.format("%Y"));
        let refs = serde_json::to_string(&new.references).map_err(|e| ApiError::internal(e.to_string()))?;
        tx.execute(
            "INSERT INTO cases(id, seq, reference, title, partner_id, partner_name, kind, status,
                priority, owner, sla_due, created_at, updated_at, refs, version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13, 1)",
            params![
                new.id,
                db::next_seq(tx)?,
                reference,
                new.title.trim(),
                new.partner_id,
                partner_name,
                new.kind.as_str(),
                CaseStatus::New.as_str(),
                new.priority.unwrap_or(Priority::Normal).as_str(),
                new.owner,
                new.sla_due.map(ts),
                at,
                refs,
            ],
        )?;
        let mut seen = std::collections::HashSet::new();
        for (pos, id) in new.linked_transactions.iter().filter(|id| seen.insert(id.as_str())).enumerate() {
            tx.execute(
                "INSERT INTO case_links(case_id, transaction_id, pos) VALUES (?1, ?2, ?3)",
                params![new.id, id, pos as i64],
            )?;
        }
        if let Some(description) = new.description.as_deref().filter(|d| !d.trim().is_empty()) {
            let author = match &new.owner {
                Some(owner) => owner_display(tx, owner)?.unwrap_or_else(|| "PartnerDesk".into()),
                None => "PartnerDesk".into(),
            };
            tx.execute(
                "INSERT INTO comments(id, case_id, author, author_is_partner, body, visibility, created_at)
                 VALUES (?1, ?2, ?3, 0, ?4, 'partner', ?5)",
                params![uuid::Uuid::new_v4().to_string(), new.id, author, description, at],
            )?;
        }
        log_op(tx, op_id, &new.id, "create_case", &at)?;
        let bundle = db::load_bundle(tx, &new.id)?.ok_or_else(|| ApiError::internal("created case vanished"))?;
        Ok((StatusCode::CREATED, bundle))
    })
    .await
}

#[allow(clippy::too_many_arguments)]
async fn patch_case(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path((company_id, case_id)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (bytes, patch) = json_write::<CasePatch>(&state, &company_id, body)?;
    if let Some(title) = &patch.title {
        check_title(title)?;
    }
    let target = Target {
        case_id: case_id.clone(),
        expected: if_match(&headers)?,
    };
    write(&state, &headers, &method, &uri, &bytes, target, move |tx, op_id| {
        let case = db::load_case(tx, &case_id)?.ok_or_else(|| unknown_case(&case_id))?;
        if let Some(Some(owner)) = &patch.owner {
            check_owner(tx, owner)?;
        }
        let status = patch.status.unwrap_or(case.status);
        let priority = patch.priority.unwrap_or(case.priority);
        let owner = patch.owner.clone().unwrap_or(case.owner.clone());
        let sla_due = patch.sla_due.unwrap_or(case.sla_due);
        let title = patch.title.as_deref().map(str::trim).map(str::to_string).unwrap_or(case.title.clone());
        let at = ts(Utc::now());
        let changed = status != case.status
            || priority != case.priority
            || owner != case.owner
            || sla_due != case.sla_due
            || title != case.title;
        if changed {
            tx.execute(
                "UPDATE cases SET status = ?2, priority = ?3, owner = ?4, sla_due = ?5, title = ?6 WHERE id = ?1",
                params![case_id, status.as_str(), priority.as_str(), owner, sla_due.map(ts), title],
            )?;
            touch(tx, &case_id, &at)?;
        }
        log_op(tx, op_id, &case_id, "patch_case", &at)?;
        let case = db::load_case(tx, &case_id)?.ok_or_else(|| unknown_case(&case_id))?;
        Ok((StatusCode::OK, case))
    })
    .await
}

#[allow(clippy::too_many_arguments)]
async fn add_comment(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path((company_id, case_id)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (bytes, new) = json_write::<NewComment>(&state, &company_id, body)?;
    check_id("id", &new.id)?;
    if new.author.trim().is_empty() {
        return Err(ApiError::validation("author must not be empty"));
    }
    if new.body.trim().is_empty() {
        return Err(ApiError::validation("comment body must not be empty"));
    }
    if new.body.chars().count() > MAX_COMMENT {
        return Err(ApiError::validation(format!(
            "comment body is longer than {MAX_COMMENT} characters"
        )));
    }
    write(&state, &headers, &method, &uri, &bytes, Target::case(&case_id), move |tx, op_id| {
        require_case(tx, &case_id)?;
        if db::load_comment(tx, &new.id)?.is_some() {
            return Err(ApiError::conflict(format!("comment {} already exists", new.id)));
        }
        let now = Utc::now();
        let at = ts(now);
        tx.execute(
            "INSERT INTO comments(id, case_id, author, author_is_partner, body, visibility, created_at)
             VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6)",
            params![new.id, case_id, new.author.trim(), new.body, new.visibility.as_str(), at],
        )?;
        touch(tx, &case_id, &at)?;
        log_op(tx, op_id, &case_id, "add_comment", &at)?;
        let comment: Comment = db::load_comment(tx, &new.id)?.ok_or_else(|| ApiError::internal("comment vanished"))?;
        Ok((StatusCode::CREATED, comment))
    })
    .await
}

#[allow(clippy::too_many_arguments)]
async fn link_transaction(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path((company_id, case_id)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (bytes, link) = json_write::<TransactionLink>(&state, &company_id, body)?;
    check_transaction(&state.lens, &link.transaction_id)?;
    write(&state, &headers, &method, &uri, &bytes, Target::case(&case_id), move |tx, op_id| {
        require_case(tx, &case_id)?;
        let at = ts(Utc::now());
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO case_links(case_id, transaction_id, pos)
             VALUES (?1, ?2, (SELECT COALESCE(MAX(pos), -1) + 1 FROM case_links WHERE case_id = ?1))",
            params![case_id, link.transaction_id],
        )?;
        if inserted > 0 {
            touch(tx, &case_id, &at)?;
        }
        log_op(tx, op_id, &case_id, "link_transaction", &at)?;
        let case = db::load_case(tx, &case_id)?.ok_or_else(|| unknown_case(&case_id))?;
        Ok((StatusCode::OK, case))
    })
    .await
}

async fn unlink_transaction(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path((company_id, case_id, transaction_id)): Path<(String, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_company(&state, &company_id)?;
    write(
        &state,
        &headers,
        &method,
        &uri,
        b"",
        Target::case(&case_id),
        move |tx, op_id| {
            require_case(tx, &case_id)?;
            let at = ts(Utc::now());
            let removed = tx.execute(
                "DELETE FROM case_links WHERE case_id = ?1 AND transaction_id = ?2",
                params![case_id, transaction_id],
            )?;
            if removed > 0 {
                touch(tx, &case_id, &at)?;
            }
            log_op(tx, op_id, &case_id, "unlink_transaction", &at)?;
            let case = db::load_case(tx, &case_id)?.ok_or_else(|| unknown_case(&case_id))?;
            Ok((StatusCode::OK, case))
        },
    )
    .await
}

/// Strips directories and control characters from an uploaded file name.
fn sanitize_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim().trim_start_matches('.').to_string();
    clean.chars().take(255).collect()
}

fn guess_media_type(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "csv" => "text/csv",
        "txt" | "log" => "text/plain",
        "json" => "application/json",
        "xml" => "application/xml",
        "edi" | "x12" | "850" | "810" | "856" => "application/edi-x12",
        "edifact" | "edf" => "application/edifact",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

#[allow(clippy::too_many_arguments)]
async fn upload_document(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path((company_id, case_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    check_company(&state, &company_id)?;
    let bytes = body.map_err(|_| {
        ApiError::validation(format!(
            "document is larger than the {MAX_DOCUMENT_BYTES}-byte limit or could not be read"
        ))
    })?;
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(ApiError::validation(format!(
            "document is larger than the {MAX_DOCUMENT_BYTES}-byte limit"
        )));
    }
    let name = sanitize_name(query.get("name").map(String::as_str).unwrap_or(""));
    if name.is_empty() {
        return Err(ApiError::validation("name (the file name) is required"));
    }
    let uploaded_by = query
        .get("uploadedBy")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .unwrap_or("PartnerDesk")
        .to_string();
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_string())
        .filter(|v| !v.is_empty() && v != "application/octet-stream" && v.contains('/'))
        .unwrap_or_else(|| guess_media_type(&name).to_string());
    let content = bytes.clone();
    write(&state, &headers, &method, &uri, &bytes, Target::case(&case_id), move |tx, op_id| {
        require_case(tx, &case_id)?;
        let id = uuid::Uuid::new_v4().to_string();
        let at = ts(Utc::now());
        let sha = format!("{:x}", Sha256::digest(&content));
        tx.execute(
            "INSERT INTO documents(id, case_id, name, size, sha256, media_type, uploaded_by, uploaded_at, content)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![id, case_id, name, content.len() as i64, sha, media_type, uploaded_by, at, content.as_ref()],
        )?;
        touch(tx, &case_id, &at)?;
        log_op(tx, op_id, &case_id, "upload_document", &at)?;
        let doc = db::load_document(tx, &case_id, &id)?.ok_or_else(|| ApiError::internal("document vanished"))?;
        Ok((StatusCode::CREATED, doc))
    })
    .await
}

async fn get_document(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path((company_id, case_id, document_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    check_company(&state, &company_id)?;
    state
        .db(move |conn| {
            let doc = db::load_document(conn, &case_id, &document_id)?.ok_or_else(|| {
                ApiError::not_found(format!("unknown document {document_id} on case {case_id}"))
            })?;
            Ok(Json(doc).into_response())
        })
        .await
}

async fn document_content(
    State(state): State<Arc<AppState>>,
    _auth: Bearer,
    Path((company_id, case_id, document_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    check_company(&state, &company_id)?;
    state
        .db(move |conn| {
            let row: Option<(String, Vec<u8>)> = conn
                .query_row(
                    "SELECT media_type, content FROM documents WHERE id = ?1 AND case_id = ?2",
                    params![document_id, case_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let (media_type, content) = row.ok_or_else(|| {
                ApiError::not_found(format!("unknown document {document_id} on case {case_id}"))
            })?;
            let mut response = Body::from(content).into_response();
            let value = HeaderValue::from_str(&media_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream"));
            response.headers_mut().insert(header::CONTENT_TYPE, value);
            Ok(response)
        })
        .await
}
