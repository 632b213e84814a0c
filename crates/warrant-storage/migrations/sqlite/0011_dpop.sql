-- DPoP (RFC 9449): the thumbprint of the key an access token is bound to (cnf.jkt), and
-- that of a public client's refresh token, which a refresh must prove; clients that must
-- use DPoP (dpop_bound_access_tokens). Keep in step with
-- ../postgres/0011_dpop.sql.
ALTER TABLE access_tokens ADD COLUMN dpop_jkt TEXT;
ALTER TABLE refresh_tokens ADD COLUMN dpop_jkt TEXT;
ALTER TABLE applications ADD COLUMN require_dpop BOOLEAN NOT NULL DEFAULT FALSE;
