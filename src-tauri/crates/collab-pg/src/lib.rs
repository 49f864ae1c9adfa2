//! `pd-collab-pg`: the PostgreSQL [`CollabStore`], what `partnerdesk-server` keeps a team's
//! cases in when its database URL is `postgres://...`. Several server processes may share one
//! database: nothing here keeps state between requests but a connection pool.
//!
//! # How the change feed never skips a change
//!
//! The feed (`GET .../cases?since=N`) answers the cases whose sequence number is above `N`, and
//! the client moves its cursor to the highest number it saw. That is only safe if **no
//! transaction can commit a sequence number lower than one a reader has already seen**. A
//! PostgreSQL sequence (`nextval()`) does not give that: numbers are handed out when a
//! transaction asks, not when it commits, so writer A can take 41, writer B take 42 and commit,
//! a reader see 42 and move its cursor past it, and only then A commit 41: the reader never
//! asks for anything at or below 42 again and A's change is lost to it for good.
//!
//! Here every write takes its number **at the end of its transaction** from a one-row counter,
//! as its last statement before `COMMIT`:
//!
//! ```sql
//! WITH s AS (UPDATE feed_counter SET seq = seq + 1 RETURNING seq)
//! UPDATE cases SET seq = s.seq FROM s WHERE cases.id = $1 RETURNING cases.seq
//! ```
//!
//! The `UPDATE` takes the counter row's lock and holds it until the transaction commits or rolls
//! back. The next writer's counter `UPDATE` waits for that lock and, once it gets it, reads the
//! committed value: so a writer holding number `n` has committed (and is visible) before anyone
//! can take `n + 1`. **Commit order is sequence order**, and a reader that has seen `n + 1` will
//! never later meet an uncommitted `n`. Only the tail of each write (that one statement and the
//! commit) is serialized; everything before it runs concurrently. The test
//! `tests/feed.rs::a_write_committing_after_a_later_one_is_still_in_the_feed` drives two writers
//! through that interleaving (and shows a `nextval()` column skipping in it).
//!
//! # Writes
//!
//! Each write is one READ COMMITTED transaction: an advisory lock on its idempotency key (two
//! requests with one key run one after the other, the second one replays), the stored answer
//! checked, the case row locked (`FOR UPDATE`: writes to one case queue up; locks are always
//! taken key, case, counter, so writers do not deadlock each other), the change applied and
//! logged, the answer stored under the key, the sequence number taken, commit. A write runs on
//! its own task, so a client hanging up cannot cut it in half; PostgreSQL makes it all or nothing
//! whatever happens to the connection.
//!
//! Transient failures (a connection lost, serialization failure, deadlock, a unique index raced
//! by a concurrent insert, the server shutting down) roll the transaction back and run it again
//! on another connection, at most [`MAX_ATTEMPTS`] times with a growing pause; then the answer is
//! [`StoreError::Unavailable`] (503, and the client retries with the same idempotency key). A
//! connection lost while `COMMIT` was in flight leaves the outcome unknown: with an idempotency
//! key the retry finds the stored answer if it did commit, without one the write is not retried
//! and the client gets 503.

mod rows;
pub mod schema;

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::SubsecRound;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use pd_collab::{
    CollabStore, DocumentBytes, FeedPage, NewCaseRecord, NewCommentRecord, NewDocumentRecord,
    OpKind, StoreError, StoredAnswer, WriteContext, Written,
};
use pd_domain::{Case, CaseBundle, CasePatch, CaseStatus, Comment, Document, Priority, Timestamp};
use serde::Serialize;
use tokio_postgres::error::SqlState;
use tokio_postgres::{IsolationLevel, NoTls};

use rows::{execute, load_bundle, load_case, load_comment, load_document, query_one, query_opt};

/// How many times a write or read runs before a transient failure becomes
/// [`StoreError::Unavailable`].
pub const MAX_ATTEMPTS: u32 = 5;

/// Called after a write has taken its feed sequence number and before it commits, with that
/// number. Only tests set one, to hold a transaction open at exactly that point.
pub type CommitGate =
    Arc<dyn Fn(i64) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync + 'static>;

