-- A meeting may admit only people signed in to an account: guests (link,
-- passcode and a name) are refused. Existing meetings keep admitting guests.

-- +goose Up
ALTER TABLE meetings ADD COLUMN signed_in_only INTEGER NOT NULL DEFAULT 0
    CHECK (signed_in_only IN (0, 1));

-- +goose Down
ALTER TABLE meetings DROP COLUMN signed_in_only;
