-- Resource indicators (RFC 8707): the resources an authorization code, access token or
-- refresh token is for, space-separated ('' when the client named none). Keep in step with
-- ../postgres/0006_resource_indicators.sql.
ALTER TABLE authorization_codes ADD COLUMN resources TEXT NOT NULL DEFAULT '';
ALTER TABLE access_tokens ADD COLUMN resources TEXT NOT NULL DEFAULT '';
ALTER TABLE refresh_tokens ADD COLUMN resources TEXT NOT NULL DEFAULT '';