/// What went wrong inside one attempt: a store answer to give as it is, or a database error to
/// classify (retry or not).
#[derive(Debug)]
pub(crate) enum Fail {
    Store(StoreError),
    Db(tokio_postgres::Error),
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

impl From<tokio_postgres::Error> for Fail {
    fn from(e: tokio_postgres::Error) -> Self {
        Fail::Db(e)
    }
}

/// Whether running the transaction again may succeed.
fn transient(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    if let Some(code) = e.code() {
        let class = code.code();
        return class.starts_with("08") // connection exception
            || class.starts_with("57P") // admin/crash shutdown, cannot connect now
            || [
                SqlState::T_R_SERIALIZATION_FAILURE,
                SqlState::T_R_DEADLOCK_DETECTED,
                SqlState::LOCK_NOT_AVAILABLE,
                SqlState::UNIQUE_VIOLATION,
                SqlState::TOO_MANY_CONNECTIONS,
            ]
            .contains(code);
    }
    // No database error code: the socket failed (I/O) or the connection is gone.
    std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
}

/// The final answer for a failure after retries.
fn final_error(fail: Fail) -> StoreError {
    match fail {
        Fail::Store(e) => e,
        Fail::Db(e) if transient(&e) => StoreError::Unavailable(e.to_string()),
        Fail::Db(e) => StoreError::Backend(e.to_string()),
    }
}

/// The pause before attempt `n` (1-based retries): 20, 40, 80, 160 ms, with up to half again.
fn backoff(attempt: u32) -> Duration {
    let base = 20u64 << attempt.min(6);
    let jitter = u64::from(chrono::Utc::now().timestamp_subsec_micros()) % (base / 2 + 1);
    Duration::from_millis(base + jitter)
}

/// What a write's body produced.
struct Applied<T> {
    value: T,
    version: i64,
    /// The case that changed and takes a new feed sequence number (none: nothing changed).
    touched: Option<String>,
}

/// One write's body, run again on retry (so it owns its inputs).
#[async_trait]
trait WriteOp: Send + Sync + 'static {
    type Output: Serialize + Send + 'static;
    /// The HTTP status of a success.
    const STATUS: u16;
    async fn apply(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        ctx: &WriteContext,
        at: Timestamp,
    ) -> Result<Applied<Self::Output>, Fail>;
}

/// The PostgreSQL backend: a pool of connections to one database. Cheap to clone.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    gate: Option<CommitGate>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = self.pool.status();
        f.debug_struct("PgStore")
            .field("max_connections", &status.max_size)
            .field("open_connections", &status.size)
            .finish()
    }
}

