-- When an administrator disabled the account (0: enabled). A disabled
-- account keeps its data and meetings but cannot sign in; the time, not a
-- flag, so that an administrator can tell how long it has been off.

-- +goose Up
ALTER TABLE users ADD COLUMN disabled_at INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN disabled_at;
