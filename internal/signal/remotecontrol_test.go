package signal_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/remotecontrol"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testclock"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// The remote control tests drive the real server through raw signalling
// connections, a raw controller page on /api/control/input and a raw
// agent on /api/control/agent: exactly what an attacker past the UI, or a
// hand-written agent, could send.

// ctlTimers are the room's remote control timers, fired by the test.
type ctlTimers struct {
	mu sync.Mutex
	ts []*ctlTimer
}

type ctlTimer struct {
	d       time.Duration
	f       func()
	stopped bool
}

func (t *ctlTimer) Stop() bool { was := !t.stopped; t.stopped = true; return was }

func (c *ctlTimers) after(d time.Duration, f func()) room.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &ctlTimer{d: d, f: f}
	c.ts = append(c.ts, t)
	return t
}

func (c *ctlTimers) fire(d time.Duration) {
	c.mu.Lock()
	var due []*ctlTimer
	for _, t := range c.ts {
		if t.d == d && !t.stopped {
			t.stopped = true
			due = append(due, t)
		}
	}
	c.mu.Unlock()
	for _, t := range due {
		t.f()
	}
}

type ctlServer struct {
	*testserver.Server
	clock  *testclock.Clock
	timers *ctlTimers
	audit  *fakeAudit
}

// ctlOrg allows remote control to hosts, co-hosts, presenters and
// attendees (not guests), for 20 minutes.
var ctlOrg = room.OrgPolicy{RemoteControl: true, RemoteControlLimit: 20 * time.Minute,
	RemoteControlRoles: []authz.Role{authz.Host, authz.Cohost, authz.Presenter, authz.Attendee}}

func startCtl(t *testing.T, org room.OrgPolicy, e2ee bool) *ctlServer {
	t.Helper()
	c := &ctlServer{clock: testclock.New(time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)), timers: &ctlTimers{}, audit: &fakeAudit{}}
	c.Server = testserver.Start(t, testserver.Options{
		Meeting: &store.Meeting{Title: "Support", HostID: hostUser.ID, Cohosts: []string{cohostUser.ID},
			JoinBeforeHost: true, ScreenShare: store.ScreenShareEveryone, E2EE: e2ee},
		Users:     []store.User{hostUser, cohostUser, attUser, presUser, victimUser},
		OrgPolicy: org, Audit: c.audit, ControlNow: c.clock.Now, ControlAfter: c.timers.after,
	})
	return c
}

func (c *ctlServer) join(t *testing.T, userID, name string) *raw {
	t.Helper()
	r := dialAs(t, c.WS, userID)
	if m := r.hello(name, testserver.Passcode, nil); m.Type != "welcome" {
		t.Fatalf("%s: %s %s", name, m.Type, m.Data)
	}
	return r
}

type controlMsg struct {
	Active         bool   `json:"active"`
	Grant          string `json:"grant"`
	Sharer         string `json:"sharer"`
	Controller     string `json:"controller"`
	ControllerName string `json:"controller_name"`
	PointerOnly    bool   `json:"pointer_only"`
	AgentConnected bool   `json:"agent_connected"`
	Token          string `json:"token"`
	AgentCode      string `json:"agent_code"`
	Ended          string `json:"ended"`
}

