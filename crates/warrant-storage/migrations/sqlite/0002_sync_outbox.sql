-- Client sync keeps one row per client app and user, whose version a change bumps, instead
-- of one row per change: a newer record supersedes an undelivered one by construction, and
-- the record (with the API token) is read when it is sent, so no copy of it waits at rest.
DROP TABLE outbox_events;

CREATE TABLE sync_outbox (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    pending_since TEXT,
    attempts INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    claimed_until TEXT,
    last_attempt_at TEXT,
    last_error TEXT,
    delivered_at TEXT,
    dead_at TEXT,
    CONSTRAINT sync_outbox_target_user_unique UNIQUE (target, user_id)
);
CREATE INDEX sync_outbox_due ON sync_outbox (target, next_attempt_at)
    WHERE pending_since IS NOT NULL AND dead_at IS NULL;
CREATE INDEX sync_outbox_user ON sync_outbox (user_id);
