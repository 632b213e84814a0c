-- DPoP (RFC 9449): the thumbprint of the key an access token is bound to (cnf.jkt), that
-- of a public client's refresh token, which a refresh must prove, and that of an
-- authorization code bound to a key (dpop_jkt, RFC 9449 §10), which its exchange must
-- prove; clients that must use DPoP (dpop_bound_access_tokens). The security profile an
-- application is held to (NULL: the server's default). Keep in step with
-- ../sqlite/0011_dpop_and_profiles.sql.
ALTER TABLE access_tokens ADD COLUMN dpop_jkt TEXT;
ALTER TABLE refresh_tokens ADD COLUMN dpop_jkt TEXT;
ALTER TABLE authorization_codes ADD COLUMN dpop_jkt TEXT;
ALTER TABLE applications ADD COLUMN require_dpop BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE applications ADD COLUMN security_profile TEXT;
