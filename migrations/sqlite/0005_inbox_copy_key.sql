-- What makes a stored message a copy of another: its Message-ID, its sender and the
-- hashes of its attachments together (`classify::copy_key`). A Message-ID alone is chosen
-- by the sender's program and anyone can reuse one, so it is never an identity on its own.
ALTER TABLE inbox ADD COLUMN copy_key TEXT;
CREATE INDEX inbox_copy_key ON inbox (copy_key);
