package room

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/remotecontrol"
)

// Remote control of a shared screen (docs/security.md, "Remote control").
// The room is the one owner of who asked whom and who controls whose
// screen: requests and the grant change only under its lock, together
// with what the members are told, so nobody is ever told that control
// runs when the input path has ended it, or the reverse. The live input
// path (remotecontrol/relay) is told of every grant and every end through
// ControlRelay, under the lock, and hears nothing else.

// Errors of remote control.
var (
	// ErrControlOff: the organisation or the meeting does not allow
	// remote control (or not for the asker's role).
	ErrControlOff = errors.New("room: remote control is not allowed in this meeting")
	// ErrNotSharing: the participant asked does not share a screen now.
	ErrNotSharing = errors.New("room: that participant does not share a screen")
	// ErrControlPending: the asker already waits for an answer.
	ErrControlPending = errors.New("room: you already asked for control and wait for the answer")
	// ErrNoControlRequest: no such request waits for this member's answer.
	ErrNoControlRequest = errors.New("room: no such request for control of your screen")
	// ErrNoControl: no such grant is active.
	ErrNoControl = errors.New("room: no such grant of control is active")
	// ErrControlSelf: a member asked for control of its own screen, or
	// already controls it.
	ErrControlSelf = errors.New("room: you cannot ask for control of that screen")
)

// Why a request got no grant, as the wire spells it (control_refused).
const (
	RefusedBySharer   = "refused"     // the sharer said no (or a host turned remote control off)
	RefusedBusy       = "busy"        // someone else controls a screen in this meeting
	RefusedShareEnded = "share_ended" // the sharer stopped sharing first
	RefusedLeft       = "left"        // the sharer left first
	RefusedTimeout    = "timeout"     // no answer within ControlRequestTimeout
)

// ControlRequestTimeout is how long a request waits for the sharer.
const ControlRequestTimeout = 60 * time.Second

// ControlGrant is one grant of control, as the input path needs it. Token
// and AgentCode are secrets: never logged, never audited.
type ControlGrant struct {
	ID, MeetingID              string
	Sharer, SharerName         string
	Controller, ControllerName string
	PointerOnly                bool
	E2EE                       bool // events come sealed (remotecontrol.Seal)
	ExpiresAt                  time.Time
	// Token is the controller's capability for /api/control/input.
	Token string
	// AgentCode is the server part of the one-time pairing code of the
	// sharer's agent for /api/control/agent.
	AgentCode string
}

// ControlRelay is the live input path as the room drives it. The room
// calls each method under its lock: none may block or call back into the
// room (the relay hands its own news over through Manager.EndControl and
// Manager.AgentConnected, from its own goroutines).
type ControlRelay interface {
	// Start opens the input path of a new grant.
	Start(ControlGrant)
	// Pair replaces the grant's agent pairing code after its agent went
	// away, so that the sharer may start it again; the old code is dead.
	Pair(grantID, code string)
	// End closes the grant's input path at once: no event passes after.
	End(grantID, cause string)
}

// ControlRecord is one step of remote control for the audit log: IDs and
// causes only, never the token or the pairing code.
type ControlRecord struct {
	Kind      string // "request", "grant", "refuse" or "end"
	MeetingID string
	Actor     string // data subject who acted (account, or a guest's participant); "" for the server
	Target    string // participant the step was about
	Details   map[string]string
}

// Kinds of ControlRecord.
const (
	ControlRecordRequest = "request"
	ControlRecordGrant   = "grant"
	ControlRecordRefuse  = "refuse"
	ControlRecordEnd     = "end"
)

// ControlRecorder writes ControlRecords (the audit log); called under the
// room's lock, so it must only enqueue.
type ControlRecorder interface{ RecordControl(ControlRecord) }

// Timer is a pending callback that can be stopped (time.Timer).
type Timer interface{ Stop() bool }

// ControlOptions connect the rooms to the input path and the audit log;
// zero fields: no relay (grants have no input path), no record, the real
// clock and timers.
type ControlOptions struct {
	Relay    ControlRelay
	Recorder ControlRecorder
	Now      func() time.Time
	// AfterFunc runs f after d (time.AfterFunc); tests fire timers by hand.
	AfterFunc func(d time.Duration, f func()) Timer
}

// SetRemoteControl connects remote control; call before the first Join.
func (m *Manager) SetRemoteControl(o ControlOptions) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.AfterFunc == nil {
		o.AfterFunc = func(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
	}
	m.control = o
}

func (m *Manager) controlNow() time.Time {
	if m.control.Now == nil {
		return time.Now()
	}
	return m.control.Now()
}

func (m *Manager) controlAfter(d time.Duration, f func()) Timer {
	if m.control.AfterFunc == nil {
		return time.AfterFunc(d, f)
	}
	return m.control.AfterFunc(d, f)
}

