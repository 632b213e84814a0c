-- Brute-force protection: failures counted per key (a login name, an address, a client
-- id, a user), shared by every instance on one database. Keep in step with
-- ../sqlite/0004_throttles.sql.
CREATE TABLE throttles (
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    failures INTEGER NOT NULL,
    last_failure_at TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ,
    permanent BOOLEAN NOT NULL,
    -- When the row may be deleted: the count is forgotten and no lock runs.
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, subject)
);
CREATE INDEX throttles_expires_at ON throttles (expires_at);
