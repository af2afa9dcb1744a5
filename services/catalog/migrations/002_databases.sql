CREATE TABLE databases (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    database_type text NOT NULL,
    server_id bigint REFERENCES servers (id) ON DELETE RESTRICT,
    use_engine_credentials boolean NOT NULL DEFAULT false,
    host text,
    port integer,
    database_name text NOT NULL,
    username text,
    -- The password sealed with the master key by the gateway, or NULL.
    sealed_password jsonb,
    policy_id bigint,
    enabled boolean NOT NULL DEFAULT true,
    compression text NOT NULL DEFAULT 'zstd',
    backup_destination text,
    tags jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX databases_name ON databases (lower(name));
CREATE INDEX databases_server ON databases (server_id);
