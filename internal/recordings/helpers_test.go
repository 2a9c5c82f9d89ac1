package recordings

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/recorder"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
)

const (
	meetingA = "k3m9-x2qa-7hvt-p4dz"
	meetingB = "aaaa-bbbb-cccc-dddd"
)

// clock is a settable time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type env struct {
	svc   *Service
	st    *sqlite.Store
	clock *clock
	dir   string
	free  uint64
	mu    sync.Mutex
}

// newEnv is a service over a fresh store with accounts u_host (hosting
// meetingA), u_other (hosting meetingB) and u_ana.
func newEnv(t *testing.T, mod ...func(*Options)) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{st: st, clock: &clock{now: time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)}, dir: filepath.Join(t.TempDir(), "recordings"), free: 1 << 40}
	for _, id := range []string{"u_host", "u_other", "u_ana"} {
		if err := st.CreateUser(ctx, store.User{ID: id, Email: id + "@example.org", Name: "Name " + id, Role: store.RoleMember,
			PasswordHash: "h", CreatedAt: e.clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	for id, host := range map[string]string{meetingA: "u_host", meetingB: "u_other"} {
		if err := st.CreateMeeting(ctx, store.Meeting{ID: id, Title: "T", Passcode: "p4dzk3m97hvt", HostID: host,
			CreatedAt: e.clock.Now(), ScreenShare: store.ScreenSharePresenters, Recurrence: store.RecurrenceNone,
			EndsAt: e.clock.Now().Add(24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	opts := Options{Dir: e.dir, Store: st, Enabled: true, Max: 2, MinFree: 1 << 20, Now: e.clock.Now,
		FreeSpace: func(string) (uint64, error) { e.mu.Lock(); defer e.mu.Unlock(); return e.free, nil }}
	for _, m := range mod {
		m(&opts)
	}
	e.svc, err = New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.svc.Close() })
	return e
}

func (e *env) begin(t *testing.T, meetingID string) string {
	t.Helper()
	id, err := e.svc.Begin(context.Background(), Recording{MeetingID: meetingID, StartedBy: "u_host", Purpose: "minutes"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// record writes a track as the recorder does: registered, sealed, finished.
func (e *env) record(t *testing.T, recordingID, owner, subject, kind string, offset time.Duration, content []byte) recorder.TrackFile {
	t.Helper()
	ctx := context.Background()
	codec := "VP8"
	if kind == store.TrackAudio {
		codec = "opus"
	}
	tf, err := e.svc.AddTrack(ctx, recorder.TrackMeta{RecordingID: recordingID, Owner: owner, Subject: subject,
		Source: map[string]string{store.TrackAudio: "microphone", store.TrackVideo: "camera"}[kind], Kind: kind, Codec: codec, Offset: offset})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(tf.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	sw, err := recorder.NewSealWriter(f, tf.Key, tf.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sw.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.FinishTrack(ctx, tf.ID, recorder.TrackEnd{Frames: 10, Bytes: sw.Written(), Duration: 2 * time.Second, Complete: true}); err != nil {
		t.Fatal(err)
	}
	return tf
}

func readAll(t *testing.T, p *Playback) []byte {
	t.Helper()
	defer p.Close()
	b, err := io.ReadAll(p.Content())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