// ControlRequested tells a sharer that From asks for control.
type ControlRequested struct{ Request, From, Name string }

// ControlRefused tells an asker that its request got no grant.
type ControlRefused struct{ Request, Reason string }

// ControlChanged tells a member that control of a screen started (Ended
// empty) or ended (Ended is the cause). Token is set in the controller's
// copy only, AgentCode in the sharer's only.
type ControlChanged struct {
	Grant          ControlGrant // Token and AgentCode cleared
	AgentConnected bool
	Token          string
	AgentCode      string
	Ended          string
}

func (ControlRequested) roomEvent() {}
func (ControlRefused) roomEvent()   {}
func (ControlChanged) roomEvent()   {}

// controlState is a room's remote control: pending requests and the one
// active grant.
type controlState struct {
	requests map[string]*controlRequest // by request ID
	grant    *activeGrant               // nil: nobody controls a screen
}

type controlRequest struct {
	id, from, to string
	timer        Timer
}

type activeGrant struct {
	ControlGrant
	agentConnected bool
	timer          Timer
}

// controlOpenLocked: the meeting opened remote.request to role.
func (r *Room) controlOpenLocked(role authz.Role) bool {
	return r.settings.RemoteControl && r.org.RemoteControl && slices.Contains(r.org.RemoteControlRoles, role)
}

// RequestControl asks participant to, who shares a screen, for control of
// it; the sharer is asked and the asker hears the answer in ControlRefused
// or ControlChanged. It returns the request's ID.
func (mb *Member) RequestControl(to string) (string, error) {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.authorizeLocked(mb, authz.RemoteRequest); err != nil {
		if r.members[mb.info.ID] == mb && !r.controlOpenLocked(mb.info.Role) {
			return "", fmt.Errorf("%w: %w", ErrControlOff, err)
		}
		return "", err
	}
	t := r.members[to]
	switch {
	case t == nil:
		return "", ErrNotFound
	case t == mb || r.control.grant != nil && r.control.grant.Controller == mb.info.ID:
		return "", ErrControlSelf
	case !t.info.Screen:
		return "", ErrNotSharing
	}
	for _, q := range r.control.requests {
		if q.from == mb.info.ID {
			return "", ErrControlPending
		}
	}
	id, err := randomID("q_")
	if err != nil {
		return "", err
	}
	r.record(ControlRecordRequest, mb, to, map[string]string{"request": id})
	if r.control.grant != nil {
		mb.events.Deliver(ControlRefused{Request: id, Reason: RefusedBusy})
		r.record(ControlRecordRefuse, nil, mb.info.ID, map[string]string{"request": id, "reason": RefusedBusy})
		return id, nil
	}
	if r.control.requests == nil {
		r.control.requests = map[string]*controlRequest{}
	}
	q := &controlRequest{id: id, from: mb.info.ID, to: to}
	q.timer = r.mgr.controlAfter(ControlRequestTimeout, func() { r.lapseRequest(id) })
	r.control.requests[id] = q
	t.events.Deliver(ControlRequested{Request: id, From: mb.info.ID, Name: mb.info.Name})
	return id, nil
}

// lapseRequest refuses request id when its time is up.
func (r *Room) lapseRequest(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if q := r.control.requests[id]; q != nil {
		r.refuseLocked(q, nil, RefusedTimeout)
	}
}

// refuseLocked drops q and tells its asker why; by is the sharer who said
// no, nil when the server decided.
func (r *Room) refuseLocked(q *controlRequest, by *Member, reason string) {
	delete(r.control.requests, q.id)
	q.timer.Stop()
	if asker := r.members[q.from]; asker != nil {
		asker.events.Deliver(ControlRefused{Request: q.id, Reason: reason})
	}
	r.record(ControlRecordRefuse, by, q.from, map[string]string{"request": q.id, "reason": reason})
}

