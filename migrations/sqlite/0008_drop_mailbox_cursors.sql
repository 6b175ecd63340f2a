-- An IMAP pass now asks the database which UIDs it holds and fetches every other message
-- in the inbox, so the highest UID stored per mailbox is no longer read: no longer kept.
DROP TABLE mailbox_cursors;
