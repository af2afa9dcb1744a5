-- Every backup the catalog was asked for, and what became of it. `fence` is the fencing token
-- of the executor attempt that owns the job: events of older attempts are ignored.
CREATE TABLE backups (
    id bigserial PRIMARY KEY,
    job_id uuid NOT NULL UNIQUE,
    database_id bigint REFERENCES databases (id) ON DELETE SET NULL,
    server_id bigint REFERENCES servers (id) ON DELETE SET NULL,
    database_name text NOT NULL,
    database_alias text,
    engine_name text,
    db_type text NOT NULL,
    backup_type text NOT NULL DEFAULT 'full',
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'cancelled')),
    triggered_by text NOT NULL DEFAULT 'manual',
    compression text NOT NULL,
    destination text NOT NULL,
    storage_key text,
    storage_path text,
    size_bytes bigint,
    plain_size_bytes bigint,
    checksum text,
    sha256_plain text,
    key_id text,
    tool_version text,
    file_format text,
    fence bigint NOT NULL DEFAULT 0,
    attempts integer NOT NULL DEFAULT 0,
    executor text,
    started_at timestamptz,
    completed_at timestamptz,
    duration_seconds double precision,
    error_message text,
    error_cause text,
    verified boolean NOT NULL DEFAULT false,
    verification_date timestamptz,
    verification jsonb,
    tier text,
    retention_until timestamptz,
    requested_by text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX backups_database ON backups (database_id, created_at DESC);
CREATE INDEX backups_server ON backups (server_id, created_at DESC);
CREATE INDEX backups_status ON backups (status, created_at DESC);

CREATE TABLE restores (
    id bigserial PRIMARY KEY,
    job_id uuid NOT NULL UNIQUE,
    backup_id bigint NOT NULL REFERENCES backups (id) ON DELETE CASCADE,
    target_server_id bigint REFERENCES servers (id) ON DELETE SET NULL,
    target_database text NOT NULL,
    target_endpoint jsonb NOT NULL,
    masking_rules jsonb NOT NULL DEFAULT '{}',
    mask_sensitive_data boolean NOT NULL DEFAULT false,
    dry_run boolean NOT NULL DEFAULT false,
    replace_existing boolean NOT NULL DEFAULT false,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'cancelled')),
    fence bigint NOT NULL DEFAULT 0,
    attempts integer NOT NULL DEFAULT 0,
    executor text,
    started_at timestamptz,
    completed_at timestamptz,
    duration_seconds double precision,
    bytes_restored bigint,
    masked_columns jsonb NOT NULL DEFAULT '{}',
    table_counts jsonb NOT NULL DEFAULT '{}',
    warnings jsonb NOT NULL DEFAULT '[]',
    errors jsonb NOT NULL DEFAULT '[]',
    requested_by text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX restores_backup ON restores (backup_id);