impl PgStore {
    /// A store over the database at `url` (`postgres://user[:password]@host[:port]/database`,
    /// the libpq URL form; key=value strings work too), with at most `max_connections` open.
    /// Connects lazily: a wrong host shows at the first call (`migrate` or `ping`).
    pub fn connect(url: &str, max_connections: usize) -> Result<PgStore, StoreError> {
        let config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Invalid(format!("unreadable PostgreSQL URL: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(max_connections.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| StoreError::Backend(format!("connection pool: {e}")))?;
        Ok(PgStore { pool, gate: None })
    }

    /// The same store with a [`CommitGate`] (tests only).
    pub fn with_commit_gate(mut self, gate: CommitGate) -> PgStore {
        self.gate = Some(gate);
        self
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, Fail> {
        self.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(e) => Fail::Db(e),
            other => Fail::Store(StoreError::Unavailable(format!(
                "no database connection: {other}"
            ))),
        })
    }

    /// Runs a read in one REPEATABLE READ, READ ONLY transaction, again on transient failures.
    async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send,
        F: for<'a> Fn(
                &'a deadpool_postgres::Transaction<'a>,
            ) -> Pin<Box<dyn Future<Output = Result<T, Fail>> + Send + 'a>>
            + Send
            + Sync,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = async {
                let mut client = self.client().await?;
                let tx = client
                    .build_transaction()
                    .isolation_level(IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()
                    .await?;
                let value = work(&tx).await?;
                tx.commit().await?;
                Ok::<T, Fail>(value)
            }
            .await;
            match result {
                Ok(value) => return Ok(value),
                Err(Fail::Db(e)) if transient(&e) && attempt < MAX_ATTEMPTS => {
                    tracing::debug!(attempt, error = %e, "read retried");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(Fail::Store(StoreError::Unavailable(e))) if attempt < MAX_ATTEMPTS => {
                    tracing::debug!(attempt, error = %e, "read retried");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(fail) => return Err(final_error(fail)),
            }
        }
    }

    /// Runs a write to completion on its own task (a dropped request cannot cut it short).
    async fn write<O: WriteOp>(
        &self,
        ctx: WriteContext,
        op: O,
    ) -> Result<Written<O::Output>, StoreError> {
        let store = self.clone();
        tokio::spawn(async move { store.write_with_retries(ctx, op).await })
            .await
            .map_err(|e| StoreError::Backend(format!("write task failed: {e}")))?
    }

    async fn write_with_retries<O: WriteOp>(
        &self,
        ctx: WriteContext,
        op: O,
    ) -> Result<Written<O::Output>, StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut commit_sent = false;
            let result = self.write_once(&ctx, &op, &mut commit_sent).await;
            let retry_safe = !commit_sent || ctx.idempotency.is_some();
            match result {
                Ok(written) => return Ok(written),
                Err(Fail::Db(e)) if transient(&e) && retry_safe && attempt < MAX_ATTEMPTS => {
                    tracing::info!(attempt, op = %ctx.op_id, error = %e, "write retried");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(Fail::Store(StoreError::Unavailable(e)))
                    if !commit_sent && attempt < MAX_ATTEMPTS =>
                {
                    tracing::info!(attempt, op = %ctx.op_id, error = %e, "write retried");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(fail) => return Err(final_error(fail)),
            }
        }
    }

    async fn write_once<O: WriteOp>(
        &self,
        ctx: &WriteContext,
        op: &O,
        commit_sent: &mut bool,
    ) -> Result<Written<O::Output>, Fail> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::ReadCommitted)
            .start()
            .await?;
        if let Some(idem) = &ctx.idempotency {
            execute(
                &tx,
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                &[&idem.key],
            )
            .await?;
            if let Some((fingerprint, created_at, answer)) = stored_answer(&tx, &idem.key).await? {
                let live = idem.not_before.is_none_or(|cut| created_at >= cut);
                if live {
                    if fingerprint != idem.fingerprint {
                        return Err(StoreError::KeyReused(idem.key.clone()).into());
                    }
                    tx.rollback().await?;
                    return Ok(Written::Replayed(answer));
                }
            }
        }
        let at = ctx.now.trunc_subsecs(3);
        let applied = op.apply(&tx, ctx, at).await?;
        if let Some(idem) = &ctx.idempotency {
            let answer = StoredAnswer::of(O::STATUS, &applied.value, Some(applied.version))?;
            // An expired answer under the key is overwritten; a live one cannot exist (checked
            // above under the key's lock).
            execute(
                &tx,
                "INSERT INTO idempotency(key, fingerprint, status, body, etag, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint,
                    status = EXCLUDED.status, body = EXCLUDED.body, etag = EXCLUDED.etag,
                    created_at = EXCLUDED.created_at",
                &[
                    &idem.key,
                    &idem.fingerprint,
                    &i32::from(answer.status),
                    &answer.body,
                    &answer.etag,
                    &at,
                ],
            )
            .await?;
        }
        if let Some(case_id) = &applied.touched {
            // Last statement before COMMIT: see the crate documentation.
            let seq: i64 = query_one(
                &tx,
                "WITH s AS (UPDATE feed_counter SET seq = seq + 1 RETURNING seq)
                 UPDATE cases SET seq = s.seq FROM s WHERE cases.id = $1 RETURNING cases.seq",
                &[case_id],
            )
            .await?
            .try_get(0)?;
            if let Some(gate) = &self.gate {
                gate(seq).await;
            }
        }
        *commit_sent = true;
        tx.commit().await?;
        Ok(Written::Applied {
            value: applied.value,
            version: applied.version,
        })
    }
}

/// The answer stored under a key: its fingerprint, when it was stored, and the answer.
async fn stored_answer<C: GenericClient>(
    client: &C,
    key: &str,
) -> Result<Option<(String, Timestamp, StoredAnswer)>, Fail> {
    let Some(row) = query_opt(
        client,
        "SELECT fingerprint, created_at, status, body, etag FROM idempotency WHERE key = $1",
        &[&key],
    )
    .await?
    else {
        return Ok(None);
    };
    Ok(Some((
        row.try_get(0)?,
        row.try_get(1)?,
        StoredAnswer {
            status: u16::try_from(row.try_get::<_, i32>(2)?).unwrap_or(200),
            body: row.try_get(3)?,
            etag: row.try_get(4)?,
        },
    )))
}

