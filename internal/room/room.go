// Package room is the authority on who is in which live meeting. It admits
// participants, tells every member about every change, and drives the media
// server (package sfu) to match. It knows nothing of websockets: the signal
// package implements Events for each connection.
package room

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/conclave-meet/conclave/internal/sfu"
)

// Reasons a participant's connection ends, as sent in `bye`.
const (
	ReasonLeft           = "left"
	ReasonServerShutdown = "server_shutdown"
	ReasonMeetingEnded   = "meeting_ended"
)

// ErrFull is returned when a meeting has reached its participant limit.
var ErrFull = errors.New("room: meeting is full")

// ErrShuttingDown is returned for joins while the server stops.
var ErrShuttingDown = errors.New("room: server is shutting down")

// Participant is what other members may know about a participant.
type Participant struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Verified bool   `json:"verified"` // signed in with an account
	Audio    bool   `json:"audio"`
	Video    bool   `json:"video"`
	Screen   bool   `json:"screen"`
}

// Events receives a member's view of the meeting. Implementations must not
// block: they are called with the room's lock held so that every member sees
// changes in the same order.
type Events interface {
	sfu.Signaller
	ParticipantJoined(Participant)
	ParticipantUpdated(Participant)
	ParticipantLeft(id string)
	ActiveSpeaker(id string)
	// Ended tells the member it was disconnected by the server.
	Ended(reason string)
}

// Manager holds the live rooms of this server.
type Manager struct {
	engine          *sfu.Engine
	log             *slog.Logger
	maxParticipants int

	mu       sync.Mutex
	rooms    map[string]*Room
	stopping bool
}

// NewManager creates a manager forwarding media with engine.
func NewManager(engine *sfu.Engine, maxParticipants int, log *slog.Logger) *Manager {
	if log == nil {
		log = slog.Default()
	}
	return &Manager{engine: engine, log: log, maxParticipants: maxParticipants, rooms: map[string]*Room{}}
}

// Room is one live meeting.
type Room struct {
	mgr   *Manager
	id    string
	media *sfu.Room

	mu      sync.Mutex
	members map[string]*Member
	order   []string // join order, for stable participant lists
	speaker string
	closed  bool
}

// Member is one participant's handle on its room.
type Member struct {
	room   *Room
	info   Participant
	events Events
	media  *sfu.Participant
}

// JoinRequest describes who wants to join.
type JoinRequest struct {
	MeetingID string
	Name      string
	UserID    string // empty for guests
}

// Join admits a participant into the live meeting, creating it on first
// join. It returns the member and the others already present.
func (m *Manager) Join(req JoinRequest, ev Events) (*Member, []Participant, error) {
	for {
		r, err := m.room(req.MeetingID)
		if err != nil {
			return nil, nil, err
		}
		mb, others, err := r.join(req, ev)
		if errors.Is(err, errRoomClosed) {
			continue // the last member left just now; a fresh room follows
		}
		return mb, others, err
	}
}

// errRoomClosed means the room emptied and closed between lookup and join.
var errRoomClosed = errors.New("room: closed")

func (m *Manager) room(id string) (*Room, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopping {
		return nil, ErrShuttingDown
	}
	if r := m.rooms[id]; r != nil {
		return r, nil
	}
	r := &Room{mgr: m, id: id, members: map[string]*Member{}}
	r.media = m.engine.NewRoom(id, r.setSpeaker)
	m.rooms[id] = r
	return r, nil
}

