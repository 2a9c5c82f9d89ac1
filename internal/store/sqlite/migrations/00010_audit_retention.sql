-- Retention of the audit log (docs/security.md, "Retention"): a prefix of
-- old entries may be removed once the checkpoint records the last removed
-- entry's seq and hash, so that the first remaining entry still links to
-- something and the chain verifies from there. The seal is package audit's
-- MAC over seq, hash and time; the database only keeps the bookkeeping
-- consistent, the seal is what stops someone without the key from passing
-- off deleted entries as retention.

-- +goose Up
CREATE TABLE audit_checkpoint (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL CHECK (seq > 0),
    hash BLOB    NOT NULL,
    at   INTEGER NOT NULL,
    seal BLOB    NOT NULL
) STRICT;

-- The checkpoint must name an entry that is still there and is not the
-- newest: the head always stays. Once a row exists it is only ever
-- updated (a second INSERT, also INSERT OR REPLACE, is refused).
-- +goose StatementBegin
CREATE TRIGGER audit_checkpoint_insert BEFORE INSERT ON audit_checkpoint
WHEN EXISTS (SELECT 1 FROM audit_checkpoint)
  OR NOT EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq AND hash = NEW.hash)
  OR NEW.seq >= (SELECT max(seq) FROM audit_log)
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoint: must name a stored entry other than the newest, once');
END;
-- +goose StatementEnd

-- Moving the checkpoint only goes forward, to another stored entry that is
-- not the newest; rewriting it in place (same seq) is refused.
-- +goose StatementBegin
CREATE TRIGGER audit_checkpoint_update BEFORE UPDATE ON audit_checkpoint
WHEN NEW.id IS NOT OLD.id
  OR NEW.seq <= OLD.seq
  OR NOT EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq AND hash = NEW.hash)
  OR NEW.seq >= (SELECT max(seq) FROM audit_log)
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoint: can only move forward to a stored entry other than the newest');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_checkpoint_delete BEFORE DELETE ON audit_checkpoint
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoint: cannot be deleted');
END;
-- +goose StatementEnd

-- Entries may now be deleted up to the checkpoint, and only up to it.
DROP TRIGGER audit_log_append_only_delete;

-- +goose StatementBegin
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
WHEN OLD.seq > coalesce((SELECT seq FROM audit_checkpoint), 0)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: DELETE only up to the retention checkpoint');
END;
-- +goose StatementEnd

-- The next seq follows the newest entry, or the checkpoint when every
-- entry is gone (which the checkpoint triggers prevent, but the numbering
-- must not restart at 1 and collide with removed history if it happens).
DROP TRIGGER audit_log_append_only_insert;

-- +goose StatementBegin
CREATE TRIGGER audit_log_append_only_insert BEFORE INSERT ON audit_log
WHEN NEW.seq IS NOT coalesce((SELECT max(seq) FROM audit_log), (SELECT seq FROM audit_checkpoint), 0) + 1
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: seq must be the next number');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER audit_log_append_only_insert;

-- +goose StatementBegin
CREATE TRIGGER audit_log_append_only_insert BEFORE INSERT ON audit_log
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit_log)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: seq must be the next number');
END;
-- +goose StatementEnd

DROP TRIGGER audit_log_append_only_delete;

-- +goose StatementBegin
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: no DELETE');
END;
-- +goose StatementEnd

DROP TABLE audit_checkpoint;
