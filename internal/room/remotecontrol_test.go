package room

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/remotecontrol"
	"github.com/conclave-meet/conclave/internal/sfu"
	"github.com/conclave-meet/conclave/internal/testclock"
)

// ctlView is a member's view of remote control: each control event as a
// line, the last grant it was told of, and nothing else.
type ctlView struct {
	mu    sync.Mutex
	lines []string
	last  ControlChanged
}

func (v *ctlView) SubscribeOffer(webrtc.SessionDescription, map[string]sfu.TrackInfo) {}

func (v *ctlView) Deliver(ev Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	switch e := ev.(type) {
	case ControlRequested:
		v.lines = append(v.lines, "requested "+e.From+" "+e.Name)
	case ControlRefused:
		v.lines = append(v.lines, "refused "+e.Reason)
	case ControlChanged:
		v.last = e
		if e.Ended != "" {
			v.lines = append(v.lines, "ended "+e.Ended)
		} else {
			v.lines = append(v.lines, fmt.Sprintf("control %s→%s agent=%v", e.Grant.ControllerName, e.Grant.SharerName, e.AgentConnected))
		}
	}
}

func (v *ctlView) lastChange() ControlChanged {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.last
}

// want checks the lines seen since the last call.
func (v *ctlView) want(t *testing.T, who string, lines ...string) {
	t.Helper()
	v.mu.Lock()
	got := slices.Clone(v.lines)
	v.lines = nil
	v.mu.Unlock()
	if !slices.Equal(got, lines) {
		t.Fatalf("%s saw %q, want %q", who, got, lines)
	}
}

// fakeRelay is the input path as the room sees it.
type fakeRelay struct {
	mu     sync.Mutex
	starts []ControlGrant
	pairs  []string
	ends   []string // "grant cause"
}

func (f *fakeRelay) Start(g ControlGrant) { f.mu.Lock(); f.starts = append(f.starts, g); f.mu.Unlock() }
func (f *fakeRelay) Pair(id, code string) {
	f.mu.Lock()
	f.pairs = append(f.pairs, id+" "+code)
	f.mu.Unlock()
}
func (f *fakeRelay) End(id, cause string) {
	f.mu.Lock()
	f.ends = append(f.ends, id+" "+cause)
	f.mu.Unlock()
}

func (f *fakeRelay) state() ([]ControlGrant, []string, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.starts), slices.Clone(f.pairs), slices.Clone(f.ends)
}

// fakeRecords keeps the audit records.
type fakeRecords struct {
	mu   sync.Mutex
	recs []ControlRecord
}

func (f *fakeRecords) RecordControl(r ControlRecord) {
	f.mu.Lock()
	f.recs = append(f.recs, r)
	f.mu.Unlock()
}

func (f *fakeRecords) kinds() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.recs {
		s := r.Kind
		for _, k := range []string{"reason", "cause"} {
			if v := r.Details[k]; v != "" {
				s += " " + v
			}
		}
		out = append(out, s)
	}
	return out
}

// fakeTimers are the room's timers, fired by the test.
type fakeTimers struct {
	mu sync.Mutex
	ts []*fakeTimer
}

type fakeTimer struct {
	d       time.Duration
	f       func()
	stopped bool
}

func (t *fakeTimer) Stop() bool { was := !t.stopped; t.stopped = true; return was }

func (f *fakeTimers) after(d time.Duration, fn func()) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{d: d, f: fn}
	f.ts = append(f.ts, t)
	return t
}

// fire runs the live timers of duration d, as their time came.
func (f *fakeTimers) fire(t *testing.T, d time.Duration) {
	t.Helper()
	f.mu.Lock()
	var due []*fakeTimer
	for _, x := range f.ts {
		if x.d == d && !x.stopped {
			x.stopped = true
			due = append(due, x)
		}
	}
	f.mu.Unlock()
	if len(due) == 0 {
		t.Fatalf("no live timer of %s", d)
	}
	for _, x := range due {
		x.f()
	}
}

