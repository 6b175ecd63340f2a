-- As migrations/sqlite/0011. Here daemon_lock names the leader of the daemons sharing
-- the database (who holds the advisory lock, see store/leader.rs), for /metrics.
ALTER TABLE daemon_lock ADD COLUMN renewed_at TIMESTAMPTZ;
