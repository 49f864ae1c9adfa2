-- PartnerDesk cache, schema 2: indexes for the case list (pd-bench sync-bench measures them).
--
-- A narrow covering index keyed by rid: counting and grouping the rows a full-text search
-- matched reads these small entries instead of the wide case rows.
CREATE INDEX cases_facets ON cases(rid, status_rank, partner_id, kind, owner, sla_due);

-- One index per sort order, so a list sorted by any column with a common search can walk the
-- index in order and stop after one page. Owner and SLA ascending put NULLs last.
CREATE INDEX cases_kind ON cases(kind);
CREATE INDEX cases_owner ON cases(owner);
CREATE INDEX cases_owner_nulls_last ON cases(owner IS NULL, owner);
CREATE INDEX cases_sla_nulls_last ON cases(sla_due IS NULL, sla_due);

-- A counter that moves whenever a case row is written, read in the same snapshot as a query:
-- the in-memory copy of the filter columns (query.rs) is reused while it has not moved.
CREATE TABLE case_list_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO case_list_version (id, n) VALUES (1, 0);
CREATE TRIGGER cases_version_insert AFTER INSERT ON cases
BEGIN
    UPDATE case_list_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER cases_version_update AFTER UPDATE ON cases
BEGIN
    UPDATE case_list_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER cases_version_delete AFTER DELETE ON cases
BEGIN
    UPDATE case_list_version SET n = n + 1 WHERE id = 1;
END;
-- Comment bodies are part of a case's full-text document: the version moves with them too, so
-- search results remembered at one version are exact.
CREATE TRIGGER comments_version_insert AFTER INSERT ON comments
BEGIN
    UPDATE case_list_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER comments_version_update AFTER UPDATE ON comments
BEGIN
    UPDATE case_list_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER comments_version_delete AFTER DELETE ON comments
BEGIN
    UPDATE case_list_version SET n = n + 1 WHERE id = 1;
END;
