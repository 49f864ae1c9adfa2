-- An outbox entry is claimed by one sender at a time: `claimed_by` names the push that set it in
-- flight and `lease_until` when that claim lapses. A sender that died (app killed, a second
-- process) leaves its entries in flight until the lease runs out; then any sender may claim
-- them again. Entries left in flight by an older build have no lease: they are due at once.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
-- How often the server accepted the entry but its answer could not be stored in the cache: after
-- a few such attempts the entry is failed with the reason instead of being sent at every start.
ALTER TABLE outbox ADD COLUMN unapplied INTEGER NOT NULL DEFAULT 0;
