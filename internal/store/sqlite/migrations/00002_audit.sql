-- The audit log: append-only, hash-chained (package audit computes hashes).
-- Times are UTC Unix nanoseconds, hashes raw bytes, details canonical JSON.

-- +goose Up
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY CHECK (seq > 0),
    at        INTEGER NOT NULL,
    action    TEXT    NOT NULL,
    actor     TEXT    NOT NULL,
    target    TEXT    NOT NULL,
    meeting   TEXT    NOT NULL,
    outcome   TEXT    NOT NULL,
    details   TEXT    NOT NULL,
    addr_hash BLOB,
    prev_hash BLOB    NOT NULL,
    hash      BLOB    NOT NULL
) STRICT;

CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_action ON audit_log (action);
CREATE INDEX audit_log_actor ON audit_log (actor) WHERE actor <> '';
CREATE INDEX audit_log_target ON audit_log (target) WHERE target <> '';
CREATE INDEX audit_log_meeting ON audit_log (meeting) WHERE meeting <> '';

-- Append-only at the database level as well: rows are never changed or
-- removed, and a new row must take the next sequence number (which also
-- stops INSERT OR REPLACE, whose implicit delete fires no trigger).
-- Someone with write access to the file can drop these triggers; the hash
-- chain is what detects that.

-- +goose StatementBegin
CREATE TRIGGER audit_log_append_only_insert BEFORE INSERT ON audit_log
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit_log)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: seq must be the next number');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: no UPDATE');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: no DELETE');
END;
-- +goose StatementEnd

-- Client addresses are personal data with a retention of their own, so they
-- live outside the chain, which holds only audit_log.addr_hash =
-- SHA-256(salt || addr). Deleting a row here (erasure, retention) leaves the
-- chain verifiable; changing one is refused, and would not match the hash.
CREATE TABLE audit_addr (
    seq  INTEGER PRIMARY KEY REFERENCES audit_log (seq),
    addr TEXT    NOT NULL,
    salt BLOB    NOT NULL
) STRICT;

-- +goose StatementBegin
CREATE TRIGGER audit_addr_no_update BEFORE UPDATE ON audit_addr
BEGIN
    SELECT RAISE(ABORT, 'audit_addr rows can only be deleted');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_addr;
DROP TABLE audit_log;
