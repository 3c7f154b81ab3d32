-- A draft's id travels in the buttons of its hint card, and drafts are deleted once used or dropped:
-- without AUTOINCREMENT SQLite gives the highest deleted id to the next draft, so a second click on
-- an old "submit anyway" would post the member's newer draft. Rebuilt with ids never given twice.
CREATE TABLE idea_drafts_v7 (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO idea_drafts_v7 (id, space, wall_id, channel, author, author_name, text, category, anonymous, created_at)
    SELECT id, space, wall_id, channel, author, author_name, text, category, anonymous, created_at FROM idea_drafts;
DROP TABLE idea_drafts;
ALTER TABLE idea_drafts_v7 RENAME TO idea_drafts;
