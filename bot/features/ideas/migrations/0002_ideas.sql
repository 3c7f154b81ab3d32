-- The idea wall: walls, ideas, likes, status history, drafts waiting for "submit anyway".
-- Every row belongs to a space or hangs off a row that does.

-- A wall collects ideas under a prompt. Each space has one default wall (ref 0), created on first use.
CREATE TABLE idea_walls (
    id          INTEGER PRIMARY KEY,
    space       TEXT NOT NULL,
    ref         INTEGER NOT NULL,
    channel     TEXT NOT NULL,
    prompt      TEXT NOT NULL,
    is_default  INTEGER NOT NULL DEFAULT 0,
    opened_by   TEXT,
    closes_at   TEXT,
    closed_at   TEXT,
    created_at  TEXT NOT NULL,
    UNIQUE (space, ref)
);
CREATE UNIQUE INDEX idea_walls_one_default ON idea_walls (space) WHERE is_default = 1;
CREATE INDEX idea_walls_due ON idea_walls (closes_at) WHERE closed_at IS NULL AND closes_at IS NOT NULL;

CREATE TABLE idea_categories (
    wall_id  INTEGER NOT NULL REFERENCES idea_walls (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    label    TEXT NOT NULL,
    PRIMARY KEY (wall_id, position)
);

-- The author is kept even for anonymous ideas (to let them edit, withdraw and be told of
-- changes); it is never shown, and no display name is recorded for an anonymous idea.
CREATE TABLE ideas (
    id            INTEGER PRIMARY KEY,
    space         TEXT NOT NULL,
    ref           INTEGER NOT NULL,
    wall_id       INTEGER NOT NULL REFERENCES idea_walls (id),
    channel       TEXT NOT NULL,
    author        TEXT NOT NULL,
    anonymous     INTEGER NOT NULL DEFAULT 0,
    text          TEXT NOT NULL,
    category      TEXT,
    status        TEXT NOT NULL DEFAULT 'new'
                  CHECK (status IN ('new', 'exploring', 'retained', 'done', 'declined')),
    hidden        INTEGER NOT NULL DEFAULT 0,
    hidden_reason TEXT,
    withdrawn_at  TEXT,
    merged_into   INTEGER REFERENCES ideas (id),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (space, ref)
);
CREATE INDEX ideas_by_wall ON ideas (wall_id, created_at);
-- The flood limit counts a member's recent ideas here, so it survives a restart.
CREATE INDEX ideas_by_author ON ideas (space, author, created_at);

CREATE TABLE idea_likes (
    idea_id  INTEGER NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    member   TEXT NOT NULL,
    liked_at TEXT NOT NULL,
    PRIMARY KEY (idea_id, member)
);

CREATE TABLE idea_status_history (
    id         INTEGER PRIMARY KEY,
    idea_id    INTEGER NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    status     TEXT NOT NULL,
    reason     TEXT,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
CREATE INDEX idea_status_history_by_idea ON idea_status_history (idea_id, id);

-- A submission held back by the duplicate hint; its id travels in the "submit anyway" button.
CREATE TABLE idea_drafts (
    id          INTEGER PRIMARY KEY,
    space       TEXT NOT NULL,
    wall_id     INTEGER NOT NULL REFERENCES idea_walls (id) ON DELETE CASCADE,
    channel     TEXT NOT NULL,
    author      TEXT NOT NULL,
    author_name TEXT,
    text        TEXT NOT NULL,
    category    TEXT,
    anonymous   INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);
