-- As migrations/sqlite/0003.
CREATE TABLE daemon_lock (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    owner      TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    listen     TEXT
);
