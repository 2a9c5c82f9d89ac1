// Package store defines Conclave's persistent state and the interface every
// storage backend implements. The embedded default is SQLite (package
// store/sqlite); PostgreSQL can follow behind the same interface.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when the requested row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a uniqueness constraint would be violated.
var ErrConflict = errors.New("store: conflict")

// Role is an organisation role.
type Role string

const (
	RoleAdmin Role = "admin"
	// RolePrivacyOfficer reads and exports the audit log; otherwise a member.
	RolePrivacyOfficer Role = "privacy_officer"
	RoleMember         Role = "member"
)

// Roles lists every role, strongest first.
var Roles = []Role{RoleAdmin, RolePrivacyOfficer, RoleMember}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RolePrivacyOfficer || r == RoleMember }

// User is an account.
type User struct {
	ID           string
	Email        string // stored lower-cased
	Name         string
	Role         Role
	PasswordHash string // argon2id PHC string; never logged
	// PasswordChangedAt is when the password was last set (zero: the
	// account has none); CreateUser takes CreatedAt when it is zero.
	PasswordChangedAt time.Time
	CreatedAt         time.Time
	// Disabled accounts cannot sign in and have no sessions.
	Disabled bool
	// Restricted accounts (GDPR Art. 18, set by a privacy officer) keep
	// their data but cannot sign in, have no sessions, and are not expired
	// by retention.
	Restricted bool
}

// Session is a login session. Only the SHA-256 of the cookie token is stored,
// so a copy of the database cannot be used to sign in.
type Session struct {
	TokenHash []byte
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
	// Stage is SessionSignedIn, or a second factor still owed
	// (SessionSecondFactor, SessionEnrol): such a session can do nothing
	// else.
	Stage string
	// Method is how the session signed in ("password", "password+totp", …).
	Method string
	// Device is a coarse description of the browser ("Firefox on Linux").
	Device string
	// LastSeenAt is its last use (zero: none since it was created).
	LastSeenAt time.Time
}

// Session stages (docs/security.md, "Second factors").
const (
	SessionSignedIn = ""
	// SessionSecondFactor: the password was right; a second factor is owed.
	SessionSecondFactor = "second_factor"
	// SessionEnrol: the account's role requires a second factor it has not
	// enrolled; the session may only enrol one.
	SessionEnrol = "enrol"
	// SessionPasswordChange: every factor was given, but the password is
	// older than the maximum password age; the session may only choose a
	// new one.
	SessionPasswordChange = "password_change"
)

// Meeting is a scheduled or ad-hoc meeting and its access policy.
type Meeting struct {
	ID        string
	Title     string
	Passcode  string
	HostID    string // user ID of the creator
	CreatedAt time.Time

	// WaitingRoom holds everyone but the host and co-hosts until admitted.
	WaitingRoom bool
	// JoinBeforeHost lets participants in while no host or co-host is
	// present (only when WaitingRoom is off).
	JoinBeforeHost bool
	// ScreenShare is who may share: ScreenSharePresenters or ScreenShareEveryone.
	ScreenShare string
	// MaxParticipants caps the live meeting; 0 means the organisation default.
	MaxParticipants int
	// Recurrence is RecurrenceNone, RecurrenceDaily or RecurrenceWeekly.
	Recurrence string
	// StartsAt is the first scheduled start; zero for an ad-hoc meeting.
	StartsAt time.Time
	// EndsAt is when the meeting expires: nobody joins after it.
	EndsAt time.Time
	// Cohosts are the user IDs named as co-hosts in advance.
	Cohosts []string
	// SignedInOnly admits only people signed in to an account; guests are
	// refused at the door.
	SignedInOnly bool
	// ChatHistory gives people who join the live meeting late its earlier
	// messages to everyone (off by default: each sees only what was sent
	// while they were there).
	ChatHistory bool
	// ChatAfter lets participants with an account read, after the
	// meeting, the stored messages they were part of (off by default).
	ChatAfter bool
	// Recording lets its hosts and co-hosts record it, where the
	// organisation allows recording (off by default; docs/privacy.md,
	// "Recording").
	Recording bool
	// Transcription lets its hosts and co-hosts transcribe it, where the
	// organisation allows transcription (off by default;
	// docs/transcripts.md).
	Transcription bool
	// E2EE: media is end-to-end encrypted in the browsers (docs/e2ee.md);
	// off by default, required for every meeting by config require_e2ee.
	E2EE bool
	// Sensitive marks a meeting such as telehealth: E2EE is on unless the
	// host turned it off when creating it (docs/e2ee.md, "Sensitive
	// meetings"); lists and the pre-join screen say so.
	Sensitive bool
}

