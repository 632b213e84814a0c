-- Dynamic client registration (RFC 7591, RFC 7592): the applications clients registered
-- themselves, with the SHA-256 of their registration access token, the metadata they
-- registered (JSON, given back on reads), and where from (the per-address limit). Keep in
-- step with ../sqlite/0007_client_registrations.sql.
CREATE TABLE client_registrations (
    application_id BIGINT PRIMARY KEY REFERENCES applications (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    metadata TEXT NOT NULL,
    registered_from TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT client_registrations_token_hash_unique UNIQUE (token_hash)
);
CREATE INDEX client_registrations_from ON client_registrations (registered_from, created_at);
