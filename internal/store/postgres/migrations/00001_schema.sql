-- The PostgreSQL schema: SQLite's after its migrations 00001-00026, in one
-- step. SQLite's history (the plain-text tables kept for converting old
-- databases, STRICT, table rebuilds) does not apply to a new backend.
--
-- Times are BIGINT Unix nanoseconds in UTC, 0 for "none", as in SQLite:
-- timestamptz keeps only microseconds, and the store's times round-trip
-- exactly. Personal fields are sealed (BYTEA) by package store/sealed;
-- no column holds them in plain text. Flags are BOOLEAN.

-- +goose Up
CREATE TABLE users (
    id                  TEXT    PRIMARY KEY,
    -- Blind index of the lower-cased e-mail; NULL once erased.
    email_index         TEXT    UNIQUE,
    email_sealed        BYTEA,
    name_sealed         BYTEA,
    role                TEXT    NOT NULL CHECK (role IN ('admin', 'privacy_officer', 'member')),
    password_hash       TEXT    NOT NULL,
    created_at          BIGINT  NOT NULL,
    erased_at           BIGINT  NOT NULL DEFAULT 0,
    last_login_at       BIGINT  NOT NULL DEFAULT 0,
    disabled_at         BIGINT  NOT NULL DEFAULT 0,
    restricted_at       BIGINT  NOT NULL DEFAULT 0,
    mfa_reset_at        BIGINT  NOT NULL DEFAULT 0,
    password_changed_at BIGINT  NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
    token_hash   BYTEA   PRIMARY KEY,
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    stage        TEXT    NOT NULL DEFAULT '' CHECK (stage IN ('', 'second_factor', 'enrol', 'password_change')),
    method       TEXT    NOT NULL DEFAULT '',
    device       TEXT    NOT NULL DEFAULT '',
    last_seen_at BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE setup_token (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    token_hash BYTEA   NOT NULL,
    expires_at BIGINT  NOT NULL
);

CREATE TABLE data_keys (
    owner      TEXT    PRIMARY KEY,
    wrapped    BYTEA   NOT NULL,
    master_id  TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);
CREATE INDEX data_keys_master_id ON data_keys (master_id);

CREATE TABLE health_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at BIGINT  NOT NULL
);

