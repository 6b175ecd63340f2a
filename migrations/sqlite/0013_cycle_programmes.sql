-- The programmes exactly as circulated in a cycle: what a provider's reply to its
-- Programmes sheet is diffed against, as cycle_base is for the Matrix.
CREATE TABLE cycle_programmes (
    cycle_id     TEXT NOT NULL REFERENCES cycles (id),
    programme_id TEXT NOT NULL,
    provider     TEXT NOT NULL,
    title        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    areas        TEXT NOT NULL,
    eligible     TEXT NOT NULL,
    languages    TEXT NOT NULL,
    contact      TEXT NOT NULL,
    link         TEXT NOT NULL,
    status       TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (cycle_id, programme_id)
);
