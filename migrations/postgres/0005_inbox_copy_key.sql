-- As migrations/sqlite/0005.
ALTER TABLE inbox ADD COLUMN copy_key TEXT;
CREATE INDEX inbox_copy_key ON inbox (copy_key);
