-- EDI routing (pd-ingest's EDI rules): what recognition found in each taken file, keyed by the
-- bytes' SHA-256 (the same bytes read the same), written in the ingest transaction; one row per
-- transaction set / message so a 997 or CONTRL finds the case of the document it rejects.
CREATE TABLE IF NOT EXISTS ingest_edi (
    sha256        TEXT PRIMARY KEY,
    standard      TEXT NOT NULL,
    -- pd_domain::EdiSummary as JSON (the ledger view's EDI details).
    summary_json  TEXT NOT NULL,
    -- The readable segment view (one segment per line, element names), cut at 2,000 segments.
    segment_view  TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS ingest_edi_sets (
    sha256               TEXT NOT NULL REFERENCES ingest_edi(sha256) ON DELETE CASCADE,
    position             INTEGER NOT NULL,
    set_type             TEXT NOT NULL,
    set_control          TEXT NOT NULL,
    group_control        TEXT,
    interchange_control  TEXT NOT NULL,
    sender               TEXT NOT NULL,
    receiver             TEXT NOT NULL,
    PRIMARY KEY (sha256, position)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ingest_edi_sets_control ON ingest_edi_sets(set_control);
CREATE INDEX IF NOT EXISTS ingest_edi_sets_interchange ON ingest_edi_sets(interchange_control);

-- The routing rules in the order they are asked, each on or off (edited in the Folders view).
-- Empty means the default order.
CREATE TABLE IF NOT EXISTS routing_rules (
    position  INTEGER PRIMARY KEY,
    rule      TEXT NOT NULL UNIQUE,
    enabled   INTEGER NOT NULL
);
