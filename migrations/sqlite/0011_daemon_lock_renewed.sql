-- When the daemon holding the database last showed it was alive. On PostgreSQL the
-- leader of several daemons renews it as it renews its lead; /metrics shows it.
ALTER TABLE daemon_lock ADD COLUMN renewed_at TEXT;
