package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/conclave-meet/conclave/internal/cluster"
	"github.com/conclave-meet/conclave/internal/room"
)

// liveRooms lets the web API act on live meetings: end one (deleted),
// disconnect an account (disabled), leave an account out of running
// recordings and transcriptions (consent withdrawn). The room manager
// exists only once the conference server has started.
//
// In a cluster the meeting or the account's participants may be live on
// any node, so each action is also sent to every other node (topic
// "live"), which carries it out on its own rooms. The record (the
// deleted meeting, the disabled account, the withdrawn consent) is in the
// database before the signal leaves; the signal only makes it take
// effect now. Counts returned are this node's.
type liveRooms struct {
	rooms *room.Manager
	bus   *cluster.Bus // nil: one node
	log   *slog.Logger
}

// liveTopic carries the web API's actions on live meetings.
const liveTopic = "live"

// liveAction is one action on the wire: a meeting ID for end, an account
// ID for the others (an opaque identifier, never stored by the signal).
type liveAction struct {
	Kind string `json:"k"`
	ID   string `json:"id"`
}

const (
	liveEnd                   = "end"
	liveDisconnect            = "disconnect"
	liveWithdrawRecording     = "withdraw_recording"
	liveWithdrawTranscription = "withdraw_transcription"
)

// share carries the actions to and from the cluster's other nodes.
func (l *liveRooms) share(bus *cluster.Bus, logger *slog.Logger) {
	l.bus, l.log = bus, logger
	bus.Subscribe(liveTopic, func(m cluster.Message) {
		var a liveAction
		if err := json.Unmarshal(m.Data, &a); err != nil || a.ID == "" {
			logger.Warn("cluster signals: bad live-meeting action dropped")
			return
		}
		// Ending a meeting waits for its media to close: not on the
		// bus's goroutine.
		go l.local(a)
	})
}

// local carries out a on this node's rooms.
func (l *liveRooms) local(a liveAction) int {
	if l.rooms == nil {
		return 0
	}
	switch a.Kind {
	case liveEnd:
		if l.rooms.EndMeeting(a.ID) {
			return 1
		}
		return 0
	case liveDisconnect:
		return l.rooms.DisconnectUser(a.ID, room.ReasonAccountDisabled)
	case liveWithdrawRecording:
		return l.rooms.WithdrawRecording(a.ID)
	case liveWithdrawTranscription:
		return l.rooms.WithdrawTranscription(a.ID)
	}
	return 0
}

// act carries out a here and sends it to the other nodes.
func (l *liveRooms) act(a liveAction) int {
	n := l.local(a)
	if l.bus != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := l.bus.Publish(ctx, liveTopic, a); err != nil {
			// The record is written: other nodes act on it at the next
			// join (bans, deleted meetings) or consent check.
			l.log.Error("cluster signals: a live-meeting action was not sent to other nodes", "action", a.Kind, "err", err)
		}
	}
	return n
}

// EndMeeting implements web.LiveMeetings.
func (l *liveRooms) EndMeeting(id string) bool { return l.act(liveAction{liveEnd, id}) > 0 }

// WithdrawRecording implements web.LiveMeetings.
func (l *liveRooms) WithdrawRecording(userID string) int {
	return l.act(liveAction{liveWithdrawRecording, userID})
}

// DisconnectDisabled implements web.LiveMeetings.
func (l *liveRooms) DisconnectDisabled(userID string) int {
	return l.act(liveAction{liveDisconnect, userID})
}

// WithdrawTranscription leaves the account out of every running
// transcription (web: a withdrawal of transcription consent).
func (l *liveRooms) WithdrawTranscription(userID string) int {
	return l.act(liveAction{liveWithdrawTranscription, userID})
}
