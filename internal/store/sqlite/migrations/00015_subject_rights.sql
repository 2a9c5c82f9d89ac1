-- The data subjects' rights that were missing (docs/privacy.md, "Data
-- subjects' rights"):
--
-- * subject_requests accepts two more kinds, restriction (Art. 18) and
--   objection (Art. 21). SQLite cannot change a CHECK constraint in
--   place, so the table is rebuilt with the same columns and indexes. No
--   table refers to it.
-- * users.restricted_at: when a privacy officer restricted the account's
--   processing (0: not restricted). A restricted account keeps its data
--   but cannot sign in, and retention does not expire it.
-- * guest_proofs: one-time proofs handed to guest participants, so that a
--   guest (who has no account) can later show that a participant ID was
--   theirs when making a request. Only the SHA-256 of the token is stored.
--   Times are UTC Unix nanoseconds.

-- +goose Up
CREATE TABLE subject_requests_new (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('access', 'erasure', 'rectification', 'portability', 'restriction', 'objection')),
    received_at    INTEGER NOT NULL,
    due_at         INTEGER NOT NULL CHECK (due_at >= received_at),
    status         TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'rejected')),
    closed_at      INTEGER NOT NULL DEFAULT 0,
    subject_index  TEXT,
    subject_sealed BLOB,
    notes_sealed   BLOB
) STRICT;

INSERT INTO subject_requests_new (id, kind, received_at, due_at, status, closed_at, subject_index, subject_sealed, notes_sealed)
SELECT id, kind, received_at, due_at, status, closed_at, subject_index, subject_sealed, notes_sealed FROM subject_requests;

DROP TABLE subject_requests;
ALTER TABLE subject_requests_new RENAME TO subject_requests;

CREATE INDEX subject_requests_open ON subject_requests (due_at) WHERE status = 'open';
CREATE INDEX subject_requests_subject ON subject_requests (subject_index);
CREATE INDEX subject_requests_closed ON subject_requests (closed_at) WHERE status <> 'open';

ALTER TABLE users ADD COLUMN restricted_at INTEGER NOT NULL DEFAULT 0;

CREATE TABLE guest_proofs (
    token_hash     BLOB    PRIMARY KEY,
    participant_id TEXT    NOT NULL CHECK (participant_id LIKE 'p\_%' ESCAPE '\'),
    -- No foreign key: the proof outlives the meeting's row, as the
    -- participant's audit entries do.
    meeting_id     TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL CHECK (expires_at > created_at)
) STRICT;

CREATE INDEX guest_proofs_participant ON guest_proofs (participant_id);
CREATE INDEX guest_proofs_expires_at ON guest_proofs (expires_at);
CREATE INDEX guest_proofs_created_at ON guest_proofs (created_at);

-- +goose Down
-- Lossy: requests of the new kinds cannot be stored in the old table, so
-- they are deleted with their keys; restrictions are lifted and guest
-- proofs dropped.
DROP TABLE guest_proofs;
ALTER TABLE users DROP COLUMN restricted_at;

DELETE FROM data_keys WHERE owner IN
    (SELECT 'request:' || id FROM subject_requests WHERE kind IN ('restriction', 'objection'));
DELETE FROM subject_requests WHERE kind IN ('restriction', 'objection');

CREATE TABLE subject_requests_old (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('access', 'erasure', 'rectification', 'portability')),
    received_at    INTEGER NOT NULL,
    due_at         INTEGER NOT NULL CHECK (due_at >= received_at),
    status         TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'rejected')),
    closed_at      INTEGER NOT NULL DEFAULT 0,
    subject_index  TEXT,
    subject_sealed BLOB,
    notes_sealed   BLOB
) STRICT;

INSERT INTO subject_requests_old (id, kind, received_at, due_at, status, closed_at, subject_index, subject_sealed, notes_sealed)
SELECT id, kind, received_at, due_at, status, closed_at, subject_index, subject_sealed, notes_sealed FROM subject_requests;

DROP TABLE subject_requests;
ALTER TABLE subject_requests_old RENAME TO subject_requests;

CREATE INDEX subject_requests_open ON subject_requests (due_at) WHERE status = 'open';
CREATE INDEX subject_requests_subject ON subject_requests (subject_index);
CREATE INDEX subject_requests_closed ON subject_requests (closed_at) WHERE status <> 'open';