func (f *fakeTimers) live() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, x := range f.ts {
		if !x.stopped {
			n++
		}
	}
	return n
}

type ctlRig struct {
	m      *Manager
	relay  *fakeRelay
	recs   *fakeRecords
	timers *fakeTimers
	clock  *testclock.Clock
	policy Policy
}

// shareAll: everyone may share the screen, hosts named.
var shareAll = Policy{HostID: "u_host", Cohosts: []string{"u_co"}, JoinBeforeHost: true, ScreenShareEveryone: true}

func newCtlRig(t *testing.T, org OrgPolicy) *ctlRig {
	m, _ := newFakeManager(t, 0)
	m.SetOrgPolicy(org)
	c := &ctlRig{m: m, relay: &fakeRelay{}, recs: &fakeRecords{}, timers: &fakeTimers{},
		clock: testclock.New(time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)), policy: shareAll}
	m.SetRemoteControl(ControlOptions{Relay: c.relay, Recorder: c.recs, Now: c.clock.Now, AfterFunc: c.timers.after})
	return c
}

var orgAllows = OrgPolicy{RemoteControl: true, RemoteControlRoles: []authz.Role{authz.Host, authz.Cohost, authz.Presenter, authz.Attendee},
	RemoteControlLimit: 20 * time.Minute}

func (c *ctlRig) join(t *testing.T, name, userID string) (*Member, *ctlView) {
	t.Helper()
	v := &ctlView{}
	mb, err := c.m.Join(context.Background(), JoinRequest{MeetingID: "m", Name: name, UserID: userID, Policy: c.policy}, v)
	if err != nil {
		t.Fatal(err)
	}
	return mb, v
}

func on() *bool  { b := true; return &b }
func off() *bool { b := false; return &b }

func share(t *testing.T, mb *Member, screen bool) {
	t.Helper()
	if err := mb.SetMediaState(false, false, screen); err != nil {
		t.Fatal(err)
	}
}

// cast is a meeting with remote control on: a host, a sharing attendee,
// an attendee asker and a guest.
type cast struct {
	host, sharer, asker, guest     *Member
	vHost, vSharer, vAsker, vGuest *ctlView
}

func (c *ctlRig) cast(t *testing.T) cast {
	t.Helper()
	var k cast
	k.host, k.vHost = c.join(t, "Hana", "u_host")
	k.sharer, k.vSharer = c.join(t, "Sam", "u_sam")
	k.asker, k.vAsker = c.join(t, "Ada", "u_ada")
	k.guest, k.vGuest = c.join(t, "Gus", "")
	if err := k.host.UpdateSettings(SettingsChange{RemoteControl: on()}); err != nil {
		t.Fatal(err)
	}
	share(t, k.sharer, true)
	return k
}

// grant has the asker ask and the sharer grant; it returns the grant.
func (c *ctlRig) grant(t *testing.T, k cast, pointerOnly bool) ControlGrant {
	t.Helper()
	req, err := k.asker.RequestControl(k.sharer.ID())
	if err != nil {
		t.Fatal(err)
	}
	k.vSharer.want(t, "sharer", "requested "+k.asker.ID()+" Ada")
	if err := k.sharer.AnswerControl(req, true, pointerOnly); err != nil {
		t.Fatal(err)
	}
	starts, _, _ := c.relay.state()
	return starts[len(starts)-1]
}

