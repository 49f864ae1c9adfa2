-- Written with IF NOT EXISTS: a cache rewound to an older version (the migration tests) keeps these tables.
-- Connector work (xConnector events, Wix notices and requests, Drupal articles and requests).
-- A connector write is an ordinary outbox entry whose `target` names the connector: the case
-- push claims only entries with an empty target, the connector push only the others, so both
-- lanes keep one queue (retry / edit / discard as for case changes) without blocking each other.
ALTER TABLE outbox ADD COLUMN target TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS outbox_target ON outbox(target, case_id, seq);

-- Every inbound event seen, by (source, id): a redelivery is recognised and changes nothing.
CREATE TABLE IF NOT EXISTS ext_events (
    source      TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    event_time  TEXT NOT NULL,
    received_at TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    PRIMARY KEY (source, event_id)
);

-- Inbound events and items kept aside (unknown type, malformed, missing fields): listed, never
-- dropped. `dedup` is `source|id` when the item had one, so a redelivery is listed once.
CREATE TABLE IF NOT EXISTS ext_aside (
    id           INTEGER PRIMARY KEY,
    connector_id TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    item_type    TEXT,
    item_id      TEXT,
    dedup        TEXT UNIQUE,
    reason       TEXT NOT NULL,
    body         TEXT NOT NULL
);

-- Where an imported case came from; (connector, source, external id) is the dedup key of an
-- import and the correlation of later events. `last_time`/`last_event` order events per case.
CREATE TABLE IF NOT EXISTS case_origins (
    connector_id TEXT NOT NULL,
    source       TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    case_id      TEXT NOT NULL,
    link         TEXT,
    label        TEXT NOT NULL,
    last_time    TEXT,
    last_event   TEXT,
    PRIMARY KEY (connector_id, source, external_id)
);
CREATE INDEX IF NOT EXISTS case_origins_case ON case_origins(case_id);

-- Partner master data from events (ship-to locations, contacts), newest event wins.
CREATE TABLE IF NOT EXISTS partner_master (
    partner_id TEXT PRIMARY KEY,
    event_time TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    data_json  TEXT NOT NULL
);

-- A case's notice / article: the text the analyst approved, the state asked for, the state the
-- outside system last acknowledged.
CREATE TABLE IF NOT EXISTS publications (
    case_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    connector_id TEXT NOT NULL,
    place        TEXT NOT NULL,
    remote_id    TEXT NOT NULL,
    state        TEXT NOT NULL,
    sent_state   TEXT,
    text_json    TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (case_id, kind)
);

-- Per connector job: cursor, last run, last error, how many items it imported.
CREATE TABLE IF NOT EXISTS connector_runs (
    connector_id TEXT NOT NULL,
    job          TEXT NOT NULL,
    imports      TEXT NOT NULL,
    cursor       TEXT,
    last_run_at  TEXT,
    last_ok_at   TEXT,
    last_error   TEXT,
    imported     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (connector_id, job)
);

-- Where case changes go as outbound events (xConnector connectors with an outbound endpoint).
CREATE TABLE IF NOT EXISTS outbound_routes (
    connector_id TEXT PRIMARY KEY
);

-- What each connector does in this workspace (collections, bundles, feed, listener, how often,
-- assignment rules): per workspace, because the cases it imports land in this cache.
CREATE TABLE IF NOT EXISTS connector_work (
    connector_id TEXT PRIMARY KEY,
    config_json  TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
