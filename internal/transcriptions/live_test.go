package transcriptions_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/client"
	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/signal"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testserver"
	"github.com/conclave-meet/conclave/internal/transcribe"
	"github.com/conclave-meet/conclave/internal/transcribe/pocketsphinx"
	"github.com/conclave-meet/conclave/internal/transcribe/speechtest"
	"github.com/conclave-meet/conclave/internal/transcriptions"
)

// The whole path of a transcription with real parts: signalling, the
// room's consent, the SFU's tap, the transcriber, PocketSphinx and the
// captions back to a viewer, with Pion clients sending speech Flite made.

var host = store.User{ID: "u_host", Email: "h@example.org", Name: "Hana", Role: store.RoleMember, PasswordHash: "x"}

// countingEngine remembers whom the real engine was opened for.
type countingEngine struct {
	transcribe.Engine
	mu       sync.Mutex
	speakers []string
}

func (e *countingEngine) Open(ctx context.Context, o transcribe.StreamOptions) (transcribe.Stream, error) {
	e.mu.Lock()
	e.speakers = append(e.speakers, o.Speaker)
	e.mu.Unlock()
	return e.Engine.Open(ctx, o)
}

func (e *countingEngine) opened() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.speakers...)
}

func signalHooks() signal.TranscriptionHooks { return signal.TranscriptionHooks{} }

// ledger keeps consents in memory.
type ledger struct {
	mu       sync.Mutex
	consents []store.Consent
}

func (l *ledger) AppendConsent(_ context.Context, c store.Consent, _ audit.Event) (store.Consent, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.consents = append(l.consents, c)
	return c, nil
}

func (l *ledger) WithdrawConsent(_ context.Context, subject, kind, meetingID string, at time.Time, _ audit.Event) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for i, c := range l.consents {
		if c.SubjectID == subject && c.Kind == kind && c.MeetingID == meetingID && c.WithdrawnAt.IsZero() {
			l.consents[i].WithdrawnAt = at
			n++
		}
	}
	return n, nil
}

// participant is a Pion client that remembers the transcription state and
// the captions it was sent.
type participant struct {
	c        *client.Client
	mu       sync.Mutex
	state    map[string]any
	captions []map[string]any
}

func (p *participant) get() (map[string]any, []map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state, append([]map[string]any(nil), p.captions...)
}

