package sqlite

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

const (
	secretPurpose   = "Quarterly Zymurgical review"
	secretOwnerName = "Philomena Grubbins"
)

// secretTrackKey is distinctive bytes, so that a scan for the content key
// cannot match by accident.
var secretTrackKey = []byte("recording key Xq7Zv!9#wT2@pL4$m")

// TestRecordingFieldsSealed: a recording's purpose, a track's owner name
// and its content key round-trip but never reach the database files in
// plain text; deleting the meeting leaves not even their ciphertext.
func TestRecordingFieldsSealed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "conclave.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	seedSecrets(t, s)
	const meetingID = "zzzz-yyyy-xxxx-wwww"
	now := time.Now()
	if err := s.AddRecording(ctx, store.Recording{ID: "r_z", MeetingID: meetingID, StartedBy: "u_z", Purpose: secretPurpose,
		StartedAt: now, State: store.RecordingActive}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddRecordingTrack(ctx, store.RecordingTrack{ID: "t_z", RecordingID: "r_z", Owner: "p_z", Subject: "u_z",
		OwnerName: secretOwnerName, Source: "camera", Kind: store.TrackVideo, Codec: "VP8", Key: secretTrackKey, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	tr, err := s.RecordingTrack(ctx, "r_z", "t_z")
	if err != nil || !bytes.Equal(tr.Key, secretTrackKey) || tr.OwnerName != secretOwnerName {
		t.Fatalf("track: %+v %v", tr, err)
	}
	var sealedKey []byte
	if err := s.db.QueryRowContext(ctx, "SELECT key_sealed FROM recording_tracks WHERE id = 't_z'").Scan(&sealedKey); err != nil {
		t.Fatal(err)
	}
	assertAbsent(t, fileBytes(t, path), secretPurpose, secretOwnerName, string(secretTrackKey))

	if _, err := s.DeleteMeetings(ctx, []string{meetingID}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertAbsent(t, fileBytes(t, path), secretPurpose, secretOwnerName, string(secretTrackKey), string(sealedKey))
}
