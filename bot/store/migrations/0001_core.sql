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
