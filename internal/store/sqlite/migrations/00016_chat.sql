-- Chat messages (docs/privacy.md, "Chat"). The text and the sender's
-- display name are sealed under the meeting's data key, bound to the
-- message ID, so that deleting the meeting (its key shredded, its rows
-- cascading) leaves nothing readable. IDs and times stay plain: a
-- subject's messages, a meeting's review and expiry query them. Times are
-- UTC Unix nanoseconds.
--
-- A message without recipient rows went to everyone in the meeting. A
-- recipient who was erased stays as participant 'erased', so that the
-- sender still sees the message went to someone.
--
-- Two meeting options, off by default: chat_history gives people who join
-- a live meeting late its earlier messages to everyone; chat_after lets
-- participants with an account read, after the meeting, the messages they
-- were part of.

-- +goose Up
CREATE TABLE chat_messages (
    id                 TEXT    PRIMARY KEY CHECK (id LIKE 'c\_%' ESCAPE '\'),
    meeting_id         TEXT    NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    sender_id          TEXT    NOT NULL CHECK (sender_id LIKE 'p\_%' ESCAPE '\'),
    -- The sender's account ID, '' for a guest. No foreign key: an
    -- account's messages are erased by the chat_message kind, not by a
    -- cascade.
    sender_user        TEXT    NOT NULL DEFAULT '',
    sender_name_sealed BLOB    NOT NULL,
    -- NULL once a host deleted the message for everyone.
    body_sealed        BLOB,
    created_at         INTEGER NOT NULL,
    deleted_at         INTEGER NOT NULL DEFAULT 0,
    -- The participant who deleted it ('erased' once they were).
    deleted_by         TEXT    NOT NULL DEFAULT '',
    CHECK ((deleted_at = 0) = (body_sealed IS NOT NULL))
) STRICT;

CREATE INDEX chat_messages_meeting ON chat_messages (meeting_id, created_at);
CREATE INDEX chat_messages_sender ON chat_messages (sender_id);
CREATE INDEX chat_messages_sender_user ON chat_messages (sender_user) WHERE sender_user <> '';
CREATE INDEX chat_messages_created_at ON chat_messages (created_at);

CREATE TABLE chat_recipients (
    message_id     TEXT NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
    participant_id TEXT NOT NULL CHECK (participant_id LIKE 'p\_%' ESCAPE '\' OR participant_id = 'erased'),
    user_id        TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE UNIQUE INDEX chat_recipients_once ON chat_recipients (message_id, participant_id)
    WHERE participant_id <> 'erased';
CREATE INDEX chat_recipients_message ON chat_recipients (message_id);
CREATE INDEX chat_recipients_participant ON chat_recipients (participant_id);
CREATE INDEX chat_recipients_user ON chat_recipients (user_id) WHERE user_id <> '';

ALTER TABLE meetings ADD COLUMN chat_history INTEGER NOT NULL DEFAULT 0 CHECK (chat_history IN (0, 1));
ALTER TABLE meetings ADD COLUMN chat_after INTEGER NOT NULL DEFAULT 0 CHECK (chat_after IN (0, 1));

-- +goose Down
ALTER TABLE meetings DROP COLUMN chat_after;
ALTER TABLE meetings DROP COLUMN chat_history;
DROP TABLE chat_recipients;
DROP TABLE chat_messages;
