// Package authz is Conclave's one authorisation point: every action a
// server-side handler performs is checked here, against the permission
// table below (docs/security.md prints the same table; a test keeps the two
// equal). Handlers never test roles themselves.
package authz

import (
	"errors"
	"fmt"
)

// ErrForbidden is returned (wrapped) when the table refuses an action.
var ErrForbidden = errors.New("authz: forbidden")

// Role is who a subject is in the context of the check: a meeting role for
// actions inside a meeting, an organisation role for the HTTP API.
type Role string

// Meeting roles, strongest first. Waiting is not a role anyone holds in a
// meeting: it is the state of a person not yet admitted, and the table gives
// it nothing but leaving.
const (
	Host      Role = "host"      // created the meeting
	Cohost    Role = "cohost"    // named in advance or promoted live; an account
	Presenter Role = "presenter" // may share the screen
	Attendee  Role = "attendee"  // signed in
	Guest     Role = "guest"     // no account: link, passcode and a name
	Waiting   Role = "waiting"   // in the waiting room
)

// Organisation roles.
const (
	Admin          Role = "admin"
	PrivacyOfficer Role = "privacy_officer"
	Member         Role = "member"
	Anonymous      Role = "anonymous" // no session
)

// MeetingRoles and OrgRoles list the roles in table order.
var (
	MeetingRoles = []Role{Host, Cohost, Presenter, Attendee, Guest, Waiting}
	OrgRoles     = []Role{Admin, PrivacyOfficer, Member, Anonymous}
)

// rank orders meeting roles for actions on another participant: an actor
// may act only on someone it outranks (a co-host cannot remove the host or
// another co-host).
var rank = map[Role]int{Host: 4, Cohost: 3, Presenter: 1, Attendee: 1, Guest: 1, Waiting: 0}

// Outranks reports whether actor may act on target.
func Outranks(actor, target Role) bool { return rank[actor] > rank[target] }

// Action is something a subject asks the server to do.
type Action string

// Meeting actions (signalling messages, docs/protocol.md).
const (
	Leave          Action = "meeting.leave"          // leave, ping
	Media          Action = "media.publish"          // microphone and camera; negotiation
	ScreenShare    Action = "screen.share"           // publish a screen share
	ChatSend       Action = "chat.send"              // send a chat message to everyone
	ChatPrivate    Action = "chat.private"           // send a chat message to one person or a group
	ChatDelete     Action = "chat.delete"            // delete a chat message for everyone
	FileShare      Action = "file.share"             // share a file into the chat
	LobbyDecide    Action = "lobby.decide"           // admit or deny from the waiting room
	MeetingLock    Action = "meeting.lock"           // lock and unlock
	MeetingSetting Action = "meeting.settings"       // chat on/off, who may share the screen
	MeetingEnd     Action = "meeting.end"            // end for all
	Remove         Action = "participant.remove"     // remove, optionally ban
	Mute           Action = "participant.mute"       // stop someone's mic, camera or screen
	AskUnmute      Action = "participant.ask_unmute" // ask someone to unmute
	SetPresenter   Action = "role.presenter"         // make or unmake presenter
	SetCohost      Action = "role.cohost"            // make or unmake co-host
	// RecordingStart starts and stops recording the meeting, where the
	// organisation and the meeting allow it; each participant is still
	// asked, and only those who consent are recorded.
	RecordingStart Action = "recording.start"
	// TranscriptionStart starts and stops transcribing the meeting, where
	// the organisation and the meeting allow it; each participant is
	// still asked, and only those who consent are transcribed.
	TranscriptionStart Action = "transcription.start"
	// Captions turns live captions on and off for oneself.
	Captions Action = "captions.view"
	// RemoteRequest asks a participant who shares their screen for
	// control of it (docs/security.md, "Remote control"). Open where the
	// organisation allows remote control, the meeting's host turned it on
	// and the organisation's remote_control_roles names the role.
	RemoteRequest Action = "remote.request"
	// RemoteGrant answers a request for one's own screen, grants it or
	// refuses, and stops one's own grant: every admitted role, because
	// the screen is the sharer's. The room checks that the one answering
	// is the one asked and still shares.
	RemoteGrant Action = "remote.grant"
	// RemoteRevoke ends someone else's grant of control.
	RemoteRevoke Action = "remote.revoke"
)

