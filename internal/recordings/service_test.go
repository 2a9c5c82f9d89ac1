package recordings

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/recorder"
	"github.com/conclave-meet/conclave/internal/store"
)

var host = Viewer{AccountID: "u_host"}

func TestBeginRefusals(t *testing.T) {
	ctx := context.Background()
	off := newEnv(t, func(o *Options) { o.Enabled = false })
	if _, err := off.svc.Begin(ctx, Recording{MeetingID: meetingA, StartedBy: "u_host"}); !errors.Is(err, ErrDisabled) {
		t.Fatalf("disabled: %v", err)
	}
	e := newEnv(t)
	a := e.begin(t, meetingA)
	if _, err := e.svc.Begin(ctx, Recording{MeetingID: meetingA, StartedBy: "u_host"}); !errors.Is(err, ErrActive) {
		t.Fatalf("same meeting twice: %v", err)
	}
	e.begin(t, meetingB)
	if err := e.st.CreateMeeting(ctx, store.Meeting{ID: "cccc-dddd-eeee-ffff", Title: "T", Passcode: "p4dzk3m97hvt", HostID: "u_ana",
		CreatedAt: e.clock.Now(), ScreenShare: store.ScreenSharePresenters, Recurrence: store.RecurrenceNone, EndsAt: e.clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Begin(ctx, Recording{MeetingID: "cccc-dddd-eeee-ffff", StartedBy: "u_ana"}); !errors.Is(err, ErrTooMany) {
		t.Fatalf("third recording: %v, want ErrTooMany", err)
	}
	if err := e.svc.End(ctx, a, "stopped"); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	e.free = 1 << 10
	e.mu.Unlock()
	if _, err := e.svc.Begin(ctx, Recording{MeetingID: "cccc-dddd-eeee-ffff", StartedBy: "u_ana"}); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("low disk: %v, want ErrNoSpace", err)
	}
	e.mu.Lock()
	e.free = 1 << 40
	e.mu.Unlock()
	c, err := e.svc.Begin(ctx, Recording{MeetingID: "cccc-dddd-eeee-ffff", StartedBy: "u_ana"})
	if err != nil {
		t.Fatalf("after one ended: %v", err)
	}
	if err := e.svc.End(ctx, c, "stopped"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Begin(ctx, Recording{MeetingID: "zzzz-zzzz-zzzz-zzzz"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown meeting: %v", err)
	}
}

func TestCatalogPlacesSealedTracks(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.begin(t, meetingA)
	content := bytes.Repeat([]byte("webm bytes "), 20000)
	tf := e.record(t, id, "p_a", "u_ana", store.TrackVideo, 1500*time.Millisecond, content)
	if tf.Path != filepath.Join(e.dir, id, tf.ID+".sealed") || len(tf.Key) != 32 || !ValidTrackID(tf.ID) {
		t.Fatalf("track file %+v", tf)
	}
	if info, err := os.Stat(filepath.Dir(tf.Path)); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("recording dir: %v %v", info, err)
	}
	raw, _ := os.ReadFile(tf.Path)
	if bytes.Contains(raw, []byte("webm bytes")) {
		t.Fatal("plain text on disk")
	}
	p, err := e.svc.OpenTrack(ctx, host, id, tf.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.ContentType != "video/webm" || p.Track.Owner != "p_a" || p.Track.OwnerName != "Name u_ana" || p.Track.Offset != 1500*time.Millisecond || p.Track.Key != nil {
		t.Fatalf("playback %+v", p.Track)
	}
	if got := readAll(t, p); !bytes.Equal(got, content) {
		t.Fatalf("read %d bytes, want %d", len(got), len(content))
	}
	if err := e.svc.End(ctx, id, "stopped"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddTrack(ctx, recorder.TrackMeta{RecordingID: id, Owner: "p_a", Kind: store.TrackAudio}); !errors.Is(err, ErrNotActive) {
		t.Fatalf("track after end: %v", err)
	}
}

func TestAccess(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.begin(t, meetingA)
	tf := e.record(t, id, "p_a", "u_ana", store.TrackAudio, 0, []byte("opus"))
	ana, other, officer := Viewer{AccountID: "u_ana"}, Viewer{AccountID: "u_other"}, Viewer{AccountID: "u_po", Any: true}
	for _, v := range []Viewer{ana, other, {}} {
		if _, err := e.svc.Get(ctx, v, id); !errors.Is(err, ErrForbidden) {
			t.Errorf("%+v get: %v, want ErrForbidden", v, err)
		}
		if _, err := e.svc.OpenTrack(ctx, v, id, tf.ID); !errors.Is(err, ErrForbidden) {
			t.Errorf("%+v play: %v", v, err)
		}
		if list, err := e.svc.List(ctx, v); err != nil || len(list) != 0 {
			t.Errorf("%+v list: %v %v", v, list, err)
		}
	}
	if err := e.svc.Share(ctx, ana, id, []string{"u_ana"}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("non-host shares: %v", err)
	}
	if err := e.svc.Share(ctx, host, id, []string{"u_nobody"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("share with unknown account: %v", err)
	}
	if err := e.svc.Share(ctx, host, id, []string{"u_ana"}); err != nil {
		t.Fatal(err)
	}
	sum, err := e.svc.Get(ctx, ana, id)
	if err != nil || sum.Access != CanView || len(sum.Tracks) != 1 || sum.Shares != nil {
		t.Fatalf("shared get: %+v %v", sum, err)
	}
	if readAll(t, mustOpen(t, e, ana, id, tf.ID)) == nil {
		t.Fatal("shared cannot play")
	}
	if err := e.svc.Share(ctx, ana, id, []string{"u_other"}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("recipient re-shares: %v", err)
	}
	if err := e.svc.Delete(ctx, ana, id); !errors.Is(err, ErrForbidden) {
		t.Fatalf("recipient deletes: %v", err)
	}
	for _, v := range []Viewer{host, officer} {
		sum, err := e.svc.Get(ctx, v, id)
		if err != nil || sum.Access != CanManage || len(sum.Shares) != 1 {
			t.Fatalf("%+v: %+v %v", v, sum, err)
		}
	}
	if list, err := e.svc.List(ctx, officer); err != nil || len(list) != 1 {
		t.Fatalf("officer list: %v %v", list, err)
	}
	if _, err := e.svc.Get(ctx, host, "r_nonsense"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bad id: %v", err)
	}
	if err := e.svc.Unshare(ctx, host, id, "u_ana"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Get(ctx, ana, id); !errors.Is(err, ErrForbidden) {
		t.Fatalf("after unshare: %v", err)
	}
}

func mustOpen(t *testing.T, e *env, v Viewer, rec, track string) *Playback {
	t.Helper()
	p, err := e.svc.OpenTrack(context.Background(), v, rec, track)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDeleteRemovesFilesAndKeys(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.begin(t, meetingA)
	tf := e.record(t, id, "p_a", "u_ana", store.TrackAudio, 0, []byte("opus"))
	if err := e.svc.Delete(ctx, host, id); !errors.Is(err, ErrActive) {
		t.Fatalf("delete running: %v", err)
	}
	if err := e.svc.End(ctx, id, "stopped"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Delete(ctx, host, id); err != nil {
		t.Fatal(err)
	}
	if exists(tf.Path) || exists(filepath.Dir(tf.Path)) {
		t.Fatal("files left after delete")
	}
	if _, err := e.st.RecordingTrack(ctx, id, tf.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("key row left: %v", err)
	}
}

func TestRecoverEndsInterrupted(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.begin(t, meetingA)
	// A new process: the first one's slots are gone.
	fresh, err := New(e.svc.opts)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := fresh.Recover(ctx); err != nil || n != 1 {
		t.Fatalf("recover: %d %v", n, err)
	}
	r, err := e.st.Recording(ctx, id)
	if err != nil || r.State != store.RecordingEnded || r.EndReason != "interrupted" {
		t.Fatalf("after recover: %+v %v", r, err)
	}
}

func TestExpireRemovesFilesRowsAndOrphans(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	old := e.begin(t, meetingA)
	oldTrack := e.record(t, old, "p_a", "u_ana", store.TrackAudio, 0, []byte("old"))
	if err := e.svc.End(ctx, old, "stopped"); err != nil {
		t.Fatal(err)
	}
	running := e.begin(t, meetingB)
	runningTrack := e.record(t, running, "p_b", "u_other", store.TrackAudio, 0, []byte("running"))
	orphan := filepath.Join(e.dir, "r_00000000000000000000")
	if err := os.Mkdir(orphan, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(orphan, e.clock.Now(), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.clock.add(48 * time.Hour)
	n, err := e.svc.ExpireRecordings(ctx, e.clock.Now().Add(-24*time.Hour), nil)
	if err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
	if exists(oldTrack.Path) || exists(filepath.Dir(oldTrack.Path)) || exists(orphan) {
		t.Fatal("expired files or orphan left")
	}
	if _, err := e.st.Recording(ctx, old); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired row left: %v", err)
	}
	if !exists(runningTrack.Path) {
		t.Fatal("a running recording was expired")
	}
	// A meeting's own longer period keeps its recording.
	if err := e.svc.End(ctx, running, "stopped"); err != nil {
		t.Fatal(err)
	}
	e.clock.add(48 * time.Hour)
	cutoffs := map[string]time.Time{meetingB: e.clock.Now().Add(-100 * time.Hour)}
	if n, err := e.svc.ExpireRecordings(ctx, e.clock.Now().Add(-time.Hour), cutoffs); err != nil || n != 0 || !exists(runningTrack.Path) {
		t.Fatalf("meeting's own period: %d %v", n, err)
	}
}

func TestEraseSubjectDeletesTracksAndComposites(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.begin(t, meetingA)
	anas := e.record(t, id, "p_a", "u_ana", store.TrackAudio, 0, []byte("ana"))
	hosts := e.record(t, id, "p_h", "u_host", store.TrackAudio, 0, []byte("host"))
	comp := store.RecordingTrack{ID: "t_00000000000000000000", RecordingID: id, Kind: store.TrackComposite, Source: "composite",
		Codec: "opus", Key: make([]byte, 32), Subjects: []string{"u_ana", "u_host"}, CreatedAt: e.clock.Now()}
	if err := e.st.AddRecordingTrack(ctx, comp); err != nil {
		t.Fatal(err)
	}
	compPath := e.svc.path(id, comp.ID)
	if err := os.WriteFile(compPath, []byte("sealed"), 0o600); err != nil {
		t.Fatal(err)
	}
	er, err := e.svc.EraseSubject(ctx, "u_ana")
	if err != nil || er.Tracks != 1 || er.Composites != 1 {
		t.Fatalf("erase: %+v %v", er, err)
	}
	if exists(anas.Path) || exists(compPath) || !exists(hosts.Path) {
		t.Fatal("erasure removed the wrong files")
	}
	left, err := e.st.RecordingTracks(ctx, id)
	if err != nil || !slices.Equal([]string{left[0].ID}, []string{hosts.ID}) || len(left) != 1 {
		t.Fatalf("left: %v %v", left, err)
	}
}

func TestReadTrackForExport(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.begin(t, meetingA)
	e.record(t, id, "p_g", "p_g", store.TrackVideo, 0, []byte("guest video"))
	ts, err := e.svc.TracksOfSubject(ctx, "p_g")
	if err != nil || len(ts) != 1 {
		t.Fatalf("tracks: %v %v", ts, err)
	}
	b, err := e.svc.ReadTrack(ctx, ts[0])
	if err != nil || string(b) != "guest video" {
		t.Fatalf("read: %q %v", b, err)
	}
	_ = io.EOF
}
