-- Each meeting's access policy, its co-hosts named in advance, and the
-- people removed from it for good. Times are UTC Unix nanoseconds.

-- +goose Up
-- The defaults are the safe choice for meetings created before this
-- migration: waiting room on, nobody in before the host, only presenters
-- share the screen.
ALTER TABLE meetings ADD COLUMN waiting_room INTEGER NOT NULL DEFAULT 1
    CHECK (waiting_room IN (0, 1));
ALTER TABLE meetings ADD COLUMN join_before_host INTEGER NOT NULL DEFAULT 0
    CHECK (join_before_host IN (0, 1));
ALTER TABLE meetings ADD COLUMN screen_share TEXT NOT NULL DEFAULT 'presenters'
    CHECK (screen_share IN ('presenters', 'everyone'));
-- 0 means the organisation's limit.
ALTER TABLE meetings ADD COLUMN max_participants INTEGER NOT NULL DEFAULT 0
    CHECK (max_participants >= 0);
ALTER TABLE meetings ADD COLUMN recurrence TEXT NOT NULL DEFAULT 'none'
    CHECK (recurrence IN ('none', 'daily', 'weekly'));
-- 0 means an ad-hoc meeting with no scheduled start.
ALTER TABLE meetings ADD COLUMN starts_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE meetings ADD COLUMN ends_at INTEGER NOT NULL DEFAULT 0;

-- Existing links stop working 30 days after they were made, the default
-- lifetime of a new meeting, rather than never.
UPDATE meetings SET ends_at = created_at + 30 * 86400 * 1000000000;

CREATE TABLE meeting_cohosts (
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (meeting_id, user_id)
) STRICT;

-- Deleting a user cascades through this index instead of a table scan.
CREATE INDEX meeting_cohosts_user_id ON meeting_cohosts (user_id);

-- A ban names a user ID, or the hex SHA-256 of a guest's device token, so
-- the token itself never sits in the database.
CREATE TABLE meeting_bans (
    meeting_id TEXT    NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('user', 'device')),
    subject    TEXT    NOT NULL CHECK (subject <> ''),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, kind, subject)
) STRICT;

-- +goose Down
DROP TABLE meeting_bans;
DROP INDEX meeting_cohosts_user_id;
DROP TABLE meeting_cohosts;
ALTER TABLE meetings DROP COLUMN ends_at;
ALTER TABLE meetings DROP COLUMN starts_at;
ALTER TABLE meetings DROP COLUMN recurrence;
ALTER TABLE meetings DROP COLUMN max_participants;
ALTER TABLE meetings DROP COLUMN screen_share;
ALTER TABLE meetings DROP COLUMN join_before_host;
ALTER TABLE meetings DROP COLUMN waiting_room;
