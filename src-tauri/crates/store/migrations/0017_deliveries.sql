-- 17: deliveries of a case's document to a partner's SFTP inbox (issue 11, point 6). A row is
-- the durable queue entry: queued offline or before a restart, it still goes out once the app
-- runs and the server answers. `remote_name` is the final name in the inbox, fixed before the
-- first byte is written (the temporary file is `.<remote_name>.<id>.part` beside it), so a run
-- after a crash checks that same name (size and SHA-256) instead of writing a second copy.
-- The row turns `sent` in the same transaction as the case's record of it (an internal comment
-- whose comment id and outbox op id are this id): recorded once.
CREATE TABLE IF NOT EXISTS deliveries (
    id              TEXT PRIMARY KEY,
    case_id         TEXT NOT NULL,
    document_id     TEXT NOT NULL,
    document_name   TEXT NOT NULL,
    size            INTEGER NOT NULL,
    sha256          TEXT NOT NULL,
    connector_id    TEXT NOT NULL,
    connector_name  TEXT NOT NULL,
    inbox           TEXT NOT NULL,
    remote_name     TEXT,
    state           TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'cancelled')),
    error_code      TEXT,
    error_message   TEXT,
    queued_by       TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_state ON deliveries(state, created_at);
CREATE INDEX IF NOT EXISTS deliveries_case ON deliveries(case_id, created_at);
