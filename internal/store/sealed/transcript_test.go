package sealed

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

func TestTranscriptRoundTrip(t *testing.T) {
	ctx := context.Background()
	k := newKeyring(t)
	seg := store.TranscriptSegment{ID: "s_1", MeetingID: chatMeeting, TranscriptionID: "t_1", SpeakerID: "p_1",
		SpeakerUser: "u_1", SpeakerName: "Ada Lovelace", Start: time.Second, End: 3 * time.Second,
		Text: "the launch code is swordfish", CreatedAt: when}
	row, err := SealTranscript(ctx, k, seg)
	if err != nil {
		t.Fatal(err)
	}
	noPlain(t, "the speaker's name", row.SpeakerNameSealed, seg.SpeakerName)
	noPlain(t, "the text", row.TextSealed, seg.Text)
	if row.Text != "" || row.SpeakerName != "" || row.SpeakerID != "p_1" || row.End != 3*time.Second {
		t.Fatalf("the row: %+v", row)
	}
	if got, err := row.Open(ctx, k); err != nil || got != seg {
		t.Fatalf("got %+v, %v", got, err)
	}
	moved := row
	moved.ID = "s_2"
	if _, err := moved.Open(ctx, k); err == nil {
		t.Error("a segment's fields opened as another segment's")
	}
	if err := k.Shred(ctx, MeetingOwner(chatMeeting)); err != nil {
		t.Fatal(err)
	}
	if _, err := row.Open(ctx, k); !errors.Is(err, store.ErrErased) {
		t.Errorf("a shredded meeting's segment: %v, want ErrErased", err)
	}
}
