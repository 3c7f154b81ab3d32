-- Every row belongs to a space: "slack:T…", "discord:…", "console:…".

-- Short references (#12) per space and kind, allocated with an upsert.
CREATE TABLE counters (
    space TEXT NOT NULL,
    kind  TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (space, kind)
);

-- Display names as last seen, for exports and lists; keys are platform-qualified.
CREATE TABLE members (
    space      TEXT NOT NULL,
    member     TEXT NOT NULL,
    name       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (space, member)
);

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

-- The messages a subject ("poll:42") is shown in: a list, possibly on several platforms.
CREATE TABLE message_refs (
    id         INTEGER PRIMARY KEY,
    subject    TEXT NOT NULL,
    space      TEXT NOT NULL,
    channel    TEXT NOT NULL,
    message_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (space, channel, message_id)
);
CREATE INDEX message_refs_by_subject ON message_refs (subject);
