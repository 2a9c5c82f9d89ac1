-- The optional maximum password age (docs/security.md, "Passwords").
--
-- users.password_changed_at is when the account's password was last set
-- (0: it has none). Existing passwords count from the account's creation,
-- the best this database knows.
--
-- sessions.stage gains 'password_change': the factors were right but the
-- password is older than the maximum age, and the session can do nothing
-- but choose a new one, or sign out. SQLite cannot alter a CHECK
-- constraint, so the table is rebuilt (https://sqlite.org/lang_altertable.html#otheralter).
-- Nothing references sessions, so dropping the old table cascades nowhere
-- and this runs inside goose's transaction; sessions carry over.

-- +goose Up
ALTER TABLE users ADD COLUMN password_changed_at INTEGER NOT NULL DEFAULT 0;
UPDATE users SET password_changed_at = created_at WHERE password_hash != '';

CREATE TABLE sessions_new (
    token_hash   BLOB    PRIMARY KEY,
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    stage        TEXT    NOT NULL DEFAULT '' CHECK (stage IN ('', 'second_factor', 'enrol', 'password_change')),
    method       TEXT    NOT NULL DEFAULT '',
    device       TEXT    NOT NULL DEFAULT '',
    last_seen_at INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO sessions_new SELECT token_hash, user_id, created_at, expires_at, stage, method, device, last_seen_at FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- +goose Down
-- Sessions that owe a new password end: the older schema has no stage for
-- them.
DELETE FROM sessions WHERE stage = 'password_change';
CREATE TABLE sessions_old (
    token_hash   BLOB    PRIMARY KEY,
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    stage        TEXT    NOT NULL DEFAULT '' CHECK (stage IN ('', 'second_factor', 'enrol')),
    method       TEXT    NOT NULL DEFAULT '',
    device       TEXT    NOT NULL DEFAULT '',
    last_seen_at INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO sessions_old SELECT token_hash, user_id, created_at, expires_at, stage, method, device, last_seen_at FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_old RENAME TO sessions;
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
ALTER TABLE users DROP COLUMN password_changed_at;
