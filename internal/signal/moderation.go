package signal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"slices"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/meeting"
	"github.com/conclave-meet/conclave/internal/protocol"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/sfu"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/throttle"
)

// Host and co-host messages, and chat (docs/protocol.md, "Waiting room and
// roles"). The dispatcher has checked each message's action for the
// sender's role; the room checks again under its lock, together with the
// target's rank.

func forbidden() *ProtocolError {
	return protoErr(protocol.CodeForbidden, "your role in this meeting does not allow this")
}

// roomError maps the room's refusals to protocol errors.
func roomError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, room.ErrForbidden):
		return forbidden()
	case errors.Is(err, room.ErrLockedByOrg):
		return protoErr(protocol.CodeForbidden, "locked by your organisation")
	case errors.Is(err, room.ErrNotFound):
		return protoErr(protocol.CodeNotFound, "no such participant in this meeting")
	case errors.Is(err, room.ErrFull):
		return protoErr(protocol.CodeMeetingFull, "the meeting is full")
	case errors.Is(err, room.ErrGuestCohost):
		return protoErr(protocol.CodeBadRequest, "guests cannot be co-hosts")
	}
	return err
}

func checkTarget(id string, all bool) error {
	if !all && id == "" {
		return protoErr(protocol.CodeBadRequest, "give participant_id or all")
	}
	return nil
}

func onAdmit(_ context.Context, c *conn, d *protocol.Admit) error {
	if err := checkTarget(d.ParticipantID, d.All); err != nil {
		return err
	}
	ids, err := c.member.Admit(d.ParticipantID, d.All)
	for _, id := range ids {
		c.auditAct(audit.MeetingAdmit, id, nil)
	}
	return roomError(err)
}

func onDeny(_ context.Context, c *conn, d *protocol.Deny) error {
	if err := checkTarget(d.ParticipantID, d.All); err != nil {
		return err
	}
	ids, err := c.member.Deny(d.ParticipantID, d.All)
	for _, id := range ids {
		c.auditAct(audit.MeetingDeny, id, nil)
	}
	return roomError(err)
}

func onLock(_ context.Context, c *conn, d *protocol.Lock) error {
	if d.Locked == nil {
		return protoErr(protocol.CodeBadRequest, "locked must be true or false")
	}
	if err := c.member.SetLocked(*d.Locked); err != nil {
		return roomError(err)
	}
	action := audit.MeetingUnlock
	if *d.Locked {
		action = audit.MeetingLock
	}
	c.auditAct(action, "", nil)
	return nil
}

func onSettings(_ context.Context, c *conn, d *protocol.SettingsChange) error {
	if d.Chat == nil && d.PrivateChat == nil && d.ChatWriters == "" && d.ScreenShare == "" && d.RemoteControl == nil {
		return protoErr(protocol.CodeBadRequest, "give chat, private_chat, chat_writers, screen_share and/or remote_control")
	}
	err := c.member.UpdateSettings(room.SettingsChange{Chat: d.Chat, PrivateChat: d.PrivateChat,
		ChatWriters: d.ChatWriters, ScreenShare: d.ScreenShare, RemoteControl: d.RemoteControl})
	if err != nil {
		return controlError(err)
	}
	onOff := map[bool]string{true: "on", false: "off"}
	details := map[string]string{}
	if d.Chat != nil {
		details["chat"] = onOff[*d.Chat]
	}
	if d.PrivateChat != nil {
		details["private_chat"] = onOff[*d.PrivateChat]
	}
	if d.ChatWriters != "" {
		details["chat_writers"] = d.ChatWriters
	}
	if d.ScreenShare != "" {
		details["screen_share"] = d.ScreenShare
	}
	if d.RemoteControl != nil {
		details["remote_control"] = onOff[*d.RemoteControl]
	}
	c.auditAct(audit.SettingsChange, "", details)
	return nil
}

func onEndMeeting(_ context.Context, c *conn, _ *protocol.EndMeeting) error {
	if err := c.member.End(); err != nil {
		return roomError(err)
	}
	c.auditAct(audit.MeetingEnd, "", nil)
	return nil
}

func onRemove(ctx context.Context, c *conn, d *protocol.Remove) error {
	if d.ParticipantID == c.member.ID() {
		return protoErr(protocol.CodeBadRequest, "to leave, send leave")
	}
	removed, err := c.member.Remove(ctx, d.ParticipantID, d.Ban)
	if removed.ID != "" {
		c.auditAct(audit.MeetingRemove, removed.ID, nil)
		if d.Ban {
			c.auditAct(audit.MeetingBan, removed.ID, nil)
		}
	}
	return roomError(err)
}

