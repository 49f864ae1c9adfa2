-- A document attached here is shown on its case at once; `pending_documents` names the outbox
-- entry that records it on the server until the server has it (the row goes when the entry is
-- sent, with the document when the entry is discarded). A pull keeps a document whose entry is
-- still queued. (A table rather than a column, so the migration can run on any earlier file.)
CREATE TABLE IF NOT EXISTS pending_documents (
    document_id TEXT PRIMARY KEY,
    op_id       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pending_documents_op ON pending_documents(op_id);
CREATE INDEX IF NOT EXISTS documents_sha ON documents(case_id, sha256);
