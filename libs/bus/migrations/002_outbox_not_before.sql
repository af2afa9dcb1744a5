-- An event may be written before the moment it is due (a schedule's fire is claimed a few seconds
-- early so the database work is done by then); the relay publishes it from `not_before` on.
ALTER TABLE outbox ADD COLUMN not_before timestamptz;
