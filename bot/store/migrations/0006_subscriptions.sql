-- Which feature listens to which channel or thread of a space (the live thread relays them).
-- The dispatcher routes inbound messages from memory and reloads this table at start,
-- so a feature keeps listening across restarts.
CREATE TABLE subscriptions (
    feature    TEXT NOT NULL,
    space      TEXT NOT NULL,
    channel    TEXT NOT NULL,
    thread     TEXT NOT NULL DEFAULT '',  -- '' for the whole channel, its threads included
    created_at TEXT NOT NULL,
    PRIMARY KEY (feature, space, channel, thread)
);
