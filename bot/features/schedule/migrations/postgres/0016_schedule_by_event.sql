-- An event's messages by event, whatever their status: "was this event ever planned?" is asked for
-- every event at start, and the partial unique index (not cancelled) cannot answer it.
CREATE INDEX scheduled_by_event ON scheduled_messages (event_id);
