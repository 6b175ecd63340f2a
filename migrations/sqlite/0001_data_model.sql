-- The whole data model of DESIGN.md. Portable SQL: times are RFC 3339 UTC text
-- (YYYY-MM-DDTHH:MM:SSZ, so text order is time order), booleans 0/1 in INTEGER columns
-- (the Any driver reads only INTEGER, REAL, TEXT and BLOB from SQLite), no SQLite-only
-- functions in queries. Append-only: never edit a migration that has landed.

CREATE TABLE parties (
    code        TEXT PRIMARY KEY,                 -- upper-case: KEN, COE-MONEYVAL
    kind        TEXT NOT NULL CHECK (kind IN ('state', 'organization')),
    name        TEXT NOT NULL,
    category    TEXT,                             -- annex category I..IV (organizations)
    parent_code TEXT REFERENCES parties (code),   -- sub-bodies
    membership  TEXT,                             -- member | observer (States)
    active      INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE party_aliases (
    party_code TEXT NOT NULL REFERENCES parties (code),
    alias      TEXT NOT NULL,
    PRIMARY KEY (party_code, alias)
);

CREATE TABLE contacts (
    id              INTEGER PRIMARY KEY,
    party_code      TEXT NOT NULL REFERENCES parties (code),
    name            TEXT NOT NULL,
    office          TEXT NOT NULL DEFAULT '',
    email           TEXT NOT NULL,
    email_key       TEXT NOT NULL,                -- lower-cased, for uniqueness
    language        TEXT NOT NULL DEFAULT 'en',
    role            TEXT NOT NULL DEFAULT '',
    receives_matrix INTEGER NOT NULL DEFAULT 0,
    active          INTEGER NOT NULL DEFAULT 1,
    bouncing_since  TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (party_code, email_key)
);
CREATE INDEX contacts_email ON contacts (email_key);

-- Sequences that must never reuse a value (Need IDs).
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

CREATE TABLE needs (
    id          TEXT PRIMARY KEY,                 -- MN-00042
    number      INTEGER NOT NULL UNIQUE,           -- 42, for ordering
    state_code  TEXT NOT NULL REFERENCES parties (code),
    area        TEXT NOT NULL,
    description TEXT NOT NULL,
    priority    TEXT NOT NULL CHECK (priority IN ('High', 'Medium', 'Low')),
    status      TEXT NOT NULL CHECK (status IN ('Open', 'Assistance offered', 'In progress', 'Met', 'Withdrawn')),
    provider    TEXT NOT NULL DEFAULT '',
    notes       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX needs_state ON needs (state_code);

CREATE TABLE cycles (
    id          TEXT PRIMARY KEY,                 -- YYYY-MM
    state       TEXT NOT NULL CHECK (state IN ('planned', 'dispatching', 'collecting', 'closed')),
    deadline    TEXT NOT NULL,
    opened_at   TEXT,
    closed_at   TEXT
);

-- The matrix exactly as circulated in a cycle: what replies are diffed against.
CREATE TABLE cycle_base (
    cycle_id    TEXT NOT NULL REFERENCES cycles (id),
    need_id     TEXT NOT NULL,
    state_code  TEXT NOT NULL,
    area        TEXT NOT NULL,
    description TEXT NOT NULL,
    priority    TEXT NOT NULL,
    status      TEXT NOT NULL,
    provider    TEXT NOT NULL,
    notes       TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (cycle_id, need_id)
);

-- Who a cycle was circulated to, with the token that names them in replies and bounces.
CREATE TABLE recipients (
    cycle_id   TEXT NOT NULL REFERENCES cycles (id),
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    token      TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (cycle_id, contact_id)
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    dedupe_key      TEXT NOT NULL UNIQUE,         -- kind/cycle/recipient/day: one message, ever
    kind            TEXT NOT NULL,                -- circulation, reminder, receipt, digest, …
    cycle_id        TEXT,
    contact_id      INTEGER,
    recipient       TEXT NOT NULL,
    day             TEXT NOT NULL,                -- local date the message belongs to
    message_id      TEXT NOT NULL UNIQUE,         -- deterministic
    envelope_from   TEXT NOT NULL,
    subject         TEXT NOT NULL,
    raw             BLOB NOT NULL,                -- the rendered message, sent as is
    state           TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

-- Raw mail, stored once per distinct content.
CREATE TABLE raw_messages (
    sha256 TEXT PRIMARY KEY,
    bytes  BLOB NOT NULL,
    size   INTEGER NOT NULL
);

CREATE TABLE inbox (
    id              INTEGER PRIMARY KEY,
    sha256          TEXT NOT NULL REFERENCES raw_messages (sha256),
    source          TEXT NOT NULL CHECK (source IN ('imap', 'maildir')),
    mailbox         TEXT NOT NULL,                -- IMAP mailbox or Maildir folder
    uidvalidity     INTEGER,
    uid             INTEGER,
    maildir_name    TEXT,
    message_id      TEXT,
    from_addr       TEXT,
    subject         TEXT,
    received_at     TEXT NOT NULL,
    classification  TEXT,                         -- reply, auto_reply, bounce, unrelated
    cycle_id        TEXT,
    contact_id      INTEGER,
    sender_verified INTEGER,
    auth_results    TEXT,
    state           TEXT NOT NULL CHECK (state IN ('stored', 'parsed', 'quarantined', 'failed')),
    error           TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (mailbox, uidvalidity, uid),
    UNIQUE (mailbox, maildir_name)
);
CREATE INDEX inbox_sha ON inbox (sha256);
CREATE INDEX inbox_message_id ON inbox (message_id);

-- IMAP position per mailbox, advanced message by message.
CREATE TABLE mailbox_cursors (
    mailbox     TEXT PRIMARY KEY,
    uidvalidity INTEGER NOT NULL,
    last_uid    INTEGER NOT NULL
);

CREATE TABLE submissions (
    id          INTEGER PRIMARY KEY,
    inbox_id    INTEGER REFERENCES inbox (id),
    party_code  TEXT REFERENCES parties (code),
    contact_id  INTEGER REFERENCES contacts (id),
    cycle_id    TEXT,                             -- the cycle whose base the reply was diffed against
    attachment  TEXT,                             -- file name of the workbook, if any
    late        INTEGER NOT NULL DEFAULT 0,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'applied', 'rejected', 'no_changes', 'unparseable', 'quarantined')),
    note        TEXT,                             -- e.g. stamp and sender disagree
    created_at  TEXT NOT NULL,
    decided_at  TEXT
);
CREATE INDEX submissions_cycle ON submissions (cycle_id, party_code);

CREATE TABLE proposed_changes (
    id             INTEGER PRIMARY KEY,
    submission_id  INTEGER NOT NULL REFERENCES submissions (id),
    seq            INTEGER NOT NULL,              -- N in `review approve ID --change N`
    kind           TEXT NOT NULL CHECK (kind IN ('add', 'update', 'withdraw')),
    need_id        TEXT,
    row_num        INTEGER,
    field          TEXT,
    base_value     TEXT,
    current_value  TEXT,
    proposed_value TEXT,
    fields_json    TEXT,                          -- a proposed new need, as JSON
    conflict       INTEGER NOT NULL DEFAULT 0,
    duplicate_of   TEXT,
    decision       TEXT NOT NULL DEFAULT 'pending' CHECK (decision IN ('pending', 'approved', 'rejected', 'superseded')),
    reviewer       TEXT,
    decided_at     TEXT,
    reason         TEXT,
    UNIQUE (submission_id, seq)
);

-- Row-level errors and warnings found in a submission.
CREATE TABLE submission_issues (
    id            INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions (id),
    severity      TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
    row_num       INTEGER,
    column_name   TEXT,
    message       TEXT NOT NULL
);

CREATE TABLE need_history (
    id            INTEGER PRIMARY KEY,
    need_id       TEXT NOT NULL REFERENCES needs (id),
    field         TEXT NOT NULL,                  -- a field name, or 'created'
    old_value     TEXT,
    new_value     TEXT,
    submission_id INTEGER REFERENCES submissions (id),
    source        TEXT NOT NULL,                  -- 'import FILE', 'submission', 'expert'
    reviewer      TEXT,
    changed_at    TEXT NOT NULL
);
CREATE INDEX need_history_need ON need_history (need_id);

CREATE TABLE job_runs (
    job           TEXT NOT NULL,
    scheduled_for TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    outcome       TEXT,
    PRIMARY KEY (job, scheduled_for)
);

CREATE TABLE deadlines (
    id            INTEGER PRIMARY KEY,
    title         TEXT NOT NULL,
    due           TEXT NOT NULL,                  -- YYYY-MM-DD, local
    owner_email   TEXT NOT NULL,
    alert_offsets TEXT NOT NULL DEFAULT '7,1,0',  -- days before due
    created_at    TEXT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('expert', 'admin')),
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,                 -- sha256 of the cookie value
    user_id     INTEGER NOT NULL REFERENCES users (id),
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
