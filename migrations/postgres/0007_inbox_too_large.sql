-- As migrations/sqlite/0007.
ALTER TABLE inbox ADD COLUMN too_large BIGINT;
