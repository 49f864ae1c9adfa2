-- Retention exports (issue 15).

-- Every change of a case's status, owner, priority and SLA, with who and when, and the legal
-- holds placed and released on it: the audit trail a retention archive carries. collab/v1 keeps
-- only a case's current fields, so the cache records each change it makes (actor = the analyst)
-- or sees in a pulled version (no actor; `at` = the server's last change of the case).
CREATE TABLE IF NOT EXISTS case_audit (
    id        INTEGER PRIMARY KEY,
    case_id   TEXT NOT NULL,
    at        TEXT NOT NULL,
    actor     TEXT,
    field     TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    source    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS case_audit_case ON case_audit(case_id, at, id);

-- One export per case and closure: version 1 for the first close, 2 after a reopen and close,
-- ... Its progress is kept step by step so a killed export resumes and finishes once.
CREATE TABLE IF NOT EXISTS case_exports (
    id             TEXT PRIMARY KEY,
    case_id        TEXT NOT NULL,
    case_reference TEXT NOT NULL,
    partner_id     TEXT NOT NULL,
    partner_name   TEXT NOT NULL,
    kind           TEXT NOT NULL,
    export_version INTEGER NOT NULL,
    -- The audit row of the closure this export archives (0: closed before the trail existed).
    closure_id     INTEGER NOT NULL,
    closed_at      TEXT,
    state          TEXT NOT NULL CHECK (state IN ('queued', 'uploading', 'done', 'failed')),
    -- built (zip spooled), uploaded (archive object written), done.
    step           TEXT NOT NULL DEFAULT 'start',
    bucket         TEXT,
    object_key     TEXT,
    manifest_key   TEXT,
    size           INTEGER,
    sha256         TEXT,
    manifest_json  TEXT,
    upload_id      TEXT,
    parts_json     TEXT NOT NULL DEFAULT '[]',
    version_id     TEXT,
    lock_mode      TEXT,
    retain_until   TEXT,
    legal_hold     INTEGER NOT NULL DEFAULT 0,
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    created_at     TEXT NOT NULL,
    completed_at   TEXT,
    verified_at    TEXT,
    verified_ok    INTEGER,
    UNIQUE (case_id, export_version),
    UNIQUE (case_id, closure_id)
);
CREATE INDEX IF NOT EXISTS case_exports_state ON case_exports(state);
CREATE INDEX IF NOT EXISTS case_exports_partner ON case_exports(partner_id);

-- Legal holds placed from the UI on a case's or a partner's exports; released only by an
-- explicit action with a reason.
CREATE TABLE IF NOT EXISTS legal_holds (
    id             INTEGER PRIMARY KEY,
    scope          TEXT NOT NULL CHECK (scope IN ('case', 'partner')),
    target_id      TEXT NOT NULL,
    placed_at      TEXT NOT NULL,
    placed_by      TEXT NOT NULL,
    reason         TEXT NOT NULL,
    released_at    TEXT,
    released_by    TEXT,
    release_reason TEXT
);
CREATE INDEX IF NOT EXISTS legal_holds_target ON legal_holds(scope, target_id);
