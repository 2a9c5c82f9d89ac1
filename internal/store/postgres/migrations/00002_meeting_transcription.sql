-- Whether hosts may transcribe a meeting, an option of its own
-- (docs/transcripts.md). Until now the meeting's recording option covered
-- transcription too, so meetings created recordable stay transcribable.

-- +goose Up
ALTER TABLE meetings ADD COLUMN transcription BOOLEAN NOT NULL DEFAULT false;
UPDATE meetings SET transcription = recording;

-- +goose Down
ALTER TABLE meetings DROP COLUMN transcription;
