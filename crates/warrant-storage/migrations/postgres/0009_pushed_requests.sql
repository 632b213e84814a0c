-- Pushed authorization requests (RFC 9126): the SHA-256 of the request_uri handed to the
-- client, the client, its parameters sealed, and when it expires, was first brought by a
-- browser, and was decided (used once). Clients that must push theirs. Keep in step with
-- ../sqlite/0009_pushed_requests.sql.
CREATE TABLE pushed_requests (
    request_uri_hash TEXT PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    params BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    opened_at TIMESTAMPTZ,
    used_at TIMESTAMPTZ
);
CREATE INDEX pushed_requests_expires_at ON pushed_requests (expires_at);
CREATE INDEX pushed_requests_application_id ON pushed_requests (application_id);
ALTER TABLE applications ADD COLUMN require_pushed_requests BOOLEAN NOT NULL DEFAULT FALSE;
