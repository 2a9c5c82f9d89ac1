-- A chat message that shares a file keeps a reference to it (docs/privacy.md,
-- "Chat" and "Files"), so that history and the chat after the meeting show
-- a download, not only the file's name (which is the message's sealed
-- text). The file's own row owns its size, type and content; when the
-- file is deleted (its retention, erasure, the meeting) the reference
-- becomes NULL and the message remains as the name alone.

-- +goose Up
ALTER TABLE chat_messages ADD COLUMN file_id TEXT REFERENCES shared_files (id) ON DELETE SET NULL;
CREATE INDEX chat_messages_file ON chat_messages (file_id) WHERE file_id IS NOT NULL;

-- +goose Down
DROP INDEX chat_messages_file;
ALTER TABLE chat_messages DROP COLUMN file_id;
