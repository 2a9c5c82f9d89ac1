-- Stored transcripts (docs/transcripts.md, "The stored transcript"): the
-- final captions of a meeting's transcriptions, one row per utterance.
-- The text and the speaker's display name are sealed under the meeting's
-- data key, bound to the segment ID, so that deleting the meeting (its key
-- shredded, its rows cascading) leaves nothing readable. IDs, offsets and
-- times stay plain: a meeting's transcripts, a speaker's lines and expiry
-- query them. Offsets are nanoseconds from the start of the
-- transcription; times are UTC Unix nanoseconds.

-- +goose Up
CREATE TABLE transcript_segments (
    id                  TEXT    PRIMARY KEY CHECK (id LIKE 's\_%' ESCAPE '\'),
    meeting_id          TEXT    NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    transcription_id    TEXT    NOT NULL CHECK (transcription_id LIKE 't\_%' ESCAPE '\'),
    speaker_id          TEXT    NOT NULL CHECK (speaker_id LIKE 'p\_%' ESCAPE '\'),
    -- The speaker's account ID, '' for a guest. No foreign key: an
    -- account's lines are erased by the transcript kind, not by a cascade.
    speaker_user        TEXT    NOT NULL DEFAULT '',
    speaker_name_sealed BLOB    NOT NULL,
    text_sealed         BLOB    NOT NULL,
    start_offset        INTEGER NOT NULL,
    end_offset          INTEGER NOT NULL,
    created_at          INTEGER NOT NULL
) STRICT;

CREATE INDEX transcript_segments_meeting ON transcript_segments (meeting_id, transcription_id, start_offset);
CREATE INDEX transcript_segments_speaker ON transcript_segments (speaker_id);
CREATE INDEX transcript_segments_speaker_user ON transcript_segments (speaker_user) WHERE speaker_user <> '';
CREATE INDEX transcript_segments_created_at ON transcript_segments (created_at);

-- +goose Down
DROP TABLE transcript_segments;
