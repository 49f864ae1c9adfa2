-- The inbox hides a failed envelope when a failed document of the same interchange is shown;
-- that lookup goes by correlation id.
CREATE INDEX IF NOT EXISTS transactions_correlation ON transactions(correlation_id)
    WHERE correlation_id IS NOT NULL;
