-- Retention periods a host chose for one meeting's recordings, transcripts,
-- chat and files, overriding the organisation's (docs/privacy.md). Periods
-- are whole seconds; deleting the meeting deletes its periods.

-- +goose Up
CREATE TABLE meeting_retention (
    meeting_id TEXT    NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    category   TEXT    NOT NULL CHECK (category IN ('recording', 'transcript', 'chat', 'file')),
    period     INTEGER NOT NULL CHECK (period > 0),
    PRIMARY KEY (meeting_id, category)
) STRICT;

-- +goose Down
DROP TABLE meeting_retention;
