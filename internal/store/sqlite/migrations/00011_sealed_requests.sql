-- Seal the free text of subject requests: subject_ref and notes may hold a
-- person's name, so they are encrypted under the request's own data key
-- (owner "request:<id>"), which is shredded when the request expires.
--
-- SQL cannot encrypt, so, as 00005 did for users and meetings, this moves
-- the plain text into subject_requests_plaintext and drops the plain
-- columns; the store seals it in Go on the next Open, deleting each row
-- as it goes (sqlite.convertRequests). subject_index is a blind index of
-- subject_ref, for finding one person's requests (export). The sealed
-- columns are NULL only until conversion.

-- +goose Up
CREATE TABLE subject_requests_plaintext (
    id          INTEGER PRIMARY KEY,
    subject_ref TEXT    NOT NULL,
    notes       TEXT    NOT NULL
) STRICT;

INSERT INTO subject_requests_plaintext (id, subject_ref, notes)
SELECT id, subject_ref, notes FROM subject_requests;

ALTER TABLE subject_requests DROP COLUMN subject_ref;
ALTER TABLE subject_requests DROP COLUMN notes;
ALTER TABLE subject_requests ADD COLUMN subject_index TEXT;
ALTER TABLE subject_requests ADD COLUMN subject_sealed BLOB;
ALTER TABLE subject_requests ADD COLUMN notes_sealed BLOB;

CREATE INDEX subject_requests_subject ON subject_requests (subject_index);
CREATE INDEX subject_requests_closed ON subject_requests (closed_at) WHERE status <> 'open';

-- +goose Down
-- Lossy: sealed values cannot be decrypted in SQL. Subject references
-- become "request <id>" and notes empty; plain text not yet converted is
-- restored.
DROP INDEX subject_requests_closed;
DROP INDEX subject_requests_subject;
ALTER TABLE subject_requests ADD COLUMN subject_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE subject_requests ADD COLUMN notes TEXT NOT NULL DEFAULT '';
UPDATE subject_requests SET
    subject_ref = coalesce((SELECT p.subject_ref FROM subject_requests_plaintext AS p WHERE p.id = subject_requests.id),
                           'request ' || id),
    notes = coalesce((SELECT p.notes FROM subject_requests_plaintext AS p WHERE p.id = subject_requests.id), '');
ALTER TABLE subject_requests DROP COLUMN subject_index;
ALTER TABLE subject_requests DROP COLUMN subject_sealed;
ALTER TABLE subject_requests DROP COLUMN notes_sealed;
DROP TABLE subject_requests_plaintext;
