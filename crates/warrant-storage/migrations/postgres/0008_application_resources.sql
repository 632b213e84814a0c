-- The resources (RFC 8707) an application's tokens may be for, space-separated; '' lets
-- it ask for any the server serves. Keep in step with ../sqlite/0008_application_resources.sql.
ALTER TABLE applications ADD COLUMN allowed_resources TEXT NOT NULL DEFAULT '';
