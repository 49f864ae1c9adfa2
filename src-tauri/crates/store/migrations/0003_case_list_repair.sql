-- PartnerDesk cache, schema 3: makes caches created by early builds of schema 2 (which lacked
-- part of it) whole. Every statement is a no-op on a cache that got the final schema 2, except
-- rebuilding cases_facets, which takes about a second on 100,000 cases.
DROP INDEX IF EXISTS cases_status;
DROP INDEX IF EXISTS cases_facets;
CREATE INDEX cases_facets ON cases(rid, status_rank, partner_id, kind, owner, sla_due);
CREATE INDEX IF NOT EXISTS cases_kind ON cases(kind);
CREATE INDEX IF NOT EXISTS cases_owner ON cases(owner);
CREATE INDEX IF NOT EXISTS cases_owner_nulls_last ON cases(owner IS NULL, owner);
CREATE INDEX IF NOT EXISTS cases_sla_nulls_last ON cases(sla_due IS NULL, sla_due);
CREATE TABLE IF NOT EXISTS case_list_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT OR IGNORE INTO case_list_version (id, n) VALUES (1, 0);
UPDATE case_list_version SET n = n + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS cases_version_insert AFTER INSERT ON cases
BEGIN
    UPDATE case_list_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS cases_version_update AFTER UPDATE ON cases
BEGIN
    UPDATE case_list_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS cases_version_delete AFTER DELETE ON cases
BEGIN
    UPDATE case_list_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS comments_version_insert AFTER INSERT ON comments
BEGIN
    UPDATE case_list_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS comments_version_update AFTER UPDATE ON comments
BEGIN
    UPDATE case_list_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS comments_version_delete AFTER DELETE ON comments
BEGIN
    UPDATE case_list_version SET n = n + 1 WHERE id = 1;
END;
