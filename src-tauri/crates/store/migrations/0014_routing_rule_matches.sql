-- Routing rules the analyst adds and narrows (the Folders view's rules editor): a rule kind may
-- now appear more than once (a "Partner by EDI address" rule per sender, a reference rule per
-- kind of reference), so `rule` is no longer unique, and what a rule matches is kept beside it.
CREATE TABLE routing_rules_v2 (
    position     INTEGER PRIMARY KEY,
    rule         TEXT NOT NULL,
    enabled      INTEGER NOT NULL,
    -- pd_domain::RoutingRuleSetting as JSON (reference, document, address, partner); NULL: plain.
    setting_json TEXT
);
INSERT INTO routing_rules_v2 (position, rule, enabled, setting_json)
    SELECT position, rule, enabled, NULL FROM routing_rules;
DROP TABLE routing_rules;
ALTER TABLE routing_rules_v2 RENAME TO routing_rules;
