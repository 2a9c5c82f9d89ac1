package signal_test

import (
	"context"
	"encoding/json"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/sfu"
	"github.com/conclave-meet/conclave/internal/signal"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// fakeTranscriptions starts fake transcribers and remembers them.
type fakeTranscriptions struct {
	mu      sync.Mutex
	started []*fakeTr
	refuse  error
}

func (f *fakeTranscriptions) Start(_ context.Context, req room.TranscriptionRequest, hooks signal.TranscriptionHooks) (room.Transcriber, room.TranscriptionInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refuse != nil {
		return nil, room.TranscriptionInfo{}, f.refuse
	}
	tr := &fakeTr{req: req, allowed: map[string]string{}, hooks: hooks}
	f.started = append(f.started, tr)
	return tr, room.TranscriptionInfo{ID: "t_test", Purpose: req.Purpose, Access: "the host and privacy officers",
		Retention: 30 * 24 * time.Hour, Engine: "PocketSphinx, on this server", StartedAt: time.Now()}, nil
}

func (f *fakeTranscriptions) last() *fakeTr {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.started) == 0 {
		return nil
	}
	return f.started[len(f.started)-1]
}

type fakeTr struct {
	req     room.TranscriptionRequest
	hooks   signal.TranscriptionHooks
	mu      sync.Mutex
	allowed map[string]string
	stopped string
}

func (r *fakeTr) Allow(p, s string)      { r.mu.Lock(); r.allowed[p] = s; r.mu.Unlock() }
func (r *fakeTr) Deny(p string)          { r.mu.Lock(); delete(r.allowed, p); r.mu.Unlock() }
func (r *fakeTr) Tap(sfu.Track) sfu.Sink { return nil }
func (r *fakeTr) Stop(reason string)     { r.mu.Lock(); r.stopped = reason; r.mu.Unlock() }
func (r *fakeTr) state() (map[string]string, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.allowed), r.stopped
}

type trState struct {
	Active  bool   `json:"active"`
	ID      string `json:"id"`
	By      string `json:"by"`
	Purpose string `json:"purpose"`
	Engine  string `json:"engine"`
	Consent string `json:"consent"`
	Ended   string `json:"ended"`
	Days    int    `json:"retention_days"`
}

func (r *raw) transcription() trState {
	r.t.Helper()
	var s trState
	if err := json.Unmarshal(r.next("transcription").Data, &s); err != nil {
		r.t.Fatal(err)
	}
	return s
}

// refusedWith sends typ and returns the code and message of the error
// that refers to it ("" when none came before the pong).
func (r *raw) refusedWith(typ string, data any) (code, message string) {
	r.t.Helper()
	seq := r.send(typ, data)
	r.send("ping", struct{}{})
	for {
		m := r.next("pong", "error")
		if m.Type == "pong" {
			return code, message
		}
		var e struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Ref     int64  `json:"ref"`
		}
		_ = json.Unmarshal(m.Data, &e)
		if e.Ref == seq {
			code, message = e.Code, e.Message
		}
	}
}

func transcriptionServer(t *testing.T, org, e2ee bool) (*testserver.Server, *fakeTranscriptions, *fakeLedger) {
	t.Helper()
	trs, ledger := &fakeTranscriptions{}, &fakeLedger{}
	srv := testserver.Start(t, testserver.Options{
		Meeting: &store.Meeting{Title: "Transcribed", HostID: hostUser.ID, Cohosts: []string{cohostUser.ID}, JoinBeforeHost: true,
			ScreenShare: store.ScreenSharePresenters, Transcription: !e2ee, E2EE: e2ee},
		Users:          []store.User{hostUser, cohostUser, attUser},
		OrgPolicy:      room.OrgPolicy{Transcription: org},
		Transcriptions: trs, Consents: ledger,
	})
	return srv, trs, ledger
}

