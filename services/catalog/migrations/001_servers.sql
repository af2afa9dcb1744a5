CREATE TABLE servers (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    description text,
    type text NOT NULL,
    environment text,
    engine_type text NOT NULL,
    host text NOT NULL,
    port integer,
    auth_method text NOT NULL,
    username text,
    -- Secrets sealed with the master key by the gateway: {"password": SealedSecret, "ssh_key": ...}
    sealed_credentials jsonb NOT NULL DEFAULT '{}',
    discovery_enabled boolean NOT NULL DEFAULT true,
    tags jsonb NOT NULL DEFAULT '{}',
    health_status text NOT NULL DEFAULT 'unknown',
    last_heartbeat timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX servers_name ON servers (lower(name));
