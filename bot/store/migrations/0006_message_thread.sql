-- A tracked message may sit inside a thread (a Discord thread is its own channel: edits go there).
ALTER TABLE message_refs ADD COLUMN thread TEXT;
