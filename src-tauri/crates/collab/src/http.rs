//! The `collab/v1` routes, written once: the change feed, case writes with idempotency keys and
//! conditional `PATCH` (`If-Match` / `ETag`), comments, links and documents, as
//! `collab-v1.openapi.yaml` specifies. What differs between the sandbox and
//! `partnerdesk-server` is plugged in: who the caller is ([`Authenticate`]), which partners,
//! owners and transactions exist ([`Directory`]), where rows live ([`CollabStore`]) and where
//! document bytes live ([`DocumentObjects`]).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use chrono::Utc;
use pd_domain::{CasePatch, NewCase, NewComment, NewDocumentLink, TransactionLink};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::api_error::ApiError;
use crate::store::{
    CollabStore, DocumentBytes, Idempotency, NewCaseRecord, NewCommentRecord, NewDocumentRecord,
    WriteContext, Written,
};

/// Largest document upload.
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;
/// Largest JSON body.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;
/// Longest title.
pub const MAX_TITLE: usize = 500;
/// Longest comment or description.
pub const MAX_COMMENT: usize = 65_536;
const MAX_ID: usize = 100;
const DEFAULT_LIMIT: u32 = 500;
const MAX_LIMIT: u32 = 2000;
const BASE: &str = "/collab/v1/companies/{companyId}/cases";

/// Who is calling, as the credentials say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// The display name configured for the caller's key: the author of its comments, opening
    /// comments and documents. `None` (the sandbox): the request names the author.
    pub name: Option<String>,
}

/// Checks a request's credentials.
pub trait Authenticate: Send + Sync + std::fmt::Debug + 'static {
    /// The caller, or 401.
    fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, ApiError>;
}

/// What the handlers check names against.
#[async_trait]
pub trait Directory: Send + Sync + std::fmt::Debug + 'static {
    /// The partner's display name; `None`: unknown partner (400).
    async fn partner_name(&self, partner_id: &str) -> Result<Option<String>, ApiError>;
    /// Whether [`Directory::partner_name`] knows partners. A server without a directory
    /// (`partnerdesk-server`) answers `false` and keeps the name the app sent with the case.
    fn knows_partners(&self) -> bool {
        true
    }
    /// The colleague's display name; `None`: unknown login id (400).
    async fn owner_name(&self, login_id: &str) -> Result<Option<String>, ApiError>;
    /// Whether a transaction id may be linked.
    fn has_transaction(&self, transaction_id: &str) -> bool;
}

/// Object storage for document bytes (the S3 connector's bucket on the server).
#[async_trait]
pub trait DocumentObjects: Send + Sync + std::fmt::Debug + 'static {
    /// Stores the bytes under `key` (overwriting the same key is harmless: keys are the
    /// content's hash).
    async fn put(&self, key: &str, bytes: Bytes, media_type: &str) -> Result<(), String>;
    /// Reads the bytes under `key`.
    async fn get(&self, key: &str) -> Result<Vec<u8>, String>;
}

/// Everything the routes need.
#[derive(Debug, Clone)]
pub struct Collab {
    /// Where cases live.
    pub store: Arc<dyn CollabStore>,
    /// Credentials.
    pub auth: Arc<dyn Authenticate>,
    /// Partners, owners, transactions.
    pub directory: Arc<dyn Directory>,
    /// Where document bytes go; `None`: in the database.
    pub objects: Option<Arc<dyn DocumentObjects>>,
    /// Prefix of object keys (e.g. `partnerdesk/documents/`).
    pub object_prefix: String,
    /// Company ids served; any other answers 404.
    pub companies: Vec<String>,
    /// How long an idempotency key's answer is replayed; `None`: for ever.
    pub idempotency_ttl: Option<chrono::Duration>,
}

impl Collab {
    fn check_company(&self, company_id: &str) -> Result<(), ApiError> {
        if self.companies.iter().any(|c| c == company_id) {
            Ok(())
        } else {
            Err(ApiError::not_found(format!("unknown company {company_id}")))
        }
    }

