-- Who holds a message's lease while it is being sent: "BOOT-ID/PID/START-TIME" of the
-- sending process. A restart on the same machine sees that the holder is gone and sends
-- the message again at once (with the same Message-ID) instead of waiting for the lease
-- to run out.
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
CREATE INDEX outbox_cycle ON outbox (cycle_id, kind, state);