CREATE TABLE meetings (
    id               TEXT    PRIMARY KEY,
    title_sealed     BYTEA,
    passcode_sealed  BYTEA,
    host_id          TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at       BIGINT  NOT NULL,
    waiting_room     BOOLEAN NOT NULL DEFAULT true,
    join_before_host BOOLEAN NOT NULL DEFAULT false,
    screen_share     TEXT    NOT NULL DEFAULT 'presenters' CHECK (screen_share IN ('presenters', 'everyone')),
    max_participants INTEGER NOT NULL DEFAULT 0 CHECK (max_participants >= 0),
    recurrence       TEXT    NOT NULL DEFAULT 'none' CHECK (recurrence IN ('none', 'daily', 'weekly')),
    starts_at        BIGINT  NOT NULL DEFAULT 0,
    ends_at          BIGINT  NOT NULL DEFAULT 0,
    signed_in_only   BOOLEAN NOT NULL DEFAULT false,
    chat_history     BOOLEAN NOT NULL DEFAULT false,
    chat_after       BOOLEAN NOT NULL DEFAULT false,
    recording        BOOLEAN NOT NULL DEFAULT false,
    e2ee             BOOLEAN NOT NULL DEFAULT false,
    sensitive        BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX meetings_host_id ON meetings (host_id, created_at);
CREATE INDEX meetings_ends_at ON meetings (ends_at) WHERE ends_at <> 0;

CREATE TABLE meeting_cohosts (
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Insertion order: MeetingByID returns co-hosts in the order stored
    -- (SQLite's rowid).
    position   BIGINT GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (meeting_id, user_id)
);
CREATE INDEX meeting_cohosts_user_id ON meeting_cohosts (user_id);

CREATE TABLE meeting_bans (
    meeting_id TEXT    NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('user', 'device')),
    subject    TEXT    NOT NULL CHECK (subject <> ''),
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (meeting_id, kind, subject)
);
CREATE INDEX meeting_bans_subject ON meeting_bans (kind, subject);

CREATE TABLE meeting_retention (
    meeting_id TEXT    NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    category   TEXT    NOT NULL CHECK (category IN ('recording', 'transcript', 'chat', 'file')),
    period     BIGINT  NOT NULL CHECK (period > 0),
    PRIMARY KEY (meeting_id, category)
);

-- The audit log: a hash chain. AppendAudit locks the table (SHARE ROW
-- EXCLUSIVE, which plain reads do not wait for) so that every node's
-- appends form one chain; the triggers below refuse what would break it.
CREATE TABLE audit_log (
    seq       BIGINT  PRIMARY KEY CHECK (seq > 0),
    at        BIGINT  NOT NULL,
    action    TEXT    NOT NULL,
    actor     TEXT    NOT NULL,
    target    TEXT    NOT NULL,
    meeting   TEXT    NOT NULL,
    outcome   TEXT    NOT NULL,
    details   TEXT    NOT NULL,
    addr_hash BYTEA,
    prev_hash BYTEA   NOT NULL,
    hash      BYTEA   NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_action ON audit_log (action);
CREATE INDEX audit_log_actor ON audit_log (actor) WHERE actor <> '';
CREATE INDEX audit_log_target ON audit_log (target) WHERE target <> '';
CREATE INDEX audit_log_meeting ON audit_log (meeting) WHERE meeting <> '';

-- The client address of an entry: personal data with its own retention,
-- outside the chain (which covers only its salted hash).
CREATE TABLE audit_addr (
    seq  BIGINT PRIMARY KEY REFERENCES audit_log (seq),
    addr TEXT   NOT NULL,
    salt BYTEA  NOT NULL
);

CREATE TABLE audit_checkpoint (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT  NOT NULL CHECK (seq > 0),
    hash BYTEA   NOT NULL,
    at   BIGINT  NOT NULL,
    seal BYTEA   NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'audit_log is append-only: no UPDATE';
    ELSIF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'audit_log is append-only: no TRUNCATE';
    ELSIF TG_OP = 'INSERT' THEN
        IF NEW.seq IS DISTINCT FROM coalesce((SELECT max(seq) FROM audit_log),
                                             (SELECT seq FROM audit_checkpoint), 0) + 1 THEN
            RAISE EXCEPTION 'audit_log is append-only: seq must be the next number';
        END IF;
        RETURN NEW;
    END IF;
    -- DELETE
    IF OLD.seq > coalesce((SELECT seq FROM audit_checkpoint), 0) THEN
        RAISE EXCEPTION 'audit_log is append-only: DELETE only up to the retention checkpoint';
    END IF;
    RETURN OLD;
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard();

-- +goose StatementBegin
CREATE FUNCTION audit_addr_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_addr rows can only be deleted';
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_addr_guard BEFORE UPDATE ON audit_addr
    FOR EACH ROW EXECUTE FUNCTION audit_addr_guard();

-- +goose StatementBegin
CREATE FUNCTION audit_checkpoint_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit_checkpoint: cannot be deleted';
    END IF;
    IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM audit_checkpoint) THEN
        RAISE EXCEPTION 'audit_checkpoint: must name a stored entry other than the newest, once';
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.id IS DISTINCT FROM OLD.id OR NEW.seq <= OLD.seq) THEN
        RAISE EXCEPTION 'audit_checkpoint: can only move forward to a stored entry other than the newest';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq AND hash = NEW.hash)
       OR NEW.seq >= (SELECT max(seq) FROM audit_log) THEN
        RAISE EXCEPTION 'audit_checkpoint: must name a stored entry other than the newest';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_checkpoint_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_guard();

CREATE TABLE notices (
    version    INTEGER PRIMARY KEY CHECK (version >= 1),
    markdown   TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    -- The publishing account ID, '' for the built-in default. No foreign
    -- key: a version must outlive the account that published it.
    created_by TEXT    NOT NULL
);

