// Package room is the authority on who is in which live meeting and what
// they may do there. It holds the waiting room, admits participants, applies
// host actions, tells every member about every change, and drives the media
// server (package sfu, through the Media interface) to match. Every action
// is checked against the permission table of package authz under the room's
// lock, so a role cannot change between the check and the act. It knows
// nothing of websockets: the signal package implements Events for each
// connection.
//
// Nothing slow runs under a room's lock: media set-up happens between two
// short critical sections (admit.go), and the media's speaker callback hands
// its value over without taking the lock (speakerBox).
package room

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/sfu"
)

// Reasons a participant's connection ends, as sent in `bye`.
const (
	ReasonLeft           = "left"
	ReasonServerShutdown = "server_shutdown"
	ReasonMeetingEnded   = "meeting_ended"
	ReasonDenied         = "denied"  // a host refused entry from the waiting room
	ReasonRemoved        = "removed" // a host removed the participant
	ReasonBanned         = "banned"  // removed, and may not return
	// ReasonAccountDisabled: an administrator disabled the account.
	ReasonAccountDisabled = "account_disabled"
	// ReasonMoved: this node lost the meeting's lease in a cluster; the
	// meeting goes on elsewhere and clients join again.
	ReasonMoved = "moved"
)

// ErrFull is returned when a meeting has reached its participant limit.
var ErrFull = errors.New("room: meeting is full")

// ErrShuttingDown is returned for joins while the server stops.
var ErrShuttingDown = errors.New("room: server is shutting down")

// Participant is what other members may know about a participant.
type Participant struct {
	ID       string
	Name     string
	Verified bool // signed in with an account
	Role     authz.Role
	Audio    bool
	Video    bool
	Screen   bool
	// Reconnecting: the participant's connection dropped and they have
	// the grace period to resume (docs/protocol.md, "Resume").
	Reconnecting bool
}

// BanStore persists bans so that they outlive the live meeting
// (store.Store implements it).
type BanStore interface {
	AddMeetingBan(ctx context.Context, meetingID, kind, subject string, at time.Time) error
	MeetingBanned(ctx context.Context, meetingID, kind, subject string) (bool, error)
}

// Manager holds the live rooms of this server.
type Manager struct {
	newMedia        MediaFactory
	log             *slog.Logger
	maxParticipants int
	bans            BanStore
	org             OrgPolicy
	control         ControlOptions // remote control's relay, record and clock (remotecontrol.go)

	// shutdownMoves: a cluster's node, whose shutdown moves its meetings
	// (SetShutdownMoves); set before any join, read-only after.
	shutdownMoves bool

	mu       sync.Mutex
	rooms    map[string]*Room
	stopping bool
}

// NewManager creates a manager forwarding media with engine.
// maxParticipants is the server's limit per meeting (0: none).
func NewManager(engine *sfu.Engine, maxParticipants int, log *slog.Logger) *Manager {
	return NewManagerWithMedia(SFU(engine), maxParticipants, log)
}

// NewManagerWithMedia creates a manager whose meetings get their media from
// newMedia (tests give a fake).
func NewManagerWithMedia(newMedia MediaFactory, maxParticipants int, log *slog.Logger) *Manager {
	if log == nil {
		log = slog.Default()
	}
	return &Manager{newMedia: newMedia, log: log, maxParticipants: maxParticipants, rooms: map[string]*Room{}}
}

// SetBanStore makes bans persistent; without one they last as long as the
// live meeting. Call before the first Join.
func (m *Manager) SetBanStore(b BanStore) { m.bans = b }

// SetOrgPolicy sets the organisation's lock-down, which every meeting
// started afterwards applies and no host changes. Call before the first
// Join.
func (m *Manager) SetOrgPolicy(o OrgPolicy) { m.org = o }

// SetShutdownMoves makes a shutdown tell participants that their meeting
// moved (a node of a cluster stopping: the meeting goes on elsewhere)
// instead of that the server is shutting down. Call before Join.
func (m *Manager) SetShutdownMoves() { m.shutdownMoves = true }

