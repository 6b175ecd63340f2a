-- As migrations/sqlite/0010.
CREATE TABLE reply_tokens (
    token      TEXT PRIMARY KEY,
    cycle_id   TEXT NOT NULL REFERENCES cycles (id),
    contact_id BIGINT NOT NULL REFERENCES contacts (id),
    created_at TIMESTAMPTZ NOT NULL
);