// TestTranscriptionConsentOverTheWire: a host starts a transcription and
// everyone is asked (with where the audio goes); nobody is transcribed
// before answering; a consent is on the ledger under the kind
// transcription before the transcriber takes the person; a decline is on
// the ledger as a consent withdrawn at once; a withdrawal takes effect at
// once; attendees and guests can neither start nor stop it; a co-host
// stops it and everyone hears so.
func TestTranscriptionConsentOverTheWire(t *testing.T) {
	srv, trs, ledger := transcriptionServer(t, true, false)
	host := dialAs(t, srv.WS, hostUser.ID)
	if w := host.hello("Hana", testserver.Passcode, nil); !w.has(`"transcription":true`) {
		t.Fatalf("welcome does not say transcription is allowed: %s", w.Data)
	}
	cohost := dialAs(t, srv.WS, cohostUser.ID)
	cohost.hello("Cora", testserver.Passcode, nil)
	att := dialAs(t, srv.WS, attUser.ID)
	att.hello("Ari", testserver.Passcode, nil)
	guest := dialAs(t, srv.WS, "")
	guest.hello("Gus", testserver.Passcode, nil)

	for name, r := range map[string]*raw{"attendee": att, "guest": guest} {
		if v := r.outcome("transcription_start", map[string]string{"purpose": "mine"}); v != "forbidden" {
			t.Fatalf("%s starts a transcription: %s", name, v)
		}
	}
	if trs.last() != nil {
		t.Fatal("a refused start started a transcriber")
	}
	if v := host.outcome("transcription_start", map[string]string{"purpose": "Board minutes"}); v != "ok" {
		t.Fatalf("host starts: %s", v)
	}
	for name, r := range map[string]*raw{"co-host": cohost, "attendee": att, "guest": guest} {
		if s := r.transcription(); !s.Active || s.ID != "t_test" || s.Purpose != "Board minutes" || s.Consent != "pending" ||
			s.By != host.id || s.Days != 30 || s.Engine != "PocketSphinx, on this server" {
			t.Fatalf("%s told %+v", name, s)
		}
	}
	tr := trs.last()
	if tr.req.StartedBy != hostUser.ID || tr.req.Purpose != "Board minutes" {
		t.Fatalf("started with %+v", tr.req)
	}
	if allowed, _ := tr.state(); len(allowed) != 0 {
		t.Fatalf("transcribed before anyone answered: %v", allowed)
	}
	if v := cohost.outcome("transcription_start", map[string]string{"purpose": "again"}); v != "forbidden" {
		t.Fatalf("a second transcription: %s", v)
	}

	att.send("transcription_consent", map[string]any{"id": "t_test", "consent": true})
	if s := att.transcription(); s.Consent != "given" {
		t.Fatalf("attendee's answer %+v", s)
	}
	if v := guest.outcome("transcription_consent", map[string]any{"id": "t_test", "consent": false}); v != "ok" {
		t.Fatal(v)
	}
	if allowed, _ := tr.state(); !maps.Equal(allowed, map[string]string{att.id: attUser.ID}) {
		t.Fatalf("allowed %v, want the attendee's account only", allowed)
	}
	consents, events := ledger.snapshot()
	if len(consents) != 2 || consents[0].SubjectID != attUser.ID || consents[0].Kind != store.ConsentTranscription ||
		!consents[0].WithdrawnAt.IsZero() || consents[1].SubjectID != guest.id || consents[1].Kind != store.ConsentTranscription ||
		consents[1].WithdrawnAt != consents[1].GivenAt {
		t.Fatalf("ledger %+v", consents)
	}
	if len(events) != 2 || events[0].Action != audit.ConsentGiven || events[1].Action != audit.ConsentDeclined ||
		events[0].Details["kind"] != store.ConsentTranscription || events[0].Details["transcription"] != "t_test" {
		t.Fatalf("audit %+v", events)
	}

	// Withdrawal: at once, and on the ledger.
	if v := att.outcome("transcription_consent", map[string]any{"id": "t_test", "consent": false}); v != "ok" {
		t.Fatal(v)
	}
	if allowed, _ := tr.state(); len(allowed) != 0 {
		t.Fatalf("still transcribed after withdrawing: %v", allowed)
	}
	consents, events = ledger.snapshot()
	if consents[0].WithdrawnAt.IsZero() || events[len(events)-1].Action != audit.ConsentWithdrawn {
		t.Fatalf("withdrawal not on the ledger: %+v %+v", consents, events)
	}
	if v := guest.outcome("transcription_consent", map[string]any{"id": "t_other", "consent": true}); v != "not_found" {
		t.Fatalf("answer to another transcription: %s", v)
	}
	for name, r := range map[string]*raw{"attendee": att, "guest": guest} {
		if v := r.outcome("transcription_stop", map[string]string{"id": "t_test"}); v != "forbidden" {
			t.Fatalf("%s stops it: %s", name, v)
		}
	}
	if v := cohost.outcome("transcription_stop", map[string]string{"id": "t_test"}); v != "ok" {
		t.Fatal(v)
	}
	if s := guest.transcription(); s.Active || s.Ended != "stopped" {
		t.Fatalf("guest told %+v", s)
	}
	eventually.True(t, "the transcriber to stop", func() bool {
		_, stopped := tr.state()
		return stopped == room.RecordingStopped
	})
}

