-- Readings of a stored message begun and not finished (the process died during them). A
-- message whose reading did not finish twice is marked failed and not read again unless
-- `needsd reparse ID` asks: it must not take needsd down again at every pass.
ALTER TABLE inbox ADD COLUMN read_attempts INTEGER NOT NULL DEFAULT 0;