// Organisation actions (HTTP API, docs/api.md).
const (
	MeetingCreate Action = "meeting.create"
	AuditView     Action = "audit.view"   // browse and filter the audit log
	AuditExport   Action = "audit.export" // download it as CSV or JSON
	// NoticeEdit publishes a new version of the privacy notice.
	NoticeEdit Action = "privacy.notice.edit"
	// NoticeHistory lists the privacy notice's versions.
	NoticeHistory Action = "privacy.notice.history"
	// ProcessingReport generates the records of processing (Art. 30).
	ProcessingReport Action = "privacy.report"
	// DataExport exports everything held on a person (Art. 15, 20).
	DataExport Action = "data.export"
	// DataErase erases a person's data (Art. 17).
	DataErase Action = "data.erase"
	// SubjectRequests lists, records and closes data subjects' requests.
	SubjectRequests Action = "subject.requests"
	// MeetingRetention reads and sets a meeting's own retention periods;
	// the handler then checks that the account hosts the meeting.
	MeetingRetention Action = "meeting.retention"
	// SelfService is an account reading what is its own: its meetings, its
	// consents, its data export. It needs a known role, not just a session.
	SelfService Action = "self.service"
	// PasswordChange is an account changing its own password; no action
	// changes another account's password.
	PasswordChange Action = "account.password"
	// UserList lists every account, UserAccess disables and re-enables
	// one, UserRole changes one's role.
	UserList   Action = "user.list"
	UserAccess Action = "user.access"
	UserRole   Action = "user.role"
	// AccountSecurity is an account managing its own sign-in security:
	// enrolling and removing second factors, its recovery codes, and
	// seeing and ending its own sessions.
	AccountSecurity Action = "account.security"
	// UserSecurity resets another account's second factors and ends its
	// sessions (a lost phone, a departed colleague's laptop).
	UserSecurity Action = "user.security"
	// MeetingPasscode replaces a meeting's passcode and MeetingDelete
	// deletes a meeting with its data; the handler then checks that the
	// account hosts the meeting, or may act on any meeting (MeetingAny).
	MeetingPasscode Action = "meeting.passcode"
	MeetingDelete   Action = "meeting.delete"
	// MeetingAny lets an account manage (passcode, deletion) meetings it
	// does not host: an administrator cleaning up after a departed host.
	MeetingAny Action = "meeting.any"
	// ProfileChange is an account correcting its own name and e-mail
	// address (rectification, Art. 16).
	ProfileChange Action = "account.profile"
	// ConsentWithdraw is an account withdrawing its own consents (Art.
	// 7(3)).
	ConsentWithdraw Action = "consent.withdraw"
	// SelfRequest is an account making a data subject request about
	// itself (e.g. erasure), which lands in the officers' register.
	SelfRequest Action = "self.request"
	// DataRectify corrects another account's name and e-mail address on
	// the person's request (Art. 16).
	DataRectify Action = "data.rectify"
	// DataRestrict restricts an account's processing (Art. 18) or lifts
	// the restriction.
	DataRestrict Action = "data.restrict"
	// ChatReview reads the stored chat of a meeting or of a person, to
	// answer a data subject's request; every look is recorded.
	ChatReview Action = "chat.review"
	// FileReview lists and downloads the shared files of a meeting or of
	// a person, for the same purpose.
	FileReview Action = "file.review"
	// RecordingView lists and plays recordings, RecordingDownload
	// downloads their files, RecordingShare shares one with named
	// accounts, RecordingDelete deletes one, RecordingExport makes a
	// composite; package recordings then checks that the account hosts
	// the recording's meeting (view and download: or that it was shared
	// with it), unless RecordingAny lets it act on every recording.
	RecordingView     Action = "recording.view"
	RecordingDownload Action = "recording.download"
	RecordingShare    Action = "recording.share"
	RecordingDelete   Action = "recording.delete"
	RecordingExport   Action = "recording.export"
	// RecordingAny: a privacy officer reviews, shares and deletes any
	// recording, to answer a data subject's request.
	RecordingAny Action = "recording.any"
	// ServerVersion reads the server's version, build and whether a newer
	// release is out: administrators keep the server up to date.
	ServerVersion Action = "server.version"
)