// AnswerControl is the sharer's answer to request id: grant gives control
// (pointerOnly: the pointer only), or refuses. A grant while someone
// controls a screen in this meeting is refused busy to the asker.
func (mb *Member) AnswerControl(id string, grant, pointerOnly bool) error {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.authorizeLocked(mb, authz.RemoteGrant); err != nil {
		return err
	}
	q := r.control.requests[id]
	if q == nil || q.to != mb.info.ID {
		return ErrNoControlRequest // someone else's request looks like none
	}
	asker := r.members[q.from]
	switch {
	case !grant:
		r.refuseLocked(q, mb, RefusedBySharer)
		return nil
	case r.control.grant != nil:
		r.refuseLocked(q, nil, RefusedBusy)
		return nil
	case !mb.info.Screen || asker == nil || !r.controlOpenLocked(asker.info.Role):
		r.refuseLocked(q, nil, RefusedBySharer) // the hooks drop these first; belt and braces
		return nil
	}
	delete(r.control.requests, q.id)
	q.timer.Stop()
	g, err := r.newGrantLocked(mb, asker, pointerOnly)
	if err != nil {
		r.refuseLocked(q, nil, RefusedBySharer)
		return err
	}
	r.control.grant = g
	if rel := r.mgr.control.Relay; rel != nil {
		rel.Start(g.ControlGrant)
	}
	r.record(ControlRecordGrant, mb, asker.info.ID, map[string]string{"request": id, "grant": g.ID,
		"pointer_only": fmt.Sprint(pointerOnly), "expires_at": g.ExpiresAt.UTC().Format(time.RFC3339)})
	r.controlChangedLocked(g, "")
	return nil
}

func (r *Room) newGrantLocked(sharer, controller *Member, pointerOnly bool) (*activeGrant, error) {
	id, err := randomID("g_")
	if err != nil {
		return nil, err
	}
	token, err := randomSecret(32)
	if err != nil {
		return nil, err
	}
	code, err := randomSecret(16) // 128 bits, one-time
	if err != nil {
		return nil, err
	}
	limit := r.org.RemoteControlLimit
	if limit <= 0 {
		limit = DefaultControlLimit
	}
	g := &activeGrant{ControlGrant: ControlGrant{
		ID: id, MeetingID: r.id, Sharer: sharer.info.ID, SharerName: sharer.info.Name,
		Controller: controller.info.ID, ControllerName: controller.info.Name, PointerOnly: pointerOnly,
		E2EE: r.settings.E2EE, ExpiresAt: r.mgr.controlNow().Add(limit).UTC(), Token: token, AgentCode: code,
	}}
	g.timer = r.mgr.controlAfter(limit, func() { r.mgr.EndControl(r.id, id, remotecontrol.CauseExpired) })
	return g, nil
}

// DefaultControlLimit is a grant's time limit when the organisation set
// none (config remote_control_limit).
const DefaultControlLimit = 30 * time.Minute

// controlChangedLocked tells everyone about the grant (ended: its cause);
// only the controller's copy carries the token, only the sharer's the
// pairing code, and neither once control ended.
func (r *Room) controlChangedLocked(g *activeGrant, ended string) {
	public := g.ControlGrant
	public.Token, public.AgentCode = "", ""
	for _, id := range r.order {
		ev := ControlChanged{Grant: public, AgentConnected: g.agentConnected, Ended: ended}
		if ended == "" {
			switch id {
			case g.Controller:
				ev.Token = g.Token
			case g.Sharer:
				ev.AgentCode = g.AgentCode
			}
		}
		r.members[id].events.Deliver(ev)
	}
}

// StopControl ends grant id: the sharer stops it (stopped), the
// controller gives it back (released), or a host or co-host revokes it
// (revoked; action remote.revoke).
func (mb *Member) StopControl(id string) (cause string, err error) {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.authorizeLocked(mb, authz.RemoteGrant); err != nil {
		return "", err
	}
	g := r.control.grant
	if g == nil || g.ID != id {
		return "", ErrNoControl
	}
	switch mb.info.ID {
	case g.Sharer:
		cause = remotecontrol.CauseStopped
	case g.Controller:
		cause = remotecontrol.CauseReleased
	default:
		if err := r.authorizeLocked(mb, authz.RemoteRevoke); err != nil {
			return "", err
		}
		cause = remotecontrol.CauseRevoked
	}
	r.endGrantLocked(mb, cause)
	return cause, nil
}

// endGrantLocked ends the active grant: the input path first, then
// everyone hears it and the log keeps it. by is who ended it (nil: the
// server, on one of its causes).
func (r *Room) endGrantLocked(by *Member, cause string) {
	g := r.control.grant
	if g == nil {
		return
	}
	r.control.grant = nil
	g.timer.Stop()
	if rel := r.mgr.control.Relay; rel != nil {
		rel.End(g.ID, cause)
	}
	r.controlChangedLocked(g, cause)
	r.record(ControlRecordEnd, by, g.Controller, map[string]string{"grant": g.ID, "sharer": g.Sharer, "cause": cause})
}

// EndControl ends grant id of meeting meetingID for a cause of the input
// path or the clock (stop_key, agent_closed, flood, bad_input, expired);
// false when it is not active (any more).
func (m *Manager) EndControl(meetingID, id, cause string) bool {
	r := m.find(meetingID)
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if g := r.control.grant; g == nil || g.ID != id {
		return false
	}
	r.endGrantLocked(nil, cause)
	return true
}

