package room

import (
	"errors"
	"slices"
	"time"

	"github.com/conclave-meet/conclave/internal/authz"
)

// Join refusals (besides ErrFull and ErrShuttingDown).
var (
	// ErrLocked: the meeting is locked and admits nobody new.
	ErrLocked = errors.New("room: meeting is locked")
	// ErrBanned: this account or device was removed and banned.
	ErrBanned = errors.New("room: banned from this meeting")
	// ErrLobbyFull: too many people are waiting already.
	ErrLobbyFull = errors.New("room: waiting room is full")
)

// Errors of actions inside a meeting.
var (
	// ErrForbidden wraps authz.ErrForbidden: the table or the rank rule
	// refuses the action.
	ErrForbidden = authz.ErrForbidden
	// ErrNotFound: the target is not in the actor's meeting.
	ErrNotFound = errors.New("room: no such participant in this meeting")
	// ErrLockedByOrg: the organisation locked this setting in every
	// meeting (OrgPolicy); not even a host may change it.
	ErrLockedByOrg = errors.New("room: locked by your organisation")
)

// maxWaiting bounds the waiting room, so that a leaked link cannot make the
// server hold an unbounded queue.
const maxWaiting = 500

// Policy is a meeting's stored access policy, fixed when the live meeting
// starts (package meeting owns the stored form).
type Policy struct {
	HostID              string   // user ID of the host
	Cohosts             []string // user IDs named as co-hosts in advance
	WaitingRoom         bool
	JoinBeforeHost      bool
	ScreenShareEveryone bool
	MaxParticipants     int // 0: the server's limit
	// ChatHistory: people who join late see the messages to everyone
	// sent earlier in this meeting (off by default).
	ChatHistory bool
	// Recording: hosts may record this meeting, where the organisation
	// allows recording at all (OrgPolicy.Recording). Off by default.
	Recording bool
	// Transcription: hosts may transcribe this meeting, where the
	// organisation allows transcription at all
	// (OrgPolicy.Transcription). Off by default.
	Transcription bool
	// E2EE: media is end-to-end encrypted (docs/e2ee.md); the server can
	// then neither record nor transcribe it.
	E2EE bool
}

// Settings are what hosts change live, sent to everyone.
type Settings struct {
	Locked bool
	// Chat off: only hosts and co-hosts write. On: ChatWriters (everyone,
	// or presenters only) write too; PrivateChat lets them write to one
	// person or a group.
	Chat        bool
	PrivateChat bool
	ChatWriters string
	ScreenShare string // "presenters" or "everyone"
	// OrgLocked names the settings the organisation locked (OrgPolicy):
	// SettingScreenShare, SettingChat, SettingPrivateChat and/or
	// SettingChatWriters, in that order. Nobody changes them live.
	OrgLocked []string
	// Recording: hosts and co-hosts may record (the meeting's option and
	// the organisation's both allow it, and media is not end-to-end
	// encrypted). Fixed for the live meeting.
	Recording bool
	// Transcription: hosts and co-hosts may transcribe (the meeting's
	// transcription option and the organisation's transcription setting
	// both allow it, and media is not end-to-end encrypted). Fixed for the
	// live meeting.
	Transcription bool
	// E2EE: media is end-to-end encrypted; fixed for the live meeting.
	E2EE bool
	// RemoteControl: a host turned remote control on in this meeting
	// (off in every meeting at its start; only where the organisation
	// allows it, OrgPolicy.RemoteControl). Changed live.
	RemoteControl bool
}

// Settings keys, as the wire spells them, for Settings.OrgLocked.
const (
	SettingScreenShare = "screen_share"
	SettingChat        = "chat"
	SettingPrivateChat = "private_chat"
	SettingChatWriters = "chat_writers"
	SettingE2EE        = "e2ee"
)