/// The case as a write left it, answered with its version; it takes a new feed number only
/// when the write `changed` it.
async fn case_applied(
    tx: &deadpool_postgres::Transaction<'_>,
    ctx: &WriteContext,
    case_id: &str,
    changed: bool,
) -> Result<Applied<Case>, Fail> {
    let case = load_case(tx, &ctx.company, case_id, false)
        .await?
        .ok_or_else(|| unknown_case(case_id))?;
    Ok(Applied {
        version: case.version,
        touched: changed.then(|| case_id.to_owned()),
        value: case,
    })
}

fn unknown_case(id: &str) -> Fail {
    Fail::Store(StoreError::NotFound(format!("unknown case {id}")))
}

/// Locks the case row (writes to one case queue up) and answers it.
async fn require_case(
    tx: &deadpool_postgres::Transaction<'_>,
    company: &str,
    case_id: &str,
) -> Result<Case, Fail> {
    load_case(tx, company, case_id, true)
        .await?
        .ok_or_else(|| unknown_case(case_id))
}

/// Records one applied write.
async fn log_op(
    tx: &deadpool_postgres::Transaction<'_>,
    op_id: &str,
    case_id: &str,
    kind: OpKind,
    at: Timestamp,
) -> Result<(), Fail> {
    execute(
        tx,
        "INSERT INTO applied_ops(op_id, case_id, kind, at) VALUES ($1, $2, $3, $4)",
        &[&op_id, &case_id, &kind.as_str(), &at],
    )
    .await?;
    Ok(())
}

/// A new version and change time for the case (its sequence number comes at commit).
async fn bump(
    tx: &deadpool_postgres::Transaction<'_>,
    case_id: &str,
    at: Timestamp,
) -> Result<i64, Fail> {
    Ok(query_one(
        tx,
        "UPDATE cases SET version = version + 1, updated_at = $2 WHERE id = $1 RETURNING version",
        &[&case_id, &at],
    )
    .await?
    .try_get(0)?)
}

struct CreateCase(NewCaseRecord);

#[async_trait]
impl WriteOp for CreateCase {
    type Output = CaseBundle;
    const STATUS: u16 = 201;

    async fn apply(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        ctx: &WriteContext,
        at: Timestamp,
    ) -> Result<Applied<CaseBundle>, Fail> {
        let record = &self.0;
        let new = &record.case;
        if query_opt(tx, "SELECT 1 FROM cases WHERE id = $1", &[&new.id])
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict(format!("case {} already exists", new.id)).into());
        }
        let number: i64 = query_one(tx, "SELECT nextval('case_number')", &[])
            .await?
            .try_get(0)?;
        let reference = format!("CASE-{}-{number:06}", at.format("%Y"));
        let refs = serde_json::to_string(&new.references)
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let sla_due = new.sla_due.map(|t| t.trunc_subsecs(3));
        execute(
            tx,
            "INSERT INTO cases(id, company_id, seq, reference, title, partner_id, partner_name,
                kind, status, priority, owner, sla_due, created_at, updated_at, refs, version)
             VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, 1)",
            &[
                &new.id,
                &ctx.company,
                &reference,
                &new.title.trim(),
                &new.partner_id,
                &record.partner_name,
                &new.kind.as_str(),
                &CaseStatus::New.as_str(),
                &new.priority.unwrap_or(Priority::Normal).as_str(),
                &new.owner,
                &sla_due,
                &at,
                &refs,
            ],
        )
        .await?;
        let mut seen = std::collections::HashSet::new();
        for (pos, id) in new
            .linked_transactions
            .iter()
            .filter(|id| seen.insert(id.as_str()))
            .enumerate()
        {
            execute(
                tx,
                "INSERT INTO case_links(case_id, transaction_id, pos) VALUES ($1, $2, $3)",
                &[&new.id, id, &i32::try_from(pos).unwrap_or(i32::MAX)],
            )
            .await?;
        }
        if let Some(description) = new.description.as_deref().filter(|d| !d.trim().is_empty()) {
            execute(
                tx,
                "INSERT INTO comments(id, case_id, author, author_is_partner, body, visibility,
                    created_at)
                 VALUES ($1, $2, $3, false, $4, 'partner', $5)",
                &[
                    &uuid::Uuid::new_v4().to_string(),
                    &new.id,
                    &record.description_author,
                    &description,
                    &at,
                ],
            )
            .await?;
        }
        log_op(tx, &ctx.op_id, &new.id, OpKind::CreateCase, at).await?;
        let bundle = load_bundle(tx, &ctx.company, &new.id)
            .await?
            .ok_or_else(|| StoreError::Backend("created case vanished".into()))?;
        Ok(Applied {
            version: bundle.case.version,
            touched: Some(new.id.clone()),
            value: bundle,
        })
    }
}

