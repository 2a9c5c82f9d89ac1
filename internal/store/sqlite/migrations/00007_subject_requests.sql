-- Data subjects' requests (access, erasure, rectification, portability)
-- and their legal deadlines (GDPR Art. 12(3): one month from receipt).
-- Times are UTC Unix nanoseconds; closed_at is 0 while the request is open.

-- +goose Up
CREATE TABLE subject_requests (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (kind IN ('access', 'erasure', 'rectification', 'portability')),
    subject_ref TEXT    NOT NULL CHECK (subject_ref <> ''),
    received_at INTEGER NOT NULL,
    due_at      INTEGER NOT NULL CHECK (due_at >= received_at),
    status      TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'rejected')),
    closed_at   INTEGER NOT NULL DEFAULT 0,
    notes       TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX subject_requests_open ON subject_requests (due_at) WHERE status = 'open';

-- Erasure looks bans up by the person they name.
CREATE INDEX meeting_bans_subject ON meeting_bans (kind, subject);

-- +goose Down
DROP INDEX meeting_bans_subject;
DROP TABLE subject_requests;