    /// The oldest stored answer still replayed, now.
    pub fn answers_not_before(&self) -> Option<chrono::DateTime<Utc>> {
        self.idempotency_ttl.map(|ttl| Utc::now() - ttl)
    }
}

/// The routes, with their own state; mount them into any router.
pub fn router<S: Clone + Send + Sync + 'static>(collab: Arc<Collab>) -> Router<S> {
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
            &format!("{BASE}/{{caseId}}/document-links"),
            post(link_document),
        )
        .route(
            &format!("{BASE}/{{caseId}}/documents/{{documentId}}"),
            get(get_document),
        )
        .route(
            &format!("{BASE}/{{caseId}}/documents/{{documentId}}/content"),
            get(document_content),
        )
        .layer(DefaultBodyLimit::max(MAX_DOCUMENT_BYTES + 1))
        .with_state(collab)
}

/// Parses a JSON body with a clear 400 on anything wrong.
pub fn json_body<T: serde::de::DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let bytes =
        body.map_err(|e| ApiError::validation(format!("cannot read the request body: {e}")))?;
    if bytes.len() > MAX_JSON_BYTES {
        return Err(ApiError::validation(format!(
            "request body is {} bytes, over the {MAX_JSON_BYTES}-byte limit for JSON",
            bytes.len()
        )));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::validation(format!("malformed JSON body: {e}")))
}

/// Extractor: the authenticated caller.
#[derive(Debug)]
struct Authed(Caller);

impl FromRequestParts<Arc<Collab>> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<Collab>) -> Result<Self, ApiError> {
        state.auth.authenticate(&parts.headers).map(Authed)
    }
}

fn etag_value(version: i64) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("\"{version}\"")).ok()
}

fn json_response(status: StatusCode, body: Vec<u8>, etag: Option<i64>) -> Response {
    let mut response = (status, Body::from(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(value) = etag.and_then(etag_value) {
        headers.insert(header::ETAG, value);
    }
    response
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value).map_err(|e| ApiError::internal(e.to_string()))
}

/// The HTTP answer of a write: the applied value, or the stored answer replayed.
fn answer<T: Serialize>(status: StatusCode, written: Written<T>) -> Result<Response, ApiError> {
    Ok(match written {
        Written::Applied { value, version } => {
            json_response(status, to_json(&value)?, Some(version))
        }
        Written::Replayed(stored) => json_response(
            StatusCode::from_u16(stored.status).unwrap_or(status),
            stored.body,
            stored.etag,
        ),
    })
}

async fn list_changed(
    State(collab): State<Arc<Collab>>,
    _auth: Authed,
    Path(company_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    collab.check_company(&company_id)?;
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
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::validation(format!("limit must be 1..{MAX_LIMIT}, got {s:?}"))
            })?,
    };
    let page = collab.store.list_changed(&company_id, since, limit).await?;
    let body = pd_domain::CasePage {
        cases: page.cases,
        next_cursor: page.last_seq.unwrap_or(since).to_string(),
        has_more: page.has_more,
    };
    Ok(json_response(StatusCode::OK, to_json(&body)?, None))
}

async fn get_case(
    State(collab): State<Arc<Collab>>,
    _auth: Authed,
    Path((company_id, case_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    collab.check_company(&company_id)?;
    let bundle = collab
        .store
        .get_case(&company_id, &case_id)
        .await?
        .ok_or_else(|| unknown_case(&case_id))?;
    let version = bundle.case.version;
    Ok(json_response(
        StatusCode::OK,
        to_json(&bundle)?,
        Some(version),
    ))
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

/// The `If-Match` header as a case version: a quoted non-negative integer, or 400.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::validation(
            "If-Match must be a case version in quotes, as the ETag header gives it (e.g. \"7\")",
        )
    };
    let text = value.to_str().map_err(|_| bad())?.trim();
    let inner = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .ok_or_else(bad)?;
    if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    inner.parse::<i64>().map(Some).map_err(|_| bad())
}