struct PatchCase {
    case_id: String,
    patch: CasePatch,
    expected_version: Option<i64>,
}

#[async_trait]
impl WriteOp for PatchCase {
    type Output = Case;
    const STATUS: u16 = 200;

    async fn apply(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        ctx: &WriteContext,
        at: Timestamp,
    ) -> Result<Applied<Case>, Fail> {
        let case_id = &self.case_id;
        let patch = &self.patch;
        let case = require_case(tx, &ctx.company, case_id).await?;
        if let Some(expected) = self.expected_version {
            if expected != case.version {
                return Err(StoreError::VersionMismatch {
                    case_id: case_id.clone(),
                    current: case.version,
                    expected,
                }
                .into());
            }
        }
        let status = patch.status.unwrap_or(case.status);
        let priority = patch.priority.unwrap_or(case.priority);
        let owner = patch.owner.clone().unwrap_or(case.owner.clone());
        let sla_due = patch
            .sla_due
            .map(|s| s.map(|t| t.trunc_subsecs(3)))
            .unwrap_or(case.sla_due);
        let title = patch
            .title
            .as_deref()
            .map(str::trim)
            .map(str::to_string)
            .unwrap_or(case.title.clone());
        let changed = status != case.status
            || priority != case.priority
            || owner != case.owner
            || sla_due != case.sla_due
            || title != case.title;
        if changed {
            execute(
                tx,
                "UPDATE cases SET status = $2, priority = $3, owner = $4, sla_due = $5, title = $6
                 WHERE id = $1",
                &[
                    case_id,
                    &status.as_str(),
                    &priority.as_str(),
                    &owner,
                    &sla_due,
                    &title,
                ],
            )
            .await?;
            bump(tx, case_id, at).await?;
        }
        log_op(tx, &ctx.op_id, case_id, OpKind::PatchCase, at).await?;
        case_applied(tx, ctx, case_id, changed).await
    }
}

struct AddComment {
    case_id: String,
    comment: NewCommentRecord,
}

#[async_trait]
impl WriteOp for AddComment {
    type Output = Comment;
    const STATUS: u16 = 201;

    async fn apply(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        ctx: &WriteContext,
        at: Timestamp,
    ) -> Result<Applied<Comment>, Fail> {
        let (case_id, comment) = (&self.case_id, &self.comment);
        require_case(tx, &ctx.company, case_id).await?;
        if load_comment(tx, &comment.id).await?.is_some() {
            return Err(
                StoreError::Conflict(format!("comment {} already exists", comment.id)).into(),
            );
        }
        execute(
            tx,
            "INSERT INTO comments(id, case_id, author, author_is_partner, body, visibility,
                created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &comment.id,
                case_id,
                &comment.author,
                &comment.author_is_partner,
                &comment.body,
                &comment.visibility.as_str(),
                &at,
            ],
        )
        .await?;
        log_op(tx, &ctx.op_id, case_id, OpKind::AddComment, at).await?;
        let version = bump(tx, case_id, at).await?;
        let stored = load_comment(tx, &comment.id)
            .await?
            .ok_or_else(|| StoreError::Backend("comment vanished".into()))?;
        Ok(Applied {
            value: stored,
            version,
            touched: Some(case_id.clone()),
        })
    }
}

struct Link {
    case_id: String,
    transaction_id: String,
    link: bool,
}

#[async_trait]
impl WriteOp for Link {
    type Output = Case;
    const STATUS: u16 = 200;

    async fn apply(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        ctx: &WriteContext,
        at: Timestamp,
    ) -> Result<Applied<Case>, Fail> {
        let (case_id, transaction_id) = (&self.case_id, &self.transaction_id);
        require_case(tx, &ctx.company, case_id).await?;
        let changed = if self.link {
            execute(
                tx,
                "INSERT INTO case_links(case_id, transaction_id, pos)
                 VALUES ($1, $2, (SELECT COALESCE(MAX(pos), -1) + 1 FROM case_links
                                  WHERE case_id = $1))
                 ON CONFLICT DO NOTHING",
                &[case_id, transaction_id],
            )
            .await?
        } else {
            execute(
                tx,
                "DELETE FROM case_links WHERE case_id = $1 AND transaction_id = $2",
                &[case_id, transaction_id],
            )
            .await?
        } > 0;
        let kind = if self.link {
            OpKind::LinkTransaction
        } else {
            OpKind::UnlinkTransaction
        };
        log_op(tx, &ctx.op_id, case_id, kind, at).await?;
        if changed {
            bump(tx, case_id, at).await?;
        }
        case_applied(tx, ctx, case_id, changed).await
    }
}

