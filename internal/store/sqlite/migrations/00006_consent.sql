-- The privacy notice (append-only versions) and the consent ledger
-- (GDPR Art. 7(1): the controller must be able to show that a person
-- accepted the notice or consented). Times are UTC Unix nanoseconds.
--
-- No default notice is inserted here: the server stores it on first start
-- as an ordinary version 1, so that it is exported and listed like any
-- version an administrator publishes.

-- +goose Up
CREATE TABLE notices (
    version    INTEGER PRIMARY KEY CHECK (version >= 1),
    markdown   TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    -- The publishing account ID, '' for the built-in default. No foreign
    -- key: a version must outlive the account that published it.
    created_by TEXT    NOT NULL
) STRICT;

CREATE TABLE consents (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    -- 'u_…' (account) or 'p_…' (participant). No foreign key: the proof
    -- of consent outlives the account (see docs/privacy.md).
    subject_id   TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('notice', 'recording', 'transcription')),
    -- The notice version for kind 'notice'; 0 for the others.
    version      INTEGER NOT NULL CHECK (version >= 0),
    meeting_id   TEXT,
    given_at     INTEGER NOT NULL,
    withdrawn_at INTEGER
) STRICT;

CREATE INDEX consents_subject ON consents (subject_id, id);
CREATE INDEX consents_given_at ON consents (given_at);

-- +goose Down
DROP TABLE consents;
DROP TABLE notices;
