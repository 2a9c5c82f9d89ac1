package room

import (
	"errors"
	"maps"
	"slices"
	"testing"
)

// transcribable is a meeting's policy that lets hosts transcribe it.
var transcribable = Policy{HostID: "u_host", JoinBeforeHost: true, Transcription: true}

func transcriptionManager(t *testing.T, org OrgPolicy) *Manager {
	m, _ := newFakeManager(t, 0)
	m.SetOrgPolicy(org)
	return m
}

// TestTranscriptionConsent: starting asks everyone and transcribes
// nobody; a consent lets the transcriber take that participant, a decline
// or withdrawal stops it at once, a late joiner is asked, leaving denies,
// and captions go only to members who turned them on, with the speaker's
// name.
func TestTranscriptionConsent(t *testing.T) {
	m := transcriptionManager(t, OrgPolicy{Transcription: true})
	h, rh := join(t, m, "m", "Hana", "u_host", transcribable)
	g, rg := join(t, m, "m", "Gus", "", transcribable)
	a, ra := join(t, m, "m", "Ada", "u_ada", transcribable)
	tr := newFakeRecorder()
	if err := g.MayTranscribe(); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a guest may transcribe: %v", err)
	}
	if err := h.StartTranscription(TranscriptionInfo{ID: "t_1", Purpose: "minutes"}, tr); err != nil {
		t.Fatal(err)
	}
	if err := h.StartTranscription(TranscriptionInfo{ID: "t_2"}, newFakeRecorder()); !errors.Is(err, ErrTranscriptionActive) {
		t.Fatalf("a second transcription: %v", err)
	}
	for _, r := range []*recorder{rh, rg, ra} {
		r.waitFor(t, "transcription t_1 pending")
	}
	if allowed, _ := tr.state(); len(allowed) != 0 {
		t.Fatalf("transcribed before anyone consented: %v", allowed)
	}
	if _, _, err := a.TranscriptionConsent("t_1", true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := g.TranscriptionConsent("t_1", false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := g.TranscriptionConsent("t_other", true); !errors.Is(err, ErrNoTranscription) {
		t.Fatalf("an answer to another transcription: %v", err)
	}
	if allowed, _ := tr.state(); !maps.Equal(allowed, map[string]string{a.ID(): "u_ada"}) {
		t.Fatalf("allowed %v, want Ada's account", allowed)
	}

	if err := g.SetCaptions(true); err != nil {
		t.Fatal(err)
	}
	if !m.Caption("m", "t_1", Caption{Participant: a.ID(), Final: true, Text: "hello"}) {
		t.Fatal("a caption of the running transcription was dropped")
	}
	if m.Caption("m", "t_2", Caption{Participant: a.ID(), Text: "other"}) {
		t.Fatal("a caption of another transcription was taken")
	}
	rg.waitFor(t, "caption Ada: hello")
	if rh.has("caption Ada: hello") || ra.has("caption Ada: hello") {
		t.Fatal("a caption reached someone who did not turn captions on")
	}

	late, rl := join(t, m, "m", "Lea", "", transcribable)
	rl.waitFor(t, "transcription t_1 pending")
	if n := m.WithdrawTranscription("u_ada"); n != 1 {
		t.Fatalf("withdrew %d, want 1", n)
	}
	ra.waitFor(t, "transcription t_1 declined")
	if allowed, _ := tr.state(); len(allowed) != 0 {
		t.Fatalf("after Ada withdrew: %v", allowed)
	}
	if _, _, err := late.TranscriptionConsent("t_1", true); err != nil {
		t.Fatal(err)
	}
	late.Leave()
	if allowed, _ := tr.state(); len(allowed) != 0 {
		t.Fatalf("someone who left is still allowed: %v", allowed)
	}
	if err := g.StopTranscription("t_1"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a guest stops it: %v", err)
	}
	if err := h.StopTranscription("t_1"); err != nil {
		t.Fatal(err)
	}
	rg.waitFor(t, "transcription ended stopped")
	if _, stopped := tr.state(); !slices.Equal(stopped, []string{RecordingStopped}) {
		t.Fatalf("stopped %v", stopped)
	}
	if m.Caption("m", "t_1", Caption{Participant: a.ID(), Text: "late"}) {
		t.Fatal("a caption after the stop was taken")
	}
}

// TestTranscriptionPolicy: without the organisation's permission, without
// the meeting's, or with end-to-end encrypted media, nobody transcribes;
// E2EE says why.
func TestTranscriptionPolicy(t *testing.T) {
	m := transcriptionManager(t, OrgPolicy{Recording: true})
	h, _ := join(t, m, "m", "Hana", "u_host", transcribable)
	if err := h.MayTranscribe(); !errors.Is(err, ErrTranscriptionOff) {
		t.Fatalf("organisation off: %v", err)
	}
	m = transcriptionManager(t, OrgPolicy{Transcription: true})
	h, _ = join(t, m, "m", "Hana", "u_host", Policy{HostID: "u_host", JoinBeforeHost: true})
	if err := h.MayTranscribe(); !errors.Is(err, ErrTranscriptionOff) {
		t.Fatalf("meeting not transcribable: %v", err)
	}
	// A recordable meeting is not transcribable for that: each is an
	// option of its own.
	m = transcriptionManager(t, OrgPolicy{Recording: true, Transcription: true})
	h, _ = join(t, m, "m", "Hana", "u_host", recordable)
	if err := h.MayTranscribe(); !errors.Is(err, ErrTranscriptionOff) {
		t.Fatalf("recordable, not transcribable: %v", err)
	}
	if err := h.MayRecord(); err != nil {
		t.Fatalf("recordable: %v", err)
	}
	m = transcriptionManager(t, OrgPolicy{Transcription: true})
	h, _ = join(t, m, "m", "Hana", "u_host", Policy{HostID: "u_host", JoinBeforeHost: true, Transcription: true, E2EE: true})
	if err := h.MayTranscribe(); !errors.Is(err, ErrTranscriptionE2EE) {
		t.Fatalf("E2EE meeting: %v", err)
	}
	m = transcriptionManager(t, OrgPolicy{Transcription: true, RequireE2EE: true})
	h, _ = join(t, m, "m", "Hana", "u_host", transcribable)
	if err := h.MayTranscribe(); !errors.Is(err, ErrTranscriptionE2EE) {
		t.Fatalf("organisation requires E2EE: %v", err)
	}
}