struct PutDocument {
    case_id: String,
    document: NewDocumentRecord,
}

#[async_trait]
impl WriteOp for PutDocument {
    type Output = Document;
    const STATUS: u16 = 201;

    async fn apply(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        ctx: &WriteContext,
        at: Timestamp,
    ) -> Result<Applied<Document>, Fail> {
        let (case_id, document) = (&self.case_id, &self.document);
        require_case(tx, &ctx.company, case_id).await?;
        if query_opt(tx, "SELECT 1 FROM documents WHERE id = $1", &[&document.id])
            .await?
            .is_some()
        {
            return Err(
                StoreError::Conflict(format!("document {} already exists", document.id)).into(),
            );
        }
        type Where<'a> = (
            Option<&'a [u8]>,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
        );
        let (content, key, s3_bucket, s3_key): Where<'_> = match &document.bytes {
            DocumentBytes::Inline(bytes) => (Some(bytes), None, None, None),
            DocumentBytes::Object { key } => (None, Some(key), None, None),
            DocumentBytes::Linked { bucket, key } => (None, None, Some(bucket), Some(key)),
        };
        execute(
            tx,
            "INSERT INTO documents(id, case_id, name, size, sha256, media_type, uploaded_by,
                uploaded_at, content, object_key, s3_bucket, s3_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                &document.id,
                case_id,
                &document.name,
                &i64::try_from(document.size).unwrap_or(i64::MAX),
                &document.sha256,
                &document.media_type,
                &document.uploaded_by,
                &at,
                &content,
                &key,
                &s3_bucket,
                &s3_key,
            ],
        )
        .await?;
        log_op(tx, &ctx.op_id, case_id, OpKind::UploadDocument, at).await?;
        let version = bump(tx, case_id, at).await?;
        let doc = load_document(tx, &ctx.company, case_id, &document.id)
            .await?
            .ok_or_else(|| StoreError::Backend("document vanished".into()))?;
        Ok(Applied {
            value: doc,
            version,
            touched: Some(case_id.clone()),
        })
    }
}

