package sealed

import (
	"context"

	"github.com/conclave-meet/conclave/internal/store"
)

// Names bound into a transcript segment's sealed fields, with the segment
// ID after them, so that a text moved to another segment fails to open.
const (
	AADTranscriptText        = "transcript_segments.text\x00"
	AADTranscriptSpeakerName = "transcript_segments.speaker_name\x00"
)

// Transcript is a transcript segment as a backend stores it: the
// speaker's name and the text sealed under the meeting's key. The
// embedded segment's SpeakerName and Text are empty.
type Transcript struct {
	store.TranscriptSegment
	SpeakerNameSealed, TextSealed []byte
}

// SealTranscript seals seg's speaker name and text. Callers check first
// that the meeting exists (sealing creates a missing meeting key).
func SealTranscript(ctx context.Context, k Keys, seg store.TranscriptSegment) (Transcript, error) {
	owner := MeetingOwner(seg.MeetingID)
	name, err := k.Seal(ctx, owner, []byte(seg.SpeakerName), []byte(AADTranscriptSpeakerName+seg.ID))
	if err != nil {
		return Transcript{}, err
	}
	text, err := k.Seal(ctx, owner, []byte(seg.Text), []byte(AADTranscriptText+seg.ID))
	if err != nil {
		return Transcript{}, err
	}
	row := seg
	row.SpeakerName, row.Text = "", ""
	return Transcript{TranscriptSegment: row, SpeakerNameSealed: name, TextSealed: text}, nil
}

// Open opens the speaker's name and the text; store.ErrErased when the
// meeting's key was shredded.
func (t Transcript) Open(ctx context.Context, k Keys) (store.TranscriptSegment, error) {
	seg := t.TranscriptSegment
	owner := MeetingOwner(seg.MeetingID)
	name, err := k.Open(ctx, owner, t.SpeakerNameSealed, []byte(AADTranscriptSpeakerName+seg.ID))
	if IsShredded(err) {
		return store.TranscriptSegment{}, store.ErrErased
	}
	if err != nil {
		return store.TranscriptSegment{}, err
	}
	text, err := k.Open(ctx, owner, t.TextSealed, []byte(AADTranscriptText+seg.ID))
	if IsShredded(err) {
		return store.TranscriptSegment{}, store.ErrErased
	}
	if err != nil {
		return store.TranscriptSegment{}, err
	}
	seg.SpeakerName, seg.Text = string(name), string(text)
	return seg, nil
}
