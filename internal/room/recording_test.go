package room

import (
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/conclave-meet/conclave/internal/sfu"
)

// fakeRecorder records what the room allows: who may be recorded now,
// and whether it was stopped and why.
type fakeRecorder struct {
	mu      sync.Mutex
	allowed map[string]string // participant → subject
	stopped []string
}

func newFakeRecorder() *fakeRecorder { return &fakeRecorder{allowed: map[string]string{}} }

func (f *fakeRecorder) Allow(p, subject string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.allowed[p] = subject
}

func (f *fakeRecorder) Deny(p string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.allowed, p)
}

func (f *fakeRecorder) Tap(sfu.Track) sfu.Sink { return nil }

func (f *fakeRecorder) Stop(reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = append(f.stopped, reason)
}

func (f *fakeRecorder) state() (map[string]string, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.allowed), slices.Clone(f.stopped)
}

var recordable = Policy{HostID: "u_host", JoinBeforeHost: true, Recording: true}

func recordingManager(t *testing.T) (*Manager, *fakeMedia) {
	m, f := newFakeManager(t, 0)
	m.SetOrgPolicy(OrgPolicy{Recording: true})
	return m, f
}

// TestRecordingConsent: starting asks everyone and records nobody; a
// consent lets the recorder take that participant (by their data
// subject), a decline or withdrawal stops it at once, a late joiner is
// asked and not recorded until they answer, and leaving ends it.
func TestRecordingConsent(t *testing.T) {
	m, f := recordingManager(t)
	h, rh := join(t, m, "m", "Hana", "u_host", recordable)
	g, rg := join(t, m, "m", "Gus", "", recordable)
	rec := newFakeRecorder()
	if err := h.MayRecord(); err != nil {
		t.Fatal(err)
	}
	if err := h.StartRecording(RecordingInfo{ID: "r_1", Purpose: "minutes"}, rec); err != nil {
		t.Fatal(err)
	}
	rh.waitFor(t, "recording r_1 pending")
	rg.waitFor(t, "recording r_1 pending")
	if allowed, _ := rec.state(); len(allowed) != 0 {
		t.Fatalf("recorded before anyone consented: %v", allowed)
	}
	if f.room(0).tapCount() != 1 {
		t.Fatal("the recorder was not attached to the media")
	}
	info, answer := g.Recording()
	if info == nil || info.By != h.ID() || info.ByName != "Hana" || info.Purpose != "minutes" || answer != ConsentPending {
		t.Fatalf("what Gus is told: %+v %q", info, answer)
	}

	subject, changed, err := g.RecordingConsent("r_1", true)
	if err != nil || !changed || subject != g.ID() {
		t.Fatalf("guest consents: %q %v %v", subject, changed, err)
	}
	if _, changed, _ := g.RecordingConsent("r_1", true); changed {
		t.Fatal("the same answer twice changed something")
	}
	if subject, _, _ := h.RecordingConsent("r_1", false); subject != "u_host" {
		t.Fatalf("the host's subject is %q, want the account", subject)
	}
	rg.waitFor(t, "recording r_1 given")
	rh.waitFor(t, "recording r_1 declined")
	if allowed, _ := rec.state(); !maps.Equal(allowed, map[string]string{g.ID(): g.ID()}) {
		t.Fatalf("allowed %v, want Gus only", allowed)
	}

	late, rl := join(t, m, "m", "Lea", "", recordable)
	rl.waitFor(t, "recording r_1 pending")
	if allowed, _ := rec.state(); len(allowed) != 1 {
		t.Fatalf("a late joiner was recorded before answering: %v", allowed)
	}
	// Withdrawal takes effect at once.
	if _, _, err := g.RecordingConsent("r_1", false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := late.RecordingConsent("r_1", true); err != nil {
		t.Fatal(err)
	}
	if allowed, _ := rec.state(); !maps.Equal(allowed, map[string]string{late.ID(): late.ID()}) {
		t.Fatalf("after Gus withdrew: %v", allowed)
	}
	late.Leave()
	if allowed, _ := rec.state(); len(allowed) != 0 {
		t.Fatalf("someone who left is still allowed: %v", allowed)
	}
	// An answer to another recording is refused.
	if _, _, err := g.RecordingConsent("r_other", true); !errors.Is(err, ErrNoRecording) {
		t.Fatalf("answer to another recording: %v", err)
	}
	if err := g.StopRecording("r_1"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a guest stops the recording: %v", err)
	}
	if err := h.StopRecording("r_1"); err != nil {
		t.Fatal(err)
	}
	rg.waitFor(t, "recording ended stopped")
	if _, stopped := rec.state(); !slices.Equal(stopped, []string{RecordingStopped}) {
		t.Fatalf("stopped %v", stopped)
	}
	if f.room(0).tapCount() != 0 {
		t.Fatal("the recorder stayed attached")
	}
	if _, _, err := g.RecordingConsent("r_1", true); !errors.Is(err, ErrNoRecording) {
		t.Fatalf("answer after the end: %v", err)
	}
}

// TestRecordingRefusals: only hosts and co-hosts record, only where both
// the organisation and the meeting allow it, one recording at a time.
func TestRecordingRefusals(t *testing.T) {
	for name, c := range map[string]struct {
		org  bool
		meet bool
	}{"org off": {false, true}, "meeting off": {true, false}} {
		m := newManager(t, 0)
		m.SetOrgPolicy(OrgPolicy{Recording: c.org})
		p := recordable
		p.Recording = c.meet
		h, rh := join(t, m, "m", "Hana", "u_host", p)
		if rh.welcome.Settings.Recording {
			t.Errorf("%s: settings say recording is allowed", name)
		}
		if err := h.StartRecording(RecordingInfo{ID: "r_1"}, newFakeRecorder()); !errors.Is(err, ErrRecordingOff) {
			t.Errorf("%s: %v, want ErrRecordingOff", name, err)
		}
	}
	m, _ := recordingManager(t)
	h, rh := join(t, m, "m", "Hana", "u_host", recordable)
	if !rh.welcome.Settings.Recording {
		t.Fatal("settings do not say recording is allowed")
	}
	a, _ := join(t, m, "m", "Ada", "u_ada", recordable)
	if err := a.MayRecord(); !errors.Is(err, ErrForbidden) {
		t.Fatalf("an attendee may record: %v", err)
	}
	if err := a.StartRecording(RecordingInfo{ID: "r_a"}, newFakeRecorder()); !errors.Is(err, ErrForbidden) {
		t.Fatalf("an attendee records: %v", err)
	}
	if err := h.SetRole(a.ID(), "cohost"); err != nil {
		t.Fatal(err)
	}
	if err := a.StartRecording(RecordingInfo{ID: "r_a"}, newFakeRecorder()); err != nil {
		t.Fatalf("a co-host records: %v", err)
	}
	if err := h.StartRecording(RecordingInfo{ID: "r_h"}, newFakeRecorder()); !errors.Is(err, ErrRecordingActive) {
		t.Fatalf("a second recording: %v", err)
	}
	if err := h.StopRecording("r_h"); !errors.Is(err, ErrNoRecording) {
		t.Fatalf("stop another recording: %v", err)
	}
}

// TestRecordingEndsWithTheMeeting: ending the meeting, the last one
// leaving and the server's own stop (low disk) each stop the recorder,
// once, with their reason.
func TestRecordingEndsWithTheMeeting(t *testing.T) {
	m, _ := recordingManager(t)
	h, _ := join(t, m, "m", "Hana", "u_host", recordable)
	rec := newFakeRecorder()
	if err := h.StartRecording(RecordingInfo{ID: "r_1"}, rec); err != nil {
		t.Fatal(err)
	}
	if err := h.End(); err != nil {
		t.Fatal(err)
	}
	if _, stopped := rec.state(); !slices.Equal(stopped, []string{RecordingEnded}) {
		t.Fatalf("meeting ended: stopped %v", stopped)
	}

	h, _ = join(t, m, "m2", "Hana", "u_host", recordable)
	rec = newFakeRecorder()
	if err := h.StartRecording(RecordingInfo{ID: "r_2"}, rec); err != nil {
		t.Fatal(err)
	}
	h.Leave()
	if _, stopped := rec.state(); !slices.Equal(stopped, []string{RecordingEnded}) {
		t.Fatalf("last one left: stopped %v", stopped)
	}

	h, rh := join(t, m, "m3", "Hana", "u_host", recordable)
	rec = newFakeRecorder()
	if err := h.StartRecording(RecordingInfo{ID: "r_3"}, rec); err != nil {
		t.Fatal(err)
	}
	if m.EndRecording("m3", "r_other", RecordingDiskLow) || m.EndRecording("nowhere", "r_3", RecordingDiskLow) {
		t.Fatal("ended a recording that is not running")
	}
	if !m.EndRecording("m3", "r_3", RecordingDiskLow) {
		t.Fatal("the server could not end the recording")
	}
	rh.waitFor(t, "recording ended disk_low")
	if _, stopped := rec.state(); !slices.Equal(stopped, []string{RecordingDiskLow}) {
		t.Fatalf("disk low: stopped %v", stopped)
	}
	h.Leave()
	if _, stopped := rec.state(); len(stopped) != 1 {
		t.Fatalf("stopped twice: %v", stopped)
	}
}

// TestRecordingWithdrawnFromTheAccountPage: an account that withdraws its
// recording consent elsewhere is left out of a running recording at once;
// others stay recorded.
func TestRecordingWithdrawnFromTheAccountPage(t *testing.T) {
	m, _ := recordingManager(t)
	h, _ := join(t, m, "m", "Hana", "u_host", recordable)
	a, ra := join(t, m, "m", "Ada", "u_ada", recordable)
	g, _ := join(t, m, "m", "Gus", "", recordable)
	rec := newFakeRecorder()
	if err := h.StartRecording(RecordingInfo{ID: "r_1"}, rec); err != nil {
		t.Fatal(err)
	}
	for _, mb := range []*Member{a, g} {
		if _, _, err := mb.RecordingConsent("r_1", true); err != nil {
			t.Fatal(err)
		}
	}
	if n := m.WithdrawRecording("u_ada"); n != 1 {
		t.Fatalf("withdrew %d participants, want 1", n)
	}
	ra.waitFor(t, "recording r_1 declined")
	if allowed, _ := rec.state(); !maps.Equal(allowed, map[string]string{g.ID(): g.ID()}) {
		t.Fatalf("allowed %v, want Gus only", allowed)
	}
	if m.WithdrawRecording("u_ada") != 0 || m.WithdrawRecording("") != 0 {
		t.Fatal("withdrew again")
	}
}
