package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

// Distinctive transcript text and speaker name, for the byte scans below.
const (
	secretTranscript        = "Quarterly sprocket embezzlement in Thistlewick"
	secretTranscriptSpeaker = "Barnaby Fennimore-Quayle"
)

// TestTranscriptSealed: a transcript's text and speaker names read back
// through the store but never reach the files (database and WAL) in plain
// text; a text moved to another segment does not open; deleting the
// meeting leaves no row and no readable ciphertext.
func TestTranscriptSealed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "conclave.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	seedSecrets(t, s)
	for _, seg := range []store.TranscriptSegment{
		{ID: "s_a", MeetingID: chatMeetingID, TranscriptionID: "t_1", SpeakerID: "p_a", SpeakerName: secretTranscriptSpeaker,
			Text: secretTranscript, End: time.Second, CreatedAt: time.Now()},
		{ID: "s_b", MeetingID: chatMeetingID, TranscriptionID: "t_1", SpeakerID: "p_b", SpeakerUser: "u_z", SpeakerName: secretName,
			Text: secretTranscript + " again", Start: time.Second, End: 2 * time.Second, CreatedAt: time.Now()},
	} {
		if err := s.AddTranscriptSegment(ctx, seg); err != nil {
			t.Fatal(err)
		}
	}
	segs, err := s.TranscriptSegments(ctx, chatMeetingID, "t_1")
	if err != nil || len(segs) != 2 || segs[0].Text != secretTranscript || segs[0].SpeakerName != secretTranscriptSpeaker {
		t.Fatalf("read back: %+v %v", segs, err)
	}
	assertAbsent(t, fileBytes(t, path), secretTranscript, secretTranscriptSpeaker)

	var textA []byte
	if err := s.db.QueryRowContext(ctx, "SELECT text_sealed FROM transcript_segments WHERE id = 's_a'").Scan(&textA); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, "UPDATE transcript_segments SET text_sealed = ? WHERE id = 's_b'", textA); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TranscriptSegments(ctx, chatMeetingID, "t_1"); err == nil {
		t.Fatal("a text moved to another segment opened")
	}
	if _, err := s.DeleteMeetings(ctx, []string{chatMeetingID}); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM transcript_segments").Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("%d transcript rows left with the meeting gone, %v", rows, err)
	}
	if _, err := s.Keyring().Open(ctx, meetingOwner(chatMeetingID), textA, []byte(sealed.AADTranscriptText+"s_a")); err == nil {
		t.Fatal("copied transcript ciphertext opens after the meeting's key was shredded")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertAbsent(t, fileBytes(t, path), secretTranscript, secretTranscriptSpeaker, string(textA))
}
