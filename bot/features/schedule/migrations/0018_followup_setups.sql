-- An event's own follow-up questions and whom they reach, as staff set them (/event followups).
-- No row, or NULL texts: the default questions, in the space's language.
CREATE TABLE followup_setups (
    event_id   INTEGER PRIMARY KEY REFERENCES events (id),
    space      TEXT NOT NULL,
    day_text   TEXT,  -- the day-after question (its 1-5 rating buttons stay)
    month_text TEXT,  -- the month-later question
    audience   TEXT NOT NULL DEFAULT 'present' CHECK (audience IN ('present', 'confirmed')),
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
