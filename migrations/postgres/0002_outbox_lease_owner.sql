-- As migrations/sqlite/0002. PostgreSQL keeps large values out of line (TOAST), so the
-- bodies would not need a table of their own; they get one anyway, so that both
-- backends have the same tables and `db copy` maps them one to one.
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
CREATE INDEX outbox_cycle ON outbox (cycle_id, kind, state);
CREATE INDEX outbox_leases ON outbox (state, lease_until);

CREATE TABLE outbox_bodies (
    outbox_id BIGINT PRIMARY KEY REFERENCES outbox (id),
    raw       BYTEA NOT NULL
);
INSERT INTO outbox_bodies (outbox_id, raw) SELECT id, raw FROM outbox;
UPDATE outbox SET raw = '\x';

CREATE INDEX outbox_receipts ON outbox (kind, recipient, created_at);
CREATE INDEX submissions_inbox ON submissions (inbox_id);
