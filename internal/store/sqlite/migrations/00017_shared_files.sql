-- Files shared in a meeting's chat (docs/privacy.md, "Files"). The content
-- is in DATA/files/<id>.enc, encrypted chunk by chunk under a random key
-- per file; that key and the file's name are sealed under the meeting's
-- data key (key_sealed, name_sealed), so deleting a row, or the meeting
-- with its key, leaves the content unreadable. IDs, size, type and times
-- stay plain: access checks, a subject's files and expiry query them.
-- Times are UTC Unix nanoseconds.
--
-- A file without recipient rows went to everyone in the meeting. A
-- recipient who was erased stays as participant 'erased', so that the
-- uploader still sees the file went to someone.

-- +goose Up
CREATE TABLE shared_files (
    id            TEXT    PRIMARY KEY CHECK (id LIKE 'f\_%' ESCAPE '\'),
    -- Deleting the meeting deletes its files' rows; their content files
    -- are removed by the next retention sweep (unreadable meanwhile).
    meeting_id    TEXT    NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    uploader_id   TEXT    NOT NULL CHECK (uploader_id LIKE 'p\_%' ESCAPE '\'),
    -- The uploader's account ID, '' for a guest. No foreign key: an
    -- account's files are erased by the shared_file kind, not by a cascade.
    uploader_user TEXT    NOT NULL DEFAULT '',
    name_sealed   BLOB    NOT NULL,
    size          INTEGER NOT NULL CHECK (size >= 0),
    content_type  TEXT    NOT NULL,
    key_sealed    BLOB    NOT NULL,
    scan          TEXT    NOT NULL CHECK (scan IN ('clean', 'unscanned')),
    created_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX shared_files_meeting ON shared_files (meeting_id, created_at);
CREATE INDEX shared_files_uploader ON shared_files (uploader_id);
CREATE INDEX shared_files_uploader_user ON shared_files (uploader_user) WHERE uploader_user <> '';
CREATE INDEX shared_files_created_at ON shared_files (created_at);

CREATE TABLE shared_file_recipients (
    file_id        TEXT NOT NULL REFERENCES shared_files (id) ON DELETE CASCADE,
    participant_id TEXT NOT NULL CHECK (participant_id LIKE 'p\_%' ESCAPE '\' OR participant_id = 'erased'),
    user_id        TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE UNIQUE INDEX shared_file_recipients_once ON shared_file_recipients (file_id, participant_id)
    WHERE participant_id <> 'erased';
CREATE INDEX shared_file_recipients_participant ON shared_file_recipients (participant_id);
CREATE INDEX shared_file_recipients_user ON shared_file_recipients (user_id) WHERE user_id <> '';

-- +goose Down
-- The content files stay in DATA/files; without these rows their keys are
-- gone and they are unreadable: delete the directory.
DROP TABLE shared_file_recipients;
DROP TABLE shared_files;
