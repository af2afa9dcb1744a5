-- Access tokens revoked before they expire (logout), by the token's id (`jti`). A row is useless
-- once its token has expired: rows past `expires_at` are removed as new ones are added.
CREATE TABLE revoked_access_tokens (
    jti text PRIMARY KEY,
    user_id bigint NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revoked_access_tokens_expiry ON revoked_access_tokens (expires_at);
