// Package audit is Conclave's tamper-evident audit log: an append-only list
// of security-relevant events, each sealed with a hash over its canonical
// encoding and the previous entry's hash. Changing, removing or reordering
// an entry breaks the chain, and Verify reports where. With a key (kept in
// the data directory) the hash is an HMAC, so someone who can write only
// to the database cannot compute a valid replacement chain. See
// docs/security.md for what is recorded and the threat model.
package audit

// Action names what happened. The set is closed: Append refuses others, so
// that queries and retention rules can rely on the names.
type Action string

// Authentication and accounts.
const (
	AuthLoginSuccess Action = "auth.login.success"
	AuthLoginFailure Action = "auth.login.failure"
	AuthLogout       Action = "auth.logout"
	AuthSetup        Action = "auth.setup"   // first administrator created
	AuthLockout      Action = "auth.lockout" // a sign-in key (address or account) was locked out
	UserCreate       Action = "user.create"
	// UserPasswordChange: an account changed its own password.
	UserPasswordChange Action = "user.password.change"
	// UserDisable and UserEnable: an administrator turned an account off
	// or back on.
	UserDisable Action = "user.disable"
	UserEnable  Action = "user.enable"
	// UserRoleChange: an administrator changed an account's role.
	UserRoleChange Action = "user.role.change"
	// UserProfileChange: an account corrected its own name or e-mail
	// address (rectification, Art. 16).
	UserProfileChange Action = "user.profile.change"
	// UserIdentityLink: a signed-in account linked an identity at a
	// single sign-on provider (details: method, provider).
	UserIdentityLink Action = "user.identity.link"
)

// Second factors and sessions (docs/security.md, "Second factors").
const (
	// AuthSecondFactor: a second factor was given at sign-in (success:
	// details method "totp" or "recovery", recovery codes left) or was
	// wrong (failure: details method, and reason "replayed" for a code
	// already used).
	AuthSecondFactor Action = "auth.second_factor"
	// FactorEnrol: an account enrolled a second factor (details kind:
	// "totp"; "recovery" when it replaced its recovery codes).
	FactorEnrol Action = "auth.factor.enrol"
	// FactorRemove: an account removed its own second factor (details kind).
	FactorRemove Action = "auth.factor.remove"
	// FactorReset: an administrator removed every second factor of an
	// account (details credentials: how many); the person is told at
	// their next sign-in.
	FactorReset Action = "auth.factor.reset"
	// SessionRevoke: sessions were ended (details scope "one", "others" or
	// "all", count), by their owner or an administrator.
	SessionRevoke Action = "auth.session.revoke"
)

// Meetings and moderation.
const (
	MeetingCreate      Action = "meeting.create"
	MeetingJoinAttempt Action = "meeting.join.attempt"
	MeetingJoinAllowed Action = "meeting.join.allowed"
	MeetingJoinRefused Action = "meeting.join.refused"
	MeetingJoinLockout Action = "meeting.join.lockout" // a passcode key (address or meeting) was locked out
	MeetingLeave       Action = "meeting.leave"
	// MeetingResume: a participant whose connection dropped took their
	// place back with their resume token; MeetingResumeRefused: a resume
	// token was refused (unknown, spent, expired, another account's).
	MeetingResume        Action = "meeting.resume"
	MeetingResumeRefused Action = "meeting.resume.refused"
	MeetingAdmit         Action = "meeting.admit" // let in from the waiting room
	MeetingDeny          Action = "meeting.deny"  // refused from the waiting room
	MeetingRemove        Action = "meeting.remove"
	MeetingBan           Action = "meeting.ban"
	MeetingRoleChange    Action = "meeting.role_change"
	MeetingLock          Action = "meeting.lock"
	MeetingUnlock        Action = "meeting.unlock"
	MeetingEnd           Action = "meeting.end"
	// MeetingPasscodeRegenerate: a new passcode replaced the old one.
	MeetingPasscodeRegenerate Action = "meeting.passcode.regenerate"
	// MeetingDelete: a meeting and its data were deleted.
	MeetingDelete Action = "meeting.delete"
	// ChatDelete: a host deleted a chat message for everyone.
	ChatDelete Action = "chat.delete"
)

