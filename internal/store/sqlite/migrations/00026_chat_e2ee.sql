-- A chat message of an end-to-end encrypted meeting (docs/e2ee.md,
-- "Chat"): body_sealed then holds the ciphertext the sender's browser
-- made, sealed under the meeting's key like any text, which the server
-- cannot open; reviews and exports say so instead of showing a text.

-- +goose Up
ALTER TABLE chat_messages ADD COLUMN e2ee INTEGER NOT NULL DEFAULT 0 CHECK (e2ee IN (0, 1));

-- +goose Down
ALTER TABLE chat_messages DROP COLUMN e2ee;