CREATE TABLE consents (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- 'u_…' (account) or 'p_…' (participant). No foreign key: the proof
    -- of consent outlives the account (see docs/privacy.md).
    subject_id   TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('notice', 'recording', 'transcription')),
    -- The notice version for kind 'notice'; 0 for the others.
    version      INTEGER NOT NULL CHECK (version >= 0),
    meeting_id   TEXT,
    given_at     BIGINT  NOT NULL,
    withdrawn_at BIGINT
);
CREATE INDEX consents_subject ON consents (subject_id, id);
CREATE INDEX consents_given_at ON consents (given_at);

CREATE TABLE subject_requests (
    id             BIGINT  GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('access', 'erasure', 'rectification', 'portability', 'restriction', 'objection')),
    received_at    BIGINT  NOT NULL,
    due_at         BIGINT  NOT NULL CHECK (due_at >= received_at),
    status         TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'rejected')),
    closed_at      BIGINT  NOT NULL DEFAULT 0,
    subject_index  TEXT,
    subject_sealed BYTEA,
    notes_sealed   BYTEA
);
CREATE INDEX subject_requests_open ON subject_requests (due_at) WHERE status = 'open';
CREATE INDEX subject_requests_subject ON subject_requests (subject_index);
CREATE INDEX subject_requests_closed ON subject_requests (closed_at) WHERE status <> 'open';

CREATE TABLE guest_proofs (
    token_hash     BYTEA   PRIMARY KEY,
    participant_id TEXT    NOT NULL CHECK (participant_id LIKE 'p\_%'),
    -- No foreign key: the proof outlives the meeting's row, as the
    -- participant's audit entries do.
    meeting_id     TEXT    NOT NULL,
    created_at     BIGINT  NOT NULL,
    expires_at     BIGINT  NOT NULL CHECK (expires_at > created_at)
);
CREATE INDEX guest_proofs_participant ON guest_proofs (participant_id);
CREATE INDEX guest_proofs_expires_at ON guest_proofs (expires_at);
CREATE INDEX guest_proofs_created_at ON guest_proofs (created_at);

CREATE TABLE shared_files (
    id            TEXT    PRIMARY KEY CHECK (id LIKE 'f\_%'),
    -- Deleting the meeting deletes its files' rows; their content files
    -- are removed by the next retention sweep (unreadable meanwhile).
    meeting_id    TEXT    NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    uploader_id   TEXT    NOT NULL CHECK (uploader_id LIKE 'p\_%'),
    -- The uploader's account ID, '' for a guest. No foreign key: an
    -- account's files are erased by the shared_file kind, not by a cascade.
    uploader_user TEXT    NOT NULL DEFAULT '',
    name_sealed   BYTEA   NOT NULL,
    size          BIGINT  NOT NULL CHECK (size >= 0),
    content_type  TEXT    NOT NULL,
    key_sealed    BYTEA   NOT NULL,
    scan          TEXT    NOT NULL CHECK (scan IN ('clean', 'unscanned')),
    created_at    BIGINT  NOT NULL
);
CREATE INDEX shared_files_meeting ON shared_files (meeting_id, created_at);
CREATE INDEX shared_files_uploader ON shared_files (uploader_id);
CREATE INDEX shared_files_uploader_user ON shared_files (uploader_user) WHERE uploader_user <> '';
CREATE INDEX shared_files_created_at ON shared_files (created_at);