// OrgPolicy is the organisation's lock-down of live settings, set by the
// operator: each lock fixes a setting in every meeting, from its start,
// and no host may change it (docs/operations.md, "Organisation
// lock-down").
type OrgPolicy struct {
	// ScreenShare: only hosts, co-hosts and presenters share.
	ScreenShare bool
	// ChatOff: chat is off, only hosts and co-hosts write.
	ChatOff bool
	// PrivateChatOff: no private or group messages except from hosts and
	// co-hosts.
	PrivateChatOff bool
	// ChatPresenters: only hosts, co-hosts and presenters write.
	ChatPresenters bool
	// Recording: the organisation allows recording (config `recording`,
	// off by default); each meeting must allow it too (Policy.Recording).
	Recording bool
	// Transcription: the organisation allows transcription (config
	// `transcription`, off by default); each meeting must allow it too
	// (Policy.Transcription).
	Transcription bool
	// RequireE2EE: every meeting is end-to-end encrypted (config
	// `require_e2ee`), whatever it was created with.
	RequireE2EE bool
	// RemoteControl: the organisation allows remote control of shared
	// screens (config `remote_control`, off by default); each meeting's
	// host must turn it on too (Settings.RemoteControl).
	RemoteControl bool
	// RemoteControlRoles may ask a sharer for control (config
	// `remote_control_roles`).
	RemoteControlRoles []authz.Role
	// RemoteControlLimit is a grant's time limit (config
	// `remote_control_limit`; 0: DefaultControlLimit).
	RemoteControlLimit time.Duration
}

// apply fixes the locked settings in s and records which are locked.
func (o OrgPolicy) apply(s Settings) Settings {
	s.OrgLocked = nil
	if o.ScreenShare {
		s.ScreenShare = sharePresenters
		s.OrgLocked = append(s.OrgLocked, SettingScreenShare)
	}
	if o.ChatOff {
		s.Chat = false
		s.OrgLocked = append(s.OrgLocked, SettingChat)
	}
	if o.PrivateChatOff {
		s.PrivateChat = false
		s.OrgLocked = append(s.OrgLocked, SettingPrivateChat)
	}
	if o.ChatPresenters {
		s.ChatWriters = ChatWritersPresenters
		s.OrgLocked = append(s.OrgLocked, SettingChatWriters)
	}
	if o.RequireE2EE {
		s.E2EE, s.Recording, s.Transcription = true, false, false
		s.OrgLocked = append(s.OrgLocked, SettingE2EE)
	}
	return s
}

// refuses reports whether ch would change a setting the organisation
// locked. Asking for the locked value itself is no change and passes.
func (o OrgPolicy) refuses(ch SettingsChange) bool {
	return (o.ScreenShare && ch.ScreenShare != "" && ch.ScreenShare != sharePresenters) ||
		(o.ChatOff && ch.Chat != nil && *ch.Chat) ||
		(o.PrivateChatOff && ch.PrivateChat != nil && *ch.PrivateChat) ||
		(o.ChatPresenters && ch.ChatWriters != "" && ch.ChatWriters != ChatWritersPresenters)
}

const (
	sharePresenters = "presenters"
	shareEveryone   = "everyone"
)

// Waiting reasons, sent in `waiting`.
const (
	WaitHostAbsent  = "host_absent"  // nobody may enter before a host
	WaitWaitingRoom = "waiting_room" // a host must admit each person
)

// Waiter is what hosts see of someone in the waiting room.
type Waiter struct {
	ID       string
	Name     string
	Verified bool
	Since    time.Time
}

// roleFor is the role someone has when they enter.
func roleFor(p Policy, userID string) authz.Role {
	switch {
	case userID == "":
		return authz.Guest
	case userID == p.HostID:
		return authz.Host
	case slices.Contains(p.Cohosts, userID):
		return authz.Cohost
	}
	return authz.Attendee
}

// isHost reports whether role runs the meeting (admits, moderates).
func isHost(r authz.Role) bool { return r == authz.Host || r == authz.Cohost }

// baseRole is the role someone falls back to when a host removes their
// extra role.
func baseRole(userID string) authz.Role {
	if userID == "" {
		return authz.Guest
	}
	return authz.Attendee
}

// banKeys are the in-memory ban entries that match a person.
func banKeys(userID, deviceHash string) []string {
	var ks []string
	if userID != "" {
		ks = append(ks, "user:"+userID)
	}
	if deviceHash != "" {
		ks = append(ks, "device:"+deviceHash)
	}
	return ks
}