func (m *Manager) shutdownReason() string {
	if m.shutdownMoves {
		return ReasonMoved
	}
	return ReasonServerShutdown
}

// Room is one live meeting.
type Room struct {
	mgr      *Manager
	id       string
	media    Media
	speakers *speakerBox // the media's speaker changes, applied by run
	policy   Policy
	org      OrgPolicy // fixed when the room starts

	// mu guards what follows. It is held only for short, non-blocking work:
	// never across Media.Join or any other I/O (see admit.go).
	mu        sync.Mutex
	members   map[string]*Member // admitted
	order     []string           // join order, for stable participant lists
	waiting   map[string]*Member
	waitOrder []string
	admitting map[string]*Member // slot reserved, media being set up without mu
	queued    uint64             // waiters so far: each one's place in the queue
	settings  Settings
	bans      map[string]bool // banKeys of people removed with a ban
	speaker   string
	closed    bool
	started   time.Time                   // when this live meeting began
	chat      *chatOrder                  // delivers chat in the order it was sent
	rec       *capture[RecordingInfo]     // nil: not recording (recording.go)
	tr        *capture[TranscriptionInfo] // nil: not transcribing (transcription.go)
	captions  map[string]bool             // members who turned live captions on
	control   controlState                // remote control requests and grant (remotecontrol.go)
}

// Member is one participant's handle on its room, from hello to leaving;
// it starts in the waiting room or admitted.
type Member struct {
	room       *Room
	info       Participant
	events     Events
	userID     string
	deviceHash string
	media      MediaParticipant // nil until admitted
	since      time.Time        // entered the waiting room
	place      uint64           // place in the waiting room's queue; 0: entered directly
	hostMuted  map[sfu.Source]bool
	e2eeKey    string // public key published in an E2EE meeting (e2ee.go)
}

// JoinRequest describes who wants to join.
type JoinRequest struct {
	// ID is the participant ID to use (NewParticipantID); empty: a new one.
	ID         string
	MeetingID  string
	Name       string
	UserID     string // empty for guests
	DeviceHash string // hex SHA-256 of the browser's device token, if any
	Policy     Policy // the meeting's stored policy
	// Started is when the live meeting began, where it began elsewhere
	// (a cluster moved it here after its node died); zero: now, when this
	// join starts it.
	Started time.Time
}

// Join enters a participant into the live meeting, creating it on first
// join: admitted at once, or into the waiting room (Member.Waiting).
func (m *Manager) Join(ctx context.Context, req JoinRequest, ev Events) (*Member, error) {
	if err := m.checkStoredBans(ctx, req); err != nil {
		return nil, err
	}
	for {
		r, err := m.room(req.MeetingID, req.Policy, req.Started)
		if err != nil {
			return nil, err
		}
		mb, err := r.join(req, ev)
		if errors.Is(err, errRoomClosed) {
			continue // the last member left just now; a fresh room follows
		}
		return mb, err
	}
}

func (m *Manager) checkStoredBans(ctx context.Context, req JoinRequest) error {
	if m.bans == nil {
		return nil
	}
	for kind, subject := range map[string]string{"user": req.UserID, "device": req.DeviceHash} {
		if subject == "" {
			continue
		}
		banned, err := m.bans.MeetingBanned(ctx, req.MeetingID, kind, subject)
		if err != nil {
			return fmt.Errorf("room: check bans: %w", err)
		}
		if banned {
			return ErrBanned
		}
	}
	return nil
}

// errRoomClosed means the room emptied and closed between lookup and join.
var errRoomClosed = errors.New("room: closed")

