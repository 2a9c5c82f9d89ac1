package privacy

import (
	"context"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

type fakeRecordings struct {
	tracks  []store.RecordingTrack
	erased  string
	before  time.Time
	cutoffs map[string]time.Time
}

func (f *fakeRecordings) TracksOfSubject(_ context.Context, subject string) ([]store.RecordingTrack, error) {
	var out []store.RecordingTrack
	for _, t := range f.tracks {
		if t.Subject == subject || (t.Kind == store.TrackComposite && len(t.Subjects) > 0 && t.Subjects[0] == subject) {
			out = append(out, t)
		}
	}
	return out, nil
}

func (f *fakeRecordings) ReadTrack(_ context.Context, t store.RecordingTrack) ([]byte, error) {
	return []byte("plain " + t.ID), nil
}

func (f *fakeRecordings) EraseSubject(_ context.Context, subject string) (store.RecordingErasure, error) {
	f.erased = subject
	return store.RecordingErasure{Tracks: 2, Composites: 1, Shares: 1, Pseudonymised: 1}, nil
}

func (f *fakeRecordings) ExpireRecordings(_ context.Context, before time.Time, cutoffs map[string]time.Time) (int, error) {
	f.before, f.cutoffs = before, cutoffs
	return 3, nil
}

func TestRecordingKindDeclaration(t *testing.T) {
	d := RecordingKind{}.Declare()
	if err := d.Validate(); err != nil || d.Category != CatRecording || d.Name != "recording" {
		t.Fatalf("%+v %v", d, err)
	}
	if err := NewRegistry().Register(RecordingKind{}); err != nil {
		t.Fatal(err)
	}
}

// TestRecordingKindExport: the person's own tracks come decrypted into the
// archive; a composite they appear in is listed without its content.
func TestRecordingKindExport(t *testing.T) {
	f := &fakeRecordings{tracks: []store.RecordingTrack{
		{ID: "t_own", RecordingID: "r_1", Subject: "u_ana", Kind: store.TrackVideo, Source: "camera"},
		{ID: "t_else", RecordingID: "r_1", Subject: "u_bob", Kind: store.TrackAudio, Source: "microphone"},
		{ID: "t_comp", RecordingID: "r_1", Kind: store.TrackComposite, Source: "composite", Subjects: []string{"u_ana", "u_bob"}},
	}}
	items, err := RecordingKind{Recordings: f}.Export(context.Background(), Subject{ID: "u_ana"})
	if err != nil || len(items) != 2 {
		t.Fatalf("export: %+v %v", items, err)
	}
	if items[0].Name != "t_own-camera.webm" || string(items[0].File) != "plain t_own" {
		t.Fatalf("own track: %+v", items[0])
	}
	if rec := items[1].Record.(recordingTrackRecord); items[1].File != nil || rec.People != 2 || rec.Kind != store.TrackComposite {
		t.Fatalf("composite: %+v", items[1])
	}
}

func TestRecordingKindEraseAndExpire(t *testing.T) {
	ctx := context.Background()
	f := &fakeRecordings{}
	k := RecordingKind{Recordings: f}
	er, err := k.Erase(ctx, Subject{ID: "p_guest"})
	if err != nil || f.erased != "p_guest" || er.Deleted != 4 || er.Shredded != 3 || er.Pseudonymous != 1 || er.Note == "" {
		t.Fatalf("erase: %+v %v", er, err)
	}
	before := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	cutoffs := map[string]time.Time{"m": before}
	if n, err := k.ExpireMeetings(ctx, before, cutoffs); err != nil || n != 3 || !f.before.Equal(before) || f.cutoffs["m"] != before {
		t.Fatalf("expire: %d %v", n, err)
	}
}