func (r *Room) join(req JoinRequest, ev Events) (*Member, []Participant, error) {
	id, err := newParticipantID()
	if err != nil {
		return nil, nil, err
	}
	mb := &Member{room: r, events: ev, info: Participant{ID: id, Name: req.Name, Verified: req.UserID != ""}}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, nil, errRoomClosed
	}
	if r.mgr.maxParticipants > 0 && len(r.members) >= r.mgr.maxParticipants {
		return nil, nil, ErrFull
	}
	media, err := r.media.Join(id, ev)
	if err != nil {
		return nil, nil, fmt.Errorf("room: join media: %w", err)
	}
	mb.media = media
	others := make([]Participant, 0, len(r.order))
	for _, oid := range r.order {
		o := r.members[oid]
		others = append(others, o.info)
		o.events.ParticipantJoined(mb.info)
	}
	r.members[id] = mb
	r.order = append(r.order, id)
	if r.speaker != "" {
		ev.ActiveSpeaker(r.speaker)
	}
	r.mgr.log.Info("participant joined", "room", r.id, "participant", id, "verified", mb.info.Verified)
	return mb, others, nil
}

// ID returns the participant ID.
func (mb *Member) ID() string { return mb.info.ID }

// Info returns the member's public description.
func (mb *Member) Info() Participant {
	mb.room.mu.Lock()
	defer mb.room.mu.Unlock()
	return mb.info
}

// Media returns the member's media connections.
func (mb *Member) Media() *sfu.Participant { return mb.media }

// SetMediaState records what the member sends and tells everyone.
func (mb *Member) SetMediaState(audio, video, screen bool) {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.members[mb.info.ID] != mb {
		return
	}
	mb.info.Audio, mb.info.Video, mb.info.Screen = audio, video, screen
	for _, oid := range r.order {
		r.members[oid].events.ParticipantUpdated(mb.info)
	}
}

// Leave removes the member; it is safe to call more than once.
func (mb *Member) Leave() {
	r := mb.room
	r.mu.Lock()
	if r.members[mb.info.ID] != mb {
		r.mu.Unlock()
		return
	}
	delete(r.members, mb.info.ID)
	r.order = removeString(r.order, mb.info.ID)
	for _, oid := range r.order {
		r.members[oid].events.ParticipantLeft(mb.info.ID)
	}
	empty := len(r.members) == 0
	r.mu.Unlock()
	mb.media.Close()
	r.mgr.log.Info("participant left", "room", r.id, "participant", mb.info.ID)
	if empty {
		r.mgr.closeIfEmpty(r)
	}
}

func (m *Manager) closeIfEmpty(r *Room) {
	m.mu.Lock()
	r.mu.Lock()
	empty := len(r.members) == 0
	if empty {
		r.closed = true
		if m.rooms[r.id] == r {
			delete(m.rooms, r.id)
		}
	}
	r.mu.Unlock()
	m.mu.Unlock()
	if empty {
		r.media.Close()
	}
}

// setSpeaker is called by the media room when the active speaker changes.
func (r *Room) setSpeaker(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.speaker = id
	for _, oid := range r.order {
		r.members[oid].events.ActiveSpeaker(id)
	}
}

// Count returns the number of live rooms and participants.
func (m *Manager) Count() (rooms, participants int) {
	m.mu.Lock()
	rs := make([]*Room, 0, len(m.rooms))
	for _, r := range m.rooms {
		rs = append(rs, r)
	}
	m.mu.Unlock()
	for _, r := range rs {
		r.mu.Lock()
		participants += len(r.members)
		r.mu.Unlock()
	}
	return len(rs), participants
}

// Shutdown ends every meeting: members are told why and disconnected, and
// no new join is accepted. It returns when all media is closed or ctx ends.
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
			r.end(ReasonServerShutdown)
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

func (r *Room) end(reason string) {
	r.mu.Lock()
	members := make([]*Member, 0, len(r.order))
	for _, id := range r.order {
		members = append(members, r.members[id])
	}
	r.members = map[string]*Member{}
	r.order = nil
	r.closed = true
	for _, mb := range members {
		mb.events.Ended(reason)
	}
	r.mu.Unlock()
	r.media.Close()
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

// newParticipantID returns "p_" and 16 random base-32 characters (80 bits):
// IDs are visible to other members and must not be guessable across meetings.
func newParticipantID() (string, error) {
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