func (m *Manager) room(id string, p Policy, started time.Time) (*Room, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopping {
		return nil, ErrShuttingDown
	}
	if r := m.rooms[id]; r != nil {
		return r, nil
	}
	if started.IsZero() {
		started = time.Now()
	}
	share := sharePresenters
	if p.ScreenShareEveryone {
		share = shareEveryone
	}
	r := &Room{
		mgr: m, id: id, policy: p, org: m.org,
		members: map[string]*Member{}, waiting: map[string]*Member{}, admitting: map[string]*Member{},
		bans: map[string]bool{}, started: started.UTC(),
		settings: m.org.apply(Settings{Chat: true, PrivateChat: true, ChatWriters: ChatWritersEveryone, ScreenShare: share,
			Recording:     p.Recording && m.org.Recording && !(p.E2EE || m.org.RequireE2EE),
			Transcription: p.Transcription && m.org.Transcription && !(p.E2EE || m.org.RequireE2EE), E2EE: p.E2EE}),
		chat:     newChatOrder(),
		speakers: newSpeakerBox(),
	}
	r.media = m.newMedia(id, r.speakers.put)
	go r.speakers.run(r.setSpeaker)
	m.rooms[id] = r
	return r, nil
}

func (r *Room) join(req JoinRequest, ev Events) (*Member, error) {
	id := req.ID
	if id == "" {
		var err error
		if id, err = NewParticipantID(); err != nil {
			r.mgr.closeIfEmpty(r)
			return nil, err
		}
	}
	role := roleFor(r.policy, req.UserID)
	mb := &Member{
		room: r, events: ev, userID: req.UserID, deviceHash: req.DeviceHash,
		info:      Participant{ID: id, Name: req.Name, Verified: req.UserID != "", Role: role},
		hostMuted: map[sfu.Source]bool{},
	}
	r.mu.Lock()
	direct, err := r.decideLocked(req, mb)
	if err == nil && direct {
		err = r.reserveLocked(mb)
	}
	r.mu.Unlock()
	switch {
	case err != nil:
		r.mgr.closeIfEmpty(r) // the room may have been started for mb
		return nil, err
	case !direct:
		return mb, nil // waiting
	}
	return r.enter(mb) // media set-up, without the lock
}

// decideLocked refuses mb, puts it in the waiting room, or reports that it
// enters directly (the caller reserves its slot).
func (r *Room) decideLocked(req JoinRequest, mb *Member) (direct bool, err error) {
	if r.closed {
		return false, errRoomClosed
	}
	for _, k := range banKeys(req.UserID, req.DeviceHash) {
		if r.bans[k] {
			return false, ErrBanned
		}
	}
	role := mb.info.Role
	// Hosts and named co-hosts pass the lock and the waiting room: the
	// meeting is theirs, and someone must be able to let the others in.
	if r.settings.Locked && !isHost(role) {
		return false, ErrLocked
	}
	if isHost(role) || (!r.policy.WaitingRoom && (r.hostPresentLocked() || r.policy.JoinBeforeHost)) {
		return true, nil
	}
	if len(r.waiting) >= maxWaiting {
		return false, ErrLobbyFull
	}
	id := mb.info.ID
	mb.since = time.Now().UTC()
	r.queued++
	mb.place = r.queued
	r.waiting[id] = mb
	r.waitOrder = append(r.waitOrder, id)
	mb.events.Deliver(Waiting{Reason: r.waitReasonLocked(), Locked: r.settings.Locked})
	r.lobbyChangedLocked()
	r.mgr.log.Info("participant waiting", "room", r.id, "participant", id, "verified", mb.info.Verified)
	return false, nil
}

func (r *Room) hostPresentLocked() bool {
	for _, mb := range r.members {
		if isHost(mb.info.Role) {
			return true
		}
	}
	return false
}

func (r *Room) waitReasonLocked() string {
	if r.hostPresentLocked() {
		return WaitWaitingRoom
	}
	return WaitHostAbsent
}

// tellWaitersLocked sends everyone waiting the current reason and lock.
func (r *Room) tellWaitersLocked() {
	reason := r.waitReasonLocked()
	for _, id := range r.waitOrder {
		r.waiting[id].events.Deliver(Waiting{Reason: reason, Locked: r.settings.Locked})
	}
}

