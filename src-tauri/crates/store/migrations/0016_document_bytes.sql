-- 16: documents found by their bytes alone, so a drop-folder file whose bytes a cached case
-- already has (taken before the cache was rebuilt and its ledger row lost, or attached by hand)
-- is linked to that document instead of opening a new case.
CREATE INDEX IF NOT EXISTS documents_sha_size ON documents(sha256, size);
