-- Schedules, each with the next time it fires in an indexed column: a tick claims the due rows
-- with FOR UPDATE SKIP LOCKED and recomputes only those (croniter is ~180 µs per next time).
CREATE TABLE schedules (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    description text,
    server_id bigint,
    database_id bigint,
    database_name text,
    cron_expression text NOT NULL,
    timezone text NOT NULL DEFAULT 'UTC',
    interval_hours double precision,
    backup_type text NOT NULL DEFAULT 'full',
    retention_policy_id bigint,
    max_backups integer NOT NULL DEFAULT 100,
    only_when_running boolean NOT NULL DEFAULT false,
    enabled boolean NOT NULL DEFAULT true,
    notify_on_success boolean NOT NULL DEFAULT false,
    notify_on_failure boolean NOT NULL DEFAULT true,
    -- Set for the one schedule 002's `PATCH /databases/{id}` manages for that database.
    owned_by_database bigint UNIQUE,
    created_by bigint,
    next_fire_at timestamptz,
    last_run_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX schedules_name ON schedules (lower(name));
CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE enabled;
CREATE INDEX schedules_server ON schedules (server_id);

-- One row per fire time of a schedule (the schedule log of 004). The unique key is what makes a
-- fire time produce one fire, whichever scheduler process got there and however often.
CREATE TABLE fires (
    id bigserial PRIMARY KEY,
    schedule_id bigint NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    server_id bigint,
    fire_at timestamptz NOT NULL,
    fire_key text NOT NULL UNIQUE,
    manual boolean NOT NULL DEFAULT false,
    fence bigint NOT NULL DEFAULT 0,
    fired_by text,
    status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'success', 'failed', 'cancelled')),
    started_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    logs text[] NOT NULL DEFAULT '{}',
    error_message text
);
CREATE UNIQUE INDEX fires_once ON fires (schedule_id, fire_at) WHERE NOT manual;
CREATE INDEX fires_schedule ON fires (schedule_id, started_at DESC);
CREATE INDEX fires_running ON fires (started_at) WHERE status = 'running';

-- The backups a fire asked for and what became of each.
CREATE TABLE fire_backups (
    backup_id bigint PRIMARY KEY,
    fire_id bigint NOT NULL REFERENCES fires (id) ON DELETE CASCADE,
    status text NOT NULL DEFAULT 'pending',
    size_bytes bigint,
    completed_at timestamptz,
    error_message text
);
CREATE INDEX fire_backups_fire ON fire_backups (fire_id);

-- Whether the scheduler fires at all (004's start/stop, persistent) and who holds the lease.
CREATE TABLE scheduler_state (
    id integer PRIMARY KEY CHECK (id = 1),
    running boolean NOT NULL DEFAULT true,
    holder text,
    fence bigint NOT NULL DEFAULT 0,
    lease_expires_at timestamptz,
    last_check_at timestamptz,
    next_check_at timestamptz,
    changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO scheduler_state (id) VALUES (1);
