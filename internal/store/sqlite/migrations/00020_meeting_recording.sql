-- A meeting's own permission to be recorded (docs/privacy.md,
-- "Recording"): off by default, and only meaningful where the
-- organisation allows recording at all (config `recording`). Hosts and
-- co-hosts of a meeting with it may start a recording; each participant is
-- still asked.

-- +goose Up
ALTER TABLE meetings ADD COLUMN recording INTEGER NOT NULL DEFAULT 0 CHECK (recording IN (0, 1));

-- +goose Down
ALTER TABLE meetings DROP COLUMN recording;