// AgentConnected records that the sharer's agent paired (on) or went away
// (off) and tells everyone. An agent that goes away does not end control:
// the sharer gets a fresh pairing code to start it again, and until then
// no event reaches the desktop. (The agent ends control itself, with
// stop_key or agent_closed, when the sharer stops it.)
func (m *Manager) AgentConnected(meetingID, id string, on bool) {
	r := m.find(meetingID)
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.control.grant
	if g == nil || g.ID != id || g.agentConnected == on {
		return
	}
	g.agentConnected = on
	if !on {
		code, err := randomSecret(16)
		if err != nil {
			r.endGrantLocked(nil, remotecontrol.CauseAgentClosed)
			return
		}
		g.AgentCode = code
		if rel := r.mgr.control.Relay; rel != nil {
			rel.Pair(g.ID, code)
		}
	}
	r.controlChangedLocked(g, "")
}

func (m *Manager) find(meetingID string) *Room {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rooms[meetingID]
}

// Control returns the active grant of mb's meeting, without its secrets;
// ok is false when nobody controls a screen.
func (mb *Member) Control() (g ControlGrant, agentConnected, ok bool) {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if a := r.control.grant; a != nil {
		g = a.ControlGrant
		g.Token, g.AgentCode = "", ""
		return g, a.agentConnected, true
	}
	return ControlGrant{}, false, false
}

// controlJoinedLocked tells a new member who controls a screen.
func (r *Room) controlJoinedLocked(mb *Member) {
	if g := r.control.grant; g != nil {
		public := g.ControlGrant
		public.Token, public.AgentCode = "", ""
		mb.events.Deliver(ControlChanged{Grant: public, AgentConnected: g.agentConnected})
	}
}

// controlLeftLocked: a member went out. Its own request goes; requests to
// it are refused (left); a grant it held or gave ends (left).
func (r *Room) controlLeftLocked(mb *Member) {
	id := mb.info.ID
	for _, q := range r.requestsLocked() {
		switch id {
		case q.from:
			delete(r.control.requests, q.id)
			q.timer.Stop()
		case q.to:
			r.refuseLocked(q, nil, RefusedLeft)
		}
	}
	if g := r.control.grant; g != nil && (g.Sharer == id || g.Controller == id) {
		r.endGrantLocked(nil, remotecontrol.CauseLeft)
	}
}

// controlShareLocked: mb's state changed; if it no longer shares a
// screen, requests to it are refused and its grant ends (share_ended).
func (r *Room) controlShareLocked(mb *Member) {
	if mb.info.Screen {
		return
	}
	for _, q := range r.requestsLocked() {
		if q.to == mb.info.ID {
			r.refuseLocked(q, nil, RefusedShareEnded)
		}
	}
	if g := r.control.grant; g != nil && g.Sharer == mb.info.ID {
		r.endGrantLocked(nil, remotecontrol.CauseShareEnded)
	}
}

// controlSettingLocked: a host turned remote control off (by); requests
// are refused and the grant is revoked.
func (r *Room) controlSettingLocked(by *Member) {
	if r.settings.RemoteControl {
		return
	}
	for _, q := range r.requestsLocked() {
		r.refuseLocked(q, nil, RefusedBySharer)
	}
	r.endGrantLocked(by, remotecontrol.CauseRevoked)
}

// controlEndLocked: the meeting ends.
func (r *Room) controlEndLocked() {
	for _, q := range r.requestsLocked() {
		delete(r.control.requests, q.id)
		q.timer.Stop()
	}
	r.endGrantLocked(nil, remotecontrol.CauseMeetingEnd)
}

// requestsLocked returns the pending requests in a stable order, so that
// what members hear does not depend on map order.
func (r *Room) requestsLocked() []*controlRequest {
	qs := make([]*controlRequest, 0, len(r.control.requests))
	for _, q := range r.control.requests {
		qs = append(qs, q)
	}
	slices.SortFunc(qs, func(a, b *controlRequest) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	return qs
}

// record hands a step to the audit log; by nil is the server.
func (r *Room) record(kind string, by *Member, target string, details map[string]string) {
	rec := r.mgr.control.Recorder
	if rec == nil {
		return
	}
	actor := ""
	if by != nil {
		actor = by.userID
		if actor == "" {
			actor = by.info.ID
		}
	}
	rec.RecordControl(ControlRecord{Kind: kind, MeetingID: r.id, Actor: actor, Target: target, Details: details})
}

// randomID returns prefix and 16 random base-32 characters (80 bits).
func randomID(prefix string) (string, error) {
	id, err := NewParticipantID()
	if err != nil {
		return "", err
	}
	return prefix + id[len("p_"):], nil
}

// randomSecret returns n random bytes, base64url without padding.
func randomSecret(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("room: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
