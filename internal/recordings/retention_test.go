package recordings

import (
	"context"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/retention"
	"github.com/conclave-meet/conclave/internal/store"
)

// TestSweeperDeletesExpiredRecordings: the retention sweeper, walking the
// registry, deletes a recording older than retention_recording, its files
// and its key rows, honours a meeting's own longer period, and counts
// the deletion under "recording".
func TestSweeperDeletesExpiredRecordings(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	a := e.begin(t, meetingA)
	aTrack := e.record(t, a, "p_a", "u_ana", store.TrackAudio, 0, []byte("a"))
	b := e.begin(t, meetingB)
	bTrack := e.record(t, b, "p_b", "u_other", store.TrackAudio, 0, []byte("b"))
	for _, id := range []string{a, b} {
		if err := e.svc.End(ctx, id, "stopped"); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.st.SetMeetingRetention(ctx, meetingB, map[string]time.Duration{"recording": 30 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	reg := privacy.NewRegistry()
	if err := reg.Register(privacy.RecordingKind{Recordings: e.svc}); err != nil {
		t.Fatal(err)
	}
	p := config.DefaultPrivacy()
	p.RetentionRecording = 7 * 24 * time.Hour
	e.clock.add(8 * 24 * time.Hour)
	sw := &retention.Sweeper{Registry: reg, Policy: retention.FromConfig(p), Overrides: e.st,
		Audit: audit.New(e.st, audit.Options{Key: []byte("recordings test audit key 32 b..")}), Now: e.clock.Now}
	res, err := sw.Sweep(ctx)
	if err != nil || res.Deleted[privacy.CatRecording] != 1 {
		t.Fatalf("sweep: %+v %v", res, err)
	}
	if exists(aTrack.Path) || !exists(bTrack.Path) {
		t.Fatal("the sweep removed the wrong files")
	}
	if _, err := e.st.RecordingTrack(ctx, a, aTrack.ID); err == nil {
		t.Fatal("the expired track's key row is still there")
	}
}
