-- PartnerDesk cache, schema 1. Timestamps are fixed-width RFC 3339 UTC text (sortable).

CREATE TABLE partners (
    id                     TEXT PRIMARY KEY,
    name                   TEXT NOT NULL,
    status                 TEXT NOT NULL,
    country_code           TEXT,
    contact_email          TEXT,
    trading_addresses_json TEXT NOT NULL
);
CREATE INDEX partners_name ON partners(name COLLATE NOCASE);

-- One row per trading address, to resolve Lens sender/receiver addresses to a partner.
CREATE TABLE partner_addresses (
    address    TEXT NOT NULL,
    partner_id TEXT NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    PRIMARY KEY (address, partner_id)
) WITHOUT ROWID;
CREATE INDEX partner_addresses_partner ON partner_addresses(partner_id);

CREATE TABLE users (
    user_id    TEXT PRIMARY KEY,
    login_id   TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name  TEXT NOT NULL,
    email      TEXT NOT NULL,
    roles_json TEXT NOT NULL
);
CREATE INDEX users_login ON users(login_id);

CREATE TABLE transactions (
    id                     TEXT PRIMARY KEY,
    correlation_id         TEXT,
    status                 TEXT,
    delivery_status        TEXT,
    edi_type               TEXT,
    transaction_level      TEXT,
    sender_name            TEXT,
    receiver_name          TEXT,
    sender_address         TEXT,
    receiver_address       TEXT,
    arrival_time           TEXT,
    error_code             TEXT,
    error_type             TEXT,
    external_error_message TEXT,
    content_keys_json      TEXT NOT NULL,
    po_number              TEXT,
    invoice_number         TEXT,
    shipment_number        TEXT,
    is_exception           INTEGER NOT NULL
);
CREATE INDEX transactions_exceptions ON transactions(is_exception, arrival_time);
CREATE INDEX transactions_po ON transactions(po_number) WHERE po_number IS NOT NULL;
CREATE INDEX transactions_invoice ON transactions(invoice_number) WHERE invoice_number IS NOT NULL;
CREATE INDEX transactions_shipment ON transactions(shipment_number) WHERE shipment_number IS NOT NULL;

-- The case as the UI shows it: the server's version with pending local changes applied on top.
CREATE TABLE cases (
    rid             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    reference       TEXT NOT NULL,
    title           TEXT NOT NULL,
    partner_id      TEXT NOT NULL,
    partner_name    TEXT NOT NULL,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL,
    status_rank     INTEGER NOT NULL,
    priority        TEXT NOT NULL,
    priority_rank   INTEGER NOT NULL,
    owner           TEXT,
    sla_due         TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    references_json TEXT NOT NULL,
    version         INTEGER NOT NULL,
    local_only      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cases_updated ON cases(updated_at, rid);
CREATE INDEX cases_status_updated ON cases(status, updated_at);
CREATE INDEX cases_partner_updated ON cases(partner_id, updated_at);
CREATE INDEX cases_owner_updated ON cases(owner, updated_at);
CREATE INDEX cases_kind_updated ON cases(kind, updated_at);
CREATE INDEX cases_reference ON cases(reference);
CREATE INDEX cases_title ON cases(title COLLATE NOCASE);
CREATE INDEX cases_partner_name ON cases(partner_name COLLATE NOCASE);
CREATE INDEX cases_status_rank ON cases(status_rank);
CREATE INDEX cases_priority_rank ON cases(priority_rank);
CREATE INDEX cases_sla_due ON cases(sla_due);

-- The server's own version of a case while local changes are pending on it (the rebase base),
-- and for a case created here, the case as created.
CREATE TABLE case_base (
    case_id   TEXT PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
    case_json TEXT NOT NULL
);

CREATE TABLE case_transactions (
    case_id        TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    transaction_id TEXT NOT NULL,
    position       INTEGER NOT NULL,
    PRIMARY KEY (case_id, transaction_id)
) WITHOUT ROWID;
CREATE INDEX case_transactions_tx ON case_transactions(transaction_id);

CREATE TABLE comments (
    id                TEXT PRIMARY KEY,
    case_id           TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    author            TEXT NOT NULL,
    author_is_partner INTEGER NOT NULL,
    body              TEXT NOT NULL,
    visibility        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    -- The outbox operation that created it here, until the server has it.
    op_id             TEXT
);
CREATE INDEX comments_case ON comments(case_id, created_at);

CREATE TABLE documents (
    id            TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    media_type    TEXT NOT NULL,
    location_json TEXT NOT NULL,
    uploaded_by   TEXT NOT NULL,
    uploaded_at   TEXT NOT NULL
);
CREATE INDEX documents_case ON documents(case_id, uploaded_at);

CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id           TEXT NOT NULL UNIQUE,
    case_id         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    payload_json    TEXT NOT NULL,
    base_json       TEXT,
    created_at      TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT
);
CREATE INDEX outbox_case ON outbox(case_id, seq);
CREATE INDEX outbox_state ON outbox(state);

-- A local change that lost to a newer server value: kept so the analyst can see what was lost.
CREATE TABLE conflicts (
    id           INTEGER PRIMARY KEY,
    case_id      TEXT NOT NULL,
    op_id        TEXT NOT NULL,
    field        TEXT NOT NULL,
    local_value  TEXT NOT NULL,
    server_value TEXT NOT NULL,
    detected_at  TEXT NOT NULL
);
CREATE INDEX conflicts_case ON conflicts(case_id);

-- Full-text index, one document per case (rowid = cases.rid): title, partner name, reference
-- numbers and every comment body. Contentless: the text lives in the tables above.
CREATE VIRTUAL TABLE case_fts USING fts5(
    title, partner, refs, comments,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