func (r *Room) lobbyLocked() []Waiter {
	out := make([]Waiter, 0, len(r.waitOrder))
	for _, id := range r.waitOrder {
		w := r.waiting[id]
		out = append(out, Waiter{ID: id, Name: w.info.Name, Verified: w.info.Verified, Since: w.since})
	}
	return out
}

// lobbyChangedLocked sends the queue to every host and co-host.
func (r *Room) lobbyChangedLocked() {
	var lobby []Waiter
	for _, id := range r.order {
		if mb := r.members[id]; isHost(mb.info.Role) {
			if lobby == nil {
				lobby = r.lobbyLocked()
			}
			mb.events.Deliver(LobbyChanged{lobby})
		}
	}
}

// dropEntrantLocked takes out mb if it is waiting or being admitted, and
// reports whether it was. An admission in progress then finds its
// reservation gone and closes the media it set up; nobody hears of mb.
func (r *Room) dropEntrantLocked(mb *Member) bool {
	id := mb.info.ID
	switch mb {
	case r.waiting[id]:
		r.dropWaiterLocked(id)
		r.lobbyChangedLocked()
	case r.admitting[id]:
		delete(r.admitting, id)
	default:
		return false
	}
	return true
}

func (r *Room) dropWaiterLocked(id string) {
	delete(r.waiting, id)
	r.waitOrder = removeString(r.waitOrder, id)
}

// ID returns the participant ID.
func (mb *Member) ID() string { return mb.info.ID }

// MeetingID returns the ID of the member's meeting.
func (mb *Member) MeetingID() string { return mb.room.id }

// Info returns the member's public description.
func (mb *Member) Info() Participant {
	mb.room.mu.Lock()
	defer mb.room.mu.Unlock()
	return mb.info
}

// Waiting reports whether the member is still in the waiting room.
func (mb *Member) Waiting() bool {
	mb.room.mu.Lock()
	defer mb.room.mu.Unlock()
	return mb.room.waiting[mb.info.ID] == mb
}

// Media returns the member's media session; nil until admitted.
func (mb *Member) Media() MediaSession {
	mb.room.mu.Lock()
	defer mb.room.mu.Unlock()
	if mb.media == nil {
		return nil // an untyped nil, so that callers can compare
	}
	return mb.media
}

// Leave removes the member, waiting or admitted; it is safe to call more
// than once.
func (mb *Member) Leave() {
	r := mb.room
	r.mu.Lock()
	if r.dropEntrantLocked(mb) {
		r.mu.Unlock()
		r.mgr.closeIfEmpty(r)
		return
	}
	if !r.removeMemberLocked(mb) {
		r.mu.Unlock()
		return
	}
	r.mu.Unlock()
	mb.media.Close()
	r.mgr.log.Info("participant left", "room", r.id, "participant", mb.info.ID)
	r.mgr.closeIfEmpty(r)
}

// removeMemberLocked takes an admitted member out and tells the others.
func (r *Room) removeMemberLocked(mb *Member) bool {
	if r.members[mb.info.ID] != mb {
		return false
	}
	delete(r.members, mb.info.ID)
	r.order = removeString(r.order, mb.info.ID)
	recording.leftLocked(r, mb)
	transcription.leftLocked(r, mb)
	r.captionsLeftLocked(mb)
	r.controlLeftLocked(mb)
	for _, oid := range r.order {
		r.members[oid].events.Deliver(ParticipantLeft{mb.info.ID})
	}
	if isHost(mb.info.Role) && !r.hostPresentLocked() {
		r.tellWaitersLocked()
	}
	return true
}

func (m *Manager) closeIfEmpty(r *Room) {
	m.mu.Lock()
	r.mu.Lock()
	// Admissions in progress keep the room: their media joins it.
	empty := !r.closed && len(r.members) == 0 && len(r.waiting) == 0 && len(r.admitting) == 0
	if empty {
		r.closed = true
		if m.rooms[r.id] == r {
			delete(m.rooms, r.id)
		}
	}
	r.mu.Unlock()
	m.mu.Unlock()
	if empty {
		r.closeMedia(RecordingEnded)
	}
}

