package store

import "time"

// SharedFile is a file a participant shared in a meeting's chat
// (docs/privacy.md, "Files"). Its content lives encrypted in the data
// directory under Key; the store seals Name and Key under the meeting's
// data key, so that deleting the row or shredding the meeting's key makes
// the content unreadable. IDs, size, type and times stay plain so that
// access checks, a subject's files and expiry are plain queries.
type SharedFile struct {
	ID           string // "f_…"
	MeetingID    string
	UploaderID   string // participant ID
	UploaderUser string // account ID; empty for guests
	Name         string
	Size         int64
	Type         string // content type found in the bytes
	// Key is the file's 32-byte content key, plain in memory only.
	Key []byte
	// To lists the recipients; empty means everyone in the meeting.
	To []FileRecipient
	// Scan is ScanClean or ScanNone.
	Scan      string
	CreatedAt time.Time
}

// ToEveryone reports whether the file was shared with the whole meeting.
func (f SharedFile) ToEveryone() bool { return len(f.To) == 0 }

// FileRecipient is one addressee of a file shared with chosen
// participants. An erased recipient is kept as ErasedRecipient, so that
// the uploader still sees the file went to someone.
type FileRecipient struct {
	ParticipantID string
	UserID        string // empty for guests
}

// ErasedRecipient replaces the participant ID of an erased recipient.
const ErasedRecipient = "erased"

// Scan outcomes of a stored file: only clean files are stored when a
// scanner is configured; without one, files are stored unscanned.
const (
	ScanClean = "clean"
	ScanNone  = "unscanned"
)
