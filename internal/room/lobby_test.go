package room

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/sfu"
)

// guarded is the policy of a fresh install's meeting.
var guarded = Policy{HostID: "u_host", Cohosts: []string{"u_co"}, WaitingRoom: true}

// hosted is open to all, with u_host as host.
var hosted = Policy{HostID: "u_host", JoinBeforeHost: true}

func TestWaitingRoomUntilAdmitted(t *testing.T) {
	m := newManager(t, 0)
	g, rg := join(t, m, "m", "Gus", "", guarded)
	if !g.Waiting() || !rg.has("waiting host_absent") || rg.welcome != nil {
		t.Fatalf("guest before host: waiting=%v events %v", g.Waiting(), rg.lines())
	}
	h, rh := join(t, m, "m", "Hana", "u_host", guarded)
	if rh.welcome == nil || rh.welcome.Self.Role != authz.Host || len(rh.welcome.Others) != 0 {
		t.Fatalf("host welcome %+v: a waiting guest must not be listed", rh.welcome)
	}
	if !rg.has("waiting waiting_room") {
		t.Fatalf("guest not told the host arrived: %v", rg.lines())
	}
	if ids := rh.lobbyIDs(); !slices.Equal(ids, []string{g.ID()}) {
		t.Fatalf("host's lobby %v", ids)
	}
	if _, err := g.Admit(g.ID(), false); !errors.Is(err, ErrForbidden) {
		t.Fatalf("guest admits self: %v", err)
	}
	ids, err := h.Admit(g.ID(), false)
	if err != nil || !slices.Equal(ids, []string{g.ID()}) {
		t.Fatalf("admit: %v %v", ids, err)
	}
	if g.Waiting() || rg.welcome == nil || len(rg.welcome.Others) != 1 || !rh.has("joined Gus") {
		t.Fatalf("after admit: waiting=%v welcome %+v host saw %v", g.Waiting(), rg.welcome, rh.lines())
	}
	if len(rh.lobbyIDs()) != 0 {
		t.Fatal("admitted guest still in the lobby")
	}
}

func TestDenyAll(t *testing.T) {
	m := newManager(t, 0)
	h, _ := join(t, m, "m", "Hana", "u_host", guarded)
	_, ra := join(t, m, "m", "A", "", guarded)
	_, rb := join(t, m, "m", "B", "u_b", guarded)
	ids, err := h.Deny("", true)
	if err != nil || len(ids) != 2 {
		t.Fatalf("deny all: %v %v", ids, err)
	}
	if !ra.has("ended denied") || !rb.has("ended denied") {
		t.Fatalf("denied people saw %v / %v", ra.lines(), rb.lines())
	}
	if _, err := h.Admit("p_gone", false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("admit unknown: %v", err)
	}
}

// Without a waiting room people still wait for a host, then come in.
func TestNobodyBeforeHost(t *testing.T) {
	m := newManager(t, 0)
	p := Policy{HostID: "u_host"}
	g, rg := join(t, m, "m", "Gus", "", p)
	if !g.Waiting() {
		t.Fatal("guest entered before the host")
	}
	join(t, m, "m", "Hana", "u_host", p)
	if g.Waiting() || rg.welcome == nil {
		t.Fatalf("guest not let in when the host came: %v", rg.lines())
	}
	// A named co-host counts as a host.
	m2 := newManager(t, 0)
	g2, _ := join(t, m2, "m", "Gus", "", Policy{Cohosts: []string{"u_co"}})
	join(t, m2, "m", "Cora", "u_co", Policy{Cohosts: []string{"u_co"}})
	if g2.Waiting() {
		t.Fatal("co-host's arrival did not open the meeting")
	}
}

func TestLock(t *testing.T) {
	m := newManager(t, 0)
	h, _ := join(t, m, "m", "Hana", "u_host", guarded)
	w, rw := join(t, m, "m", "Wai", "", guarded)
	if err := w.SetLocked(true); !errors.Is(err, ErrForbidden) {
		t.Fatalf("waiting person locks: %v", err)
	}
	if err := h.SetLocked(true); err != nil {
		t.Fatal(err)
	}
	if !rw.has("waiting waiting_room locked") {
		t.Fatalf("waiting person not told of the lock: %v", rw.lines())
	}
	_, err := m.Join(context.Background(), JoinRequest{MeetingID: "m", Name: "Late", Policy: guarded}, &recorder{})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("newcomer to a locked meeting: %v", err)
	}
	join(t, m, "m", "Cora", "u_co", guarded) // co-hosts pass the lock
	if _, err := h.Admit(w.ID(), false); err != nil {
		t.Fatalf("explicit admit while locked: %v", err)
	}
	if err := h.SetLocked(false); err != nil {
		t.Fatal(err)
	}
	join(t, m, "m", "Later", "", guarded)
}

type memBans struct {
	mu sync.Mutex
	m  map[string]bool
}

func (b *memBans) AddMeetingBan(_ context.Context, meetingID, kind, subject string, _ time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m[meetingID+"/"+kind+"/"+subject] = true
	return nil
}

