package room

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/sfu"
)

// recorder is a member's view: every event as a line.
type recorder struct {
	mu      sync.Mutex
	events  []string
	welcome *Admitted
	lobby   []Waiter
	changed chan struct{} // closed on the next event (waitFor)
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, s)
	if r.changed != nil {
		close(r.changed)
		r.changed = nil
	}
}

// waitFor waits until the member has seen line: some events (the active
// speaker) arrive from another goroutine.
func (r *recorder) waitFor(t *testing.T, line string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		if slices.Contains(r.events, line) {
			r.mu.Unlock()
			return
		}
		if r.changed == nil {
			r.changed = make(chan struct{})
		}
		ch := r.changed
		r.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("never saw %q; saw %v", line, r.lines())
		}
	}
}

func (r *recorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func (r *recorder) has(line string) bool { return slices.Contains(r.lines(), line) }

func (r *recorder) SubscribeOffer(o webrtc.SessionDescription, _ map[string]sfu.TrackInfo) {
	r.add("offer " + o.SDP)
}

// Deliver records each event as a line the tests look for.
func (r *recorder) Deliver(ev Event) {
	switch e := ev.(type) {
	case Admitted:
		r.mu.Lock()
		r.welcome = &e
		r.mu.Unlock()
		r.add("admitted " + string(e.Self.Role))
	case Waiting:
		r.add("waiting " + e.Reason + map[bool]string{true: " locked", false: ""}[e.Locked])
	case LobbyChanged:
		r.mu.Lock()
		r.lobby = e.Waiting
		r.mu.Unlock()
	case ParticipantJoined:
		r.add("joined " + e.Participant.Name)
	case ParticipantUpdated:
		p := e.Participant
		r.add("updated " + p.Name + " " + string(p.Role) + map[bool]string{true: " screen", false: ""}[p.Screen])
	case ParticipantLeft:
		r.add("left " + e.ID)
	case ActiveSpeaker:
		r.add("speaker " + e.ID)
	case SettingsChanged:
		r.add("settings " + map[bool]string{true: "locked", false: "open"}[e.Settings.Locked])
	case Muted:
		r.add("muted " + string(e.Source))
	case UnmuteRequested:
		r.add("asked " + string(e.Source))
	case ChatReceived:
		r.add("chat " + e.Message.Text)
	case ChatRemoved:
		r.add("chat deleted " + e.ID)
	case Ended:
		r.add("ended " + e.Reason)
	case E2EEKeyPublished:
		r.add("pubkey " + e.Participant + " " + e.SPKI)
	case E2EEKeyDelivered:
		r.add("key from " + e.From + " " + e.Wrapped)
	case RecordingChanged:
		if e.Recording == nil {
			r.add("recording ended " + e.Ended)
		} else {
			r.add("recording " + e.Recording.ID + " " + e.Consent)
		}
	case TranscriptionChanged:
		if e.Transcription == nil {
			r.add("transcription ended " + e.Ended)
		} else {
			r.add("transcription " + e.Transcription.ID + " " + e.Consent)
		}
	case CaptionReceived:
		r.add("caption " + e.Name + ": " + e.Text)
	}
}

func (r *recorder) lobbyIDs() (ids []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range r.lobby {
		ids = append(ids, w.ID)
	}
	return ids
}

// newManager is a manager on fake media: room logic needs no sockets.
func newManager(t *testing.T, max int) *Manager {
	m, _ := newFakeManager(t, max)
	return m
}

func newFakeManager(t *testing.T, max int) (*Manager, *fakeMedia) {
	t.Helper()
	f := newFakeMedia()
	m := NewManagerWithMedia(f.newRoom, max, slog.New(slog.DiscardHandler))
	t.Cleanup(func() { _ = m.Shutdown(context.Background()) })
	return m, f
}

// open is a meeting anyone with the passcode enters at once.
var open = Policy{JoinBeforeHost: true}

func join(t *testing.T, m *Manager, meeting, name, userID string, p Policy) (*Member, *recorder) {
	t.Helper()
	rec := &recorder{}
	mb, err := m.Join(context.Background(), JoinRequest{MeetingID: meeting, Name: name, UserID: userID, Policy: p}, rec)
	if err != nil {
		t.Fatalf("%s joins %s: %v", name, meeting, err)
	}
	return mb, rec
}

func TestJoinUpdateLeave(t *testing.T) {
	m := newManager(t, 0)
	a, ra := join(t, m, "m", "Ada", "u_1", open)
	if ra.welcome == nil || len(ra.welcome.Others) != 0 || ra.welcome.Self.Role != "attendee" {
		t.Fatalf("first welcome: %+v", ra.welcome)
	}
	b, rb := join(t, m, "m", "Bob", "", open)
	others := rb.welcome.Others
	if len(others) != 1 || others[0].Name != "Ada" || !others[0].Verified {
		t.Fatalf("Bob was told %+v, want verified Ada", others)
	}
	if b.Info().Verified || b.Info().Role != "guest" {
		t.Fatalf("guest Bob is %+v", b.Info())
	}
	if !strings.HasPrefix(a.ID(), "p_") || a.ID() == b.ID() || len(a.ID()) != 18 {
		t.Fatalf("participant IDs %q, %q", a.ID(), b.ID())
	}
	if err := b.SetMediaState(true, false, false); err != nil {
		t.Fatal(err)
	}
	b.Leave()
	b.Leave() // twice is harmless
	want := []string{"admitted attendee", "joined Bob", "updated Bob guest", "left " + b.ID()}
	if got := ra.lines(); !slices.Equal(got, want) {
		t.Fatalf("Ada saw %v, want %v", got, want)
	}
	if rooms, people := m.Count(); rooms != 1 || people != 1 {
		t.Fatalf("count = %d rooms, %d people", rooms, people)
	}
	a.Leave()
	if rooms, _ := m.Count(); rooms != 0 {
		t.Fatal("empty room kept")
	}
	// The meeting can start again after it emptied.
	c, _ := join(t, m, "m", "Cleo", "", open)
	c.Leave()
}

func TestMeetingsAreSeparate(t *testing.T) {
	m := newManager(t, 0)
	a, ra := join(t, m, "one", "Ada", "", open)
	defer a.Leave()
	b, rb := join(t, m, "two", "Bob", "", open)
	defer b.Leave()
	if len(rb.welcome.Others) != 0 || len(ra.lines()) != 1 {
		t.Fatalf("meetings leak: others %v, Ada saw %v", rb.welcome.Others, ra.lines())
	}
}

func TestFull(t *testing.T) {
	m := newManager(t, 2)
	for _, n := range []string{"A", "B"} {
		mb, _ := join(t, m, "m", n, "", open)
		defer mb.Leave()
	}
	if _, err := m.Join(context.Background(), JoinRequest{MeetingID: "m", Name: "C", Policy: open}, &recorder{}); !errors.Is(err, ErrFull) {
		t.Fatalf("third join: %v, want ErrFull", err)
	}
}

// A meeting's own limit applies within the server's.
func TestMeetingLimit(t *testing.T) {
	m := newManager(t, 10)
	p := open
	p.MaxParticipants = 1
	a, _ := join(t, m, "m", "A", "", p)
	defer a.Leave()
	if _, err := m.Join(context.Background(), JoinRequest{MeetingID: "m", Name: "B", Policy: p}, &recorder{}); !errors.Is(err, ErrFull) {
		t.Fatalf("second join: %v, want ErrFull", err)
	}
}

func TestShutdownEndsEveryMeeting(t *testing.T) {
	m := newManager(t, 0)
	_, ra := join(t, m, "one", "Ada", "", open)
	_, rb := join(t, m, "two", "Bob", "", Policy{WaitingRoom: true})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if !ra.has("ended "+ReasonServerShutdown) || !rb.has("ended "+ReasonServerShutdown) {
		t.Fatalf("members saw %v and %v", ra.lines(), rb.lines())
	}
	if _, err := m.Join(ctx, JoinRequest{MeetingID: "one", Name: "Late", Policy: open}, &recorder{}); !errors.Is(err, ErrShuttingDown) {
		t.Fatalf("join during shutdown: %v", err)
	}
}

// TestShutdownOfAClusterNodeMovesMeetings: a node of a cluster that
// stops tells its participants their meeting moved, so that their
// clients join again at once, on another node.
func TestShutdownOfAClusterNodeMovesMeetings(t *testing.T) {
	m := newManager(t, 0)
	m.SetShutdownMoves()
	_, ra := join(t, m, "one", "Ada", "", open)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if !ra.has("ended " + ReasonMoved) {
		t.Fatalf("member saw %v", ra.lines())
	}
}

func TestConcurrentJoinsAndLeaves(t *testing.T) {
	m := newManager(t, 0)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mb, err := m.Join(context.Background(), JoinRequest{MeetingID: "m", Name: "X", Policy: open}, &recorder{})
			if err != nil {
				t.Error(err)
				return
			}
			_ = mb.SetMediaState(true, true, false)
			mb.Leave()
		}()
	}
	wg.Wait()
	if rooms, people := m.Count(); rooms != 0 || people != 0 {
		t.Fatalf("after everyone left: %d rooms, %d people", rooms, people)
	}
}