// TestControlGrantAndRelease: the whole life of a grant as each member
// sees it; the secrets go to one member each and to the relay.
func TestControlGrantAndRelease(t *testing.T) {
	c := newCtlRig(t, orgAllows)
	k := c.cast(t)
	g := c.grant(t, k, true)
	if g.Sharer != k.sharer.ID() || g.Controller != k.asker.ID() || g.ControllerName != "Ada" || g.SharerName != "Sam" ||
		!g.PointerOnly || g.E2EE || g.MeetingID != "m" {
		t.Fatalf("grant: %+v", g)
	}
	if want := c.clock.Now().Add(20 * time.Minute); !g.ExpiresAt.Equal(want) {
		t.Fatalf("expires %v, want %v", g.ExpiresAt, want)
	}
	if len(g.Token) != 43 || len(g.AgentCode) != 22 || g.Token == g.AgentCode || !strings.HasPrefix(g.ID, "g_") {
		t.Fatalf("secrets: token %q code %q id %q", g.Token, g.AgentCode, g.ID)
	}
	for who, v := range map[string]*ctlView{"host": k.vHost, "sharer": k.vSharer, "asker": k.vAsker, "guest": k.vGuest} {
		v.want(t, who, "control Ada→Sam agent=false")
	}
	if got := k.vAsker.lastChange(); got.Token != g.Token || got.AgentCode != "" || got.Grant.Token != "" {
		t.Fatalf("the controller's copy: %+v", got)
	}
	if got := k.vSharer.lastChange(); got.AgentCode != g.AgentCode || got.Token != "" || got.Grant.AgentCode != "" {
		t.Fatalf("the sharer's copy: %+v", got)
	}
	for _, v := range []*ctlView{k.vHost, k.vGuest} {
		if got := v.lastChange(); got.Token != "" || got.AgentCode != "" {
			t.Fatalf("a bystander got a secret: %+v", got)
		}
	}
	// A late joiner is told who controls which screen, without secrets.
	late, vLate := c.join(t, "Lou", "u_lou")
	vLate.want(t, "late", "control Ada→Sam agent=false")
	if got := vLate.lastChange(); got.Token != "" || got.AgentCode != "" {
		t.Fatalf("late joiner got a secret: %+v", got)
	}
	if pub, _, ok := late.Control(); !ok || pub.ID != g.ID || pub.Token != "" || pub.AgentCode != "" {
		t.Fatalf("Control(): %+v %v", pub, ok)
	}

	cause, err := k.asker.StopControl(g.ID)
	if err != nil || cause != remotecontrol.CauseReleased {
		t.Fatalf("release: %q %v", cause, err)
	}
	for who, v := range map[string]*ctlView{"host": k.vHost, "sharer": k.vSharer, "asker": k.vAsker, "late": vLate} {
		v.want(t, who, "ended released")
	}
	if got := k.vAsker.lastChange(); got.Token != "" {
		t.Fatal("the end repeated the token")
	}
	if _, _, ends := c.relay.state(); !slices.Equal(ends, []string{g.ID + " released"}) {
		t.Fatalf("relay ends: %v", ends)
	}
	if c.timers.live() != 0 {
		t.Fatalf("%d timers left running", c.timers.live())
	}
	if _, err := k.asker.StopControl(g.ID); !errors.Is(err, ErrNoControl) {
		t.Fatalf("stopping twice: %v", err)
	}
	if got := c.recs.kinds(); !slices.Equal(got, []string{"request", "grant", "end released"}) {
		t.Fatalf("records: %v", got)
	}
}

// TestControlRecordsHoldNoSecrets: the audit records name subjects and
// IDs, never the token or the pairing code.
func TestControlRecordsHoldNoSecrets(t *testing.T) {
	c := newCtlRig(t, orgAllows)
	k := c.cast(t)
	g := c.grant(t, k, false)
	if _, err := k.sharer.StopControl(g.ID); err != nil {
		t.Fatal(err)
	}
	c.recs.mu.Lock()
	defer c.recs.mu.Unlock()
	for _, r := range c.recs.recs {
		s := fmt.Sprint(r)
		if strings.Contains(s, g.Token) || strings.Contains(s, g.AgentCode) {
			t.Fatalf("record holds a secret: %s", s)
		}
	}
	if r := c.recs.recs[1]; r.Actor != "u_sam" || r.Target != k.asker.ID() || r.Details["grant"] != g.ID {
		t.Fatalf("grant record: %+v", r)
	}
	if r := c.recs.recs[2]; r.Actor != "u_sam" || r.Details["cause"] != remotecontrol.CauseStopped {
		t.Fatalf("end record: %+v", r)
	}
}