// Media, recordings and consent.
const (
	ScreenshareStart Action = "screenshare.start"
	ScreenshareStop  Action = "screenshare.stop"
	RecordingStart   Action = "recording.start"
	RecordingStop    Action = "recording.stop"
	// TranscriptionStart and TranscriptionStop: a host started or stopped
	// transcribing a meeting (docs/transcripts.md).
	TranscriptionStart Action = "transcription.start"
	TranscriptionStop  Action = "transcription.stop"
	// Remote control of a shared screen (docs/security.md, "Remote
	// control"): someone asked a sharer for control, the sharer granted
	// or refused it (or the request lapsed: details say why), and control
	// ended, with its cause. Details never hold the capability token or
	// the pairing code.
	RemoteControlRequest Action = "remote_control.request"
	RemoteControlGrant   Action = "remote_control.grant"
	RemoteControlRefuse  Action = "remote_control.refuse"
	RemoteControlEnd     Action = "remote_control.end"
	ConsentGiven         Action = "consent.given"
	ConsentWithdrawn     Action = "consent.withdrawn"
	// ConsentDeclined: asked for consent (to be recorded), the person
	// said no; the ledger holds the answer as a consent withdrawn the
	// moment it was given (docs/privacy.md, "Recording").
	ConsentDeclined Action = "consent.declined"
	FileAccess      Action = "file.access"
	// RecordingView: someone played a recording's track (recorded once
	// per play, not per range request); RecordingDownload: downloaded
	// one; RecordingShare: shared a recording with an account or withdrew
	// the share; RecordingDelete: deleted a recording; RecordingExport:
	// asked for a composite of one.
	RecordingView     Action = "recording.view"
	RecordingDownload Action = "recording.download"
	RecordingShare    Action = "recording.share"
	RecordingDelete   Action = "recording.delete"
	RecordingExport   Action = "recording.export"
	// TranscriptView: someone read or searched a meeting's stored
	// transcript (or listed its transcripts); TranscriptDownload:
	// downloaded one as text or WebVTT (docs/transcripts.md).
	TranscriptView     Action = "transcript.view"
	TranscriptDownload Action = "transcript.download"
)

// Data protection and administration.
const (
	DataExport     Action = "data.export"
	DataErase      Action = "data.erase"
	SettingsChange Action = "settings.change"
	AuditView      Action = "audit.view"
	AuditExport    Action = "audit.export"
	RetentionSweep Action = "retention.sweep" // expired personal data deleted; details count per category
	PrivacyReport  Action = "privacy.report"  // the records of processing were generated
	RequestCreate  Action = "request.create"  // a data subject's request was recorded
	RequestClose   Action = "request.close"   // a data subject's request was closed (done or rejected)
	// DataRectify: a privacy officer or administrator corrected another
	// account's name or e-mail address (Art. 16).
	DataRectify Action = "data.rectify"
	// DataRestrict: a privacy officer or administrator restricted an
	// account's processing (Art. 18) or lifted the restriction.
	DataRestrict Action = "data.restrict"
	// ChatReview: a privacy officer or administrator read the stored chat
	// of a meeting or of a person (details: what was asked for and how
	// many messages were returned).
	ChatReview Action = "chat.review"
)

// Actions lists every action, in the order above.
var Actions = []Action{
	AuthLoginSuccess, AuthLoginFailure, AuthLogout, AuthSetup, AuthLockout, UserCreate,
	UserPasswordChange, UserDisable, UserEnable, UserRoleChange, UserProfileChange, UserIdentityLink,
	AuthSecondFactor, FactorEnrol, FactorRemove, FactorReset, SessionRevoke,
	MeetingCreate, MeetingJoinAttempt, MeetingJoinAllowed, MeetingJoinRefused,
	MeetingJoinLockout, MeetingLeave, MeetingResume, MeetingResumeRefused, MeetingAdmit, MeetingDeny, MeetingRemove, MeetingBan,
	MeetingRoleChange, MeetingLock, MeetingUnlock, MeetingEnd, ChatDelete,
	MeetingPasscodeRegenerate, MeetingDelete,
	ScreenshareStart, ScreenshareStop, RecordingStart, RecordingStop, TranscriptionStart, TranscriptionStop,
	RemoteControlRequest, RemoteControlGrant, RemoteControlRefuse, RemoteControlEnd,
	ConsentGiven, ConsentWithdrawn, ConsentDeclined, FileAccess,
	RecordingView, RecordingDownload, RecordingShare, RecordingDelete, RecordingExport, TranscriptView, TranscriptDownload,
	DataExport, DataErase, SettingsChange, AuditView, AuditExport,
	RetentionSweep, PrivacyReport, RequestCreate, RequestClose, DataRectify, DataRestrict, ChatReview,
}

var knownActions = func() map[Action]bool {
	m := make(map[Action]bool, len(Actions))
	for _, a := range Actions {
		m[a] = true
	}
	return m
}()

// Valid reports whether a is one of Actions.
func (a Action) Valid() bool { return knownActions[a] }

// Outcome says how the action ended.
type Outcome string

const (
	Success Outcome = "success"
	Failure Outcome = "failure" // attempted and failed (e.g. wrong password)
	Denied  Outcome = "denied"  // refused by policy (e.g. not an admin)
)

// Valid reports whether o is Success, Failure or Denied.
func (o Outcome) Valid() bool { return o == Success || o == Failure || o == Denied }
