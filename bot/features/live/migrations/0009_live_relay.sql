-- The relay: every member's message of a live thread copied into the other attached threads.
-- A copy waits until its channel's next post; a post carries one copy or a burst of them, in order.
CREATE TABLE live_posts (
    id          INTEGER PRIMARY KEY,
    channel_id  INTEGER NOT NULL REFERENCES live_channels (id),  -- where it is posted
    message_id  TEXT,  -- the platform's id of the post, once posted
    status      TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'unsure', 'deleted')),
    revision    INTEGER NOT NULL DEFAULT 0,  -- bumped when one of its sources is edited or deleted
    mirrored    INTEGER NOT NULL DEFAULT 0,  -- the revision the platform's message shows
    created_at  TEXT NOT NULL
);
CREATE INDEX live_posts_by_message ON live_posts (channel_id, message_id);
CREATE INDEX live_posts_to_mirror ON live_posts (channel_id) WHERE revision > mirrored;

-- Source -> copies: which member's message is shown in which post of which channel (edits and
-- deletions of the source are mirrored through it, after restarts too).
CREATE TABLE live_copies (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES live_messages (id),
    channel_id  INTEGER NOT NULL REFERENCES live_channels (id),  -- the target channel
    post_id     INTEGER REFERENCES live_posts (id),  -- NULL while it waits for its channel's next post
    skipped     INTEGER NOT NULL DEFAULT 0,  -- its channel was detached (or the source deleted) before it went out
    UNIQUE (source_id, channel_id)
);
CREATE INDEX live_copies_waiting ON live_copies (channel_id, source_id) WHERE post_id IS NULL AND skipped = 0;
CREATE INDEX live_copies_by_post ON live_copies (post_id);
