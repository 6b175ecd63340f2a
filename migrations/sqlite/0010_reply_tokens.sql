-- Tokens given out in the Reply-To of a receipt or a decision mail, to a contact the
-- cycle was not circulated to (one an expert added on accepting their reply): a reply
-- to that address names its contact as one to the circulation does. Tokens of
-- circulations stay in recipients.
CREATE TABLE reply_tokens (
    token      TEXT PRIMARY KEY,
    cycle_id   TEXT NOT NULL REFERENCES cycles (id),
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    created_at TEXT NOT NULL
);
