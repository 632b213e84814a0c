-- The client app's mirror of the Warrant server's users (ocs-authentication's User +
-- AuthProfile), and the app's own API tokens. Secrets are stored hashed only.
CREATE TABLE mirrored_users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    is_active INTEGER NOT NULL,
    is_staff INTEGER NOT NULL,
    is_superuser INTEGER NOT NULL,
    staff_view INTEGER NOT NULL,
    api_token_hash TEXT UNIQUE,
    password_hash TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX mirrored_users_email ON mirrored_users (email);

CREATE TABLE app_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES mirrored_users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
CREATE INDEX app_tokens_user ON app_tokens (user_id);
