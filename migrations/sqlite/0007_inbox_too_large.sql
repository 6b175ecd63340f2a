-- A message over limits.message_bytes is never fetched whole: its headers are kept, it is
-- failed at once, and this column holds the size its server (or file system) gave. Such a
-- message has nothing to read again, so `reparse` leaves it alone.
ALTER TABLE inbox ADD COLUMN too_large INTEGER;
