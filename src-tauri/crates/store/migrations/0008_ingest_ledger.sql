-- Drop folders (pd-ingest): the ingest ledger, every file seen in a watched folder and what it
-- became, written in the same transaction as the case, document and outbox entries it caused.
CREATE TABLE IF NOT EXISTS ingest_ledger (
    id            INTEGER PRIMARY KEY,
    folder_id     TEXT NOT NULL,
    folder_name   TEXT NOT NULL,
    -- The path inside the folder as shown (lossy UTF-8) and as the file system spells it.
    path          TEXT NOT NULL,
    path_key      BLOB NOT NULL,
    size          INTEGER NOT NULL,
    mtime_ns      INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    media_type    TEXT NOT NULL,
    seen_at       TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('taken', 'duplicate', 'failed')),
    detail        TEXT,
    case_id       TEXT,
    document_id   TEXT,
    rule          TEXT,
    rule_reason   TEXT,
    duplicate_of  INTEGER REFERENCES ingest_ledger(id),
    -- The kept copy of the bytes (the cache's spool folder) until the document is uploaded.
    spool_path    TEXT,
    UNIQUE (folder_id, path_key, size, mtime_ns)
);
CREATE INDEX IF NOT EXISTS ingest_ledger_sha ON ingest_ledger(sha256);
CREATE INDEX IF NOT EXISTS ingest_ledger_seen ON ingest_ledger(seen_at, id);
CREATE INDEX IF NOT EXISTS ingest_ledger_folder_seen ON ingest_ledger(folder_id, seen_at, id);
CREATE INDEX IF NOT EXISTS ingest_ledger_case ON ingest_ledger(case_id);

-- SFTP folders: what each listing showed and how far each file got (download offset, stored,
-- moved on the server), so a restart resumes instead of starting over.
CREATE TABLE IF NOT EXISTS ingest_remote (
    folder_id   TEXT NOT NULL,
    path        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    mtime_ns    INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('listed', 'stored', 'moved', 'move_failed')),
    ledger_id   INTEGER REFERENCES ingest_ledger(id),
    error       TEXT,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (folder_id, path)
) WITHOUT ROWID;

-- Every reference number of every case, kept by triggers, so routing finds the case a file
-- name names with an index instead of reading every case's JSON.
CREATE TABLE IF NOT EXISTS case_reference_index (
    case_id TEXT NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('po', 'invoice', 'shipment')),
    value   TEXT NOT NULL COLLATE NOCASE
);
CREATE INDEX IF NOT EXISTS case_reference_index_value ON case_reference_index(value, kind);
CREATE INDEX IF NOT EXISTS case_reference_index_case ON case_reference_index(case_id);

-- Filled from scratch (the migration may run again over a file that has the table).
DELETE FROM case_reference_index;
INSERT INTO case_reference_index (case_id, kind, value)
    SELECT c.id, 'po', j.value FROM cases c, json_each(c.references_json, '$.poNumbers') j
    UNION ALL
    SELECT c.id, 'invoice', j.value FROM cases c, json_each(c.references_json, '$.invoiceNumbers') j
    UNION ALL
    SELECT c.id, 'shipment', j.value FROM cases c, json_each(c.references_json, '$.shipmentNumbers') j;

CREATE TRIGGER IF NOT EXISTS cases_reference_index_insert AFTER INSERT ON cases BEGIN
    INSERT INTO case_reference_index (case_id, kind, value)
        SELECT NEW.id, 'po', value FROM json_each(NEW.references_json, '$.poNumbers')
        UNION ALL
        SELECT NEW.id, 'invoice', value FROM json_each(NEW.references_json, '$.invoiceNumbers')
        UNION ALL
        SELECT NEW.id, 'shipment', value FROM json_each(NEW.references_json, '$.shipmentNumbers');
END;

CREATE TRIGGER IF NOT EXISTS cases_reference_index_update AFTER UPDATE OF references_json, id ON cases BEGIN
    DELETE FROM case_reference_index WHERE case_id = OLD.id;
    INSERT INTO case_reference_index (case_id, kind, value)
        SELECT NEW.id, 'po', value FROM json_each(NEW.references_json, '$.poNumbers')
        UNION ALL
        SELECT NEW.id, 'invoice', value FROM json_each(NEW.references_json, '$.invoiceNumbers')
        UNION ALL
        SELECT NEW.id, 'shipment', value FROM json_each(NEW.references_json, '$.shipmentNumbers');
END;

CREATE TRIGGER IF NOT EXISTS cases_reference_index_delete AFTER DELETE ON cases BEGIN
    DELETE FROM case_reference_index WHERE case_id = OLD.id;
END;
