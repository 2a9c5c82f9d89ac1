package signal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"regexp"
	"slices"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/meeting"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/sfu"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/throttle"
)

// Host and co-host messages, and chat (docs/protocol.md, "Waiting room and
// roles"). The dispatcher has checked each message's action for the
// sender's role; the room checks again under its lock, together with the
// target's rank.

type targetData struct {
	ParticipantID string `json:"participant_id"`
	All           bool   `json:"all"`
}

type lockData struct {
	Locked *bool `json:"locked"`
}

type settingsData struct {
	Chat        *bool  `json:"chat"`
	ScreenShare string `json:"screen_share"`
}

type removeData struct {
	ParticipantID string `json:"participant_id"`
	Ban           bool   `json:"ban"`
}

type sourceData struct {
	ParticipantID string     `json:"participant_id"`
	Source        sfu.Source `json:"source"`
}

type roleData struct {
	ParticipantID string     `json:"participant_id"`
	Role          authz.Role `json:"role"`
}

type chatData struct {
	Text string `json:"text"`
	To   string `json:"to"`
}

func forbidden() *ProtocolError {
	return protoErr(CodeForbidden, "your role in this meeting does not allow this")
}

// roomError maps the room's refusals to protocol errors.
func roomError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, room.ErrForbidden):
		return forbidden()
	case errors.Is(err, room.ErrNotFound):
		return protoErr(CodeNotFound, "no such participant in this meeting")
	case errors.Is(err, room.ErrFull):
		return protoErr(CodeMeetingFull, "the meeting is full")
	case errors.Is(err, room.ErrGuestCohost):
		return protoErr(CodeBadRequest, "guests cannot be co-hosts")
	}
	return err
}

func decodeTarget(data json.RawMessage) (targetData, error) {
	var d targetData
	if err := decodeData(data, &d); err != nil {
		return d, err
	}
	if !d.All && d.ParticipantID == "" {
		return d, protoErr(CodeBadRequest, "give participant_id or all")
	}
	return d, nil
}

func onAdmit(_ context.Context, c *conn, data json.RawMessage) error {
	d, err := decodeTarget(data)
	if err != nil {
		return err
	}
	ids, err := c.member.Admit(d.ParticipantID, d.All)
	for _, id := range ids {
		c.auditAct(audit.MeetingAdmit, id, nil)
	}
	return roomError(err)
}

func onDeny(_ context.Context, c *conn, data json.RawMessage) error {
	d, err := decodeTarget(data)
	if err != nil {
		return err
	}
	ids, err := c.member.Deny(d.ParticipantID, d.All)
	for _, id := range ids {
		c.auditAct(audit.MeetingDeny, id, nil)
	}
	return roomError(err)
}

func onLock(_ context.Context, c *conn, data json.RawMessage) error {
	var d lockData
	if err := decodeData(data, &d); err != nil {
		return err
	}
	if d.Locked == nil {
		return protoErr(CodeBadRequest, "locked must be true or false")
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

func onSettings(_ context.Context, c *conn, data json.RawMessage) error {
	var d settingsData
	if err := decodeData(data, &d); err != nil {
		return err
	}
	if d.Chat == nil && d.ScreenShare == "" {
		return protoErr(CodeBadRequest, "give chat and/or screen_share")
	}
	if d.ScreenShare != "" && d.ScreenShare != store.ScreenSharePresenters && d.ScreenShare != store.ScreenShareEveryone {
		return protoErr(CodeBadRequest, "screen_share must be presenters or everyone")
	}
	if err := c.member.UpdateSettings(d.Chat, d.ScreenShare); err != nil {
		return roomError(err)
	}
	details := map[string]string{}
	if d.Chat != nil {
		details["chat"] = map[bool]string{true: "on", false: "off"}[*d.Chat]
	}
	if d.ScreenShare != "" {
		details["screen_share"] = d.ScreenShare
	}
	c.auditAct(audit.SettingsChange, "", details)
	return nil
}

func onEndMeeting(_ context.Context, c *conn, _ json.RawMessage) error {
	if err := c.member.End(); err != nil {
		return roomError(err)
	}
	c.auditAct(audit.MeetingEnd, "", nil)
	return nil
}

func onRemove(ctx context.Context, c *conn, data json.RawMessage) error {
	var d removeData
	if err := decodeData(data, &d); err != nil {
		return err
	}
	if d.ParticipantID == c.member.ID() {
		return protoErr(CodeBadRequest, "to leave, send leave")
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

func onMute(_ context.Context, c *conn, data json.RawMessage) error {
	var d sourceData
	if err := decodeData(data, &d); err != nil {
		return err
	}
	if !d.Source.Valid() {
		return protoErr(CodeBadRequest, "source must be audio, camera or screen")
	}
	if err := c.member.Mute(d.ParticipantID, d.Source); err != nil {
		return roomError(err)
	}
	if d.Source == sfu.SourceScreen {
		c.auditAct(audit.ScreenshareStop, d.ParticipantID, map[string]string{"by": "host"})
	}
	return nil
}

func onAskUnmute(_ context.Context, c *conn, data json.RawMessage) error {
	var d sourceData
	if err := decodeData(data, &d); err != nil {
		return err
	}
	if d.Source != sfu.SourceAudio && d.Source != sfu.SourceCamera {
		return protoErr(CodeBadRequest, "source must be audio or camera")
	}
	return roomError(c.member.AskUnmute(d.ParticipantID, d.Source))
}

func onSetRole(_ context.Context, c *conn, data json.RawMessage) error {
	var d roleData
	if err := decodeData(data, &d); err != nil {
		return err
	}
	if d.Role != authz.Cohost && d.Role != authz.Presenter && d.Role != authz.Attendee {
		return protoErr(CodeBadRequest, "role must be cohost, presenter or attendee")
	}
	if err := c.member.SetRole(d.ParticipantID, d.Role); err != nil {
		return roomError(err)
	}
	c.auditAct(audit.MeetingRoleChange, d.ParticipantID, map[string]string{"role": string(d.Role)})
	return nil
}

func onChat(_ context.Context, c *conn, data json.RawMessage) error {
	var d chatData
	if err := decodeData(data, &d); err != nil {
		return err
	}
	if err := c.member.Chat(d.To, d.Text); err != nil {
		if errors.Is(err, room.ErrForbidden) || errors.Is(err, room.ErrNotFound) {
			return roomError(err)
		}
		return protoErr(CodeBadRequest, "text must be 1 to %d characters", room.MaxChatLen)
	}
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
		return "", protoErr(CodeBadRequest, "device must be 22 to 64 characters A-Z a-z 0-9 _ -")
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
			Details: map[string]string{"reason": CodeMeetingExpired}})
		return store.Meeting{}, &ProtocolError{Code: CodeMeetingExpired, Message: "this meeting has ended", Fatal: true}
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
