-- An outbox entry stores its operation as one typed value (pd_domain::OutboxOp): the request
-- body with an "op" tag, e.g. {"op":"patch_case","status":"resolved"}. Earlier builds kept the
-- tag in `kind` and the body in `payload_json`; the tags are the same words, so each row becomes
-- its body with its kind set as "op". A row whose body is not a JSON object keeps its text; like
-- a row with an unknown kind, it fails to decode and is marked failed when the cache opens.
ALTER TABLE outbox RENAME COLUMN payload_json TO op_json;
UPDATE outbox SET op_json = json_set(op_json, '$.op', kind)
    WHERE (CASE WHEN json_valid(op_json) THEN json_type(op_json) END) = 'object';
ALTER TABLE outbox DROP COLUMN kind;
