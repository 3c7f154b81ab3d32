-- Each claim of a send is stamped with the process that made it, so that at start (or on taking over the
-- scheduler) a process marks as 'unsure' only what a process no longer running left in flight.
ALTER TABLE deliveries ADD COLUMN claimed_by BIGINT;
