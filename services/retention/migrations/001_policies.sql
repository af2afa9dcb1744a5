-- Retention policies: 000's counts and 001's tiers as one set of numbers per policy.
CREATE TABLE policies (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    description text,
    is_system boolean NOT NULL DEFAULT false,
    keep_last_n integer CHECK (keep_last_n > 0),
    keep_days integer CHECK (keep_days > 0),
    keep_hourly integer NOT NULL DEFAULT 0 CHECK (keep_hourly >= 0),
    keep_daily integer NOT NULL DEFAULT 0 CHECK (keep_daily >= 0),
    keep_weekly integer NOT NULL DEFAULT 0 CHECK (keep_weekly >= 0),
    keep_monthly integer NOT NULL DEFAULT 0 CHECK (keep_monthly >= 0),
    keep_yearly integer NOT NULL DEFAULT 0 CHECK (keep_yearly >= 0),
    tier_options jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX policies_name ON policies (lower(name));
-- The policy of every database that names none: cannot be deleted.
INSERT INTO policies (name, description, is_system, keep_daily, keep_weekly, keep_monthly)
VALUES ('Default Policy', 'Keep the last 7 daily, 4 weekly and 12 monthly backups', true, 7, 4, 12);

-- What each evaluation deleted and why: the answer to "where did my backup go?".
CREATE TABLE deletions (
    backup_id bigint PRIMARY KEY,
    database_id bigint NOT NULL,
    policy_id bigint,
    reason text NOT NULL,
    deleted_at timestamptz NOT NULL DEFAULT now()
);
