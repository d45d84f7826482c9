-- SCOPE storage, version 6: users, refresh tokens and the generated token signing key (docs/auth.md).

-- Usernames are unique whatever their case ("Admin" and "admin" are one user); the name keeps the
-- case it was created with. password_hash is an Argon2id PHC string carrying its own parameters.
CREATE TABLE scope.users (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username       text NOT NULL CHECK (username ~ '^[A-Za-z0-9._-]{1,64}$'),
    password_hash  text NOT NULL,
    role           text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    disabled       boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX users_username_lower ON scope.users (lower(username));

-- One row per refresh token ever issued, found by the SHA-256 of the opaque token (the token itself
-- is never stored). A login starts a family; each refresh marks its token used and adds the next one
-- to the same family, with the family's absolute expiry. Presenting a used or revoked token revokes
-- the whole family.
CREATE TABLE scope.refresh_tokens (
    token_hash         bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    family_id          uuid NOT NULL,
    user_id            bigint NOT NULL REFERENCES scope.users (id) ON DELETE CASCADE,
    issued_at          timestamptz NOT NULL,
    family_expires_at  timestamptz NOT NULL,
    used_at            timestamptz,
    revoked_at         timestamptz,
    revoke_reason      text
);

CREATE INDEX refresh_tokens_family ON scope.refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON scope.refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expiry ON scope.refresh_tokens (family_expires_at);

-- The HS256 signing key generated when none is configured (Scope:Auth:SigningKey, SigningKeyFile),
-- so that every core silo on this database signs and verifies with the same one. The first silo to
-- start inserts row 1; the others find it (INSERT ... ON CONFLICT DO NOTHING, then read).
CREATE TABLE scope.auth_keys (
    id          integer PRIMARY KEY,
    key         bytea NOT NULL CHECK (length(key) >= 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);