// Meeting policy values.
const (
	ScreenSharePresenters = "presenters"
	ScreenShareEveryone   = "everyone"
	RecurrenceNone        = "none"
	RecurrenceDaily       = "daily"
	RecurrenceWeekly      = "weekly"
)

// Ban kinds: a ban names a user ID, or the hex SHA-256 of a guest's device
// token (guests have no account to ban).
const (
	BanUser   = "user"
	BanDevice = "device"
)

// SetupToken is the one-time token that creates the first admin.
type SetupToken struct {
	TokenHash []byte
	ExpiresAt time.Time
}

// AuditLogStore appends to and reads the audit log.
type AuditLogStore interface {
	// AppendAudit adds e to the end of the audit log. In one write
	// transaction, serialised with every other append, it sets e.Seq to the
	// last entry's Seq+1 (1 for the first) and e.PrevHash to the last entry's
	// Hash (nil for the first), calls seal, and inserts what seal returns.
	// Seal must keep Seq and fill in PrevHash and Hash; its error aborts the
	// append.
	AppendAudit(ctx context.Context, e AuditEntry, seal AuditSeal) (AuditEntry, error)
	// AuditEntries returns the entries matching f, in chain order (ascending
	// Seq) unless f.Newest.
	AuditEntries(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
	// LastAudit returns the entry with the highest Seq; ErrNotFound when the
	// log is empty.
	LastAudit(ctx context.Context) (AuditEntry, error)
}

// Store is the persistence interface. Every method takes a context and wraps
// backend errors; ErrNotFound and ErrConflict are returned unwrapped-comparable
// (use errors.Is).
type Store interface {
	CreateUser(ctx context.Context, u User) error
	UserByID(ctx context.Context, id string) (User, error)
	UserByEmail(ctx context.Context, email string) (User, error)
	CountUsers(ctx context.Context) (int, error)
	// RecordLogin notes a successful sign-in (for the retention of
	// inactive accounts).
	RecordLogin(ctx context.Context, userID string, at time.Time) error
	// InactiveUsers lists members, not erased, whose last sign-in (or
	// creation, if they never signed in) is before `before`.
	InactiveUsers(ctx context.Context, before time.Time) ([]string, error)
	// CreateFirstAdmin creates u only if no user exists yet and the setup token
	// matching tokenHash is unexpired; it consumes the token. Both checks and the
	// insert happen in one transaction. It returns ErrConflict when a user
	// already exists and ErrNotFound when the token is wrong, used or expired.
	CreateFirstAdmin(ctx context.Context, u User, tokenHash []byte, now time.Time) error

	// ReplaceSetupToken stores t as the only valid setup token.
	ReplaceSetupToken(ctx context.Context, t SetupToken) error

	CreateSession(ctx context.Context, s Session) error
	SessionByTokenHash(ctx context.Context, hash []byte) (Session, error)
	DeleteSession(ctx context.Context, hash []byte) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) error

	// CreateMeeting stores m with its co-hosts in one transaction;
	// ErrConflict on a duplicate ID, ErrNotFound when the host or a co-host
	// does not exist.
	CreateMeeting(ctx context.Context, m Meeting) error
	// MeetingByID and MeetingsByHost return meetings with their co-hosts in
	// the order they were stored (nil when there are none).
	MeetingByID(ctx context.Context, id string) (Meeting, error)
	MeetingsByHost(ctx context.Context, hostID string) ([]Meeting, error)
	// SetMeetingPasscode replaces the meeting's passcode (the old one stops
	// admitting at once); ErrNotFound when the meeting does not exist.
	SetMeetingPasscode(ctx context.Context, id, passcode string) error
	// AddMeetingBan bars subject (see BanUser, BanDevice) from the meeting
	// for good; banning twice is not an error. ErrNotFound when the meeting
	// does not exist.
	AddMeetingBan(ctx context.Context, meetingID, kind, subject string, at time.Time) error
	// MeetingBanned reports whether subject is banned from the meeting.
	MeetingBanned(ctx context.Context, meetingID, kind, subject string) (bool, error)

	AuditLogStore
	AuditRetentionStore

	AccountStore
	ConsentStore
	ConsentAuditStore
	PrivacyStore
	RetentionStore
	GuestProofStore

	Close() error
}