func (b *memBans) MeetingBanned(_ context.Context, meetingID, kind, subject string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.m[meetingID+"/"+kind+"/"+subject], nil
}

func TestRemoveAndBan(t *testing.T) {
	m := newManager(t, 0)
	bans := &memBans{m: map[string]bool{}}
	m.SetBanStore(bans)
	h, _ := join(t, m, "m", "Hana", "u_host", hosted)
	req := JoinRequest{MeetingID: "m", Name: "Eve", DeviceHash: "d1", Policy: hosted}
	rec := &recorder{}
	e, err := m.Join(context.Background(), req, rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Remove(context.Background(), h.ID(), true); !errors.Is(err, ErrForbidden) {
		t.Fatalf("guest removes host: %v", err)
	}
	if _, err := h.Remove(context.Background(), e.ID(), true); err != nil {
		t.Fatal(err)
	}
	if !rec.has("ended banned") {
		t.Fatalf("banned guest saw %v", rec.lines())
	}
	if _, err := m.Join(context.Background(), req, &recorder{}); !errors.Is(err, ErrBanned) {
		t.Fatalf("banned device rejoins: %v", err)
	}
	// The ban outlives the live meeting.
	h.Leave()
	if _, err := m.Join(context.Background(), req, &recorder{}); !errors.Is(err, ErrBanned) {
		t.Fatalf("banned device rejoins a fresh room: %v", err)
	}
	// Removal without ban lets them back.
	h, _ = join(t, m, "m", "Hana", "u_host", hosted)
	f, _ := join(t, m, "m", "Fay", "u_fay", hosted)
	if _, err := h.Remove(context.Background(), f.ID(), false); err != nil {
		t.Fatal(err)
	}
	join(t, m, "m", "Fay", "u_fay", hosted)
}

func TestMuteAndAskUnmute(t *testing.T) {
	m := newManager(t, 0)
	h, _ := join(t, m, "m", "Hana", "u_host", hosted)
	g, rg := join(t, m, "m", "Gus", "", hosted)
	if err := g.SetMediaState(true, true, false); err != nil {
		t.Fatal(err)
	}
	if err := g.Mute(h.ID(), sfu.SourceAudio); !errors.Is(err, ErrForbidden) {
		t.Fatalf("guest mutes host: %v", err)
	}
	if err := h.Mute(g.ID(), sfu.SourceAudio); err != nil {
		t.Fatal(err)
	}
	if !rg.has("muted audio") || g.Info().Audio {
		t.Fatalf("muted guest: %v, info %+v", rg.lines(), g.Info())
	}
	if err := h.AskUnmute(g.ID(), sfu.SourceAudio); err != nil || !rg.has("asked audio") {
		t.Fatalf("ask unmute: %v %v", err, rg.lines())
	}
	if g.Info().Audio {
		t.Fatal("asking unmuted by force")
	}
	if err := g.SetMediaState(true, true, false); err != nil || !g.Info().Audio {
		t.Fatalf("participant unmutes self: %v", err)
	}
}

func TestScreenShareNeedsPresenter(t *testing.T) {
	m := newManager(t, 0)
	h, _ := join(t, m, "m", "Hana", "u_host", hosted)
	g, rg := join(t, m, "m", "Gus", "", hosted)
	if err := g.SetMediaState(false, false, true); !errors.Is(err, ErrForbidden) {
		t.Fatalf("guest shares: %v", err)
	}
	if err := h.SetRole(g.ID(), authz.Presenter); err != nil {
		t.Fatal(err)
	}
	if err := g.SetMediaState(false, false, true); err != nil {
		t.Fatalf("presenter shares: %v", err)
	}
	if err := h.SetRole(g.ID(), authz.Attendee); err != nil {
		t.Fatal(err)
	}
	if g.Info().Role != authz.Guest || g.Info().Screen || !rg.has("muted screen") {
		t.Fatalf("demoted guest %+v saw %v", g.Info(), rg.lines())
	}
	if err := h.SetRole(g.ID(), authz.Cohost); !errors.Is(err, ErrGuestCohost) {
		t.Fatalf("guest made co-host: %v", err)
	}
	on := shareEveryone
	if err := h.UpdateSettings(SettingsChange{ScreenShare: on}); err != nil {
		t.Fatal(err)
	}
	if err := g.SetMediaState(false, false, true); err != nil {
		t.Fatalf("everyone may share, guest refused: %v", err)
	}
}

func TestEndMeeting(t *testing.T) {
	m := newManager(t, 0)
	h, rh := join(t, m, "m", "Hana", "u_host", guarded)
	c, _ := join(t, m, "m", "Cora", "u_co", guarded)
	_, rw := join(t, m, "m", "W", "", guarded)
	if err := c.End(); !errors.Is(err, ErrForbidden) {
		t.Fatalf("co-host ends: %v", err)
	}
	if err := h.End(); err != nil {
		t.Fatal(err)
	}
	if !rh.has("ended meeting_ended") || !rw.has("ended meeting_ended") {
		t.Fatalf("after end: %v / %v", rh.lines(), rw.lines())
	}
	if rooms, _ := m.Count(); rooms != 0 {
		t.Fatal("ended meeting still live")
	}
}
