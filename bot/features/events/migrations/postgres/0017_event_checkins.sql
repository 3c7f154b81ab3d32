-- PostgreSQL counterpart of SQLite's 0017_event_checkins: members present on site at an event.
CREATE TABLE event_checkins (
    event_id   BIGINT NOT NULL REFERENCES events (id),
    space      TEXT NOT NULL,  -- the event's space
    member     TEXT NOT NULL,  -- platform-qualified key, as in event_signups
    name       TEXT NOT NULL,
    marked_by  TEXT NOT NULL,  -- the member themselves, or the staff member who marked them
    checked_at TEXT NOT NULL,
    PRIMARY KEY (event_id, member)
);
