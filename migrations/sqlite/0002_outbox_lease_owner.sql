-- Who holds a message's lease while it is being sent: "BOOT-ID/PID/START-TIME" of the
-- sending process. A restart on the same machine sees that the holder is gone and sends
-- the message again at once (with the same Message-ID) instead of waiting for the lease
-- to run out.
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
CREATE INDEX outbox_cycle ON outbox (cycle_id, kind, state);
CREATE INDEX outbox_leases ON outbox (state, lease_until);

-- A message's bytes live apart from its state: SQLite rewrites a whole row, blob and all,
-- on every UPDATE, and the state changes twice per message. outbox.raw stays empty.
CREATE TABLE outbox_bodies (
    outbox_id INTEGER PRIMARY KEY REFERENCES outbox (id),
    raw       BLOB NOT NULL
);
INSERT INTO outbox_bodies (outbox_id, raw) SELECT id, raw FROM outbox;
UPDATE outbox SET raw = X'';

-- Lookups that run once per message read: receipts already sent to a sender, and whether
-- a Message-ID already gave a submission.
CREATE INDEX outbox_receipts ON outbox (kind, recipient, created_at);
CREATE INDEX submissions_inbox ON submissions (inbox_id);
