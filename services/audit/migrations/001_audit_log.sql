-- Every event, once. Each row's hash covers its fields and the previous row's hash
-- (services/audit/domain.py), so an edit, a deletion or a reordering breaks verification.
CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    event_id uuid NOT NULL UNIQUE,
    event_type text NOT NULL,
    action text NOT NULL,
    resource_type text NOT NULL,
    resource_id bigint,
    resource_name text,
    user_id bigint,
    username text,
    ip_address text,
    status text NOT NULL CHECK (status IN ('success', 'failed')),
    error_message text,
    details jsonb NOT NULL DEFAULT '{}',
    occurred_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    prev_hash text NOT NULL,
    hash text NOT NULL
);
CREATE INDEX audit_log_occurred_at ON audit_log (occurred_at);
CREATE INDEX audit_log_action ON audit_log (action);
CREATE INDEX audit_log_resource ON audit_log (resource_type, resource_id);
CREATE INDEX audit_log_user ON audit_log (user_id);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- The newest link of the chain. Appenders lock this row, so the chain stays linear
-- however many audit instances run.
CREATE TABLE chain_head (
    single boolean PRIMARY KEY DEFAULT true CHECK (single),
    last_id bigint,
    last_hash text NOT NULL
);
INSERT INTO chain_head (last_id, last_hash) VALUES (NULL, repeat('0', 64));
