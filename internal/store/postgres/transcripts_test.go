package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/pgtest"
	"github.com/conclave-meet/conclave/internal/store"
)

// Distinctive transcript text and speaker name, for the dump scan below.
const (
	secretTranscript        = "Quarterly sprocket embezzlement in Thistlewick"
	secretTranscriptSpeaker = "Barnaby Fennimore-Quayle"
)

// TestTranscriptSealed: a transcript reads back through the store, but
// its text and speaker names are in no dump in plain text; a text moved
// to another segment does not open.
func TestTranscriptSealed(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.New(t)
	s := openOn(t, dsn, clusterKey(t))
	fileWorld(t, s)
	for _, seg := range []store.TranscriptSegment{
		{ID: "s_a", MeetingID: fileMeeting, TranscriptionID: "t_1", SpeakerID: "p_a", SpeakerName: secretTranscriptSpeaker,
			Text: secretTranscript, End: time.Second, CreatedAt: t0},
		{ID: "s_b", MeetingID: fileMeeting, TranscriptionID: "t_1", SpeakerID: "p_b", SpeakerUser: "u_h",
			SpeakerName: "Someone", Text: "other words", Start: time.Second, End: 2 * time.Second, CreatedAt: t0},
	} {
		if err := s.AddTranscriptSegment(ctx, seg); err != nil {
			t.Fatal(err)
		}
	}
	segs, err := s.TranscriptSegments(ctx, fileMeeting, "t_1")
	if err != nil || len(segs) != 2 || segs[0].Text != secretTranscript || segs[0].SpeakerName != secretTranscriptSpeaker {
		t.Fatalf("read back: %+v %v", segs, err)
	}
	assertAbsent(t, "the dump", pgtest.Dump(t, dsn), secretTranscript, secretTranscriptSpeaker)
	if _, err := s.pool.Exec(ctx, "UPDATE transcript_segments SET text_sealed = "+
		"(SELECT text_sealed FROM transcript_segments WHERE id = 's_a') WHERE id = 's_b'"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TranscriptSegments(ctx, fileMeeting, "t_1"); err == nil {
		t.Fatal("a text moved to another segment opened")
	}
}