/// The write context: company, op id, the idempotency key and the request's fingerprint.
fn context(
    collab: &Collab,
    company_id: &str,
    headers: &HeaderMap,
    method: &Method,
    uri: &Uri,
    body: &[u8],
) -> Result<WriteContext, ApiError> {
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
    let not_before = collab.answers_not_before();
    Ok(WriteContext {
        company: company_id.to_string(),
        op_id: key
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        idempotency: key.map(|key| Idempotency {
            key,
            fingerprint,
            not_before,
        }),
        now: Utc::now(),
    })
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
    if title.chars().any(char::is_control) {
        return Err(ApiError::validation(
            "title must be one line without control characters",
        ));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(ApiError::validation(format!(
            "title is longer than {MAX_TITLE} characters"
        )));
    }
    Ok(())
}

fn check_transaction(directory: &dyn Directory, id: &str) -> Result<(), ApiError> {
    if !id.is_empty() && id.len() <= MAX_ID && directory.has_transaction(id) {
        Ok(())
    } else {
        Err(ApiError::validation(format!(
            "unknown transaction id {id:?}"
        )))
    }
}

async fn check_owner(directory: &dyn Directory, owner: &str) -> Result<String, ApiError> {
    directory
        .owner_name(owner)
        .await?
        .ok_or_else(|| ApiError::validation(format!("unknown owner loginId {owner:?}")))
}

/// A JSON write addressed to a served company: the raw body (kept for the idempotency
/// comparison) and its parsed value.
fn json_write<T: serde::de::DeserializeOwned>(
    collab: &Collab,
    company_id: &str,
    body: Result<Bytes, BytesRejection>,
) -> Result<(Bytes, T), ApiError> {
    collab.check_company(company_id)?;
    let bytes =
        body.map_err(|e| ApiError::validation(format!("cannot read the request body: {e}")))?;
    let value = json_body(Ok(bytes.clone()))?;
    Ok((bytes, value))
}

#[allow(clippy::too_many_arguments)]
async fn create_case(
    State(collab): State<Arc<Collab>>,
    Authed(caller): Authed,
    Path(company_id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (bytes, new) = json_write::<NewCase>(&collab, &company_id, body)?;
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
        check_transaction(collab.directory.as_ref(), id)?;
    }
    check_id("partnerId", &new.partner_id)
        .map_err(|_| ApiError::validation(format!("unknown partner {:?}", new.partner_id)))?;
    let offered_name = new
        .partner_name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty());
    if let Some(name) = offered_name {
        check_title(name).map_err(|_| {
            ApiError::validation(
                "partnerName must be 1 to 500 characters without control characters",
            )
        })?;
    }
    let partner_name = match offered_name {
        Some(name) if !collab.directory.knows_partners() => name.to_string(),
        _ => collab
            .directory
            .partner_name(&new.partner_id)
            .await?
            .ok_or_else(|| ApiError::validation(format!("unknown partner {:?}", new.partner_id)))?,
    };
    let owner_name = match &new.owner {
        Some(owner) => Some(check_owner(collab.directory.as_ref(), owner).await?),
        None => None,
    };
    let description_author = caller
        .name
        .or(owner_name)
        .unwrap_or_else(|| "PartnerDesk".into());
    let ctx = context(&collab, &company_id, &headers, &method, &uri, &bytes)?;
    let written = collab
        .store
        .create_case(
            ctx,
            NewCaseRecord {
                case: new,
                partner_name,
                description_author,
            },
        )
        .await?;
    answer(StatusCode::CREATED, written)
}

