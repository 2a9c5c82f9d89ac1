-- Adds the privacy_officer role to users.role.
--
-- SQLite cannot alter a CHECK constraint, so the table is rebuilt the way
-- https://sqlite.org/lang_altertable.html#otheralter prescribes: create the
-- new table, copy, drop the old one, rename. Foreign keys must be off while
-- the old table is dropped, or its implicit DELETE would cascade to every
-- session and meeting that references users (id). PRAGMA foreign_keys is
-- ignored inside a transaction, so this migration runs without goose's
-- transaction and opens its own around the rebuild; goose runs all of it on
-- one connection, whose foreign keys are back on at the end.
--
-- Nothing else is defined on users: its only index is the one behind
-- UNIQUE (email), which the new table brings along, and the references into
-- it name the table, so they resolve to the new one after the rename.

-- +goose NO TRANSACTION

-- +goose Up
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE users_new (
    id            TEXT    PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'privacy_officer', 'member')),
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

INSERT INTO users_new (id, email, name, role, password_hash, created_at)
SELECT id, email, name, role, password_hash, created_at FROM users;

DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

-- Refuse to commit a schema whose references no longer hold (the CHECK
-- fails the insert when foreign_key_check reports anything).
CREATE TEMP TABLE migration_fk_check (violations INTEGER NOT NULL CHECK (violations = 0));
INSERT INTO migration_fk_check SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE migration_fk_check;

COMMIT;
PRAGMA foreign_keys = ON;

-- +goose Down
-- Privacy officers become members: the narrower constraint has no place
-- for them, and losing access to the audit log is the safe direction.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE users_old (
    id            TEXT    PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'member')),
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

INSERT INTO users_old (id, email, name, role, password_hash, created_at)
SELECT id, email, name, CASE role WHEN 'privacy_officer' THEN 'member' ELSE role END,
       password_hash, created_at FROM users;

DROP TABLE users;
ALTER TABLE users_old RENAME TO users;

CREATE TEMP TABLE migration_fk_check (violations INTEGER NOT NULL CHECK (violations = 0));
INSERT INTO migration_fk_check SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE migration_fk_check;

COMMIT;
PRAGMA foreign_keys = ON;
