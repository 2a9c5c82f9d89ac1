-- A meeting whose media is end-to-end encrypted (docs/e2ee.md): the
-- browsers encrypt every frame with keys the server never sees. Off by
-- default; the organisation can require it for every meeting (config
-- `require_e2ee`), and a host turns it on for a sensitive meeting such as
-- telehealth. The server cannot record such a meeting.

-- +goose Up
ALTER TABLE meetings ADD COLUMN e2ee INTEGER NOT NULL DEFAULT 0 CHECK (e2ee IN (0, 1));

-- +goose Down
ALTER TABLE meetings DROP COLUMN e2ee;
