//! The PostgreSQL schema of `collab/v1`, as versioned migrations run in one transaction under an
//! advisory lock, so several `partnerdesk-server` processes starting at once on one database
//! migrate it exactly once. The tables are the SQLite backend's (cases, links, comments,
//! documents, idempotency, applied operations) plus the one-row `feed_counter` the change feed's
//! sequence numbers come from (see the crate documentation for why a counter row and not a
//! sequence object).

use tokio_postgres::Client;

/// The migrations in order; `collab_schema.version` says how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: the collab tables.
    r#"
CREATE TABLE feed_counter(
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    seq bigint NOT NULL);
INSERT INTO feed_counter(only_row, seq) VALUES (true, 0);
CREATE SEQUENCE case_number;
CREATE TABLE cases(
    id text PRIMARY KEY,
    company_id text NOT NULL,
    -- NULL only inside the transaction that creates the case: it takes its number last.
    seq bigint,
    reference text NOT NULL,
    title text NOT NULL,
    partner_id text NOT NULL,
    partner_name text NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    priority text NOT NULL,
    owner text,
    sla_due timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    refs text NOT NULL,
    version bigint NOT NULL);
CREATE UNIQUE INDEX cases_by_seq ON cases(seq);
CREATE INDEX cases_by_company_seq ON cases(company_id, seq);
CREATE TABLE case_links(
    case_id text NOT NULL REFERENCES cases(id),
    transaction_id text NOT NULL,
    pos integer NOT NULL,
    PRIMARY KEY (case_id, transaction_id));
CREATE TABLE comments(
    n bigint GENERATED ALWAYS AS IDENTITY,
    id text PRIMARY KEY,
    case_id text NOT NULL REFERENCES cases(id),
    author text NOT NULL,
    author_is_partner boolean NOT NULL,
    body text NOT NULL,
    visibility text NOT NULL,
    created_at timestamptz NOT NULL);
CREATE INDEX comments_by_case ON comments(case_id, n);
CREATE TABLE documents(
    n bigint GENERATED ALWAYS AS IDENTITY,
    id text PRIMARY KEY,
    case_id text NOT NULL REFERENCES cases(id),
    name text NOT NULL,
    size bigint NOT NULL,
    sha256 text NOT NULL,
    media_type text NOT NULL,
    uploaded_by text NOT NULL,
    uploaded_at timestamptz NOT NULL,
    -- The bytes, or where they are in the object store: exactly one of the two.
    content bytea,
    object_key text,
    CHECK ((content IS NULL) <> (object_key IS NULL)));
CREATE INDEX documents_by_case ON documents(case_id, n);
CREATE TABLE idempotency(
    key text PRIMARY KEY,
    fingerprint text NOT NULL,
    status integer NOT NULL,
    body bytea NOT NULL,
    etag bigint,
    created_at timestamptz NOT NULL);
CREATE INDEX idempotency_by_age ON idempotency(created_at);
CREATE TABLE applied_ops(
    n bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    op_id text NOT NULL,
    case_id text NOT NULL,
    kind text NOT NULL,
    at timestamptz NOT NULL);
CREATE INDEX applied_ops_by_op ON applied_ops(op_id);
"#,
    // 2: documents whose bytes are an object in the team's S3 bucket (`document-links`): the
    // bytes are in exactly one of the three places.
    r#"
ALTER TABLE documents ADD COLUMN s3_bucket text, ADD COLUMN s3_key text;
ALTER TABLE documents DROP CONSTRAINT IF EXISTS documents_check;
ALTER TABLE documents ADD CONSTRAINT documents_bytes_in_one_place
    CHECK (num_nonnulls(content, object_key, s3_key) = 1 AND (s3_key IS NULL) = (s3_bucket IS NULL));
"#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The advisory lock key that serializes migrations ("pdcollab" as bytes).
const MIGRATION_LOCK: i64 = 0x7064_636f_6c6c_6162;

/// What migrating found wrong.
#[derive(Debug)]
pub enum MigrateError {
    /// The database speaks a newer schema than this build.
    TooNew(i64),
    /// The database failed.
    Db(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for MigrateError {
    fn from(e: tokio_postgres::Error) -> Self {
        MigrateError::Db(e)
    }
}

/// Brings the schema to [`SCHEMA_VERSION`] in one transaction, under an advisory lock.
pub async fn migrate(client: &mut Client) -> Result<(), MigrateError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS collab_schema(version bigint NOT NULL)")
        .await?;
    let done: i64 = match tx
        .query_opt("SELECT version FROM collab_schema", &[])
        .await?
    {
        Some(row) => row.try_get(0)?,
        None => {
            tx.execute("INSERT INTO collab_schema(version) VALUES (0)", &[])
                .await?;
            0
        }
    };
    if done > SCHEMA_VERSION {
        return Err(MigrateError::TooNew(done));
    }
    for sql in MIGRATIONS.iter().skip(usize::try_from(done).unwrap_or(0)) {
        tx.batch_execute(sql).await?;
    }
    tx.execute("UPDATE collab_schema SET version = $1", &[&SCHEMA_VERSION])
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The schema version the database is at (0 when never migrated).
pub async fn version(client: &Client) -> Result<i64, tokio_postgres::Error> {
    let exists: bool = client
        .query_one("SELECT to_regclass('collab_schema') IS NOT NULL", &[])
        .await?
        .try_get(0)?;
    if !exists {
        return Ok(0);
    }
    Ok(client
        .query_opt("SELECT version FROM collab_schema", &[])
        .await?
        .map(|row| row.try_get(0))
        .transpose()?
        .unwrap_or(0))
}
