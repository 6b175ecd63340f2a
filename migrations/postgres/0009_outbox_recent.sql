-- As migrations/sqlite/0009.
CREATE INDEX outbox_recent ON outbox (kind, created_at, recipient);
