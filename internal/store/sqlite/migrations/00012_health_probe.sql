-- One row that the readiness check (GET /readyz) rewrites to prove that
-- the database still accepts writes: a full disk or a read-only file
-- system fails it, where a read would succeed.

-- +goose Up
CREATE TABLE health_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE health_probe;