func nextControl(t *testing.T, r *raw) controlMsg {
	t.Helper()
	var c controlMsg
	if err := json.Unmarshal(r.next("control").Data, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func nextField(t *testing.T, r *raw, typ, field string) string {
	t.Helper()
	var m map[string]any
	_ = json.Unmarshal(r.next(typ).Data, &m)
	s, _ := m[field].(string)
	return s
}

// party is a meeting with remote control on: a host, a sharing
// attendee (the sharer), an attendee who asks (the controller) and a
// guest watching.
type party struct {
	host, sharer, asker, guest *raw
}

func (c *ctlServer) party(t *testing.T) party {
	t.Helper()
	p := party{host: c.join(t, hostUser.ID, "Hana"), sharer: c.join(t, victimUser.ID, "Vic"),
		asker: c.join(t, attUser.ID, "Ari"), guest: c.join(t, "", "Gus")}
	if got := p.host.outcome("settings", map[string]any{"remote_control": true}); got != "ok" {
		t.Fatalf("host turns remote control on: %s", got)
	}
	if !p.guest.next("meeting_updated").has(`"remote_control":true`) {
		t.Fatal("the meeting did not say remote control is on")
	}
	if got := p.sharer.outcome("media_state", map[string]bool{"screen": true}); got != "ok" {
		t.Fatalf("share: %s", got)
	}
	return p
}

// granted runs the request and the grant; it returns the controller's and
// the sharer's copies of the grant.
func (c *ctlServer) granted(t *testing.T, p party, pointerOnly bool) (ctl, shr controlMsg) {
	t.Helper()
	if got := p.asker.outcome("control_request", map[string]string{"participant": p.sharer.id}); got != "ok" {
		t.Fatalf("request: %s", got)
	}
	req := nextField(t, p.sharer, "control_requested", "request")
	// Not outcome: it would skip the sharer's copy of the grant, which
	// comes before the pong.
	p.sharer.send("control_answer", map[string]any{"request": req, "grant": true, "pointer_only": pointerOnly})
	m := p.sharer.next("control", "error")
	if m.Type == "error" {
		t.Fatalf("grant: %s", m.Data)
	}
	if err := json.Unmarshal(m.Data, &shr); err != nil {
		t.Fatal(err)
	}
	return nextControl(t, p.asker), shr
}

// agentClient is a raw agent on /api/control/agent.
type agentClient struct {
	ws *websocket.Conn
	in chan remotecontrol.AgentMessage
	// closed is the close reason once the server closed the connection.
	closed chan string
}

func (c *ctlServer) dialAgent(t *testing.T, code string) *agentClient {
	t.Helper()
	ws := dialControl(t, c.URL, "/api/control/agent")
	a := &agentClient{ws: ws, in: make(chan remotecontrol.AgentMessage, 1024), closed: make(chan string, 1)}
	writeMsg(t, ws, remotecontrol.AgentHello{Code: code})
	go func() {
		defer close(a.in)
		for {
			_, b, err := ws.Read(context.Background())
			if err != nil {
				a.closed <- closeReason(err)
				return
			}
			var m remotecontrol.AgentMessage
			if json.Unmarshal(b, &m) == nil {
				a.in <- m
			}
		}
	}()
	return a
}

func (a *agentClient) next(t *testing.T) remotecontrol.AgentMessage {
	t.Helper()
	select {
	case m, ok := <-a.in:
		if !ok {
			t.Fatalf("agent connection closed: %s", <-a.closed)
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("the agent got nothing within 10 s")
	}
	return remotecontrol.AgentMessage{}
}

// refusedWith waits for the server to close the connection with a reason
// containing want, having sent nothing.
func (a *agentClient) refusedWith(t *testing.T, want string) {
	t.Helper()
	select {
	case m, ok := <-a.in:
		if ok {
			t.Fatalf("the agent got %+v, want a refusal", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not closed within 10 s")
	}
	if got := <-a.closed; !strings.Contains(got, want) {
		t.Fatalf("closed with %q, want %q", got, want)
	}
}

func closeReason(err error) string {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return fmt.Sprintf("%d %s", ce.Code, ce.Reason)
	}
	return err.Error()
}

func dialControl(t *testing.T, base, path string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+path, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	return ws
}

func writeMsg(t *testing.T, ws *websocket.Conn, v any) {
	t.Helper()
	if err := tryWrite(ws, v); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func tryWrite(ws *websocket.Conn, v any) error {
	b, _ := json.Marshal(v)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return ws.Write(ctx, websocket.MessageText, b)
}

// input is a raw controller page on /api/control/input.
type input struct {
	ws     *websocket.Conn
	closed chan string
}

func (c *ctlServer) dialInput(t *testing.T, grant, token string) *input {
	t.Helper()
	ws := dialControl(t, c.URL, "/api/control/input")
	in := &input{ws: ws, closed: make(chan string, 1)}
	writeMsg(t, ws, remotecontrol.InputHello{Grant: grant, Token: token})
	go func() {
		for {
			if _, _, err := ws.Read(context.Background()); err != nil {
				in.closed <- closeReason(err)
				return
			}
		}
	}()
	return in
}

func (in *input) closedWith(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-in.closed:
		if !strings.Contains(got, want) {
			t.Fatalf("input closed with %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the input connection stayed open")
	}
}

func move(seq uint64, x, y float64) remotecontrol.Frame {
	return remotecontrol.Frame{Event: remotecontrol.Event{Seq: seq, Kind: remotecontrol.Move, X: x, Y: y}}
}

func key(seq uint64, k string, mods ...string) remotecontrol.Frame {
	return remotecontrol.Frame{Event: remotecontrol.Event{Seq: seq, Kind: remotecontrol.KeyDown, Key: k, Mods: mods}}
}

func (c *ctlServer) auditActions() []string {
	c.audit.mu.Lock()
	defer c.audit.mu.Unlock()
	var out []string
	for _, ev := range c.audit.events {
		if strings.HasPrefix(string(ev.Action), "remote_control.") {
			s := string(ev.Action)
			if r := ev.Details["reason"] + ev.Details["cause"]; r != "" {
				s += " " + r
			}
			out = append(out, s)
		}
	}
	return out
}

// TestRemoteControlEndToEnd: a grant from request to revocation. The
// agent pairs once with the code, gets the grant, then exactly the
// controller's accepted events in order; refused events (out of bounds,
// Ctrl+Alt+Delete, replays, the stop combination) never reach it; after
// the host revokes, the controller's connection is closed and the agent
// gets the end and nothing more.
func TestRemoteControlEndToEnd(t *testing.T) {
	c := startCtl(t, ctlOrg, false)
	p := c.party(t)
	ctl, shr := c.granted(t, p, false)
	if !ctl.Active || ctl.Token == "" || ctl.AgentCode != "" || ctl.ControllerName != "Ari" || ctl.Sharer != p.sharer.id {
		t.Fatalf("the controller's copy: %+v", ctl)
	}
	if shr.AgentCode == "" || shr.Token != "" || shr.Grant != ctl.Grant {
		t.Fatalf("the sharer's copy: %+v", shr)
	}
	for name, r := range map[string]*raw{"host": p.host, "guest": p.guest} {
		if m := nextControl(t, r); !m.Active || m.Token != "" || m.AgentCode != "" || m.ControllerName != "Ari" {
			t.Fatalf("%s's copy: %+v", name, m)
		}
	}

	agent := c.dialAgent(t, shr.AgentCode)
	g := agent.next(t)
	if g.Type != remotecontrol.TypeGranted || g.Grant != ctl.Grant || g.Controller != "Ari" || g.PointerOnly || g.E2EE ||
		!g.ExpiresAt.Equal(c.clock.Now().Add(20*time.Minute)) {
		t.Fatalf("granted: %+v", g)
	}
	if m := nextControl(t, p.guest); !m.AgentConnected {
		t.Fatalf("after pairing: %+v", m)
	}
	// The code was one-time.
	c.dialAgent(t, shr.AgentCode).refusedWith(t, "used already")

	in := c.dialInput(t, ctl.Grant, ctl.Token)
	frames := []remotecontrol.Frame{
		move(1, 0.5, 0.5),
		move(2, 1.5, 0.5),               // out of bounds
		key(3, "Delete", "Ctrl", "Alt"), // Ctrl+Alt+Delete
		key(4, "KeyA"),                  // accepted
		move(4, 0.1, 0.1),               // replayed seq
		key(5, "Escape", "Ctrl", "Alt"), // the stop combination: the sharer's only
		key(6, "F2", "Ctrl", "Alt"),     // VT switch
		{Event: remotecontrol.Event{Seq: 7, Kind: "exec"}},
		{Event: remotecontrol.Event{Seq: 8}, Sealed: "AAAA"}, // sealed in a plain meeting
		move(9, 0.25, 0.75),                                  // accepted
	}
	for _, f := range frames {
		writeMsg(t, in.ws, f)
	}
	for _, want := range []uint64{1, 4, 9} {
		m := agent.next(t)
		if m.Type != remotecontrol.TypeEvent || m.Frame == nil || m.Frame.Seq != want {
			t.Fatalf("agent got %+v, want event %d", m, want)
		}
	}

	// The controller gives control back.
	if got := p.asker.outcome("control_stop", map[string]string{"grant": ctl.Grant}); got != "ok" {
		t.Fatalf("release: %s", got)
	}
	in.closedWith(t, "control has ended")
	if m := agent.next(t); m.Type != remotecontrol.TypeEnd || m.Cause != remotecontrol.CauseReleased {
		t.Fatalf("agent: %+v, want the end", m)
	}
	if m, ok := <-agent.in; ok {
		t.Fatalf("the agent got %+v after the end", m)
	}
	if m := nextEnd(t, p.host); m.Ended != remotecontrol.CauseReleased {
		t.Fatalf("host: %+v", m)
	}
	// Everything after the end is refused: a new input connection with the
	// old token, the old pairing code.
	c.dialInput(t, ctl.Grant, ctl.Token).closedWith(t, "no such grant")
	c.dialAgent(t, shr.AgentCode).refusedWith(t, "no longer valid")
	eventually.True(t, "audit", func() bool {
		return slices.Equal(c.auditActions(), []string{"remote_control.request", "remote_control.grant", "remote_control.end released"})
	})
	c.audit.mu.Lock()
	defer c.audit.mu.Unlock()
	for _, ev := range c.audit.events {
		if s := fmt.Sprint(ev); strings.Contains(s, ctl.Token) || strings.Contains(s, shr.AgentCode) {
			t.Fatalf("audit entry holds a secret: %s", s)
		}
	}
}

// nextEnd skips updates of the active grant (the agent connected) and
// returns the message that ends it.
func nextEnd(t *testing.T, r *raw) controlMsg {
	t.Helper()
	for {
		if m := nextControl(t, r); !m.Active {
			return m
		}
	}
}

// TestRemoteControlRevokeStopsAtOnce: a host revokes; the controller's
// socket closes at once, without sending anything, and the agent gets the
// end.
func TestRemoteControlRevokeStopsAtOnce(t *testing.T) {
	c := startCtl(t, ctlOrg, false)
	p := c.party(t)
	ctl, shr := c.granted(t, p, false)
	agent := c.dialAgent(t, shr.AgentCode)
	agent.next(t) // granted
	in := c.dialInput(t, ctl.Grant, ctl.Token)
	writeMsg(t, in.ws, move(1, 0.5, 0.5))
	if m := agent.next(t); m.Frame == nil || m.Frame.Seq != 1 {
		t.Fatalf("agent: %+v", m)
	}
	// An attendee and a guest may not revoke; the host may.
	if got := p.guest.outcome("control_stop", map[string]string{"grant": ctl.Grant}); got != "forbidden" {
		t.Fatalf("guest revokes: %s", got)
	}
	bystander := c.join(t, presUser.ID, "Pia")
	if got := bystander.outcome("control_stop", map[string]string{"grant": ctl.Grant}); got != "forbidden" {
		t.Fatalf("attendee revokes: %s", got)
	}
	if got := p.host.outcome("control_stop", map[string]string{"grant": ctl.Grant}); got != "ok" {
		t.Fatalf("host revokes: %s", got)
	}
	in.closedWith(t, "control has ended")
	if m := agent.next(t); m.Type != remotecontrol.TypeEnd || m.Cause != remotecontrol.CauseRevoked {
		t.Fatalf("agent: %+v", m)
	}
	_ = tryWrite(in.ws, move(2, 0.5, 0.5))
	if m, ok := <-agent.in; ok {
		t.Fatalf("the agent got %+v after revocation", m)
	}
	if m := nextEnd(t, p.sharer); m.Ended != remotecontrol.CauseRevoked {
		t.Fatalf("sharer: %+v", m)
	}
}

// TestRemoteControlRefusals: each refusal from the side that must be
// refused.
func TestRemoteControlRefusals(t *testing.T) {
	t.Run("org off", func(t *testing.T) {
		c := startCtl(t, room.OrgPolicy{}, false)
		host := c.join(t, hostUser.ID, "Hana")
		if got := host.outcome("settings", map[string]any{"remote_control": true}); got != "forbidden" {
			t.Fatalf("turning it on: %s", got)
		}
		sharer := c.join(t, victimUser.ID, "Vic")
		sharer.outcome("media_state", map[string]bool{"screen": true})
		if got := host.outcome("control_request", map[string]string{"participant": sharer.id}); got != "forbidden" {
			t.Fatalf("request: %s", got)
		}
	})
	t.Run("meeting off by default", func(t *testing.T) {
		c := startCtl(t, ctlOrg, false)
		host := c.join(t, hostUser.ID, "Hana")
		sharer := c.join(t, victimUser.ID, "Vic")
		sharer.outcome("media_state", map[string]bool{"screen": true})
		if got := host.outcome("control_request", map[string]string{"participant": sharer.id}); got != "forbidden" {
			t.Fatalf("request: %s", got)
		}
		if got := sharer.outcome("settings", map[string]any{"remote_control": true}); got != "forbidden" {
			t.Fatalf("an attendee turned it on: %s", got)
		}
	})
	c := startCtl(t, ctlOrg, false)
	p := c.party(t)
	t.Run("guest not in the roles", func(t *testing.T) {
		if got := p.guest.outcome("control_request", map[string]string{"participant": p.sharer.id}); got != "forbidden" {
			t.Fatalf("guest: %s", got)
		}
	})
	t.Run("request to a non-sharer", func(t *testing.T) {
		if got := p.asker.outcome("control_request", map[string]string{"participant": p.guest.id}); got != "bad_request" {
			t.Fatalf("non-sharer: %s", got)
		}
		if got := p.asker.outcome("control_request", map[string]string{"participant": "p_nobody"}); got != "not_found" {
			t.Fatalf("unknown: %s", got)
		}
	})
	t.Run("answering someone else's request", func(t *testing.T) {
		p.asker.outcome("control_request", map[string]string{"participant": p.sharer.id})
		req := nextField(t, p.sharer, "control_requested", "request")
		for name, r := range map[string]*raw{"host": p.host, "asker": p.asker, "guest": p.guest} {
			if got := r.outcome("control_answer", map[string]any{"request": req, "grant": true}); got != "not_found" {
				t.Fatalf("%s answered: %s", name, got)
			}
		}
		if got := p.sharer.outcome("control_answer", map[string]any{"request": req, "grant": false}); got != "ok" {
			t.Fatalf("refuse: %s", got)
		}
		if r := nextField(t, p.asker, "control_refused", "reason"); r != "refused" {
			t.Fatalf("reason %q", r)
		}
	})
	t.Run("second controller", func(t *testing.T) {
		ctl, _ := c.granted(t, p, true)
		co := c.join(t, cohostUser.ID, "Cora")
		// The refusal comes before outcome's pong, so wait for it directly.
		co.send("control_request", map[string]string{"participant": p.sharer.id})
		m := co.next("control_refused", "error")
		if m.Type != "control_refused" || !m.has(`"reason":"busy"`) {
			t.Fatalf("%s %s, want refused as busy", m.Type, m.Data)
		}
		// A wrong token, another grant's ID: refused and closed.
		c.dialInput(t, ctl.Grant, "wrong").closedWith(t, "wrong token")
		c.dialInput(t, "g_other", ctl.Token).closedWith(t, "no such grant")
		c.dialAgent(t, "not-a-code").refusedWith(t, "unknown pairing code")
		if got := p.sharer.outcome("control_stop", map[string]string{"grant": ctl.Grant}); got != "ok" {
			t.Fatalf("sharer stops: %s", got)
		}
	})
}

// TestRemoteControlEnds: share ended, left and expired, as everyone sees
// them, with the agent told.
func TestRemoteControlEnds(t *testing.T) {
	cases := map[string]struct {
		end   func(t *testing.T, c *ctlServer, p party)
		cause string
	}{
		"share ended": {func(t *testing.T, _ *ctlServer, p party) {
			p.sharer.outcome("media_state", map[string]bool{"screen": false})
		}, remotecontrol.CauseShareEnded},
		"controller left": {func(t *testing.T, _ *ctlServer, p party) { p.asker.send("leave", struct{}{}) }, remotecontrol.CauseLeft},
		"expired": {func(t *testing.T, c *ctlServer, _ party) {
			c.clock.Advance(20 * time.Minute)
			c.timers.fire(20 * time.Minute)
		}, remotecontrol.CauseExpired},
		"sharer stops": {func(t *testing.T, _ *ctlServer, p party) {
			p.sharer.outcome("control_stop", map[string]string{"grant": grantOf(t, p.host)})
		}, remotecontrol.CauseStopped},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := startCtl(t, ctlOrg, false)
			p := c.party(t)
			_, shr := c.granted(t, p, false)
			agent := c.dialAgent(t, shr.AgentCode)
			agent.next(t)
			tc.end(t, c, p)
			if m := agent.next(t); m.Type != remotecontrol.TypeEnd || m.Cause != tc.cause {
				t.Fatalf("agent: %+v, want end %s", m, tc.cause)
			}
			for {
				if m := nextControl(t, p.guest); !m.Active {
					if m.Ended != tc.cause {
						t.Fatalf("guest saw %+v", m)
					}
					break
				}
			}
			eventually.True(t, "audited end", func() bool {
				return slices.Contains(c.auditActions(), "remote_control.end "+tc.cause)
			})
		})
	}
}

// grantOf reads the active grant's ID from a member's control messages.
func grantOf(t *testing.T, r *raw) string {
	t.Helper()
	return nextControl(t, r).Grant
}

// TestRemoteControlAgentStops: the agent's stop (the stop combination on
// the sharer's keyboard) ends control for everyone.
func TestRemoteControlAgentStops(t *testing.T) {
	c := startCtl(t, ctlOrg, false)
	p := c.party(t)
	ctl, shr := c.granted(t, p, false)
	agent := c.dialAgent(t, shr.AgentCode)
	agent.next(t)
	in := c.dialInput(t, ctl.Grant, ctl.Token)
	// One event through, so the input connection is attached before the stop.
	writeMsg(t, in.ws, move(1, 0.5, 0.5))
	if m := agent.next(t); m.Frame == nil || m.Frame.Seq != 1 {
		t.Fatalf("agent: %+v", m)
	}
	writeMsg(t, agent.ws, remotecontrol.AgentMessage{Type: remotecontrol.TypeStop, Cause: remotecontrol.CauseStopKey})
	if m := agent.next(t); m.Type != remotecontrol.TypeEnd || m.Cause != remotecontrol.CauseStopKey {
		t.Fatalf("agent: %+v", m)
	}
	in.closedWith(t, "control has ended")
	if m := nextEnd(t, p.asker); m.Ended != remotecontrol.CauseStopKey {
		t.Fatalf("controller: %+v", m)
	}
}

// TestRemoteControlAgentReconnects: an agent that drops does not end
// control; the sharer gets a fresh code, and a new agent pairs with it.
func TestRemoteControlAgentReconnects(t *testing.T) {
	c := startCtl(t, ctlOrg, false)
	p := c.party(t)
	_, shr := c.granted(t, p, false)
	agent := c.dialAgent(t, shr.AgentCode)
	agent.next(t)
	if m := nextControl(t, p.sharer); !m.AgentConnected {
		t.Fatalf("%+v", m)
	}
	agent.ws.CloseNow()
	m := nextControl(t, p.sharer)
	if !m.Active || m.AgentConnected || m.AgentCode == "" || m.AgentCode == shr.AgentCode {
		t.Fatalf("after the agent dropped: %+v", m)
	}
	c.dialAgent(t, shr.AgentCode).refusedWith(t, "used already")
	if g := c.dialAgent(t, m.AgentCode).next(t); g.Type != remotecontrol.TypeGranted {
		t.Fatalf("the fresh code: %+v", g)
	}
}

// TestRemoteControlFloodCutOff: a controller past the rate limit for a
// second is cut off (flood); the limiter runs on the room's clock, which
// stands still here.
func TestRemoteControlFloodCutOff(t *testing.T) {
	c := startCtl(t, ctlOrg, false)
	p := c.party(t)
	ctl, shr := c.granted(t, p, true)
	agent := c.dialAgent(t, shr.AgentCode)
	agent.next(t)
	in := c.dialInput(t, ctl.Grant, ctl.Token)
	n := remotecontrol.Burst + remotecontrol.FloodCut + 10
	for i := 1; i <= n; i++ {
		if tryWrite(in.ws, move(uint64(i), 0.5, 0.5)) != nil {
			break // cut off
		}
	}
	in.closedWith(t, "control has ended")
	got := 0
	for m := agent.next(t); m.Type == remotecontrol.TypeEvent; m = agent.next(t) {
		got++
		if m.Frame.Seq != uint64(got) {
			t.Fatalf("event %d out of order: %d", got, m.Frame.Seq)
		}
	}
	if got > remotecontrol.Burst {
		t.Fatalf("%d events passed, the burst is %d", got, remotecontrol.Burst)
	}
	if m := nextEnd(t, p.host); m.Ended != remotecontrol.CauseFlood {
		t.Fatalf("ended %q, want flood", m.Ended)
	}
}

// TestRemoteControlBadInputCutOff: repeated refused events end control.
func TestRemoteControlBadInputCutOff(t *testing.T) {
	c := startCtl(t, ctlOrg, false)
	p := c.party(t)
	ctl, _ := c.granted(t, p, false)
	in := c.dialInput(t, ctl.Grant, ctl.Token)
	for i := 1; i <= 25; i++ {
		if tryWrite(in.ws, move(uint64(i), 2, 2)) != nil {
			break
		}
	}
	in.closedWith(t, "control has ended")
	if m := nextEnd(t, p.host); m.Ended != remotecontrol.CauseBadInput {
		t.Fatalf("ended %q, want bad_input", m.Ended)
	}
	eventually.True(t, "audited", func() bool { return slices.Contains(c.auditActions(), "remote_control.end bad_input") })
}

// TestRemoteControlE2EE: in an end-to-end encrypted meeting plain events
// are refused and sealed ones pass to the agent unopened; the agent opens
// them with the key only the pages know.
func TestRemoteControlE2EE(t *testing.T) {
	c := startCtl(t, ctlOrg, true)
	p := c.party(t)
	ctl, shr := c.granted(t, p, false)
	agent := c.dialAgent(t, shr.AgentCode)
	if g := agent.next(t); !g.E2EE {
		t.Fatalf("granted: %+v", g)
	}
	in := c.dialInput(t, ctl.Grant, ctl.Token)
	key := make([]byte, remotecontrol.KeySize)
	key[0] = 7
	writeMsg(t, in.ws, move(1, 0.5, 0.5)) // plain: refused
	sealed, err := remotecontrol.Seal(key, ctl.Grant, remotecontrol.Event{Seq: 2, Kind: remotecontrol.KeyDown, Key: "KeyQ"})
	if err != nil {
		t.Fatal(err)
	}
	writeMsg(t, in.ws, sealed)
	m := agent.next(t)
	if m.Frame == nil || m.Frame.Seq != 2 || m.Frame.Sealed != sealed.Sealed || m.Frame.Kind != "" {
		t.Fatalf("agent got %+v, want the sealed frame as sent", m.Frame)
	}
	ev, err := remotecontrol.Open(key, ctl.Grant, *m.Frame)
	if err != nil || ev.Key != "KeyQ" {
		t.Fatalf("open: %+v %v", ev, err)
	}
}

var _ = audit.RemoteControlEnd
