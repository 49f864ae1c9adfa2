-- 15: the upload queue of files above the collab size limit (issue 10): each goes to the S3
-- connector's bucket by multipart upload, separate from the case outbox so a 2 GiB file never
-- holds a comment behind it. The file's identity (size, mtime, SHA-256) tells whether it
-- changed since it was queued; `upload_parts` holds each part the server confirmed, so a
-- resumed upload never sends one again. When the object is complete, the row turns `done` in
-- the same transaction as the document's `AttachDocument` outbox entry (op id = this id).
CREATE TABLE IF NOT EXISTS uploads (
    id              TEXT PRIMARY KEY,
    case_id         TEXT NOT NULL,
    path            BLOB NOT NULL,
    size            INTEGER NOT NULL,
    mtime_ns        INTEGER NOT NULL,
    sha256          TEXT NOT NULL,
    name            TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    uploaded_by     TEXT NOT NULL,
    connector_id    TEXT,
    bucket          TEXT NOT NULL,
    object_key      TEXT NOT NULL,
    s3_upload_id    TEXT,
    part_size       INTEGER NOT NULL,
    bytes_confirmed INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL CHECK (state IN ('queued', 'paused', 'done', 'failed', 'cancelled')),
    error_code      TEXT,
    error_message   TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_state ON uploads(state, created_at);
CREATE INDEX IF NOT EXISTS uploads_case_sha ON uploads(case_id, sha256);
CREATE TABLE IF NOT EXISTS upload_parts (
    upload_id   TEXT NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
    part_number INTEGER NOT NULL,
    etag        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);
