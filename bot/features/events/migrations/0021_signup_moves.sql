-- Each change of a sign-up's status, written in the same transaction as the change: the waitlist's
-- movements (put on it, moved up, offers confirmed or expired, left) for the event report.
-- No backfill: earlier changes overwrote the status they left, so events from before this table have none.
-- from_status is NULL for a new sign-up; mode is the one the member holds after the move.
CREATE TABLE event_signup_moves (
    id          INTEGER PRIMARY KEY,
    event_id    INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    space       TEXT NOT NULL,  -- the event's space
    member      TEXT NOT NULL,  -- platform-qualified key, as in event_signups
    mode        TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    moved_at    TEXT NOT NULL
);
CREATE INDEX event_signup_moves_by_event ON event_signup_moves (event_id);