// TestCaptionsOnlyToViewers: captions reach those who turned them on,
// with the speaker's name, and nobody else; turned off, they stop.
func TestCaptionsOnlyToViewers(t *testing.T) {
	srv, trs, _ := transcriptionServer(t, true, false)
	host := dialAs(t, srv.WS, hostUser.ID)
	host.hello("Hana", testserver.Passcode, nil)
	att := dialAs(t, srv.WS, attUser.ID)
	att.hello("Ari", testserver.Passcode, nil)
	guest := dialAs(t, srv.WS, "")
	guest.hello("Gus", testserver.Passcode, nil)
	cohost := dialAs(t, srv.WS, cohostUser.ID)
	cohost.hello("Cora", testserver.Passcode, nil)
	if v := host.outcome("transcription_start", map[string]string{"purpose": "Captions"}); v != "ok" {
		t.Fatal(v)
	}
	if v := att.outcome("transcription_consent", map[string]any{"id": "t_test", "consent": true}); v != "ok" {
		t.Fatal(v)
	}
	if v := guest.outcome("captions", map[string]bool{"on": true}); v != "ok" {
		t.Fatalf("a guest turns captions on: %s", v)
	}
	tr := trs.last()
	tr.hooks.Caption("t_test", room.Caption{Participant: att.id, Utterance: 0, Start: time.Second, End: 2 * time.Second, Text: "hello"})
	tr.hooks.Caption("t_test", room.Caption{Participant: att.id, Utterance: 0, Final: true, Start: time.Second, End: 3 * time.Second, Text: "hello world"})
	tr.hooks.Caption("t_other", room.Caption{Participant: att.id, Text: "from a transcription that is not running"})
	type caption struct {
		Transcription, Participant, Name, Text string
		Utterance                              int
		Final                                  bool
		StartMS                                int64 `json:"start_ms"`
		EndMS                                  int64 `json:"end_ms"`
	}
	var got []caption
	for range 2 {
		var c caption
		if err := json.Unmarshal(guest.next("caption").Data, &c); err != nil {
			t.Fatal(err)
		}
		got = append(got, c)
	}
	if got[0].Name != "Ari" || got[0].Participant != att.id || got[0].Text != "hello" || got[0].Final || got[0].StartMS != 1000 ||
		got[1].Text != "hello world" || !got[1].Final || got[1].EndMS != 3000 || got[1].Transcription != "t_test" {
		t.Fatalf("captions %+v", got)
	}
	// The host did not turn captions on: a co-host's broadcast after the
	// captions reaches it before any caption could.
	if v := cohost.outcome("lock", map[string]bool{"locked": true}); v != "ok" {
		t.Fatal(v)
	}
	if m := host.next("caption", "meeting_updated"); m.Type != "meeting_updated" {
		t.Fatalf("the host got a caption without asking: %s", m.Data)
	}
	if v := guest.outcome("captions", map[string]bool{"on": false}); v != "ok" {
		t.Fatal(v)
	}
	tr.hooks.Caption("t_test", room.Caption{Participant: att.id, Utterance: 1, Final: true, Text: "after"})
	if v := cohost.outcome("lock", map[string]bool{"locked": false}); v != "ok" {
		t.Fatal(v)
	}
	for {
		m := guest.next("caption", "meeting_updated")
		if m.Type == "caption" {
			t.Fatalf("a caption after turning captions off: %s", m.Data)
		}
		if m.has(`"locked":false`) {
			break
		}
	}
}

