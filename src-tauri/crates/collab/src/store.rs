//! The storage trait every `collab/v1` backend implements (SQLite here, PostgreSQL in
//! `pd-collab-pg`), so the HTTP handlers exist once and the sandbox and `partnerdesk-server`
//! answer the same way whatever keeps the rows.
//!
//! # What every backend must guarantee
//!
//! 1. **One write, one transaction.** Each write method ([`CollabStore::create_case`],
//!    [`CollabStore::patch_case`], [`CollabStore::add_comment`],
//!    [`CollabStore::link_transaction`], [`CollabStore::unlink_transaction`],
//!    [`CollabStore::put_document`]) runs in ONE database transaction that, together: checks the
//!    idempotency key, applies the change, gives the case a new feed sequence number and version,
//!    records the applied operation (`op_id`, case, [`OpKind`]) and stores the answer under the
//!    idempotency key. Either all of it commits or none of it does; an `Err` leaves nothing
//!    behind (errors are never stored under a key).
//! 2. **Idempotency.** With [`WriteContext::idempotency`] set, the backend first looks the key up
//!    inside the same transaction (under the lock that serializes writers of that key, e.g. a
//!    row lock or a unique index with `ON CONFLICT`), ignoring answers stored before
//!    [`Idempotency::not_before`] (expired; they are overwritten):
//!    - a stored answer with the same fingerprint is returned as [`Written::Replayed`] and
//!      nothing is applied (whatever the request's expected version says: a replay wins);
//!    - a stored answer with another fingerprint is [`StoreError::KeyReused`];
//!    - otherwise the write is applied and its answer ([`StoredAnswer::of`]) is stored under the
//!      key in the same transaction. Two concurrent requests with one key must end with one
//!      applied write and the other request seeing it as a replay (or failing transiently and
//!      being retried by the client), never two applied writes.
//! 3. **A feed that never skips a change.** [`CollabStore::list_changed`] returns cases whose
//!    sequence is above the cursor, in sequence order. A reader that has passed sequence `n` must
//!    never later see a commit with a sequence `<= n`, so **commit order must equal sequence
//!    order**: take the case's new sequence number at the END of the write transaction, from a
//!    counter whose lock is held until commit (e.g. a one-row counter table
//!    `UPDATE feed_counter SET seq = seq + 1 RETURNING seq` as the last statement; the row lock
//!    serializes the tail of concurrent writers, so a later sequence cannot commit before an
//!    earlier one). A database sequence object (`nextval`, `AUTOINCREMENT` across connections)
//!    does NOT meet this: it hands out numbers at allocation time, and the transaction with the
//!    lower number may commit after a reader has already passed the higher one. SQLite meets it
//!    with one writer at a time (`BEGIN IMMEDIATE`).
//! 4. **Versions.** A case's `version` starts at 1 and grows by one with every applied write
//!    that changes it (fields, comment, link, document); [`CollabStore::patch_case`] with an
//!    expected version compares it with the current version inside the transaction and answers
//!    [`StoreError::VersionMismatch`] without changing anything when they differ.
//! 5. **Companies.** Every call names the company; a case of another company is "not found".
//!    Case, comment and document ids are unique across companies.
//! 6. **Statelessness.** Several server processes may use one database at once: nothing a
//!    backend keeps in memory may change an answer (caches only of immutable rows).

use async_trait::async_trait;
use pd_domain::{Case, CaseBundle, CasePatch, Comment, Document, NewCase, Timestamp, Visibility};
use serde::Serialize;

use crate::error::StoreError;

/// Which write an applied operation was (the applied-operations log; also the sandbox's
/// `partner_reply`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// `POST .../cases`.
    CreateCase,
    /// `PATCH .../cases/{caseId}`.
    PatchCase,
    /// `POST .../comments`.
    AddComment,
    /// `POST .../transactions`.
    LinkTransaction,
    /// `DELETE .../transactions/{transactionId}`.
    UnlinkTransaction,
    /// `POST .../documents`.
    UploadDocument,
    /// A comment written by the sandbox as if a partner had replied.
    PartnerReply,
}