#[async_trait]
impl CollabStore for PgStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await.map_err(final_error)?;
        schema::migrate(&mut client).await.map_err(|e| match e {
            schema::MigrateError::TooNew(found) => StoreError::Backend(format!(
                "the database is at collab schema {found}, newer than this build ({}); \
                 upgrade partnerdesk-server",
                schema::SCHEMA_VERSION
            )),
            schema::MigrateError::Db(e) => final_error(Fail::Db(e)),
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let client = self.client().await.map_err(final_error)?;
        let version = schema::version(&client)
            .await
            .map_err(|e| final_error(Fail::Db(e)))?;
        if version == schema::SCHEMA_VERSION {
            Ok(())
        } else {
            Err(StoreError::Backend(format!(
                "collab schema is at {version}, expected {}: run migrate",
                schema::SCHEMA_VERSION
            )))
        }
    }

    async fn list_changed(
        &self,
        company: &str,
        since: i64,
        limit: u32,
    ) -> Result<FeedPage, StoreError> {
        let company = company.to_string();
        self.read(move |tx| {
            let company = company.clone();
            Box::pin(async move { rows::load_page(tx, &company, since, limit).await })
        })
        .await
    }

    async fn get_case(
        &self,
        company: &str,
        case_id: &str,
    ) -> Result<Option<CaseBundle>, StoreError> {
        let (company, case_id) = (company.to_string(), case_id.to_string());
        self.read(move |tx| {
            let (company, case_id) = (company.clone(), case_id.clone());
            Box::pin(async move { load_bundle(tx, &company, &case_id).await })
        })
        .await
    }

    async fn get_document(
        &self,
        company: &str,
        case_id: &str,
        document_id: &str,
    ) -> Result<Option<Document>, StoreError> {
        let ids = (
            company.to_string(),
            case_id.to_string(),
            document_id.to_string(),
        );
        self.read(move |tx| {
            let (company, case_id, document_id) = ids.clone();
            Box::pin(async move { load_document(tx, &company, &case_id, &document_id).await })
        })
        .await
    }

    async fn document_content(
        &self,
        company: &str,
        case_id: &str,
        document_id: &str,
    ) -> Result<Option<(String, DocumentBytes)>, StoreError> {
        let ids = (
            company.to_string(),
            case_id.to_string(),
            document_id.to_string(),
        );
        self.read(move |tx| {
            let (company, case_id, document_id) = ids.clone();
            Box::pin(async move {
                let Some(row) = query_opt(
                    tx,
                    "SELECT d.media_type, d.content, d.object_key, d.s3_bucket, d.s3_key
                     FROM documents d JOIN cases c ON c.id = d.case_id
                     WHERE d.id = $1 AND d.case_id = $2 AND c.company_id = $3",
                    &[&document_id, &case_id, &company],
                )
                .await?
                else {
                    return Ok(None);
                };
                let media_type: String = row.try_get(0)?;
                let content: Option<Vec<u8>> = row.try_get(1)?;
                let key: Option<String> = row.try_get(2)?;
                let s3_bucket: Option<String> = row.try_get(3)?;
                let s3_key: Option<String> = row.try_get(4)?;
                let bytes = match (key, s3_bucket, s3_key) {
                    (_, Some(bucket), Some(key)) => DocumentBytes::Linked { bucket, key },
                    (Some(key), _, _) => DocumentBytes::Object { key },
                    _ => DocumentBytes::Inline(content.unwrap_or_default()),
                };
                Ok(Some((media_type, bytes)))
            })
        })
        .await
    }

    async fn find_answer(
        &self,
        key: &str,
        not_before: Option<Timestamp>,
    ) -> Result<Option<(String, StoredAnswer)>, StoreError> {
        let found = self
            .read(move |tx| {
                let key = key.to_string();
                Box::pin(async move { stored_answer(tx, &key).await })
            })
            .await?;
        Ok(found
            .filter(|(_, created_at, _)| not_before.is_none_or(|cut| *created_at >= cut))
            .map(|(fingerprint, _, answer)| (fingerprint, answer)))
    }

    async fn purge_answers(&self, before: Timestamp) -> Result<u64, StoreError> {
        let client = self.client().await.map_err(final_error)?;
        execute(
            &client,
            "DELETE FROM idempotency WHERE created_at < $1",
            &[&before],
        )
        .await
        .map_err(final_error)
    }

    async fn create_case(
        &self,
        ctx: WriteContext,
        case: NewCaseRecord,
    ) -> Result<Written<CaseBundle>, StoreError> {
        self.write(ctx, CreateCase(case)).await
    }

    async fn patch_case(
        &self,
        ctx: WriteContext,
        case_id: &str,
        patch: CasePatch,
        expected_version: Option<i64>,
    ) -> Result<Written<Case>, StoreError> {
        self.write(
            ctx,
            PatchCase {
                case_id: case_id.to_string(),
                patch,
                expected_version,
            },
        )
        .await
    }

    async fn add_comment(
        &self,
        ctx: WriteContext,
        case_id: &str,
        comment: NewCommentRecord,
    ) -> Result<Written<Comment>, StoreError> {
        self.write(
            ctx,
            AddComment {
                case_id: case_id.to_string(),
                comment,
            },
        )
        .await
    }

    async fn link_transaction(
        &self,
        ctx: WriteContext,
        case_id: &str,
        transaction_id: &str,
    ) -> Result<Written<Case>, StoreError> {
        self.write(
            ctx,
            Link {
                case_id: case_id.to_string(),
                transaction_id: transaction_id.to_string(),
                link: true,
            },
        )
        .await
    }

    async fn unlink_transaction(
        &self,
        ctx: WriteContext,
        case_id: &str,
        transaction_id: &str,
    ) -> Result<Written<Case>, StoreError> {
        self.write(
            ctx,
            Link {
                case_id: case_id.to_string(),
                transaction_id: transaction_id.to_string(),
                link: false,
            },
        )
        .await
    }

    async fn put_document(
        &self,
        ctx: WriteContext,
        case_id: &str,
        document: NewDocumentRecord,
    ) -> Result<Written<Document>, StoreError> {
        self.write(
            ctx,
            PutDocument {
                case_id: case_id.to_string(),
                document,
            },
        )
        .await
    }
}
