-- Who refused a quarantined submission's sender. A refused reply is not the party's: it
-- must never supersede what the party's own replies proposed (see `supersede_on`).
ALTER TABLE submissions ADD COLUMN refused_by TEXT;