// TestControlRefusals: each refusal from the side that must be refused.
func TestControlRefusals(t *testing.T) {
	t.Run("org off", func(t *testing.T) {
		c := newCtlRig(t, OrgPolicy{})
		host, _ := c.join(t, "Hana", "u_host")
		sharer, _ := c.join(t, "Sam", "u_sam")
		share(t, sharer, true)
		if err := host.UpdateSettings(SettingsChange{RemoteControl: on()}); !errors.Is(err, ErrControlOff) {
			t.Fatalf("turning it on where the org does not allow it: %v", err)
		}
		if _, err := host.RequestControl(sharer.ID()); !errors.Is(err, ErrControlOff) {
			t.Fatalf("request: %v", err)
		}
	})
	t.Run("meeting off", func(t *testing.T) {
		c := newCtlRig(t, orgAllows)
		host, _ := c.join(t, "Hana", "u_host")
		sharer, vs := c.join(t, "Sam", "u_sam")
		share(t, sharer, true)
		if _, err := host.RequestControl(sharer.ID()); !errors.Is(err, ErrControlOff) || !errors.Is(err, ErrForbidden) {
			t.Fatalf("off by default in every meeting: %v", err)
		}
		vs.want(t, "sharer")
	})
	t.Run("role not listed", func(t *testing.T) {
		c := newCtlRig(t, orgAllows)
		k := c.cast(t)
		if _, err := k.guest.RequestControl(k.sharer.ID()); !errors.Is(err, ErrControlOff) {
			t.Fatalf("guest not in the roles: %v", err)
		}
		k.vSharer.want(t, "sharer")
	})
	t.Run("waiting or gone", func(t *testing.T) {
		c := newCtlRig(t, orgAllows)
		k := c.cast(t)
		k.asker.Leave()
		if _, err := k.asker.RequestControl(k.sharer.ID()); !errors.Is(err, ErrForbidden) {
			t.Fatalf("after leaving: %v", err)
		}
	})
	t.Run("targets", func(t *testing.T) {
		c := newCtlRig(t, orgAllows)
		k := c.cast(t)
		cases := map[string]struct {
			to   string
			want error
		}{
			"not sharing": {k.guest.ID(), ErrNotSharing},
			"self":        {k.asker.ID(), ErrControlSelf},
			"unknown":     {"p_nobody", ErrNotFound},
		}
		for name, tc := range cases {
			if _, err := k.asker.RequestControl(tc.to); !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", name, err, tc.want)
			}
		}
		share(t, k.asker, true)
		if _, err := k.asker.RequestControl(k.asker.ID()); !errors.Is(err, ErrControlSelf) {
			t.Fatalf("own screen while sharing: %v", err)
		}
	})
	t.Run("one pending request per asker", func(t *testing.T) {
		c := newCtlRig(t, orgAllows)
		k := c.cast(t)
		if _, err := k.asker.RequestControl(k.sharer.ID()); err != nil {
			t.Fatal(err)
		}
		if _, err := k.asker.RequestControl(k.sharer.ID()); !errors.Is(err, ErrControlPending) {
			t.Fatalf("second request: %v", err)
		}
	})
	t.Run("answering someone else's request", func(t *testing.T) {
		c := newCtlRig(t, orgAllows)
		k := c.cast(t)
		req, err := k.asker.RequestControl(k.sharer.ID())
		if err != nil {
			t.Fatal(err)
		}
		for _, mb := range []*Member{k.host, k.guest, k.asker} {
			if err := mb.AnswerControl(req, true, false); !errors.Is(err, ErrNoControlRequest) {
				t.Fatalf("%s answered: %v", mb.info.Name, err)
			}
		}
		if err := k.sharer.AnswerControl("q_other", true, false); !errors.Is(err, ErrNoControlRequest) {
			t.Fatalf("unknown request: %v", err)
		}
		if starts, _, _ := c.relay.state(); len(starts) != 0 {
			t.Fatal("a grant started")
		}
	})
	t.Run("refused by the sharer", func(t *testing.T) {
		c := newCtlRig(t, orgAllows)
		k := c.cast(t)
		req, _ := k.asker.RequestControl(k.sharer.ID())
		if err := k.sharer.AnswerControl(req, false, false); err != nil {
			t.Fatal(err)
		}
		k.vAsker.want(t, "asker", "refused refused")
		if err := k.sharer.AnswerControl(req, true, false); !errors.Is(err, ErrNoControlRequest) {
			t.Fatalf("answering twice: %v", err)
		}
		if got := c.recs.kinds(); !slices.Equal(got, []string{"request", "refuse refused"}) {
			t.Fatalf("records: %v", got)
		}
	})
	t.Run("attendee revoking", func(t *testing.T) {
		c := newCtlRig(t, orgAllows)
		k := c.cast(t)
		g := c.grant(t, k, false)
		other, _ := c.join(t, "Oto", "u_oto")
		if _, err := other.StopControl(g.ID); !errors.Is(err, ErrForbidden) {
			t.Fatalf("attendee revoked: %v", err)
		}
		if _, err := k.guest.StopControl(g.ID); !errors.Is(err, ErrForbidden) {
			t.Fatalf("guest revoked: %v", err)
		}
		if _, err := k.host.StopControl("g_other"); !errors.Is(err, ErrNoControl) {
			t.Fatalf("another grant: %v", err)
		}
		if cause, err := k.host.StopControl(g.ID); err != nil || cause != remotecontrol.CauseRevoked {
			t.Fatalf("host revokes: %q %v", cause, err)
		}
	})
}