impl OpKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::CreateCase => "create_case",
            OpKind::PatchCase => "patch_case",
            OpKind::AddComment => "add_comment",
            OpKind::LinkTransaction => "link_transaction",
            OpKind::UnlinkTransaction => "unlink_transaction",
            OpKind::UploadDocument => "upload_document",
            OpKind::PartnerReply => "partner_reply",
        }
    }
}

/// The idempotency key of a write and what it must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    /// The `Idempotency-Key` header (1 to 200 visible characters).
    pub key: String,
    /// Hex SHA-256 of method, path, query and body: the same key with another request is refused.
    pub fingerprint: String,
    /// Answers stored before this instant have expired: treated as absent and overwritten.
    /// `None`: answers never expire.
    pub not_before: Option<Timestamp>,
}

/// What every write carries besides its own fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteContext {
    /// The company addressed.
    pub company: String,
    /// The id logged for the applied operation: the idempotency key, or a server-made UUID.
    pub op_id: String,
    /// The key to check and store under, when the request had one.
    pub idempotency: Option<Idempotency>,
    /// The time of the write (timestamps written by it).
    pub now: Timestamp,
}

/// An answer stored under an idempotency key, replayed byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    /// HTTP status (2xx only: errors are never stored).
    pub status: u16,
    /// The JSON body.
    pub body: Vec<u8>,
    /// The case's version after the write (sent as `ETag: "<version>"`), if the answer is
    /// about a case.
    pub etag: Option<i64>,
}

impl StoredAnswer {
    /// The answer a write stores: its status, its value as JSON and the case version.
    pub fn of<T: Serialize>(status: u16, value: &T, etag: Option<i64>) -> Result<Self, StoreError> {
        Ok(StoredAnswer {
            status,
            body: serde_json::to_vec(value).map_err(|e| StoreError::Backend(e.to_string()))?,
            etag,
        })
    }
}

/// The outcome of a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written<T> {
    /// Applied now; the value and the case's version after it.
    Applied {
        /// The answer's value.
        value: T,
        /// The case's version after the write.
        version: i64,
    },
    /// The key already had an answer: that answer, nothing applied.
    Replayed(StoredAnswer),
}

/// A case to create, checked and completed by the handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCaseRecord {
    /// The request body (already validated: id, title, description, transactions).
    pub case: NewCase,
    /// The partner's display name, denormalized onto the case.
    pub partner_name: String,
    /// Author of the opening comment made from `case.description`, if any.
    pub description_author: String,
}

/// A comment to add, its author resolved by the handler (from the caller's key on the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCommentRecord {
    /// Client-chosen id.
    pub id: String,
    /// Author display name.
    pub author: String,
    /// Whether the author works for the partner.
    pub author_is_partner: bool,
    /// Text.
    pub body: String,
    /// Partner-visible or internal.
    pub visibility: Visibility,
}

/// Where a document's bytes are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentBytes {
    /// In the database row.
    Inline(Vec<u8>),
    /// In object storage under this key (the handler put it there before the write).
    Object {
        /// Object key within the configured bucket.
        key: String,
    },
    /// An object the app uploaded to the team's own S3 bucket (`POST .../document-links`):
    /// the server keeps only where it is; partners get it through presigned links.
    Linked {
        /// Bucket name.
        bucket: String,
        /// Object key.
        key: String,
    },
}

/// A document to attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocumentRecord {
    /// Id: the client's (`id` query parameter or body field) or server-made.
    pub id: String,
    /// Sanitized file name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Media type.
    pub media_type: String,
    /// Who attached it.
    pub uploaded_by: String,
    /// The bytes or where they are.
    pub bytes: DocumentBytes,
}

