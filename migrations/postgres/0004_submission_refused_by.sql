-- As migrations/sqlite/0004.
ALTER TABLE submissions ADD COLUMN refused_by TEXT;
