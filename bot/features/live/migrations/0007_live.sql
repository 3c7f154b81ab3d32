-- The continuous live thread of an event: one thread, attached in channels of any space and platform.
CREATE TABLE live_threads (
    id         INTEGER PRIMARY KEY,
    space      TEXT NOT NULL,  -- where it was started; its staff own it
    ref        INTEGER NOT NULL,
    event_id   INTEGER NOT NULL REFERENCES events (id),
    started_by TEXT NOT NULL,
    started_at TEXT NOT NULL,
    stopped_at TEXT,
    UNIQUE (space, ref)
);
CREATE UNIQUE INDEX live_threads_one_per_event ON live_threads (event_id) WHERE stopped_at IS NULL;

-- Single-use join codes: a code attaches one more channel, once, before it expires.
CREATE TABLE live_codes (
    code       TEXT PRIMARY KEY,
    thread_id  INTEGER NOT NULL REFERENCES live_threads (id),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    used_in    TEXT  -- "space channel" that used it
);

-- The channels a thread is attached in: the header message there, and the platform's thread under it.
CREATE TABLE live_channels (
    id          INTEGER PRIMARY KEY,
    thread_id   INTEGER NOT NULL REFERENCES live_threads (id),
    space       TEXT NOT NULL,
    channel     TEXT NOT NULL,
    thread      TEXT,  -- Slack: the header's ts; Discord: the thread channel's id; console: NULL (the channel)
    header      TEXT,  -- the header message's id
    attached_by TEXT NOT NULL,
    attached_at TEXT NOT NULL,
    detached_at TEXT
);
CREATE UNIQUE INDEX live_channels_attached ON live_channels (space, channel) WHERE detached_at IS NULL;
CREATE INDEX live_channels_by_thread ON live_channels (thread_id);