/// One page of the change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPage {
    /// Cases with a sequence above the cursor, in sequence order, each with its thread and
    /// documents.
    pub cases: Vec<CaseBundle>,
    /// The last sequence in the page (`None` when empty: the cursor stays).
    pub last_seq: Option<i64>,
    /// More cases wait beyond this page.
    pub has_more: bool,
}

/// The storage behind `collab/v1`. See the module documentation for the obligations; all
/// methods are cancel-safe in the sense that a dropped future never leaves half a write.
#[async_trait]
pub trait CollabStore: Send + Sync + std::fmt::Debug + 'static {
    /// Creates or upgrades the schema to this build's version. Idempotent, and safe when several
    /// processes start at once (serialized by the database, e.g. an advisory lock).
    async fn migrate(&self) -> Result<(), StoreError>;

    /// One round trip to the database (the health check).
    async fn ping(&self) -> Result<(), StoreError>;

    /// The change feed: cases of `company` with a sequence above `since`, at most `limit`.
    async fn list_changed(
        &self,
        company: &str,
        since: i64,
        limit: u32,
    ) -> Result<FeedPage, StoreError>;

    /// One case with its thread and documents.
    async fn get_case(
        &self,
        company: &str,
        case_id: &str,
    ) -> Result<Option<CaseBundle>, StoreError>;

    /// One document's metadata, if it belongs to the case (of the company).
    async fn get_document(
        &self,
        company: &str,
        case_id: &str,
        document_id: &str,
    ) -> Result<Option<Document>, StoreError>;

    /// One document's media type and where its bytes are.
    async fn document_content(
        &self,
        company: &str,
        case_id: &str,
        document_id: &str,
    ) -> Result<Option<(String, DocumentBytes)>, StoreError>;

    /// The live answer stored under an idempotency key (older than `not_before`: none).
    /// Handlers use it to skip work before a write (e.g. an object upload); the write itself
    /// checks again inside its transaction.
    async fn find_answer(
        &self,
        key: &str,
        not_before: Option<Timestamp>,
    ) -> Result<Option<(String, StoredAnswer)>, StoreError>;

    /// Deletes answers stored before `before`; how many went.
    async fn purge_answers(&self, before: Timestamp) -> Result<u64, StoreError>;

    /// Creates a case (version 1), its links and its opening comment. An existing id (in any
    /// company) is [`StoreError::Conflict`]. Answer: 201 with the bundle.
    async fn create_case(
        &self,
        ctx: WriteContext,
        case: NewCaseRecord,
    ) -> Result<Written<CaseBundle>, StoreError>;

    /// Changes the fields present in the patch. With `expected_version`, a different current
    /// version is [`StoreError::VersionMismatch`]. A patch that changes nothing keeps the
    /// version and sequence (still logged and stored). Answer: 200 with the case.
    async fn patch_case(
        &self,
        ctx: WriteContext,
        case_id: &str,
        patch: CasePatch,
        expected_version: Option<i64>,
    ) -> Result<Written<Case>, StoreError>;

    /// Adds a comment; an existing comment id is [`StoreError::Conflict`]. Answer: 201 with the
    /// comment.
    async fn add_comment(
        &self,
        ctx: WriteContext,
        case_id: &str,
        comment: NewCommentRecord,
    ) -> Result<Written<Comment>, StoreError>;

    /// Links a transaction (appended; already linked: no change). Answer: 200 with the case.
    async fn link_transaction(
        &self,
        ctx: WriteContext,
        case_id: &str,
        transaction_id: &str,
    ) -> Result<Written<Case>, StoreError>;

    /// Unlinks a transaction (not linked: no change). Answer: 200 with the case.
    async fn unlink_transaction(
        &self,
        ctx: WriteContext,
        case_id: &str,
        transaction_id: &str,
    ) -> Result<Written<Case>, StoreError>;

    /// Attaches a document. Answer: 201 with its metadata.
    async fn put_document(
        &self,
        ctx: WriteContext,
        case_id: &str,
        document: NewDocumentRecord,
    ) -> Result<Written<Document>, StoreError>;
}
