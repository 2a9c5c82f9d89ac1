-- A sensitive meeting (telehealth, counselling, legal advice): its media
-- is end-to-end encrypted by default (docs/e2ee.md, "Sensitive meetings");
-- the host may still turn encryption off when creating it, and the
-- meeting list, the pre-join screen and the transparency page say which.

-- +goose Up
ALTER TABLE meetings ADD COLUMN sensitive INTEGER NOT NULL DEFAULT 0 CHECK (sensitive IN (0, 1));

-- +goose Down
ALTER TABLE meetings DROP COLUMN sensitive;
