-- A scheduled backup names its schedule and the fire it came from; the fire key is unique, so
-- one fire time of one schedule can create one backup per database, however often it arrives.
ALTER TABLE backups ADD COLUMN schedule_id bigint;
ALTER TABLE backups ADD COLUMN fire_key text UNIQUE;
CREATE INDEX backups_schedule ON backups (schedule_id, created_at DESC) WHERE schedule_id IS NOT NULL;
-- 002's `retention_days`: keep this database's backups for so many days (overrides its policy).
ALTER TABLE databases ADD COLUMN retention_days integer CHECK (retention_days > 0);
