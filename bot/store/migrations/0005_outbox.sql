-- Private notices a change decided to send, written in the same transaction as the change
-- (an outbox): a sender drains them after the commit, claimed as 'sending' before the platform
-- call and marked after, so none is lost when the process dies and none goes twice.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY,
    space      TEXT NOT NULL,
    member     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    params     TEXT NOT NULL,  -- JSON
    status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unsure')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending';
