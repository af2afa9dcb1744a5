-- One row per job an executor ever claimed. `fence` grows by one with every claim, so an
-- attempt that lost its lease (its process paused or died) cannot finish the job: finishing
-- requires the fence it was given to still be the current one.
CREATE TABLE leases (
    job_id uuid PRIMARY KEY,
    kind text NOT NULL,
    fence bigint NOT NULL,
    holder text NOT NULL,
    attempts integer NOT NULL DEFAULT 1,
    state text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'waiting', 'done')),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
