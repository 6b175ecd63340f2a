-- The Directory of Sources of Assistance: assistance programmes, a second register kept
-- like the Matrix (SA-00042 IDs from the counter 'programme', never reused), and their
-- history. List columns (areas, languages) hold their canonical text, "LEG; FIN".
CREATE TABLE programmes (
    id          TEXT PRIMARY KEY,
    number      INTEGER NOT NULL UNIQUE,
    provider    TEXT NOT NULL REFERENCES parties (code),
    title       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    areas       TEXT NOT NULL,
    eligible    TEXT NOT NULL DEFAULT '',
    languages   TEXT NOT NULL DEFAULT '',
    contact     TEXT NOT NULL DEFAULT '',
    link        TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('Active', 'Closed')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX programmes_provider ON programmes (provider);

CREATE TABLE programme_history (
    id            INTEGER PRIMARY KEY,
    programme_id  TEXT NOT NULL REFERENCES programmes (id),
    field         TEXT NOT NULL,
    old_value     TEXT,
    new_value     TEXT,
    submission_id INTEGER REFERENCES submissions (id),
    source        TEXT NOT NULL,
    reviewer      TEXT,
    changed_at    TEXT NOT NULL
);
CREATE INDEX programme_history_programme ON programme_history (programme_id);
