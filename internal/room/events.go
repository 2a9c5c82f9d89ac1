package room

import (
	"time"

	"github.com/conclave-meet/conclave/internal/sfu"
)

// Events receives a member's view of the meeting: the media server's
// subscribe offers, and one Deliver per change, with a typed event. Adding
// an event means adding a type here and its wire form in package signal;
// no interface grows. Implementations must not block: Deliver is called
// with the room's lock held so that every member sees changes in the same
// order.
type Events interface {
	sfu.Signaller
	Deliver(Event)
}

// Event is one of the types below.
type Event interface{ roomEvent() }

// Admitted is the first event of an admitted member; nothing about the
// meeting reaches a member before it. Others are the members already in.
type Admitted struct {
	Self     Participant
	Others   []Participant
	Settings Settings
	// ChatSince is when the chat a late joiner may read starts (the live
	// meeting's start), zero where the meeting keeps no history for them.
	ChatSince time.Time
}

// Waiting tells someone in the waiting room why they wait.
type Waiting struct {
	Reason string // WaitWaitingRoom or WaitHostAbsent
	Locked bool
}

// LobbyChanged gives hosts and co-hosts the waiting room's queue.
type LobbyChanged struct{ Waiting []Waiter }

// ParticipantJoined, ParticipantUpdated and ParticipantLeft tell members
// about the others (ParticipantUpdated about themselves too).
type (
	ParticipantJoined  struct{ Participant Participant }
	ParticipantUpdated struct{ Participant Participant }
	ParticipantLeft    struct{ ID string }
)

// ActiveSpeaker names who speaks now; empty: nobody.
type ActiveSpeaker struct{ ID string }

// SettingsChanged carries the meeting's settings after a host changed them.
type SettingsChanged struct{ Settings Settings }

// Muted tells a member that a host (By; empty: the server) stopped one of
// its sources.
type Muted struct {
	Source sfu.Source
	By     string
}

// UnmuteRequested passes on a host's request; it changes nothing.
type UnmuteRequested struct {
	Source sfu.Source
	By     string
}

// ChatReceived is a chat message for this member.
type ChatReceived struct{ Message ChatMessage }

// ChatRemoved tells members that a host deleted a chat message.
type ChatRemoved struct {
	ID string
	By string
}

// Ended tells the member it was disconnected by the server (a Reason*).
type Ended struct{ Reason string }

func (Admitted) roomEvent()           {}
func (Waiting) roomEvent()            {}
func (LobbyChanged) roomEvent()       {}
func (ParticipantJoined) roomEvent()  {}
func (ParticipantUpdated) roomEvent() {}
func (ParticipantLeft) roomEvent()    {}
func (ActiveSpeaker) roomEvent()      {}
func (SettingsChanged) roomEvent()    {}
func (Muted) roomEvent()              {}
func (UnmuteRequested) roomEvent()    {}
func (ChatReceived) roomEvent()       {}
func (ChatRemoved) roomEvent()        {}
func (Ended) roomEvent()              {}