// Rule is one cell of the table.
type Rule uint8

const (
	Deny  Rule = iota
	Allow      // always
	// IfOpen allows only when the meeting opened the action to everyone:
	// screen sharing when the host allowed all to share, chat while it is on.
	IfOpen
)

func (r Rule) String() string {
	switch r {
	case Allow:
		return "yes"
	case IfOpen:
		return "if open"
	}
	return "no"
}

// Table is the permission table: action × role. A role missing from a row
// is denied.
var Table = map[Action]map[Role]Rule{
	Leave:              {Host: Allow, Cohost: Allow, Presenter: Allow, Attendee: Allow, Guest: Allow, Waiting: Allow},
	Media:              {Host: Allow, Cohost: Allow, Presenter: Allow, Attendee: Allow, Guest: Allow},
	ScreenShare:        {Host: Allow, Cohost: Allow, Presenter: Allow, Attendee: IfOpen, Guest: IfOpen},
	ChatSend:           {Host: Allow, Cohost: Allow, Presenter: IfOpen, Attendee: IfOpen, Guest: IfOpen},
	ChatPrivate:        {Host: Allow, Cohost: Allow, Presenter: IfOpen, Attendee: IfOpen, Guest: IfOpen},
	ChatDelete:         {Host: Allow, Cohost: Allow},
	FileShare:          {Host: Allow, Cohost: Allow, Presenter: IfOpen, Attendee: IfOpen, Guest: IfOpen},
	LobbyDecide:        {Host: Allow, Cohost: Allow},
	MeetingLock:        {Host: Allow, Cohost: Allow},
	MeetingSetting:     {Host: Allow, Cohost: Allow},
	MeetingEnd:         {Host: Allow},
	Remove:             {Host: Allow, Cohost: Allow},
	Mute:               {Host: Allow, Cohost: Allow},
	AskUnmute:          {Host: Allow, Cohost: Allow},
	SetPresenter:       {Host: Allow, Cohost: Allow},
	SetCohost:          {Host: Allow},
	RecordingStart:     {Host: Allow, Cohost: Allow},
	TranscriptionStart: {Host: Allow, Cohost: Allow},
	Captions:           {Host: Allow, Cohost: Allow, Presenter: Allow, Attendee: Allow, Guest: Allow},
	RemoteRequest:      {Host: IfOpen, Cohost: IfOpen, Presenter: IfOpen, Attendee: IfOpen, Guest: IfOpen},
	RemoteGrant:        {Host: Allow, Cohost: Allow, Presenter: Allow, Attendee: Allow, Guest: Allow},
	RemoteRevoke:       {Host: Allow, Cohost: Allow},

	MeetingCreate: {Admin: Allow, PrivacyOfficer: Allow, Member: Allow},
	AuditView:     {Admin: Allow, PrivacyOfficer: Allow},
	AuditExport:   {Admin: Allow, PrivacyOfficer: Allow},
	NoticeEdit:    {Admin: Allow},
	NoticeHistory: {Admin: Allow, PrivacyOfficer: Allow},

	ProcessingReport: {Admin: Allow, PrivacyOfficer: Allow},
	DataExport:       {Admin: Allow, PrivacyOfficer: Allow},
	DataErase:        {Admin: Allow, PrivacyOfficer: Allow},
	SubjectRequests:  {Admin: Allow, PrivacyOfficer: Allow},
	MeetingRetention: {Admin: Allow, PrivacyOfficer: Allow, Member: Allow},
	SelfService:      {Admin: Allow, PrivacyOfficer: Allow, Member: Allow},
	PasswordChange:   {Admin: Allow, PrivacyOfficer: Allow, Member: Allow},
	UserList:         {Admin: Allow},
	UserAccess:       {Admin: Allow},
	UserRole:         {Admin: Allow},
	AccountSecurity:  {Admin: Allow, PrivacyOfficer: Allow, Member: Allow},
	UserSecurity:     {Admin: Allow},
	MeetingPasscode:  {Admin: Allow, PrivacyOfficer: Allow, Member: Allow},
	MeetingDelete:    {Admin: Allow, PrivacyOfficer: Allow, Member: Allow},
	MeetingAny:       {Admin: Allow},
	ProfileChange:    {Admin: Allow, PrivacyOfficer: Allow, Member: Allow},
	ConsentWithdraw:  {Admin: Allow, PrivacyOfficer: Allow, Member: Allow},
	SelfRequest:      {Admin: Allow, PrivacyOfficer: Allow, Member: Allow},
	DataRectify:      {Admin: Allow, PrivacyOfficer: Allow},
	DataRestrict:     {Admin: Allow, PrivacyOfficer: Allow},
	ChatReview:       {Admin: Allow, PrivacyOfficer: Allow},
	FileReview:       {Admin: Allow, PrivacyOfficer: Allow},
	ServerVersion:    {Admin: Allow},

	RecordingView:     {Admin: Allow, PrivacyOfficer: Allow, Member: Allow},
	RecordingDownload: {Admin: Allow, PrivacyOfficer: Allow, Member: Allow},
	RecordingShare:    {Admin: Allow, PrivacyOfficer: Allow, Member: Allow},
	RecordingDelete:   {Admin: Allow, PrivacyOfficer: Allow, Member: Allow},
	RecordingExport:   {Admin: Allow, PrivacyOfficer: Allow, Member: Allow},
	RecordingAny:      {PrivacyOfficer: Allow},
}