// TestControlOneControllerAtATime: a second request while someone
// controls is refused busy; a grant racing another is refused busy too.
func TestControlOneControllerAtATime(t *testing.T) {
	c := newCtlRig(t, orgAllows)
	k := c.cast(t)
	co, vCo := c.join(t, "Cy", "u_co")
	share(t, k.host, true)
	// Both ask before either is granted.
	reqAda, _ := k.asker.RequestControl(k.sharer.ID())
	reqCo, err := co.RequestControl(k.host.ID())
	if err != nil {
		t.Fatal(err)
	}
	if err := k.sharer.AnswerControl(reqAda, true, false); err != nil {
		t.Fatal(err)
	}
	if err := k.host.AnswerControl(reqCo, true, false); err != nil {
		t.Fatal(err)
	}
	vCo.want(t, "co-host", "control Ada→Sam agent=false", "refused busy")
	if _, err := co.RequestControl(k.sharer.ID()); err != nil {
		t.Fatal(err)
	}
	vCo.want(t, "co-host", "refused busy")
	if starts, _, _ := c.relay.state(); len(starts) != 1 {
		t.Fatalf("%d grants started", len(starts))
	}
	if _, err := k.asker.RequestControl(k.host.ID()); !errors.Is(err, ErrControlSelf) {
		t.Fatalf("the controller asked again: %v", err)
	}
}

