-- What later steps of a grant must know about its start. Keep in step with
-- ../postgres/0003_grant_facts.sql.

-- RFC 6749 §4.1.3: the token request must repeat redirect_uri exactly when the
-- authorization request included it. Codes issued before this migration live at most
-- minutes; they keep the earlier rule (optional with a single registered URI).
ALTER TABLE authorization_codes ADD COLUMN redirect_uri_included BOOLEAN NOT NULL DEFAULT FALSE;

-- OIDC Core §12.2: ID tokens from a refresh carry the original authentication time.
ALTER TABLE refresh_tokens ADD COLUMN auth_time TEXT;

-- When the user who approved a device authorization had logged in.
ALTER TABLE device_authorizations ADD COLUMN auth_time TEXT;
