-- Links to a live thread's web page (bot/web/): the shared and projector links staff hand out, and each
-- member's personal link, which lets them vote, upvote and ask from the page. A link works until it is
-- revoked (/live web revoke) or, for a personal link, until its thread stops.
CREATE TABLE live_links (
    token      TEXT PRIMARY KEY,  -- secrets.token_urlsafe(16) or longer: at least 128 random bits
    thread_id  INTEGER NOT NULL REFERENCES live_threads (id),
    kind       TEXT NOT NULL CHECK (kind IN ('shared', 'projector', 'personal')),
    member     TEXT,  -- personal links: the platform-qualified member they act as; never shown on the page
    name       TEXT,  -- personal links: the member's display name, for what they do from the page
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX live_links_by_thread ON live_links (thread_id) WHERE revoked_at IS NULL;
