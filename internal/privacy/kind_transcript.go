package privacy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// TranscriptStore is what the transcript kind reads, erases and expires
// (sqlite.Store and postgres.Store implement it).
type TranscriptStore interface {
	// TranscriptSegmentsOfSubject lists the lines the subject spoke: an
	// account's by account ID, a guest's by participant ID.
	TranscriptSegmentsOfSubject(ctx context.Context, subjectID string) ([]store.TranscriptSegment, error)
	// EraseTranscriptSubject deletes the lines the subject spoke.
	EraseTranscriptSubject(ctx context.Context, subjectID string) (int, error)
	// ExpireTranscripts deletes lines stored before the cut-off (their
	// meeting's own, for the meetings in cutoffs).
	ExpireTranscripts(ctx context.Context, before time.Time, cutoffs map[string]time.Time) (int, error)
}

// TranscriptKind is the stored transcripts of meetings: the final lines
// the speech engine recognised, per speaker (docs/transcripts.md, "The
// stored transcript").
type TranscriptKind struct{ Store TranscriptStore }

// Declare implements Kind.
func (TranscriptKind) Declare() Declaration {
	return Declaration{
		Name:     "transcript",
		Category: CatTranscript,
		Description: "Automatic transcripts of meetings: each line the organisation's own speech engine recognised from a participant " +
			"who consented to transcription, with the speaker's display name and when in the meeting it was said " +
			"(encrypted under the meeting's key); the audio itself is never stored.",
		Purpose:    "Let the people allowed to see a meeting's recordings read, search and download what was said.",
		LegalBasis: Consent,
		Storage:    "table transcript_segments; sealed under the meeting's key (table data_keys)",
		Fields: []string{"recognised text (sealed)", "speaker display name (sealed)", "meeting and transcription IDs (plain)",
			"speaker participant and account IDs (plain)", "start and end offsets, stored at (plain)"},
	}
}

// transcriptRecord is one exported line: only the subject's own.
type transcriptRecord struct {
	ID            string        `json:"id"`
	Meeting       string        `json:"meeting"`
	Transcription string        `json:"transcription"`
	Speaker       string        `json:"speaker"`
	SpeakerName   string        `json:"speaker_name"`
	Start         time.Duration `json:"start_ns"`
	End           time.Duration `json:"end_ns"`
	Text          string        `json:"text"`
	Stored        time.Time     `json:"stored_at"`
}

// Export implements Kind: the lines the subject spoke, never anyone
// else's.
func (k TranscriptKind) Export(ctx context.Context, s Subject) ([]Item, error) {
	segs, err := k.Store.TranscriptSegmentsOfSubject(ctx, s.ID)
	if err != nil {
		return nil, fmt.Errorf("transcript: %w", err)
	}
	items := make([]Item, 0, len(segs))
	for _, seg := range segs {
		items = append(items, Item{Record: transcriptRecord{ID: seg.ID, Meeting: seg.MeetingID, Transcription: seg.TranscriptionID,
			Speaker: seg.SpeakerID, SpeakerName: seg.SpeakerName, Start: seg.Start, End: seg.End, Text: seg.Text,
			Stored: seg.CreatedAt}})
	}
	return items, nil
}

// Erase implements Kind: the subject's lines are deleted; the rest of
// each transcript stays with its other speakers.
func (k TranscriptKind) Erase(ctx context.Context, s Subject) (Erased, error) {
	if !strings.HasPrefix(s.ID, "u_") && !strings.HasPrefix(s.ID, "p_") {
		return Erased{}, fmt.Errorf("transcript: %w", ErrBadSubject)
	}
	n, err := k.Store.EraseTranscriptSubject(ctx, s.ID)
	if err != nil {
		return Erased{}, fmt.Errorf("transcript: %w", err)
	}
	return Erased{Deleted: n}, nil
}

// Expire implements Kind with the organisation's cut-off for every meeting.
func (k TranscriptKind) Expire(ctx context.Context, before time.Time) (int, error) {
	return k.ExpireMeetings(ctx, before, nil)
}

// ExpireMeetings implements retention.MeetingScoped: a meeting's own
// transcript period applies to its lines.
func (k TranscriptKind) ExpireMeetings(ctx context.Context, before time.Time, cutoffs map[string]time.Time) (int, error) {
	n, err := k.Store.ExpireTranscripts(ctx, before, cutoffs)
	if err != nil {
		return n, fmt.Errorf("transcript: %w", err)
	}
	return n, nil
}