// onMute, onAskUnmute, onSetRole: package protocol has checked the source
// or role against the message's list.
func onMute(_ context.Context, c *conn, d *protocol.Mute) error {
	src := sfu.Source(d.Source)
	if err := c.member.Mute(d.ParticipantID, src); err != nil {
		return roomError(err)
	}
	if src == sfu.SourceScreen {
		c.auditAct(audit.ScreenshareStop, d.ParticipantID, map[string]string{"by": "host"})
	}
	return nil
}

func onAskUnmute(_ context.Context, c *conn, d *protocol.AskUnmute) error {
	return roomError(c.member.AskUnmute(d.ParticipantID, sfu.Source(d.Source)))
}

func onSetRole(_ context.Context, c *conn, d *protocol.SetRole) error {
	if err := c.member.SetRole(d.ParticipantID, authz.Role(d.Role)); err != nil {
		return roomError(err)
	}
	c.auditAct(audit.MeetingRoleChange, d.ParticipantID, map[string]string{"role": d.Role})
	return nil
}

var deviceToken = regexp.MustCompile(`^[A-Za-z0-9_-]{22,64}$`)

// deviceHash checks the browser's device token and returns its SHA-256 in
// hex: the server never keeps the token itself.
func deviceHash(token string) (string, error) {
	if token == "" {
		return "", nil
	}
	if !deviceToken.MatchString(token) {
		return "", protoErr(protocol.CodeBadRequest, "device must be 22 to 64 characters A-Z a-z 0-9 _ -")
	}
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:]), nil
}

// policyOf is the live-meeting policy of a stored meeting.
func policyOf(m store.Meeting) room.Policy {
	return room.Policy{
		HostID:              m.HostID,
		Cohosts:             m.Cohosts,
		WaitingRoom:         m.WaitingRoom,
		JoinBeforeHost:      m.JoinBeforeHost,
		ScreenShareEveryone: m.ScreenShare == store.ScreenShareEveryone,
		MaxParticipants:     m.MaxParticipants,
		ChatHistory:         m.ChatHistory,
		Recording:           m.Recording,
		Transcription:       m.Transcription,
		E2EE:                m.E2EE,
	}
}

// authorizeMeeting checks the meeting ID and passcode, throttled per
// client address and per meeting: past the limit every attempt is refused,
// right or wrong, until the lock-out ends. Checks sent in parallel all
// pass the first look at the throttle, so it looks again once the
// passcode is known, as sign-in does: a lock-out that wrong guesses among
// them set meanwhile refuses the right one too, and answers the wrong ones
// alike, so that they learn nothing.
func (c *conn) authorizeMeeting(ctx context.Context, id, passcode string) (store.Meeting, error) {
	keys := []string{throttle.IPKey(c.clientAddr()), throttle.MeetingKey(meetingKey(id))}
	if wait := c.h.passcodes.Check(keys...); wait > 0 {
		return store.Meeting{}, tooManyAttempts(wait, "wrong passcodes")
	}
	m, err := c.h.opts.Meetings.Authorize(ctx, id, passcode)
	switch {
	case errors.Is(err, meeting.ErrMeetingExpired):
		c.refusal(audit.Event{Action: audit.MeetingJoinRefused, Meeting: meetingKey(id), Outcome: audit.Denied,
			Details: map[string]string{"reason": protocol.CodeMeetingExpired}})
		return store.Meeting{}, &ProtocolError{Code: protocol.CodeMeetingExpired, Message: "this meeting has ended", Fatal: true}
	case err != nil:
		c.log.Debug("join refused", "err", err)
		return store.Meeting{}, c.wrongPasscode(id, keys)
	}
	if wait := c.h.passcodes.Check(keys...); wait > 0 {
		return store.Meeting{}, tooManyAttempts(wait, "wrong passcodes")
	}
	return m, nil
}

// wrongPasscode counts a wrong passcode (or unknown meeting) against keys,
// records the refusal (coalesced) and each lock-out it caused (once), and
// answers join_refused, or too_many_attempts when another attempt locked a
// key while this one was checked.
func (c *conn) wrongPasscode(id string, keys []string) error {
	c.refusal(audit.Event{Action: audit.MeetingJoinRefused, Meeting: id, Outcome: audit.Failure})
	locked := c.h.passcodes.Fail(keys...)
	for _, k := range locked {
		_ = c.auditEvent(audit.Event{Action: audit.MeetingJoinLockout, Meeting: id, Outcome: audit.Denied,
			Details: map[string]string{"scope": throttle.Scope(k)}})
	}
	others := slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return slices.Contains(locked, k) })
	if wait := c.h.passcodes.Check(others...); wait > 0 {
		return tooManyAttempts(wait, "wrong passcodes")
	}
	return joinRefused()
}

// meetingKey is the throttling key of a meeting ID as typed: its normal
// form, so that spelling variants count against the same meeting.
func meetingKey(id string) string {
	if norm, err := meeting.NormalizeID(id); err == nil {
		return norm
	}
	return id
}
