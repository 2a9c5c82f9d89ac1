package sealed

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

const recMeeting = "k3m9-x2qa-7hvt-p4dr"

func TestRecordingRoundTrip(t *testing.T) {
	ctx := context.Background()
	k := newKeyring(t)
	r := store.Recording{ID: "r_1", MeetingID: recMeeting, StartedBy: "u_ada", Purpose: "minutes of the works council",
		StartedAt: when, State: store.RecordingActive}
	sr, err := SealRecording(ctx, k, r)
	if err != nil {
		t.Fatal(err)
	}
	noPlain(t, "the purpose", sr.PurposeSealed, r.Purpose)
	if sr.Purpose != "" {
		t.Fatal("the row holds the plain purpose")
	}
	got, err := sr.Open(ctx, k)
	if err != nil || got != r {
		t.Fatalf("got %+v, %v; want %+v", got, err, r)
	}
	moved := sr
	moved.ID = "r_2"
	if _, err := moved.Open(ctx, k); err == nil {
		t.Error("a purpose opened as another recording's")
	}
	if err := k.Shred(ctx, MeetingOwner(recMeeting)); err != nil {
		t.Fatal(err)
	}
	if _, err := sr.Open(ctx, k); !errors.Is(err, store.ErrErased) {
		t.Errorf("a shredded meeting's recording: %v, want ErrErased", err)
	}
}

func TestTrackRoundTrip(t *testing.T) {
	ctx := context.Background()
	k := newKeyring(t)
	tr := store.RecordingTrack{ID: "t_1", RecordingID: "r_1", Owner: "p_1", Subject: "u_ada", OwnerName: "Ada Lovelace",
		Source: "camera", Kind: "video", Codec: "VP8", Offset: 1500 * time.Millisecond, Key: []byte("track content key"), CreatedAt: when}
	st, err := SealTrack(ctx, k, recMeeting, tr)
	if err != nil {
		t.Fatal(err)
	}
	noPlain(t, "the owner's name", st.OwnerNameSealed, tr.OwnerName)
	noPlain(t, "the key", st.KeySealed, string(tr.Key))
	if st.OwnerName != "" || st.Key != nil || st.MeetingID != recMeeting {
		t.Fatalf("the row: %+v", st.RecordingTrack)
	}
	got, err := st.Open(ctx, k)
	if err != nil || got.OwnerName != tr.OwnerName || string(got.Key) != string(tr.Key) || got.Offset != tr.Offset || got.MeetingID != recMeeting {
		t.Fatalf("got %+v, %v", got, err)
	}
	other := st
	other.MeetingID = "aaaa-bbbb-cccc-dddr"
	if _, err := SealTrack(ctx, k, other.MeetingID, tr); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(ctx, k); err == nil {
		t.Error("a track opened under another meeting's key")
	}
}
