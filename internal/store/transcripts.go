package store

import "time"

// TranscriptSegment is one final caption of a transcription, as kept
// after the meeting (docs/transcripts.md, "The stored transcript"). The
// text and the speaker's display name are sealed under the meeting's key;
// IDs stay plain so that a speaker's lines can be found, exported and
// erased.
type TranscriptSegment struct {
	ID              string // "s_…"
	MeetingID       string
	TranscriptionID string // "t_…"
	SpeakerID       string // participant ID
	SpeakerUser     string // account ID; empty for guests
	SpeakerName     string
	// Start and End are offsets from the start of the transcription.
	Start, End time.Duration
	Text       string
	CreatedAt  time.Time
}

// Transcript summarises one stored transcription of a meeting.
type Transcript struct {
	ID        string // the transcription ID, "t_…"
	MeetingID string
	// First and Last are when its first and last segments were stored.
	First, Last time.Time
	Segments    int
}
