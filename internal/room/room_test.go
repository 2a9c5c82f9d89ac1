package room

import (
	"context"
	"errors"
	"net"
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
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, s)
}

func (r *recorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func (r *recorder) SubscribeOffer(webrtc.SessionDescription, map[string]sfu.TrackInfo) {}
func (r *recorder) ParticipantJoined(p Participant)                                    { r.add("joined " + p.Name) }
func (r *recorder) ParticipantUpdated(p Participant) {
	r.add("updated " + p.Name + map[bool]string{true: " screen", false: ""}[p.Screen])
}
func (r *recorder) ParticipantLeft(id string) { r.add("left " + id) }
func (r *recorder) ActiveSpeaker(id string)   { r.add("speaker " + id) }
func (r *recorder) Ended(reason string)       { r.add("ended " + reason) }

func newManager(t *testing.T, max int) *Manager {
	t.Helper()
	e, err := sfu.NewEngine(sfu.Config{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return NewManager(e, max, nil)
}

func TestJoinUpdateLeave(t *testing.T) {
	m := newManager(t, 0)
	var ra, rb recorder
	a, others, err := m.Join(JoinRequest{MeetingID: "m", Name: "Ada", UserID: "u_1"}, &ra)
	if err != nil || len(others) != 0 {
		t.Fatalf("first join: %v, others %v", err, others)
	}
	b, others, err := m.Join(JoinRequest{MeetingID: "m", Name: "Bob"}, &rb)
	if err != nil {
		t.Fatal(err)
	}
	if len(others) != 1 || others[0].Name != "Ada" || !others[0].Verified {
		t.Fatalf("Bob was told %+v, want verified Ada", others)
	}
	if b.Info().Verified {
		t.Fatal("guest Bob marked verified")
	}
	if !strings.HasPrefix(a.ID(), "p_") || a.ID() == b.ID() || len(a.ID()) != 18 {
		t.Fatalf("participant IDs %q, %q", a.ID(), b.ID())
	}
	b.SetMediaState(true, false, true)
	b.Leave()
	b.Leave() // twice is harmless
	want := []string{"joined Bob", "updated Bob screen", "left " + b.ID()}
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
	c, _, err := m.Join(JoinRequest{MeetingID: "m", Name: "Cleo"}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	c.Leave()
}

func TestMeetingsAreSeparate(t *testing.T) {
	m := newManager(t, 0)
	var ra recorder
	a, _, _ := m.Join(JoinRequest{MeetingID: "one", Name: "Ada"}, &ra)
	defer a.Leave()
	b, others, err := m.Join(JoinRequest{MeetingID: "two", Name: "Bob"}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Leave()
	if len(others) != 0 || len(ra.lines()) != 0 {
		t.Fatalf("meetings leak: others %v, Ada saw %v", others, ra.lines())
	}
}

func TestFull(t *testing.T) {
	m := newManager(t, 2)
	for _, n := range []string{"A", "B"} {
		mb, _, err := m.Join(JoinRequest{MeetingID: "m", Name: n}, &recorder{})
		if err != nil {
			t.Fatal(err)
		}
		defer mb.Leave()
	}
	if _, _, err := m.Join(JoinRequest{MeetingID: "m", Name: "C"}, &recorder{}); !errors.Is(err, ErrFull) {
		t.Fatalf("third join: %v, want ErrFull", err)
	}
}

func TestShutdownEndsEveryMeeting(t *testing.T) {
	m := newManager(t, 0)
	var ra, rb recorder
	if _, _, err := m.Join(JoinRequest{MeetingID: "one", Name: "Ada"}, &ra); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Join(JoinRequest{MeetingID: "two", Name: "Bob"}, &rb); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*recorder{&ra, &rb} {
		if got := r.lines(); !slices.Equal(got, []string{"ended " + ReasonServerShutdown}) {
			t.Fatalf("member saw %v", got)
		}
	}
	if _, _, err := m.Join(JoinRequest{MeetingID: "one", Name: "Late"}, &recorder{}); !errors.Is(err, ErrShuttingDown) {
		t.Fatalf("join during shutdown: %v", err)
	}
}

func TestConcurrentJoinsAndLeaves(t *testing.T) {
	m := newManager(t, 0)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mb, _, err := m.Join(JoinRequest{MeetingID: "m", Name: "X"}, &recorder{})
			if err != nil {
				t.Error(err)
				return
			}
			mb.SetMediaState(true, true, false)
			mb.Leave()
		}()
	}
	wg.Wait()
	if rooms, people := m.Count(); rooms != 0 || people != 0 {
		t.Fatalf("after everyone left: %d rooms, %d people", rooms, people)
	}
}
