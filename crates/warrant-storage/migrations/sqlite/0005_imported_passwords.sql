-- Imports (`warrant import django`): the SHA-256 of the password hash a user was last
-- imported with, so that importing again replaces a password only if it changed on the
-- other site since, never one re-hashed or changed here. A digest, so that no copy of a
-- weaker hash outlives its upgrade. Keep in step with ../postgres/0005_imported_passwords.sql.
ALTER TABLE users ADD COLUMN imported_password_sha256 TEXT;
