-- Cases kept on this computer only: opened in an account without a case server. Their outbox
-- entries (the case's creation, its comments and changes, in order) wait here, never sent,
-- until the analyst shares them with a case server: sharing deletes the row and the ordinary
-- push sends each entry once under its operation id.
CREATE TABLE IF NOT EXISTS kept_cases (
    case_id  TEXT PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
    kept_at  TEXT NOT NULL
) WITHOUT ROWID;
