-- Accounts, profiles, sessions, refresh tokens, login throttling and the audit log.

CREATE TABLE users (
    id             BLOB PRIMARY KEY,
    email          text NOT NULL UNIQUE,          -- stored lower-cased
    password_hash  text NOT NULL,                 -- Argon2id PHC string
    role           text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    last_login_at  TEXT
);

CREATE TABLE profiles (
    user_id       BLOB PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    display_name  text NOT NULL,
    bio           text,
    avatar_url    text,
    phone         text,
    updated_at    TEXT NOT NULL
);

-- A session is one refresh-token family (one login on one device).
CREATE TABLE sessions (
    id               BLOB PRIMARY KEY,
    user_id          BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at       TEXT NOT NULL,
    last_used_at     TEXT NOT NULL,
    idle_expires_at  TEXT NOT NULL,
    expires_at       TEXT NOT NULL,       -- absolute lifetime
    revoked_at       TEXT,
    user_agent       text,
    ip               text
);
CREATE INDEX sessions_user_active ON sessions (user_id, last_used_at) WHERE revoked_at IS NULL;

-- Only the SHA-256 of each refresh token is stored.
CREATE TABLE refresh_tokens (
    token_hash  BLOB PRIMARY KEY,
    session_id  BLOB NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    used_at     TEXT                     -- set when rotated; reuse after that is theft
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- Consecutive failed logins per e-mail (known or not), keyed by SHA-256 of the
-- normalised address so unknown addresses typed by users are not stored.
CREATE TABLE login_throttle (
    email_hash    BLOB PRIMARY KEY,
    failures      integer NOT NULL,
    locked_until  TEXT,
    updated_at    TEXT NOT NULL
);

-- No foreign key on user_id: the trail outlives deleted accounts.
CREATE TABLE audit_events (
    id          BLOB PRIMARY KEY,
    at          TEXT NOT NULL,
    kind        text NOT NULL,
    severity    text NOT NULL,
    user_id     BLOB,
    ip          text,
    user_agent  text,
    request_id  text,
    detail      text NOT NULL                   -- a JSON object
);
CREATE INDEX audit_events_at ON audit_events (at DESC, id DESC);
CREATE INDEX audit_events_user ON audit_events (user_id, at DESC, id DESC);
CREATE INDEX audit_events_kind ON audit_events (kind, at DESC, id DESC);
