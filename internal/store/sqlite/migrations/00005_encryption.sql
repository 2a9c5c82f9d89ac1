-- Encryption at rest (package crypt): per-owner data keys, wrapped under a
-- master key kept outside the database, and sealed columns for the
-- personal content of users and meetings.
--
-- SQL cannot encrypt, so this migration moves the existing plain text into
-- users_plaintext and meetings_plaintext; the store seals it in Go on the
-- next Open, deleting each row as it goes (sqlite.convertPlaintext); the
-- emptied tables stay for the down migration. users is
-- rebuilt as in 00004 (its UNIQUE e-mail column cannot be dropped in
-- place), with foreign keys off around the rebuild.

-- +goose NO TRANSACTION

-- +goose Up
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE data_keys (
    owner      TEXT    PRIMARY KEY,
    wrapped    BLOB    NOT NULL,
    master_id  TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX data_keys_master_id ON data_keys (master_id);

CREATE TABLE users_plaintext (
    id    TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    name  TEXT NOT NULL
) STRICT;

INSERT INTO users_plaintext (id, email, name) SELECT id, email, name FROM users;

-- email_index is the blind index of the lower-cased e-mail; it and the
-- sealed columns are NULL only until conversion, and again for an erased
-- account's tombstone (erased_at <> 0).
CREATE TABLE users_new (
    id            TEXT    PRIMARY KEY,
    email_index   TEXT    UNIQUE,
    email_sealed  BLOB,
    name_sealed   BLOB,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'privacy_officer', 'member')),
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    erased_at     INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT INTO users_new (id, role, password_hash, created_at)
SELECT id, role, password_hash, created_at FROM users;

DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

CREATE TABLE meetings_plaintext (
    id       TEXT PRIMARY KEY,
    title    TEXT NOT NULL,
    passcode TEXT NOT NULL
) STRICT;

INSERT INTO meetings_plaintext (id, title, passcode) SELECT id, title, passcode FROM meetings;

ALTER TABLE meetings DROP COLUMN title;
ALTER TABLE meetings DROP COLUMN passcode;
ALTER TABLE meetings ADD COLUMN title_sealed BLOB;
ALTER TABLE meetings ADD COLUMN passcode_sealed BLOB;

CREATE INDEX meetings_ends_at ON meetings (ends_at) WHERE ends_at <> 0;

CREATE TEMP TABLE migration_fk_check (violations INTEGER NOT NULL CHECK (violations = 0));
INSERT INTO migration_fk_check SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE migration_fk_check;

COMMIT;
PRAGMA foreign_keys = ON;

-- +goose Down
-- Lossy: sealed values cannot be decrypted in SQL. Names, titles and
-- passcodes become empty and e-mails become "<id>@invalid"; rows, IDs,
-- roles, password hashes and references survive. Plain text not yet
-- converted is restored.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE users_old (
    id            TEXT    PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'privacy_officer', 'member')),
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

INSERT INTO users_old (id, email, name, role, password_hash, created_at)
SELECT u.id, coalesce(p.email, u.id || '@invalid'), coalesce(p.name, ''), u.role, u.password_hash, u.created_at
FROM users AS u LEFT JOIN users_plaintext AS p ON p.id = u.id;

DROP TABLE users;
ALTER TABLE users_old RENAME TO users;

DROP INDEX meetings_ends_at;
ALTER TABLE meetings ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE meetings ADD COLUMN passcode TEXT NOT NULL DEFAULT '';
UPDATE meetings SET
    title = coalesce((SELECT p.title FROM meetings_plaintext AS p WHERE p.id = meetings.id), ''),
    passcode = coalesce((SELECT p.passcode FROM meetings_plaintext AS p WHERE p.id = meetings.id), '');
ALTER TABLE meetings DROP COLUMN title_sealed;
ALTER TABLE meetings DROP COLUMN passcode_sealed;

DROP TABLE users_plaintext;
DROP TABLE meetings_plaintext;
DROP TABLE data_keys;

CREATE TEMP TABLE migration_fk_check (violations INTEGER NOT NULL CHECK (violations = 0));
INSERT INTO migration_fk_check SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE migration_fk_check;

COMMIT;
PRAGMA foreign_keys = ON;
