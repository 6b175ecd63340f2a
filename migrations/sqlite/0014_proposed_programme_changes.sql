-- What replies propose to the Directory of Sources of Assistance, put to the same review
-- as the needs' changes: a submission numbers its programme changes after its need
-- changes (`review approve ID --change N` names either), and an approved addition gets
-- the next SA- ID from the counter 'programme'.
CREATE TABLE proposed_programme_changes (
    id             INTEGER PRIMARY KEY,
    submission_id  INTEGER NOT NULL REFERENCES submissions (id),
    seq            INTEGER NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('add', 'update')),
    programme_id   TEXT,
    row_num        INTEGER,
    field          TEXT,
    base_value     TEXT,
    current_value  TEXT,
    proposed_value TEXT,
    fields_json    TEXT,
    conflict       INTEGER NOT NULL DEFAULT 0,
    decision       TEXT NOT NULL DEFAULT 'pending' CHECK (decision IN ('pending', 'approved', 'rejected', 'superseded')),
    reviewer       TEXT,
    decided_at     TEXT,
    reason         TEXT,
    UNIQUE (submission_id, seq)
);