func dial(t *testing.T, ws, name, user string) *participant {
	t.Helper()
	p := &participant{}
	h := http.Header{}
	if user != "" {
		h.Set("X-Test-User", user)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, ws, client.Hello{MeetingID: testserver.MeetingID, Passcode: testserver.Passcode, Name: name},
		client.Options{Header: h, OnMessage: func(typ string, data json.RawMessage) {
			var m map[string]any
			_ = json.Unmarshal(data, &m)
			p.mu.Lock()
			defer p.mu.Unlock()
			switch typ {
			case "transcription":
				p.state = m
			case "caption":
				p.captions = append(p.captions, m)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	p.c = c
	return p
}

// speak sends the packets at the pace a browser does (one per 20 ms).
func (p *participant) speak(pkts [][]byte) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i, pl := range pkts {
		<-tick.C
		_ = p.c.WriteAudio(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(i + 1), Timestamp: uint32(i+1) * 960},
			Payload: pl}, 30)
	}
}

// TestDeclinerNeverReachesTheEngine: a host starts a transcription and
// turns captions on; Ana consents and Bob declines; both speak at once.
// The host's captions carry Ana's words under her name, at a low word
// error rate; none of Bob's words, and the engine was never opened for
// him.
func TestDeclinerNeverReachesTheEngine(t *testing.T) {
	speechtest.NeedTool(t, pocketsphinx.DefaultProgram)
	ps, err := pocketsphinx.New(pocketsphinx.Config{})
	if err != nil {
		t.Fatal(err)
	}
	const anaSaid = "please open the door and close the window"
	const bobSaid = "the quick brown fox jumped over the lazy dog"
	anaPkts, bobPkts := speechtest.SpokenOpus(t, anaSaid, 0), speechtest.SpokenOpus(t, bobSaid, 0)

	eng := &countingEngine{Engine: ps}
	kept := &segments{}
	live := transcriptions.New(transcriptions.Options{Engine: eng, EngineText: "PocketSphinx, on this server", Language: "en",
		Store: kept, Retention: func(context.Context, string) time.Duration { return 30 * 24 * time.Hour }})
	led := &ledger{}
	m := store.Meeting{Title: "Transcribed", HostID: host.ID, JoinBeforeHost: true, ScreenShare: store.ScreenShareEveryone, Transcription: true}
	srv := testserver.Start(t, testserver.Options{Meeting: &m, Users: []store.User{host},
		OrgPolicy: room.OrgPolicy{Transcription: true}, Transcriptions: live, Consents: led})

	hana := dial(t, srv.WS, "Hana", host.ID)
	ana := dial(t, srv.WS, "Ana", "")
	bob := dial(t, srv.WS, "Bob", "")
	ctx := context.Background()
	if err := hana.c.Send(ctx, "captions", map[string]bool{"on": true}); err != nil {
		t.Fatal(err)
	}
	if err := hana.c.Send(ctx, "transcription_start", map[string]string{"purpose": "Minutes"}); err != nil {
		t.Fatal(err)
	}
	var id string
	eventually.True(t, "Ana and Bob to be asked", func() bool {
		a, _ := ana.get()
		b, _ := bob.get()
		if a == nil || b == nil || a["consent"] != "pending" || b["consent"] != "pending" {
			return false
		}
		id, _ = a["id"].(string)
		return a["engine"] == "PocketSphinx, on this server" && a["access"] == transcriptions.AccessText && a["retention_days"] == 30.0
	})
	if err := ana.c.Send(ctx, "transcription_consent", map[string]any{"id": id, "consent": true}); err != nil {
		t.Fatal(err)
	}
	if err := bob.c.Send(ctx, "transcription_consent", map[string]any{"id": id, "consent": false}); err != nil {
		t.Fatal(err)
	}
	eventually.True(t, "the answers to be taken", func() bool {
		a, _ := ana.get()
		b, _ := bob.get()
		return a["consent"] == "given" && b["consent"] == "declined"
	})

	var wg sync.WaitGroup
	for _, s := range []struct {
		p    *participant
		pkts [][]byte
	}{{ana, anaPkts}, {bob, bobPkts}} {
		wg.Add(1)
		go func() { defer wg.Done(); s.p.speak(s.pkts) }()
	}
	wg.Wait()

	var heard atomic.Value
	heard.Store("")
	eventually.True(t, "Ana's sentence in the host's captions", func() bool {
		_, caps := hana.get()
		var words []string
		for _, c := range caps {
			if c["final"] == true {
				words = append(words, c["text"].(string))
			}
		}
		text := strings.Join(words, " ")
		heard.Store(text)
		return transcribe.WordErrorRate(anaSaid, text) <= 0.10
	})
	_, caps := hana.get()
	for _, c := range caps {
		if c["participant"] != ana.c.ID() || c["name"] != "Ana" || c["transcription"] != id {
			t.Fatalf("caption %v, want Ana's only", c)
		}
		for _, w := range []string{"quick", "fox", "lazy", "dog"} {
			if strings.Contains(c["text"].(string), w) {
				t.Fatalf("Bob's %q in a caption: %v", w, c)
			}
		}
	}
	for _, s := range eng.opened() {
		if s != ana.c.ID() {
			t.Fatalf("the engine was opened for %s (Bob is %s)", s, bob.c.ID())
		}
	}
	if _, bobCaps := bob.get(); len(bobCaps) != 0 {
		t.Fatalf("Bob, who did not turn captions on, got %v", bobCaps)
	}
	t.Logf("heard %q from Ana: WER %.2f", heard.Load(), transcribe.WordErrorRate(anaSaid, heard.Load().(string)))
	if err := hana.c.Send(ctx, "transcription_stop", map[string]string{"id": id}); err != nil {
		t.Fatal(err)
	}
	eventually.True(t, "everyone to hear it ended", func() bool {
		b, _ := bob.get()
		return b["active"] == false && b["ended"] == "stopped"
	})
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := live.Wait(wctx); err != nil {
		t.Fatal(err)
	}
	// The stored transcript: Ana's final lines under her name, in this
	// meeting and transcription; nothing of Bob.
	var words []string
	for _, seg := range kept.all() {
		if seg.SpeakerID != ana.c.ID() || seg.SpeakerName != "Ana" || seg.SpeakerUser != "" || seg.TranscriptionID != id ||
			seg.MeetingID != testserver.MeetingID || seg.End < seg.Start {
			t.Fatalf("stored %+v, want Ana's lines only", seg)
		}
		words = append(words, seg.Text)
	}
	stored := strings.Join(words, " ")
	if wer := transcribe.WordErrorRate(anaSaid, stored); wer > 0.10 {
		t.Fatalf("stored transcript %q: WER %.2f", stored, wer)
	}
	if st := live.StoreStats(); st.Failed != 0 || int(st.Stored) != len(words) {
		t.Fatalf("store stats %+v for %d lines", st, len(words))
	}
}

// segments is a transcript store in memory.
type segments struct {
	mu   sync.Mutex
	segs []store.TranscriptSegment
}

func (s *segments) AddTranscriptSegment(_ context.Context, seg store.TranscriptSegment) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.segs = append(s.segs, seg)
	return nil
}

func (s *segments) all() []store.TranscriptSegment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]store.TranscriptSegment(nil), s.segs...)
}

// TestRefusals: no engine, or too many at once, is a refusal the host
// reads.
func TestRefusals(t *testing.T) {
	live := transcriptions.New(transcriptions.Options{})
	_, _, err := live.Start(context.Background(), room.TranscriptionRequest{MeetingID: "m"}, signalHooks())
	var r interface{ Refusal() string }
	if !errors.As(err, &r) || !errors.Is(err, transcriptions.ErrNoEngine) {
		t.Fatalf("no engine: %v", err)
	}
	live = transcriptions.New(transcriptions.Options{Engine: &countingEngine{}, Max: 1})
	tr, info, err := live.Start(context.Background(), room.TranscriptionRequest{MeetingID: "m", Purpose: "p"}, signalHooks())
	if err != nil || !strings.HasPrefix(info.ID, "t_") || info.Purpose != "p" || info.Access != transcriptions.AccessTextUnstored {
		t.Fatalf("first: %+v %v", info, err)
	}
	if _, _, err := live.Start(context.Background(), room.TranscriptionRequest{MeetingID: "n"}, signalHooks()); !errors.As(err, &r) ||
		!errors.Is(err, transcriptions.ErrTooMany) {
		t.Fatalf("second: %v", err)
	}
	tr.Stop(room.RecordingStopped)
	if err := live.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := live.Start(context.Background(), room.TranscriptionRequest{MeetingID: "n"}, signalHooks()); err != nil {
		t.Fatalf("after the first stopped: %v", err)
	}
}
