-- Clients that authenticate with JWT assertions (RFC 7523): the one method an application
-- must use (NULL: a secret, or none for public clients, as Django OAuth Toolkit's), its
-- public keys (a JWK Set, or the URL it publishes them at), and, for client_secret_jwt,
-- its secret sealed under the server's key (the HMAC key; others keep only the hash).
-- Assertion ids (jti) already used, by hash, until the assertion expires: shared by every
-- instance on the database, so a replay to another instance is refused too. Keep in step
-- with ../sqlite/0010_client_assertions.sql.
ALTER TABLE applications ADD COLUMN token_endpoint_auth_method TEXT;
ALTER TABLE applications ADD COLUMN jwks TEXT;
ALTER TABLE applications ADD COLUMN jwks_uri TEXT;
ALTER TABLE applications ADD COLUMN sealed_secret BYTEA;
CREATE TABLE used_assertions (
    key_hash TEXT PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX used_assertions_expires_at ON used_assertions (expires_at);
