-- Listings read a wall's ideas a page at a time, in order, straight from an index: each idea keeps its
-- like count and each wall the number of ideas it lists, both changed in the write that changes them.
-- "Listed" is: not hidden, not withdrawn, not merged into another idea.
ALTER TABLE ideas ADD COLUMN likes BIGINT NOT NULL DEFAULT 0;
UPDATE ideas SET likes = (SELECT COUNT(*) FROM idea_likes l WHERE l.idea_id = ideas.id);

ALTER TABLE idea_walls ADD COLUMN listed_ideas BIGINT NOT NULL DEFAULT 0;
UPDATE idea_walls SET listed_ideas = (
    SELECT COUNT(*) FROM ideas i
    WHERE i.wall_id = idea_walls.id AND i.hidden = 0 AND i.withdrawn_at IS NULL AND i.merged_into IS NULL
);

-- /idea top (ties: older first), /idea top --category, /idea list (newest first).
CREATE INDEX ideas_top ON ideas (wall_id, likes DESC, created_at, id)
    WHERE hidden = 0 AND withdrawn_at IS NULL AND merged_into IS NULL;
CREATE INDEX ideas_top_by_category ON ideas (wall_id, category, likes DESC, created_at, id)
    WHERE hidden = 0 AND withdrawn_at IS NULL AND merged_into IS NULL;
CREATE INDEX ideas_newest ON ideas (wall_id, created_at, id)
    WHERE hidden = 0 AND withdrawn_at IS NULL AND merged_into IS NULL;

-- The words of each listed idea (see `idea_words` in domain.py): a submission is compared with the ideas
-- sharing a word with it, not with the whole wall. Rows go when their idea leaves the listings.
CREATE TABLE idea_words (
    wall_id BIGINT NOT NULL REFERENCES idea_walls (id) ON DELETE CASCADE,
    word    TEXT NOT NULL,
    idea_id BIGINT NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    PRIMARY KEY (wall_id, word, idea_id)
);
CREATE INDEX idea_words_by_idea ON idea_words (idea_id);

-- Words are computed by the bot, not in SQL: the ideas listed before this version wait here until the bot,
-- at its next start, indexes them a batch at a time.
CREATE TABLE idea_words_backlog (
    idea_id BIGINT PRIMARY KEY REFERENCES ideas (id) ON DELETE CASCADE
);
INSERT INTO idea_words_backlog (idea_id)
    SELECT id FROM ideas WHERE hidden = 0 AND withdrawn_at IS NULL AND merged_into IS NULL;
