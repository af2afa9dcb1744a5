CREATE TABLE users (
    id bigserial PRIMARY KEY,
    username text NOT NULL,
    email text,
    full_name text,
    password_hash text NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    dark_mode boolean NOT NULL DEFAULT false,
    page_size integer NOT NULL DEFAULT 25,
    login_count integer NOT NULL DEFAULT 0,
    last_login timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username ON users (lower(username));
CREATE UNIQUE INDEX users_email ON users (lower(email)) WHERE email IS NOT NULL;

-- Refresh tokens are stored as SHA-256 digests; a family is one login's chain of rotations.
CREATE TABLE refresh_tokens (
    token_hash text PRIMARY KEY,
    family_id uuid NOT NULL,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE login_attempts (
    id bigserial PRIMARY KEY,
    username text NOT NULL,
    ip_address text NOT NULL,
    succeeded boolean NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_recent ON login_attempts (lower(username), ip_address, at);

CREATE TABLE access_requests (
    id bigserial PRIMARY KEY,
    username text NOT NULL,
    email text,
    full_name text,
    password_hash text NOT NULL,
    requested_role text NOT NULL CHECK (requested_role IN ('admin', 'operator', 'viewer')),
    message text,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    reason text,
    decided_by bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    decided_at timestamptz
);

-- One row: application settings and this installation's identity.
CREATE TABLE settings (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    installation_id text NOT NULL,
    dark_mode boolean NOT NULL DEFAULT false,
    default_retention_days integer NOT NULL DEFAULT 30,
    default_compression boolean NOT NULL DEFAULT true,
    access_requests_enabled boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO settings (installation_id) VALUES (md5(random()::text || clock_timestamp()::text));
