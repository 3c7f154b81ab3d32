-- What the bot itself posts in every attached thread of a live thread (question and poll cards,
-- announcements, check-ins, workshop starts, the summary). Written in the same transaction as the
-- change that causes it, one row per attached channel, and sent after by the relay's per-channel
-- sender, in order with members' relayed messages: never lost when the process dies or starts
-- before a platform is connected, never sent twice (claimed 'sending' first; 'unsure' after a crash).
CREATE TABLE live_items (
    id         INTEGER PRIMARY KEY,
    thread_id  INTEGER NOT NULL REFERENCES live_threads (id),
    position   INTEGER NOT NULL,  -- its transcript row (live_messages.id), or the last row for the summary
    kind       TEXT NOT NULL CHECK (kind IN ('question', 'poll', 'announcement', 'checkin', 'session', 'summary')),
    params     TEXT NOT NULL DEFAULT '{}',  -- JSON, rendered in each target channel's language when sent
    subject    TEXT,  -- the live card its posts show (they are attached to it once posted)
    created_at TEXT NOT NULL
);

CREATE TABLE live_item_posts (
    id         INTEGER PRIMARY KEY,
    item_id    INTEGER NOT NULL REFERENCES live_items (id),
    channel_id INTEGER NOT NULL REFERENCES live_channels (id),
    status     TEXT NOT NULL DEFAULT 'waiting'
               CHECK (status IN ('waiting', 'sending', 'sent', 'failed', 'unsure', 'skipped')),
    message_id TEXT,  -- the platform's id of the post, once posted
    UNIQUE (item_id, channel_id)
);
CREATE INDEX live_item_posts_waiting ON live_item_posts (channel_id, item_id) WHERE status = 'waiting';

-- The antenna a member follows the event from (their remote sign-up), shown with their relayed messages.
ALTER TABLE live_messages ADD COLUMN antenna TEXT;
-- The names of the people and roles a member's message mentions, as the platform gave them (JSON).
ALTER TABLE live_messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '{}';