// closeMedia stops the meeting's recording, media and the speaker
// hand-off, once the room is closed; never under r.mu (closing waits for
// the media's loop, and the recorder for its files).
func (r *Room) closeMedia(why string) {
	recording.closeRoom(r, why)
	transcription.closeRoom(r, why)
	r.media.Close()
	r.speakers.close()
}

// setSpeaker applies the media's latest active speaker (speakerBox.run).
func (r *Room) setSpeaker(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.speaker = id
	for _, oid := range r.order {
		r.members[oid].events.Deliver(ActiveSpeaker{id})
	}
}

// live returns the live rooms now, so that callers visit each under its
// own lock without holding the manager's.
func (m *Manager) live() []*Room {
	m.mu.Lock()
	defer m.mu.Unlock()
	rs := make([]*Room, 0, len(m.rooms))
	for _, r := range m.rooms {
		rs = append(rs, r)
	}
	return rs
}

// Count returns the number of live rooms and admitted participants.
func (m *Manager) Count() (rooms, participants int) {
	rs := m.live()
	for _, r := range rs {
		r.mu.Lock()
		participants += len(r.members)
		r.mu.Unlock()
	}
	return len(rs), participants
}

// Shutdown ends every meeting: members are told why and disconnected, and
// no new join is accepted. It returns when all media is closed or ctx ends.
//
// The reason participants are told is ReasonServerShutdown, or
// ReasonMoved on a node of a cluster (SetShutdownMoves), whose clients
// then join again at once and land on another node.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	m.stopping = true
	rooms := make([]*Room, 0, len(m.rooms))
	for _, r := range m.rooms {
		rooms = append(rooms, r)
	}
	m.rooms = map[string]*Room{}
	m.mu.Unlock()
	done := make(chan struct{})
	go func() {
		for _, r := range rooms {
			r.end(m.shutdownReason())
		}
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("room: shutdown: %w", ctx.Err())
	}
}

// end disconnects everyone, waiting or admitted, and closes the media.
func (r *Room) end(reason string) {
	r.mu.Lock()
	r.endLocked(reason)
	r.mu.Unlock()
	why := RecordingEnded
	if reason == ReasonServerShutdown {
		why = RecordingShutdown
	}
	r.closeMedia(why)
	r.mgr.forget(r)
}

func (r *Room) endLocked(reason string) {
	r.controlEndLocked()
	for _, id := range r.waitOrder {
		r.waiting[id].events.Deliver(Ended{reason})
	}
	for _, id := range r.order {
		r.members[id].events.Deliver(Ended{reason})
	}
	// Admissions in progress are cancelled. Those admitted from the waiting
	// room were in the meeting and hear why; direct joins were not, and
	// start a fresh meeting (enter).
	for _, mb := range r.admitting {
		if mb.waited() {
			mb.events.Deliver(Ended{reason})
		}
	}
	r.members, r.order = map[string]*Member{}, nil
	r.waiting, r.waitOrder = map[string]*Member{}, nil
	r.admitting = map[string]*Member{}
	r.closed = true
}

// forget drops r from the live rooms, so the next join starts afresh.
func (m *Manager) forget(r *Room) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rooms[r.id] == r {
		delete(m.rooms, r.id)
	}
}

func removeString(s []string, v string) []string {
	for i, x := range s {
		if x == v {
			return append(s[:i], s[i+1:]...)
		}
	}
	return s
}

const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// NewParticipantID returns "p_" and 16 random base-32 characters (80 bits):
// IDs are visible to other members and must not be guessable across meetings.
func NewParticipantID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("room: participant id: %w", err)
	}
	var sb strings.Builder
	sb.WriteString("p_")
	for _, c := range b {
		sb.WriteByte(idAlphabet[c&31])
	}
	return sb.String(), nil
}