CREATE TABLE shared_file_recipients (
    file_id        TEXT NOT NULL REFERENCES shared_files (id) ON DELETE CASCADE,
    participant_id TEXT NOT NULL CHECK (participant_id LIKE 'p\_%' OR participant_id = 'erased'),
    user_id        TEXT NOT NULL DEFAULT '',
    -- Insertion order (SQLite's rowid): recipients read back as given.
    position       BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE UNIQUE INDEX shared_file_recipients_once ON shared_file_recipients (file_id, participant_id)
    WHERE participant_id <> 'erased';
CREATE INDEX shared_file_recipients_participant ON shared_file_recipients (participant_id);
CREATE INDEX shared_file_recipients_user ON shared_file_recipients (user_id) WHERE user_id <> '';

CREATE TABLE chat_messages (
    id                 TEXT    PRIMARY KEY CHECK (id LIKE 'c\_%'),
    meeting_id         TEXT    NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    sender_id          TEXT    NOT NULL CHECK (sender_id LIKE 'p\_%'),
    -- The sender's account ID, '' for a guest. No foreign key: an
    -- account's messages are erased by the chat_message kind, not by a
    -- cascade.
    sender_user        TEXT    NOT NULL DEFAULT '',
    sender_name_sealed BYTEA   NOT NULL,
    -- NULL once a host deleted the message for everyone.
    body_sealed        BYTEA,
    created_at         BIGINT  NOT NULL,
    deleted_at         BIGINT  NOT NULL DEFAULT 0,
    -- The participant who deleted it ('erased' once they were).
    deleted_by         TEXT    NOT NULL DEFAULT '',
    file_id            TEXT    REFERENCES shared_files (id) ON DELETE SET NULL,
    e2ee               BOOLEAN NOT NULL DEFAULT false,
    -- Insertion order (SQLite's rowid): messages of one instant read back
    -- in the order they were stored.
    position           BIGINT  GENERATED ALWAYS AS IDENTITY,
    CHECK ((deleted_at = 0) = (body_sealed IS NOT NULL))
);
CREATE INDEX chat_messages_meeting ON chat_messages (meeting_id, created_at);
CREATE INDEX chat_messages_sender ON chat_messages (sender_id);
CREATE INDEX chat_messages_sender_user ON chat_messages (sender_user) WHERE sender_user <> '';
CREATE INDEX chat_messages_created_at ON chat_messages (created_at);
CREATE INDEX chat_messages_file ON chat_messages (file_id) WHERE file_id IS NOT NULL;

CREATE TABLE chat_recipients (
    message_id     TEXT NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
    participant_id TEXT NOT NULL CHECK (participant_id LIKE 'p\_%' OR participant_id = 'erased'),
    user_id        TEXT NOT NULL DEFAULT '',
    position       BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE UNIQUE INDEX chat_recipients_once ON chat_recipients (message_id, participant_id)
    WHERE participant_id <> 'erased';
CREATE INDEX chat_recipients_message ON chat_recipients (message_id);
CREATE INDEX chat_recipients_participant ON chat_recipients (participant_id);
CREATE INDEX chat_recipients_user ON chat_recipients (user_id) WHERE user_id <> '';

CREATE TABLE recordings (
    id             TEXT    PRIMARY KEY CHECK (id LIKE 'r\_%'),
    -- Deleting the meeting deletes its recordings' rows; the files are
    -- removed by the next retention sweep (unreadable meanwhile).
    meeting_id     TEXT    NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    -- Who started it: an account ID, a participant ID, or 'erased'. No
    -- foreign key: erasure replaces it (the recording kind), not a cascade.
    started_by     TEXT    NOT NULL,
    purpose_sealed BYTEA   NOT NULL,
    started_at     BIGINT  NOT NULL,
    ended_at       BIGINT  NOT NULL DEFAULT 0,
    end_reason     TEXT    NOT NULL DEFAULT '',
    state          TEXT    NOT NULL CHECK (state IN ('recording', 'ended'))
);
CREATE INDEX recordings_meeting ON recordings (meeting_id, started_at);
CREATE INDEX recordings_started_by ON recordings (started_by);
CREATE INDEX recordings_state ON recordings (state) WHERE state = 'recording';

CREATE TABLE recording_tracks (
    id                TEXT    PRIMARY KEY CHECK (id LIKE 't\_%'),
    recording_id      TEXT    NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    -- The publishing participant and the data subject (account ID, or the
    -- participant ID of a guest); both '' for a composite, whose subjects
    -- are in recording_track_subjects.
    owner_id          TEXT    NOT NULL DEFAULT '',
    subject           TEXT    NOT NULL DEFAULT '',
    owner_name_sealed BYTEA   NOT NULL,
    source            TEXT    NOT NULL,
    kind              TEXT    NOT NULL CHECK (kind IN ('audio', 'video', 'composite')),
    codec             TEXT    NOT NULL,
    offset_ms         BIGINT  NOT NULL CHECK (offset_ms >= 0),
    frames            BIGINT  NOT NULL DEFAULT 0,
    bytes             BIGINT  NOT NULL DEFAULT 0,
    duration_ms       BIGINT  NOT NULL DEFAULT 0,
    complete          BOOLEAN NOT NULL DEFAULT false,
    finished          BOOLEAN NOT NULL DEFAULT false,
    key_sealed        BYTEA   NOT NULL,
    created_at        BIGINT  NOT NULL
);
CREATE INDEX recording_tracks_recording ON recording_tracks (recording_id, offset_ms);
CREATE INDEX recording_tracks_subject ON recording_tracks (subject) WHERE subject <> '';
CREATE INDEX recording_tracks_owner ON recording_tracks (owner_id) WHERE owner_id <> '';

CREATE TABLE recording_track_subjects (
    track_id TEXT NOT NULL REFERENCES recording_tracks (id) ON DELETE CASCADE,
    subject  TEXT NOT NULL,
    PRIMARY KEY (track_id, subject)
);
CREATE INDEX recording_track_subjects_subject ON recording_track_subjects (subject);

CREATE TABLE recording_shares (
    recording_id TEXT    NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    account_id   TEXT    NOT NULL CHECK (account_id LIKE 'u\_%'),
    shared_by    TEXT    NOT NULL,
    shared_at    BIGINT  NOT NULL,
    PRIMARY KEY (recording_id, account_id)
);
CREATE INDEX recording_shares_account ON recording_shares (account_id);

CREATE TABLE credentials (
    id            TEXT    PRIMARY KEY CHECK (id LIKE 'cr\_%'),
    user_id       TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL CHECK (kind IN ('totp', 'recovery', 'webauthn', 'oidc')),
    name_sealed   BYTEA   NOT NULL,
    secret_sealed BYTEA   NOT NULL,
    lookup        TEXT    NOT NULL DEFAULT '',
    counter       BIGINT  NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX credentials_user ON credentials (user_id, kind);
CREATE UNIQUE INDEX credentials_lookup ON credentials (kind, lookup) WHERE lookup <> '';

-- Stored transcripts (docs/transcripts.md, "The stored transcript"), as
-- SQLite's migration 00027: the text and the speaker's display name
-- sealed under the meeting's data key, bound to the segment ID. Offsets
-- are nanoseconds from the start of the transcription.
CREATE TABLE transcript_segments (
    id                  TEXT   PRIMARY KEY CHECK (id LIKE 's\_%'),
    meeting_id          TEXT   NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    transcription_id    TEXT   NOT NULL CHECK (transcription_id LIKE 't\_%'),
    speaker_id          TEXT   NOT NULL CHECK (speaker_id LIKE 'p\_%'),
    -- The speaker's account ID, '' for a guest. No foreign key: an
    -- account's lines are erased by the transcript kind, not by a cascade.
    speaker_user        TEXT   NOT NULL DEFAULT '',
    speaker_name_sealed BYTEA  NOT NULL,
    text_sealed         BYTEA  NOT NULL,
    start_offset        BIGINT NOT NULL,
    end_offset          BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    -- Insertion order (SQLite's rowid).
    position            BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX transcript_segments_meeting ON transcript_segments (meeting_id, transcription_id, start_offset);
CREATE INDEX transcript_segments_speaker ON transcript_segments (speaker_id);
CREATE INDEX transcript_segments_speaker_user ON transcript_segments (speaker_user) WHERE speaker_user <> '';
CREATE INDEX transcript_segments_created_at ON transcript_segments (created_at);

-- +goose Down
DROP TABLE transcript_segments, credentials, recording_shares, recording_track_subjects, recording_tracks, recordings,
    chat_recipients, chat_messages, shared_file_recipients, shared_files, guest_proofs,
    subject_requests, consents, notices, audit_checkpoint, audit_addr, audit_log,
    meeting_retention, meeting_bans, meeting_cohosts, meetings, health_probe, data_keys,
    setup_token, sessions, users;
DROP FUNCTION audit_log_guard(), audit_addr_guard(), audit_checkpoint_guard();
