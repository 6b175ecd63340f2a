-- As migrations/sqlite/0008.
DROP TABLE mailbox_cursors;
