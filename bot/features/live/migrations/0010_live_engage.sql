-- Taking part in a live thread: questions and their upvotes, the thread's polls, antenna check-ins,
-- and the workshop starts already announced. Every row hangs off its live thread.
CREATE TABLE live_questions (
    id          INTEGER PRIMARY KEY,
    thread_id   INTEGER NOT NULL REFERENCES live_threads (id),
    number      INTEGER NOT NULL,  -- n° within the thread, for /live answered N
    channel_id  INTEGER REFERENCES live_channels (id),  -- where it was asked
    platform    TEXT NOT NULL,
    author      TEXT,  -- NULL when anonymous: the author is not kept at all
    name        TEXT,  -- NULL when anonymous
    text        TEXT NOT NULL,
    asked_at    TEXT NOT NULL,
    answered_at TEXT,
    hidden_at   TEXT,
    UNIQUE (thread_id, number)
);

CREATE TABLE live_question_votes (
    question_id INTEGER NOT NULL REFERENCES live_questions (id),
    voter       TEXT NOT NULL,  -- platform-qualified: one vote per member, whatever channel they click in
    voted_at    TEXT NOT NULL,
    PRIMARY KEY (question_id, voter)
);

-- Polls opened in a live thread: votes from every attached channel count in the one poll.
CREATE TABLE live_polls (
    poll_id   INTEGER PRIMARY KEY REFERENCES polls (id),
    thread_id INTEGER NOT NULL REFERENCES live_threads (id)
);
CREATE INDEX live_polls_by_thread ON live_polls (thread_id);

-- The latest head count of each antenna following the thread.
CREATE TABLE live_checkins (
    thread_id  INTEGER NOT NULL REFERENCES live_threads (id),
    antenna    TEXT NOT NULL,  -- its name as the events feature knows it
    count      INTEGER NOT NULL CHECK (count >= 1),
    by_member  TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    PRIMARY KEY (thread_id, antenna)
);

-- A workshop start announced in a thread: claimed before posting, so never announced twice.
CREATE TABLE live_sessions_announced (
    thread_id    INTEGER NOT NULL REFERENCES live_threads (id),
    session_id   INTEGER NOT NULL,
    announced_at TEXT NOT NULL,
    PRIMARY KEY (thread_id, session_id)
);
