-- The time of each account's last successful sign-in (0: never), so that
-- accounts of people who stopped using Conclave can expire under the
-- retention policy for inactive accounts.

-- +goose Up
ALTER TABLE users ADD COLUMN last_login_at INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN last_login_at;
