-- As migrations/sqlite/0006.
ALTER TABLE inbox ADD COLUMN read_attempts BIGINT NOT NULL DEFAULT 0;