#[allow(clippy::too_many_arguments)]
async fn patch_case(
    State(collab): State<Arc<Collab>>,
    _auth: Authed,
    Path((company_id, case_id)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (bytes, patch) = json_write::<CasePatch>(&collab, &company_id, body)?;
    let expected = if_match(&headers)?;
    if let Some(title) = &patch.title {
        check_title(title)?;
    }
    if let Some(Some(owner)) = &patch.owner {
        check_owner(collab.directory.as_ref(), owner).await?;
    }
    let ctx = context(&collab, &company_id, &headers, &method, &uri, &bytes)?;
    let written = collab
        .store
        .patch_case(ctx, &case_id, patch, expected)
        .await?;
    answer(StatusCode::OK, written)
}

#[allow(clippy::too_many_arguments)]
async fn add_comment(
    State(collab): State<Arc<Collab>>,
    Authed(caller): Authed,
    Path((company_id, case_id)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (bytes, new) = json_write::<NewComment>(&collab, &company_id, body)?;
    check_id("id", &new.id)?;
    let author = match caller.name {
        Some(name) => name,
        None => {
            if new.author.trim().is_empty() {
                return Err(ApiError::validation("author must not be empty"));
            }
            new.author.trim().to_string()
        }
    };
    if new.body.trim().is_empty() {
        return Err(ApiError::validation("comment body must not be empty"));
    }
    if new.body.chars().count() > MAX_COMMENT {
        return Err(ApiError::validation(format!(
            "comment body is longer than {MAX_COMMENT} characters"
        )));
    }
    let ctx = context(&collab, &company_id, &headers, &method, &uri, &bytes)?;
    let written = collab
        .store
        .add_comment(
            ctx,
            &case_id,
            NewCommentRecord {
                id: new.id,
                author,
                author_is_partner: false,
                body: new.body,
                visibility: new.visibility,
            },
        )
        .await?;
    answer(StatusCode::CREATED, written)
}

#[allow(clippy::too_many_arguments)]
async fn link_transaction(
    State(collab): State<Arc<Collab>>,
    _auth: Authed,
    Path((company_id, case_id)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (bytes, link) = json_write::<TransactionLink>(&collab, &company_id, body)?;
    check_transaction(collab.directory.as_ref(), &link.transaction_id)?;
    let ctx = context(&collab, &company_id, &headers, &method, &uri, &bytes)?;
    let written = collab
        .store
        .link_transaction(ctx, &case_id, &link.transaction_id)
        .await?;
    answer(StatusCode::OK, written)
}

async fn unlink_transaction(
    State(collab): State<Arc<Collab>>,
    _auth: Authed,
    Path((company_id, case_id, transaction_id)): Path<(String, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    collab.check_company(&company_id)?;
    let ctx = context(&collab, &company_id, &headers, &method, &uri, b"")?;
    let written = collab
        .store
        .unlink_transaction(ctx, &case_id, &transaction_id)
        .await?;
    answer(StatusCode::OK, written)
}

/// Strips directories and control characters from an uploaded file name.
pub fn sanitize_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim().trim_start_matches('.').to_string();
    clean.chars().take(255).collect()
}

/// The media type a file name suggests.
pub fn guess_media_type(name: &str) -> &'static str {
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
    State(collab): State<Arc<Collab>>,
    Authed(caller): Authed,
    Path((company_id, case_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    collab.check_company(&company_id)?;
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
    let uploaded_by = caller.name.unwrap_or_else(|| {
        query
            .get("uploadedBy")
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .unwrap_or("PartnerDesk")
            .to_string()
    });
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_string())
        .filter(|v| !v.is_empty() && v != "application/octet-stream" && v.contains('/'))
        .unwrap_or_else(|| guess_media_type(&name).to_string());
    let id = match query.get("id") {
        Some(id) => {
            check_id("id", id)?;
            id.clone()
        }
        None => uuid::Uuid::new_v4().to_string(),
    };
    let ctx = context(&collab, &company_id, &headers, &method, &uri, &bytes)?;
    let sha256 = format!("{:x}", Sha256::digest(&bytes));
    let size = bytes.len() as u64;
    let stored = match &collab.objects {
        Some(objects) => {
            // Keyed by content: a replayed upload rewrites the same object, never a second one.
            let key = format!("{}{sha256}", collab.object_prefix);
            objects
                .put(&key, bytes, &media_type)
                .await
                .map_err(|e| ApiError::unavailable(format!("document storage failed: {e}")))?;
            DocumentBytes::Object { key }
        }
        None => DocumentBytes::Inline(bytes.to_vec()),
    };
    let written = collab
        .store
        .put_document(
            ctx,
            &case_id,
            NewDocumentRecord {
                id,
                name,
                size,
                sha256,
                media_type,
                uploaded_by,
                bytes: stored,
            },
        )
        .await?;
    answer(StatusCode::CREATED, written)
}

/// `POST .../document-links`: records a document whose bytes the app already put in the team's
/// S3 bucket. The server keeps where the object is, never its bytes.
#[allow(clippy::too_many_arguments)]
async fn link_document(
    State(collab): State<Arc<Collab>>,
    Authed(caller): Authed,
    Path((company_id, case_id)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (bytes, new) = json_write::<NewDocumentLink>(&collab, &company_id, body)?;
    check_id("id", &new.id)?;
    let name = sanitize_name(&new.name);
    if name.is_empty() {
        return Err(ApiError::validation("name (the file name) is required"));
    }
    if new.sha256.len() != 64
        || !new
            .sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(ApiError::validation(
            "sha256 must be 64 lower-case hex digits",
        ));
    }
    let bucket = new.bucket.trim();
    if bucket.is_empty() || bucket.len() > 255 || bucket.contains('/') {
        return Err(ApiError::validation("bucket must be a bucket name"));
    }
    if new.key.is_empty() || new.key.len() > 1024 || new.key.chars().any(char::is_control) {
        return Err(ApiError::validation(
            "key must be 1 to 1024 bytes without control characters",
        ));
    }
    let media_type = Some(new.media_type.trim())
        .filter(|m| m.contains('/') && !m.chars().any(char::is_control))
        .map(str::to_string)
        .unwrap_or_else(|| guess_media_type(&name).to_string());
    let uploaded_by = caller.name.unwrap_or_else(|| {
        new.uploaded_by
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("PartnerDesk")
            .to_string()
    });
    let ctx = context(&collab, &company_id, &headers, &method, &uri, &bytes)?;
    let written = collab
        .store
        .put_document(
            ctx,
            &case_id,
            NewDocumentRecord {
                id: new.id,
                name,
                size: new.size,
                sha256: new.sha256,
                media_type,
                uploaded_by,
                bytes: DocumentBytes::Linked {
                    bucket: bucket.to_string(),
                    key: new.key,
                },
            },
        )
        .await?;
    answer(StatusCode::CREATED, written)
}

async fn get_document(
    State(collab): State<Arc<Collab>>,
    _auth: Authed,
    Path((company_id, case_id, document_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    collab.check_company(&company_id)?;
    let doc = collab
        .store
        .get_document(&company_id, &case_id, &document_id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!("unknown document {document_id} on case {case_id}"))
        })?;
    Ok(json_response(StatusCode::OK, to_json(&doc)?, None))
}

async fn document_content(
    State(collab): State<Arc<Collab>>,
    _auth: Authed,
    Path((company_id, case_id, document_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    collab.check_company(&company_id)?;
    let (media_type, bytes) = collab
        .store
        .document_content(&company_id, &case_id, &document_id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!("unknown document {document_id} on case {case_id}"))
        })?;
    let content = match bytes {
        DocumentBytes::Inline(content) => content,
        DocumentBytes::Object { key } => {
            let objects = collab.objects.as_ref().ok_or_else(|| {
                ApiError::internal(format!(
                    "document {document_id} is in object storage, which is not configured"
                ))
            })?;
            objects
                .get(&key)
                .await
                .map_err(|e| ApiError::unavailable(format!("document storage failed: {e}")))?
        }
        DocumentBytes::Linked { bucket, key } => {
            return Err(ApiError::conflict(format!(
                "document {document_id} is the object {key} in the S3 bucket {bucket}; \
                 fetch it from there (a presigned link)"
            )))
        }
    };
    let mut response = Body::from(content).into_response();
    let value = HeaderValue::from_str(&media_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    response.headers_mut().insert(header::CONTENT_TYPE, value);
    Ok(response)
}
