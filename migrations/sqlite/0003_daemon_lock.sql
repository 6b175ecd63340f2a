-- The one daemon allowed on a database: who runs it ("BOOT-ID/PID/START-TIME", as for
-- outbox leases), since when, and where its web server listens. A second `needsd run`
-- refuses to start while the holder runs; a holder that is gone is replaced.
CREATE TABLE daemon_lock (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    owner      TEXT NOT NULL,
    started_at TEXT NOT NULL,
    listen     TEXT
);
