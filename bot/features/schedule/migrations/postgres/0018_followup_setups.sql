-- PostgreSQL counterpart of SQLite's 0018_followup_setups: an event's own follow-up questions and audience.
CREATE TABLE followup_setups (
    event_id   BIGINT PRIMARY KEY REFERENCES events (id),
    space      TEXT NOT NULL,
    day_text   TEXT,  -- NULL: the default day-after question
    month_text TEXT,  -- NULL: the default month-later question
    audience   TEXT NOT NULL DEFAULT 'present' CHECK (audience IN ('present', 'confirmed')),
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