// TestControlEnds: every cause that ends control, each as everyone sees
// it, with the relay told first.
func TestControlEnds(t *testing.T) {
	cases := map[string]struct {
		end   func(t *testing.T, c *ctlRig, k cast, g ControlGrant)
		cause string
	}{
		"sharer stops": {func(t *testing.T, _ *ctlRig, k cast, g ControlGrant) {
			if _, err := k.sharer.StopControl(g.ID); err != nil {
				t.Fatal(err)
			}
		}, remotecontrol.CauseStopped},
		"host revokes": {func(t *testing.T, _ *ctlRig, k cast, g ControlGrant) {
			if _, err := k.host.StopControl(g.ID); err != nil {
				t.Fatal(err)
			}
		}, remotecontrol.CauseRevoked},
		"share ended": {func(t *testing.T, _ *ctlRig, k cast, _ ControlGrant) { share(t, k.sharer, false) }, remotecontrol.CauseShareEnded},
		"host stops the share": {func(t *testing.T, _ *ctlRig, k cast, _ ControlGrant) {
			if err := k.host.Mute(k.sharer.ID(), "screen"); err != nil {
				t.Fatal(err)
			}
		}, remotecontrol.CauseShareEnded},
		"time limit": {func(t *testing.T, c *ctlRig, _ cast, _ ControlGrant) {
			c.timers.fire(t, 20*time.Minute)
		}, remotecontrol.CauseExpired},
		"stop key": {func(t *testing.T, c *ctlRig, _ cast, g ControlGrant) {
			if !c.m.EndControl("m", g.ID, remotecontrol.CauseStopKey) {
				t.Fatal("EndControl found no grant")
			}
		}, remotecontrol.CauseStopKey},
		"flood": {func(t *testing.T, c *ctlRig, _ cast, g ControlGrant) {
			c.m.EndControl("m", g.ID, remotecontrol.CauseFlood)
		}, remotecontrol.CauseFlood},
		"turned off": {func(t *testing.T, _ *ctlRig, k cast, _ ControlGrant) {
			if err := k.host.UpdateSettings(SettingsChange{RemoteControl: off()}); err != nil {
				t.Fatal(err)
			}
		}, remotecontrol.CauseRevoked},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := newCtlRig(t, orgAllows)
			k := c.cast(t)
			g := c.grant(t, k, false)
			for _, v := range []*ctlView{k.vHost, k.vSharer, k.vAsker, k.vGuest} {
				v.want(t, "everyone", "control Ada→Sam agent=false")
			}
			tc.end(t, c, k, g)
			for who, v := range map[string]*ctlView{"host": k.vHost, "sharer": k.vSharer, "asker": k.vAsker, "guest": k.vGuest} {
				v.want(t, who, "ended "+tc.cause)
			}
			if _, _, ends := c.relay.state(); !slices.Equal(ends, []string{g.ID + " " + tc.cause}) {
				t.Fatalf("relay: %v", ends)
			}
			if c.m.EndControl("m", g.ID, remotecontrol.CauseFlood) {
				t.Fatal("ended twice")
			}
			if c.timers.live() != 0 {
				t.Fatal("a timer outlived the grant")
			}
		})
	}
}

// TestControlLeaving: either side leaving ends control (left); the
// meeting's end ends it (meeting_end).
func TestControlLeaving(t *testing.T) {
	for _, who := range []string{"sharer", "controller"} {
		t.Run(who, func(t *testing.T) {
			c := newCtlRig(t, orgAllows)
			k := c.cast(t)
			g := c.grant(t, k, false)
			k.vHost.want(t, "host", "control Ada→Sam agent=false")
			if who == "sharer" {
				k.sharer.Leave()
			} else {
				k.asker.Leave()
			}
			k.vHost.want(t, "host", "ended left")
			if _, _, ends := c.relay.state(); !slices.Equal(ends, []string{g.ID + " left"}) {
				t.Fatalf("relay: %v", ends)
			}
		})
	}
	t.Run("meeting end", func(t *testing.T) {
		c := newCtlRig(t, orgAllows)
		k := c.cast(t)
		g := c.grant(t, k, false)
		if err := k.host.End(); err != nil {
			t.Fatal(err)
		}
		if _, _, ends := c.relay.state(); !slices.Equal(ends, []string{g.ID + " meeting_end"}) {
			t.Fatalf("relay: %v", ends)
		}
	})
}

