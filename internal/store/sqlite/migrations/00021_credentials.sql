-- Credentials (docs/security.md, "Accounts"): the factors an account signs
-- in with besides its password — a TOTP authenticator, one-time recovery
-- codes, passkeys (WebAuthn) and OIDC identities. An account has any number
-- of them, of any kind; one without a password (users.password_hash = '',
-- as erasure already leaves it) signs in only through them.
--
-- name_sealed and secret_sealed are sealed under the account's subject
-- key (like users.name), bound to the row's ID, so erasing the account
-- (which destroys that key) leaves them unreadable in every copy of the
-- database; the erasure deletes the rows too. lookup is a keyed blind
-- index (crypt.Keyring.Index) of what the credential is found by — a
-- recovery code, an OIDC issuer and subject, a passkey's credential ID —
-- or '' for none; the value itself is never stored. counter is the TOTP's
-- last accepted time step (a code is accepted once) or a passkey's
-- signature count; it changes only by compare-and-set. Times are UTC Unix
-- nanoseconds; last_used_at is 0 until first use.

-- +goose Up
CREATE TABLE credentials (
    id            TEXT    PRIMARY KEY CHECK (id LIKE 'cr\_%' ESCAPE '\'),
    user_id       TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL CHECK (kind IN ('totp', 'recovery', 'webauthn', 'oidc')),
    name_sealed   BLOB    NOT NULL,
    secret_sealed BLOB    NOT NULL,
    lookup        TEXT    NOT NULL DEFAULT '',
    counter       INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX credentials_user ON credentials (user_id, kind);
CREATE UNIQUE INDEX credentials_lookup ON credentials (kind, lookup) WHERE lookup <> '';

-- +goose Down
DROP TABLE credentials;
