-- Polls, their options and votes (version 1 also holds the shared tables: bot/store/migrations/0001_core.sql).

CREATE TABLE polls (
    id           INTEGER PRIMARY KEY,
    space        TEXT NOT NULL,
    ref          INTEGER NOT NULL,
    channel      TEXT NOT NULL,
    author       TEXT NOT NULL,
    question     TEXT NOT NULL,
    max_choices  INTEGER NOT NULL CHECK (max_choices >= 1),
    anonymous    INTEGER NOT NULL DEFAULT 0,
    results      TEXT NOT NULL CHECK (results IN ('live', 'closed')),
    closes_at    TEXT,
    closed_at    TEXT,
    created_at   TEXT NOT NULL,
    UNIQUE (space, ref)
);
CREATE INDEX polls_open_by_space ON polls (space, closed_at);
CREATE INDEX polls_due ON polls (closes_at) WHERE closed_at IS NULL AND closes_at IS NOT NULL;

CREATE TABLE poll_options (
    poll_id  INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    label    TEXT NOT NULL,
    PRIMARY KEY (poll_id, position)
);

CREATE TABLE votes (
    poll_id  INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    voter    TEXT NOT NULL,
    position INTEGER NOT NULL,
    voted_at TEXT NOT NULL,
    PRIMARY KEY (poll_id, voter, position)
);
