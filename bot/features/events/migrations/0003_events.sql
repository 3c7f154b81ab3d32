-- Events and sign-up. Every row carries its space; instants are UTC ISO text.

CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    space           TEXT NOT NULL,
    ref             INTEGER NOT NULL,
    channel         TEXT NOT NULL,
    author          TEXT NOT NULL,
    timezone        TEXT NOT NULL,            -- the space's zone when created: how times are shown
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    starts_at       TEXT NOT NULL,
    ends_at         TEXT NOT NULL,
    venue           TEXT NOT NULL DEFAULT '',
    online_link     TEXT NOT NULL DEFAULT '', -- shown to remote attendees only
    deadline        TEXT,                     -- sign-ups close then (else at the start)
    onsite_capacity INTEGER NOT NULL CHECK (onsite_capacity >= 0),  -- 0: no on-site attendance
    remote_capacity INTEGER CHECK (remote_capacity >= 0),           -- NULL: unlimited, 0: none
    price           TEXT NOT NULL DEFAULT '',
    question        TEXT NOT NULL DEFAULT '',
    confirm_hours   INTEGER CHECK (confirm_hours > 0),  -- promoted members confirm within it, if set
    cancelled_at    TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    CHECK (ends_at > starts_at),
    UNIQUE (space, ref)
);
CREATE INDEX events_by_space_start ON events (space, starts_at);

-- Regional antennas of a space; remote attendees may follow an event from one.
CREATE TABLE event_antennas (
    id         INTEGER PRIMARY KEY,
    space      TEXT NOT NULL,
    name       TEXT NOT NULL,
    region     TEXT NOT NULL DEFAULT '',
    host       TEXT NOT NULL DEFAULT '',
    channel    TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (space, name COLLATE NOCASE)
);

-- Workshops (ateliers) of an event, numbered 1, 2… within it.
CREATE TABLE event_sessions (
    id        INTEGER PRIMARY KEY,
    event_id  INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    space     TEXT NOT NULL,
    number    INTEGER NOT NULL,
    title     TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at   TEXT NOT NULL,
    room      TEXT NOT NULL DEFAULT '',
    capacity  INTEGER CHECK (capacity > 0),  -- NULL: unlimited
    CHECK (ends_at > starts_at),
    UNIQUE (event_id, number)
);

-- One row per member and event: a member can never hold two places.
-- status: confirmed | offered (promoted, must confirm before offer_expires_at) | waitlisted
--         | withdrawn | expired (an offer not confirmed in time). confirmed and offered hold a place.
-- seq is the arrival order within the event (commit order); a waitlist position is the rank
-- by seq among the waitlisted of the same mode (view event_waitlist), so it never has gaps.
CREATE TABLE event_signups (
    id               INTEGER PRIMARY KEY,
    event_id         INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    space            TEXT NOT NULL,
    member           TEXT NOT NULL,
    mode             TEXT NOT NULL CHECK (mode IN ('onsite', 'remote')),
    antenna_id       INTEGER REFERENCES event_antennas (id),
    status           TEXT NOT NULL CHECK (status IN ('confirmed', 'offered', 'waitlisted', 'withdrawn', 'expired')),
    seq              INTEGER NOT NULL,
    answer           TEXT NOT NULL DEFAULT '',
    signed_up_at     TEXT NOT NULL,
    status_at        TEXT NOT NULL,
    offer_expires_at TEXT,
    CHECK (antenna_id IS NULL OR mode = 'remote'),
    UNIQUE (event_id, member)
);
CREATE INDEX event_signups_queue ON event_signups (event_id, mode, status, seq);
CREATE INDEX event_signups_by_member ON event_signups (space, member);
CREATE INDEX event_signups_offers ON event_signups (offer_expires_at) WHERE status = 'offered';

CREATE VIEW event_waitlist AS
SELECT id, event_id, space, member, mode,
       ROW_NUMBER() OVER (PARTITION BY event_id, mode ORDER BY seq) AS position
FROM event_signups WHERE status = 'waitlisted';

-- Workshop choices; a member's choices never overlap in time (checked when choosing).
CREATE TABLE event_session_choices (
    session_id INTEGER NOT NULL REFERENCES event_sessions (id) ON DELETE CASCADE,
    event_id   INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    space      TEXT NOT NULL,
    member     TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('confirmed', 'waitlisted')),
    seq        INTEGER NOT NULL,
    chosen_at  TEXT NOT NULL,
    PRIMARY KEY (session_id, member)
);
CREATE INDEX event_session_choices_by_member ON event_session_choices (event_id, member);

CREATE VIEW event_session_waitlist AS
SELECT session_id, event_id, space, member,
       ROW_NUMBER() OVER (PARTITION BY session_id ORDER BY seq) AS position
FROM event_session_choices WHERE status = 'waitlisted';

-- What the bot told members on its own (promotion, offer, expiry, cancellation) and whether it reached them.
CREATE TABLE event_notices (
    id         INTEGER PRIMARY KEY,
    event_id   INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    space      TEXT NOT NULL,
    member     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    delivered  INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
