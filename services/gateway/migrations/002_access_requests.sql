-- At most one pending request per username; the hash is dropped once a request is decided.
CREATE UNIQUE INDEX access_requests_pending_username ON access_requests (lower(username))
    WHERE status = 'pending';
ALTER TABLE access_requests ALTER COLUMN password_hash DROP NOT NULL;
