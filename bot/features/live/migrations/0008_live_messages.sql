-- What happened in a live thread, in order: members' messages (relayed), questions, staff announcements,
-- polls, check-ins and session starts. The transcript, the summary and the export read it.
CREATE TABLE live_messages (
    id          INTEGER PRIMARY KEY,
    thread_id   INTEGER NOT NULL REFERENCES live_threads (id),
    channel_id  INTEGER REFERENCES live_channels (id),  -- where it was posted; NULL when the bot made it
    source_id   TEXT,  -- the platform's id of the member's original message; NULL for items the bot made
    kind        TEXT NOT NULL CHECK (kind IN ('message', 'question', 'announcement', 'poll', 'checkin', 'session')),
    member      TEXT,  -- platform-qualified key; kept for anonymous items only so their author can act on them
    name        TEXT,
    platform    TEXT NOT NULL,
    anonymous   INTEGER NOT NULL DEFAULT 0,
    text        TEXT NOT NULL,
    attachments TEXT NOT NULL DEFAULT '[]',  -- JSON list of URLs
    posted_at   TEXT NOT NULL,
    edited_at   TEXT,
    deleted_at  TEXT,
    UNIQUE (channel_id, source_id)
);
CREATE INDEX live_messages_by_thread ON live_messages (thread_id, id);
