-- Receiving the Matrix on request, and stopping.
--
-- A mail that asks for the Matrix (no token of needsd's, no workbook) becomes a request;
-- an expert approves it naming the party, which adds or activates that party's contact
-- at the sender's address, or dismisses it. One request per stored message.
CREATE TABLE subscription_requests (
    id          INTEGER PRIMARY KEY,
    inbox_id    INTEGER NOT NULL UNIQUE REFERENCES inbox (id),
    address     TEXT NOT NULL,
    name        TEXT NOT NULL,
    language    TEXT NOT NULL,
    excerpt     TEXT NOT NULL,
    -- The operator's receiving server vouched for the From's domain (DMARC, or DKIM
    -- aligned with it): evidence for the expert, not a decision.
    verified    INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'dismissed')),
    party_code  TEXT REFERENCES parties (code),
    contact_id  INTEGER REFERENCES contacts (id),
    reviewer    TEXT,
    decided_at  TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX subscription_requests_state ON subscription_requests (state, id);

-- A contact that stopped receiving the Matrix: by the one-click link of a circulation's
-- List-Unsubscribe (RFC 8058) or its mailto. `flagged`: an organization of the annex,
-- to which the plan circulates the Matrix, shown to the experts as needing attention.
CREATE TABLE unsubscriptions (
    id          INTEGER PRIMARY KEY,
    contact_id  INTEGER NOT NULL REFERENCES contacts (id),
    party_code  TEXT NOT NULL,
    address     TEXT NOT NULL,
    via         TEXT NOT NULL CHECK (via IN ('link', 'mail')),
    flagged     INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX unsubscriptions_recent ON unsubscriptions (created_at);