// MeetingActions and OrgActions list the actions in table order.
var (
	MeetingActions = []Action{Leave, Media, ScreenShare, ChatSend, ChatPrivate, ChatDelete, FileShare, LobbyDecide, MeetingLock, MeetingSetting, MeetingEnd, Remove, Mute, AskUnmute, SetPresenter, SetCohost, RecordingStart, TranscriptionStart, Captions, RemoteRequest, RemoteGrant, RemoteRevoke}
	OrgActions     = []Action{MeetingCreate, AuditView, AuditExport, NoticeEdit, NoticeHistory, ProcessingReport, DataExport, DataErase, SubjectRequests, MeetingRetention, SelfService, MeetingPasscode, MeetingDelete, MeetingAny, PasswordChange, UserList, UserAccess, UserRole, AccountSecurity, UserSecurity, ProfileChange, ConsentWithdraw, SelfRequest, DataRectify, DataRestrict, ChatReview, FileReview, ServerVersion, RecordingView, RecordingDownload, RecordingShare, RecordingDelete, RecordingExport, RecordingAny}
)

// Check returns nil when role may perform action. open says whether the
// meeting has opened the action to everyone (see IfOpen). Unknown actions
// are refused: a handler that forgot to declare its action fails closed.
func Check(role Role, action Action, open bool) error {
	row, ok := Table[action]
	if !ok {
		return fmt.Errorf("%w: unknown action %q", ErrForbidden, action)
	}
	switch row[role] {
	case Allow:
		return nil
	case IfOpen:
		if open {
			return nil
		}
	}
	return fmt.Errorf("%w: %s may not %s", ErrForbidden, role, action)
}
