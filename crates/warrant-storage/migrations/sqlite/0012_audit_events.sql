-- The audit log: security events (logins, lockouts, consents, revocations, changes to
-- users, applications and keys) with who acted, on what, from where. Appended only;
-- deleted past audit.retention_days. The acting user stays a plain id: a deleted user's
-- events are kept. Keep in step with ../postgres/0012_audit_events.sql.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TEXT NOT NULL,
    action TEXT NOT NULL,
    actor_user_id INTEGER,
    actor TEXT,
    target TEXT,
    client_address TEXT,
    detail TEXT
);
CREATE INDEX audit_events_occurred_at ON audit_events (occurred_at);
CREATE INDEX audit_events_target ON audit_events (target, id);
CREATE INDEX audit_events_actor_user_id ON audit_events (actor_user_id, id);
