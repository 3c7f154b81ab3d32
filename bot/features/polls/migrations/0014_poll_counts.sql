-- Running counts, kept in the same write as each vote: a tally reads one row per option, whatever the votes.

CREATE TABLE poll_counts (
    poll_id  INTEGER NOT NULL,
    position INTEGER NOT NULL,
    n        INTEGER NOT NULL DEFAULT 0 CHECK (n >= 0),
    PRIMARY KEY (poll_id, position),
    FOREIGN KEY (poll_id, position) REFERENCES poll_options (poll_id, position) ON DELETE CASCADE
);

-- Distinct voters of a poll (a member choosing two options of a multi-choice poll counts once).
ALTER TABLE polls ADD COLUMN voters INTEGER NOT NULL DEFAULT 0 CHECK (voters >= 0);

INSERT INTO poll_counts (poll_id, position, n)
SELECT o.poll_id, o.position, (SELECT COUNT(*) FROM votes v WHERE v.poll_id = o.poll_id AND v.position = o.position)
FROM poll_options o;

UPDATE polls SET voters = (SELECT COUNT(DISTINCT voter) FROM votes WHERE votes.poll_id = polls.id);