// TestTranscriptionRefused: without the organisation's permission nobody
// transcribes; in an end-to-end encrypted meeting the host is told why;
// the service's own refusal reaches the host.
func TestTranscriptionRefused(t *testing.T) {
	srv, trs, _ := transcriptionServer(t, false, false)
	host := dialAs(t, srv.WS, hostUser.ID)
	if w := host.hello("Hana", testserver.Passcode, nil); w.has(`"transcription":true`) {
		t.Fatalf("welcome says transcription is allowed: %s", w.Data)
	}
	if code, msg := host.refusedWith("transcription_start", map[string]string{"purpose": "x"}); code != "forbidden" ||
		msg != "transcription is not allowed in this meeting" {
		t.Fatalf("transcription where the organisation forbids it: %s %q", code, msg)
	}
	if trs.last() != nil {
		t.Fatal("a transcriber was started")
	}

	srv, trs, _ = transcriptionServer(t, true, true)
	host = dialAs(t, srv.WS, hostUser.ID)
	if w := host.hello("Hana", testserver.Passcode, nil); w.has(`"transcription":true`) || !w.has(`"e2ee":true`) {
		t.Fatalf("welcome in an E2EE meeting: %s", w.Data)
	}
	if code, msg := host.refusedWith("transcription_start", map[string]string{"purpose": "x"}); code != "forbidden" ||
		msg != "this meeting is end-to-end encrypted: the server has no audio to transcribe" {
		t.Fatalf("transcription of an E2EE meeting: %s %q", code, msg)
	}
	if trs.last() != nil {
		t.Fatal("a transcriber was started in an E2EE meeting")
	}

	srv, trs, _ = transcriptionServer(t, true, false)
	trs.refuse = refusal("the speech engine is not installed")
	host = dialAs(t, srv.WS, hostUser.ID)
	host.hello("Hana", testserver.Passcode, nil)
	if code, msg := host.refusedWith("transcription_start", map[string]string{"purpose": "x"}); code != "forbidden" ||
		msg != "the speech engine is not installed" {
		t.Fatalf("refused by the service: %s %q", code, msg)
	}
}

// TestTranscriptionFault: an engine that fails ends the transcription for
// everyone, once.
func TestTranscriptionFault(t *testing.T) {
	srv, trs, _ := transcriptionServer(t, true, false)
	host := dialAs(t, srv.WS, hostUser.ID)
	host.hello("Hana", testserver.Passcode, nil)
	guest := dialAs(t, srv.WS, "")
	guest.hello("Gus", testserver.Passcode, nil)
	if v := host.outcome("transcription_start", map[string]string{"purpose": "x"}); v != "ok" {
		t.Fatal(v)
	}
	if s := guest.transcription(); !s.Active {
		t.Fatalf("guest told %+v", s)
	}
	tr := trs.last()
	tr.hooks.Fault("t_test", room.RecordingFailed)
	if s := guest.transcription(); s.Active || s.Ended != "failed" {
		t.Fatalf("guest told %+v", s)
	}
	if _, stopped := tr.state(); stopped != room.RecordingFailed {
		t.Fatalf("transcriber stopped with %q", stopped)
	}
	if v := host.outcome("transcription_stop", map[string]string{"id": "t_test"}); v != "not_found" {
		t.Fatalf("stopping a transcription that ended: %s", v)
	}
}
