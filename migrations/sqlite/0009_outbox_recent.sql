-- The receipt limits count the receipts of the last hour to an address or a domain,
-- written in any letter case. LOWER(recipient) cannot use outbox_receipts' recipient, so
-- they read every receipt ever sent; with (kind, created_at, recipient) they read that
-- hour's receipts from the index alone.
CREATE INDEX outbox_recent ON outbox (kind, created_at, recipient);