// TestControlRequestLapses: unanswered, a request lapses after a minute;
// it is refused when the sharer stops sharing or leaves first, and
// dropped when the asker leaves.
func TestControlRequestLapses(t *testing.T) {
	c := newCtlRig(t, orgAllows)
	k := c.cast(t)
	req, _ := k.asker.RequestControl(k.sharer.ID())
	c.timers.fire(t, ControlRequestTimeout)
	k.vAsker.want(t, "asker", "refused timeout")
	if err := k.sharer.AnswerControl(req, true, false); !errors.Is(err, ErrNoControlRequest) {
		t.Fatalf("answer after the lapse: %v", err)
	}

	if _, err := k.asker.RequestControl(k.sharer.ID()); err != nil {
		t.Fatal(err)
	}
	share(t, k.sharer, false)
	k.vAsker.want(t, "asker", "refused share_ended")

	share(t, k.sharer, true)
	if _, err := k.asker.RequestControl(k.sharer.ID()); err != nil {
		t.Fatal(err)
	}
	k.sharer.Leave()
	k.vAsker.want(t, "asker", "refused left")

	other, _ := c.join(t, "Oto", "u_oto")
	share(t, other, true)
	req, _ = k.asker.RequestControl(other.ID())
	k.asker.Leave()
	if err := other.AnswerControl(req, true, false); !errors.Is(err, ErrNoControlRequest) {
		t.Fatalf("answer after the asker left: %v", err)
	}
	if c.timers.live() != 0 {
		t.Fatalf("%d timers left", c.timers.live())
	}
	if got := c.recs.kinds(); !slices.Equal(got, []string{"request", "refuse timeout", "request", "refuse share_ended", "request", "refuse left", "request"}) {
		t.Fatalf("records: %v", got)
	}
}

// TestControlAgentReconnects: an agent that goes away does not end
// control; the sharer gets a fresh one-time code, the relay the same.
func TestControlAgentReconnects(t *testing.T) {
	c := newCtlRig(t, orgAllows)
	k := c.cast(t)
	g := c.grant(t, k, false)
	k.vHost.want(t, "host", "control Ada→Sam agent=false")
	c.m.AgentConnected("m", g.ID, true)
	k.vHost.want(t, "host", "control Ada→Sam agent=true")
	if k.vSharer.lastChange().AgentCode != g.AgentCode {
		t.Fatal("the sharer lost the code while the agent is paired")
	}
	c.m.AgentConnected("m", g.ID, true) // no change, nobody told
	c.m.AgentConnected("m", g.ID, false)
	k.vHost.want(t, "host", "control Ada→Sam agent=false")
	fresh := k.vSharer.lastChange().AgentCode
	if fresh == "" || fresh == g.AgentCode {
		t.Fatalf("fresh code %q after %q", fresh, g.AgentCode)
	}
	if _, pairs, ends := c.relay.state(); !slices.Equal(pairs, []string{g.ID + " " + fresh}) || len(ends) != 0 {
		t.Fatalf("relay pairs %v ends %v", pairs, ends)
	}
	if k.vAsker.lastChange().Token != g.Token {
		t.Fatal("the controller lost its token")
	}
	c.m.AgentConnected("m", "g_other", true)
	c.m.AgentConnected("other meeting", g.ID, true)
	k.vHost.want(t, "host")
}

// TestControlE2EE: in an end-to-end encrypted meeting the grant says so,
// for the relay to demand sealed events.
func TestControlE2EE(t *testing.T) {
	c := newCtlRig(t, orgAllows)
	c.policy.E2EE = true
	k := c.cast(t)
	if g := c.grant(t, k, false); !g.E2EE {
		t.Fatal("grant in an E2EE meeting is not marked E2EE")
	}
}

// TestControlSettingShown: the live setting is off at the start, on when a
// host turns it on, and turning it off refuses pending requests.
func TestControlSettingShown(t *testing.T) {
	c := newCtlRig(t, orgAllows)
	k := c.cast(t)
	if _, err := k.asker.RequestControl(k.sharer.ID()); err != nil {
		t.Fatal(err)
	}
	if err := k.sharer.UpdateSettings(SettingsChange{RemoteControl: off()}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("an attendee changed the setting: %v", err)
	}
	if err := k.host.UpdateSettings(SettingsChange{RemoteControl: off()}); err != nil {
		t.Fatal(err)
	}
	k.vAsker.want(t, "asker", "refused refused")
	k.host.room.mu.Lock()
	defer k.host.room.mu.Unlock()
	if k.host.room.settings.RemoteControl {
		t.Fatal("still on")
	}
}
