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
