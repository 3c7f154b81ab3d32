-- Members present on site at an event: checked in by themselves (/event checkin) or marked by staff from
-- the attendee list. Remote presence is not copied here: the live thread's own rows (votes, questions,
-- messages) stay its only truth, read through the live feature when presence is asked for.
CREATE TABLE event_checkins (
    event_id   INTEGER NOT NULL REFERENCES events (id),
    space      TEXT NOT NULL,  -- the event's space
    member     TEXT NOT NULL,  -- platform-qualified key, as in event_signups
    name       TEXT NOT NULL,
    marked_by  TEXT NOT NULL,  -- the member themselves, or the staff member who marked them
    checked_at TEXT NOT NULL,
    PRIMARY KEY (event_id, member)
);
