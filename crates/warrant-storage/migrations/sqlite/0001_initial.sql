-- Warrant's schema (SQLite). Secrets appear only as SHA-256 hex (`*_hash`) or sealed
-- AES-256-GCM blobs; timestamps are RFC 3339 UTC text at whole seconds, so text order is
-- time order. Keep in step with ../postgres/0001_initial.sql.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    email TEXT,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    password TEXT,
    is_active BOOLEAN NOT NULL,
    is_staff BOOLEAN NOT NULL,
    is_superuser BOOLEAN NOT NULL,
    date_joined TEXT NOT NULL,
    last_login TEXT,
    CONSTRAINT users_username_unique UNIQUE (username),
    CONSTRAINT users_email_unique UNIQUE (email)
);

CREATE TABLE applications (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL,
    client_secret_hash TEXT,
    client_type TEXT NOT NULL,
    grant_types TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    allowed_origins TEXT NOT NULL,
    name TEXT NOT NULL,
    owner_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    skip_authorization BOOLEAN NOT NULL,
    pkce_required BOOLEAN NOT NULL,
    algorithm TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT applications_client_id_unique UNIQUE (client_id)
);
CREATE INDEX applications_owner ON applications (owner_id);

CREATE TABLE authorization_codes (
    id INTEGER PRIMARY KEY,
    code_hash TEXT NOT NULL,
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    code_challenge TEXT,
    code_challenge_method TEXT,
    nonce TEXT,
    auth_time TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    consumed_at TEXT,
    CONSTRAINT authorization_codes_code_hash_unique UNIQUE (code_hash)
);
CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);

CREATE TABLE access_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL,
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    family TEXT NOT NULL,
    authorization_code_id INTEGER REFERENCES authorization_codes (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    CONSTRAINT access_tokens_token_hash_unique UNIQUE (token_hash)
);
CREATE INDEX access_tokens_family ON access_tokens (family);
CREATE INDEX access_tokens_user ON access_tokens (user_id);
CREATE INDEX access_tokens_code ON access_tokens (authorization_code_id);
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);

CREATE TABLE refresh_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL,
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    family TEXT NOT NULL,
    access_token_id INTEGER REFERENCES access_tokens (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    rotated_at TEXT,
    revoked_at TEXT,
    CONSTRAINT refresh_tokens_token_hash_unique UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_access_token ON refresh_tokens (access_token_id);

CREATE TABLE consents (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    PRIMARY KEY (user_id, application_id)
);

CREATE TABLE sessions (
    key_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    auth_time TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE api_tokens (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    sealed_token BLOB NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT api_tokens_token_hash_unique UNIQUE (token_hash)
);

CREATE TABLE upstream_connections (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    provider_user_id TEXT NOT NULL,
    access_token BLOB NOT NULL,
    refresh_token BLOB,
    access_token_expires_at TEXT,
    extra_data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT upstream_connections_provider_user_unique UNIQUE (provider, provider_user_id)
);
CREATE INDEX upstream_connections_user ON upstream_connections (user_id);

CREATE TABLE outbox_events (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    payload BLOB NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    delivered_at TEXT,
    dead_at TEXT
);
CREATE INDEX outbox_events_due ON outbox_events (next_attempt_at) WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE INDEX outbox_events_target_user ON outbox_events (target, user_id);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    algorithm TEXT NOT NULL,
    private_key BLOB NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at TEXT NOT NULL,
    retired_at TEXT
);

CREATE TABLE device_authorizations (
    id INTEGER PRIMARY KEY,
    device_code_hash TEXT NOT NULL,
    user_code_hash TEXT NOT NULL,
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    status TEXT NOT NULL,
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    interval_seconds INTEGER NOT NULL,
    last_polled_at TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    CONSTRAINT device_authorizations_device_code_hash_unique UNIQUE (device_code_hash),
    CONSTRAINT device_authorizations_user_code_hash_unique UNIQUE (user_code_hash)
);
