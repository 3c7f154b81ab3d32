-- Scheduled messages and what was sent. Every row carries its space; instants are UTC ISO text.

-- What the bot must send on its own at a given instant:
--   reminder        an event reminder, `offset_seconds` before its start (to every member signed up)
--   followup_day    the day-after questions (rating 1-5 and one thing to put into practice), attendees only
--   followup_month  "what did you put into practice?", a month later, attendees only
--   post            a staff message posted in `channel` (`payload` is its text)
--   poll            a poll opened in `channel` later (`payload` is its draft as JSON)
-- status: pending -> running (fan-out under way, resumed after a restart) -> done,
--         or cancelled (staff, or the event was cancelled) / dropped (no longer meaningful, e.g. a
--         reminder for an event that has started).
CREATE TABLE scheduled_messages (
    id             INTEGER PRIMARY KEY,
    space          TEXT NOT NULL,
    ref            INTEGER NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('reminder', 'followup_day', 'followup_month', 'post', 'poll')),
    event_id       INTEGER REFERENCES events (id) ON DELETE CASCADE,
    offset_seconds INTEGER NOT NULL DEFAULT 0,  -- reminders: how long before the start
    channel        TEXT NOT NULL DEFAULT '',
    author         TEXT NOT NULL,
    payload        TEXT NOT NULL DEFAULT '',
    due_at         TEXT NOT NULL,
    manual         INTEGER NOT NULL DEFAULT 0,  -- rescheduled by staff: an event edit leaves it alone
    status         TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'running', 'done', 'cancelled', 'dropped')),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (space, ref)
);
CREATE UNIQUE INDEX scheduled_event_steps ON scheduled_messages (event_id, kind, offset_seconds)
    WHERE event_id IS NOT NULL AND status != 'cancelled';
CREATE INDEX scheduled_due ON scheduled_messages (due_at) WHERE status IN ('pending', 'running');
CREATE INDEX scheduled_by_space ON scheduled_messages (space, status, due_at);

-- The source of truth for what was sent: at most one row per message and recipient (a member
-- key, or "channel:<id>" for posts and polls). A row is claimed as 'sending' in a committed
-- write BEFORE the platform is called, then marked 'sent' or 'failed' (undeliverable).
-- A row still 'sending' at start was interrupted mid-call: it becomes 'unsure', is never sent
-- again (at most once), and staff are told.
CREATE TABLE deliveries (
    message_id  INTEGER NOT NULL REFERENCES scheduled_messages (id) ON DELETE CASCADE,
    recipient   TEXT NOT NULL,
    space       TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'unsure')),
    claimed_at  TEXT NOT NULL,
    finished_at TEXT,
    PRIMARY KEY (message_id, recipient)
);
CREATE INDEX deliveries_sending ON deliveries (status) WHERE status = 'sending';

-- Answers to the follow-up questions: step 'day' (rating and one thing to put into practice)
-- and 'month' (what was put into practice). One row per event, member and step.
CREATE TABLE event_feedback (
    event_id    INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    space       TEXT NOT NULL,
    member      TEXT NOT NULL,
    step        TEXT NOT NULL CHECK (step IN ('day', 'month')),
    rating      INTEGER CHECK (rating BETWEEN 1 AND 5),
    text        TEXT NOT NULL DEFAULT '',
    answered_at TEXT NOT NULL,
    PRIMARY KEY (event_id, member, step)
);
