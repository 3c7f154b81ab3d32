-- Surveys sent privately: their questions, who received them, answers and nudges.

CREATE TABLE surveys (
    id          INTEGER PRIMARY KEY,
    space       TEXT NOT NULL,
    ref         INTEGER NOT NULL,
    channel     TEXT NOT NULL,
    author      TEXT NOT NULL,
    title       TEXT NOT NULL,
    anonymous   INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    sent_at     TEXT,
    closed_at   TEXT,
    UNIQUE (space, ref)
);

CREATE TABLE survey_questions (
    survey_id  INTEGER NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    number     INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('choice', 'multi', 'rating', 'nps', 'text', 'dates')),
    text       TEXT NOT NULL,
    options    TEXT NOT NULL DEFAULT '',  -- labels, one per line
    PRIMARY KEY (survey_id, number)
);

CREATE TABLE survey_recipients (
    survey_id    INTEGER NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    member       TEXT NOT NULL,
    name         TEXT NOT NULL,
    sent_at      TEXT NOT NULL,
    answered_at  TEXT,  -- the first answer: nudges skip those who have one
    PRIMARY KEY (survey_id, member)
);
CREATE INDEX survey_recipients_waiting ON survey_recipients (survey_id) WHERE answered_at IS NULL;

CREATE TABLE survey_answers (
    survey_id   INTEGER NOT NULL,
    member      TEXT NOT NULL,
    number      INTEGER NOT NULL,
    value       TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (survey_id, number, member),
    FOREIGN KEY (survey_id, member) REFERENCES survey_recipients (survey_id, member) ON DELETE CASCADE,
    FOREIGN KEY (survey_id, number) REFERENCES survey_questions (survey_id, number) ON DELETE CASCADE
);

CREATE TABLE survey_nudges (
    survey_id  INTEGER NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    at         TEXT NOT NULL,
    done_at    TEXT,
    reached    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (survey_id, at)
);
CREATE INDEX survey_nudges_due ON survey_nudges (at) WHERE done_at IS NULL;
