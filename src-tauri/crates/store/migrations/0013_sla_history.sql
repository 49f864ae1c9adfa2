-- SLA clocks computed on this computer (issue 14) need each case's status history (the
-- resolution clock pauses while waiting on the partner) and escalation rules must fire once per
-- breach, through restarts.
--
-- case_status_log: every status a cached case entered, and when (the case's updated_at at that
-- moment). Kept by triggers, so every writer (pull, rebase, local change, discard) records it.
-- Cases cached before this version get their creation and their current status. Written to
-- run again harmlessly (a cache whose version was set back re-runs it).
CREATE TABLE IF NOT EXISTS case_status_log (
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    status  TEXT NOT NULL,
    at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS case_status_log_case ON case_status_log(case_id, at);

INSERT INTO case_status_log (case_id, status, at)
    SELECT id, 'new', created_at FROM cases c
    WHERE NOT EXISTS (SELECT 1 FROM case_status_log l WHERE l.case_id = c.id);
INSERT INTO case_status_log (case_id, status, at)
    SELECT id, status, updated_at FROM cases c WHERE status <> 'new'
    AND NOT EXISTS (SELECT 1 FROM case_status_log l WHERE l.case_id = c.id AND l.status = c.status);

CREATE TRIGGER IF NOT EXISTS case_status_log_insert AFTER INSERT ON cases BEGIN
    INSERT INTO case_status_log (case_id, status, at) VALUES (new.id, 'new', new.created_at);
    INSERT INTO case_status_log (case_id, status, at)
        SELECT new.id, new.status, new.updated_at WHERE new.status <> 'new';
END;

CREATE TRIGGER IF NOT EXISTS case_status_log_update AFTER UPDATE OF status ON cases
    WHEN old.status IS NOT new.status BEGIN
    INSERT INTO case_status_log (case_id, status, at) VALUES (new.id, new.status, new.updated_at);
END;

-- escalation_fired: one row per (case, rule, breach); the breach is named by its clock and the
-- case's open period, so a case that breaches again after being reopened escalates again. The
-- row is written in the same transaction as the outbox entries of the rule's actions.
CREATE TABLE IF NOT EXISTS escalation_fired (
    case_id   TEXT NOT NULL,
    rule_id   TEXT NOT NULL,
    breach    TEXT NOT NULL,
    rule_name TEXT NOT NULL,
    fired_at  TEXT NOT NULL,
    actions   TEXT NOT NULL,
    PRIMARY KEY (case_id, rule_id, breach)
) WITHOUT ROWID;
