-- Recordings (docs/privacy.md, "Recordings"). A recording is one run of a
-- meeting's recorder; it has one sealed WebM file per recorded track in
-- DATA/recordings/<recording>/<track>.sealed, and optionally composites
-- made from them. The path follows from the IDs and is not stored. Each
-- file has its own random content key, sealed under the meeting's data
-- key (key_sealed), so deleting a track's row, the recording, or the
-- meeting with its key leaves the file unreadable. The purpose and the
-- owner's display name are sealed too. IDs, sizes, durations and times
-- stay plain: access checks, a subject's tracks and expiry query them.
-- Times are UTC Unix nanoseconds; durations and offsets milliseconds.

-- +goose Up
CREATE TABLE recordings (
    id             TEXT    PRIMARY KEY CHECK (id LIKE 'r\_%' ESCAPE '\'),
    -- Deleting the meeting deletes its recordings' rows; the files are
    -- removed by the next retention sweep (unreadable meanwhile).
    meeting_id     TEXT    NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    -- Who started it: an account ID, a participant ID, or 'erased'. No
    -- foreign key: erasure replaces it (the recording kind), not a cascade.
    started_by     TEXT    NOT NULL,
    purpose_sealed BLOB    NOT NULL,
    started_at     INTEGER NOT NULL,
    ended_at       INTEGER NOT NULL DEFAULT 0,
    end_reason     TEXT    NOT NULL DEFAULT '',
    state          TEXT    NOT NULL CHECK (state IN ('recording', 'ended'))
) STRICT;

CREATE INDEX recordings_meeting ON recordings (meeting_id, started_at);
CREATE INDEX recordings_started_by ON recordings (started_by);
CREATE INDEX recordings_state ON recordings (state) WHERE state = 'recording';

CREATE TABLE recording_tracks (
    id                TEXT    PRIMARY KEY CHECK (id LIKE 't\_%' ESCAPE '\'),
    recording_id      TEXT    NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    -- The publishing participant and the data subject (account ID, or the
    -- participant ID of a guest); both '' for a composite, whose subjects
    -- are in recording_track_subjects.
    owner_id          TEXT    NOT NULL DEFAULT '',
    subject           TEXT    NOT NULL DEFAULT '',
    owner_name_sealed BLOB    NOT NULL,
    source            TEXT    NOT NULL,
    kind              TEXT    NOT NULL CHECK (kind IN ('audio', 'video', 'composite')),
    codec             TEXT    NOT NULL,
    offset_ms         INTEGER NOT NULL CHECK (offset_ms >= 0),
    frames            INTEGER NOT NULL DEFAULT 0,
    bytes             INTEGER NOT NULL DEFAULT 0,
    duration_ms       INTEGER NOT NULL DEFAULT 0,
    complete          INTEGER NOT NULL DEFAULT 0,
    finished          INTEGER NOT NULL DEFAULT 0,
    key_sealed        BLOB    NOT NULL,
    created_at        INTEGER NOT NULL
) STRICT;

CREATE INDEX recording_tracks_recording ON recording_tracks (recording_id, offset_ms);
CREATE INDEX recording_tracks_subject ON recording_tracks (subject) WHERE subject <> '';
CREATE INDEX recording_tracks_owner ON recording_tracks (owner_id) WHERE owner_id <> '';

-- The people whose tracks a composite contains, for export and erasure.
CREATE TABLE recording_track_subjects (
    track_id TEXT NOT NULL REFERENCES recording_tracks (id) ON DELETE CASCADE,
    subject  TEXT NOT NULL,
    PRIMARY KEY (track_id, subject)
) STRICT;

CREATE INDEX recording_track_subjects_subject ON recording_track_subjects (subject);

-- Accounts a recording was shared with by name. No foreign key to users:
-- erasing an account deletes its shares (the recording kind).
CREATE TABLE recording_shares (
    recording_id TEXT    NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    account_id   TEXT    NOT NULL CHECK (account_id LIKE 'u\_%' ESCAPE '\'),
    shared_by    TEXT    NOT NULL,
    shared_at    INTEGER NOT NULL,
    PRIMARY KEY (recording_id, account_id)
) STRICT;

CREATE INDEX recording_shares_account ON recording_shares (account_id);

-- +goose Down
-- The files stay in DATA/recordings; without these rows their keys are
-- gone and they are unreadable: delete the directory.
DROP TABLE recording_shares;
DROP TABLE recording_track_subjects;
DROP TABLE recording_tracks;
DROP TABLE recordings;
