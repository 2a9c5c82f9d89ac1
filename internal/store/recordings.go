package store

import (
	"context"
	"time"
)

// Recording is one run of a meeting's recorder (docs/privacy.md,
// "Recordings"): its tracks are sealed files in the data directory, one
// per recorded track, listed as RecordingTracks. The store seals Purpose
// under the meeting's data key; IDs, state and times stay plain.
type Recording struct {
	ID        string // "r_…"
	MeetingID string
	// StartedBy is the subject who started it: an account ID ("u_…"),
	// a participant ID ("p_…"), or ErasedSubject once they were erased.
	StartedBy string
	Purpose   string
	StartedAt time.Time
	EndedAt   time.Time // zero while recording
	EndReason string    // e.g. "stopped", "meeting_ended", "interrupted"
	State     string    // RecordingActive or RecordingEnded
}

// Recording states.
const (
	RecordingActive = "recording"
	RecordingEnded  = "ended"
)

// ErasedSubject replaces an erased person's ID where a record about
// others must stay (who started a recording, who shared it).
const ErasedSubject = "erased"

// Track kinds: a recorded audio or video track, or a composite made from
// a recording's tracks.
const (
	TrackAudio     = "audio"
	TrackVideo     = "video"
	TrackComposite = "composite"
)

// RecordingTrack is one sealed file of a recording. Key and OwnerName are
// sealed under the meeting's data key by the store; Key is plain in
// memory only. Its path follows from RecordingID and ID.
type RecordingTrack struct {
	ID          string // "t_…"
	RecordingID string
	MeetingID   string // the recording's, filled in on reads
	// Owner is the publishing participant, Subject the data subject (the
	// account ID of a signed-in participant, the participant ID of a
	// guest); both empty for a composite, whose people are Subjects.
	Owner     string
	Subject   string
	OwnerName string // display name where known
	Source    string // "camera", "microphone", "screen" or "composite"
	Kind      string // TrackAudio, TrackVideo or TrackComposite
	Codec     string
	Offset    time.Duration // from the recording's start (milliseconds kept)
	// Set when the file is finished (Finished).
	Frames   int64
	Bytes    int64
	Duration time.Duration
	Complete bool
	Finished bool
	Key      []byte
	// Subjects lists the people a composite contains.
	Subjects  []string
	CreatedAt time.Time
}

// RecordingTrackEnd is how a track file ended.
type RecordingTrackEnd struct {
	Frames   int64
	Bytes    int64
	Duration time.Duration
	Complete bool
}

// RecordingShare is a recording shared by name with an account.
type RecordingShare struct {
	RecordingID string
	AccountID   string
	SharedBy    string // account ID, or ErasedSubject
	SharedAt    time.Time
}

// RecordingErasure is what erasing a subject from recordings did. The
// store fills Shares and Pseudonymised; package recordings, which deletes
// the tracks with their files, Tracks and Composites.
type RecordingErasure struct {
	Tracks        int // the subject's own tracks deleted
	Composites    int // composites containing them deleted
	Shares        int // shares to the subject deleted
	Pseudonymised int // started_by and shared_by replaced by ErasedSubject
}

// RecordingStore keeps recordings, their tracks and shares (sqlite.Store
// implements it). It is not part of Store: package recordings and the
// recording privacy kind declare the narrow interfaces they use, and the
// conformance suite skips a backend without it.
type RecordingStore interface {
	// AddRecording is ErrNotFound when the meeting does not exist,
	// ErrConflict on a duplicate ID.
	AddRecording(ctx context.Context, r Recording) error
	// EndRecording marks an active recording ended; ending an ended one
	// changes nothing. ErrNotFound when there is no such recording.
	EndRecording(ctx context.Context, id string, at time.Time, reason string) error
	// Recording is ErrErased (an ErrNotFound) when the meeting's key is gone.
	Recording(ctx context.Context, id string) (Recording, error)
	// RecordingsOfMeeting, RecordingsForAccount (the recordings of the
	// meetings the account hosts and those shared with it) and
	// AllRecordings list newest first, leaving out those whose key is gone.
	RecordingsOfMeeting(ctx context.Context, meetingID string) ([]Recording, error)
	RecordingsForAccount(ctx context.Context, accountID string) ([]Recording, error)
	AllRecordings(ctx context.Context) ([]Recording, error)
	// ActiveRecordingIDs lists the recordings still marked recording.
	ActiveRecordingIDs(ctx context.Context) ([]string, error)
	// AddRecordingTrack is ErrNotFound when the recording does not exist.
	AddRecordingTrack(ctx context.Context, t RecordingTrack) error
	FinishRecordingTrack(ctx context.Context, id string, end RecordingTrackEnd) error
	// RecordingTrack is ErrNotFound for a track of another recording.
	RecordingTrack(ctx context.Context, recordingID, id string) (RecordingTrack, error)
	RecordingTracks(ctx context.Context, recordingID string) ([]RecordingTrack, error)
	// RecordingTracksOfSubject lists the subject's own tracks and the
	// composites that contain them.
	RecordingTracksOfSubject(ctx context.Context, subjectID string) ([]RecordingTrack, error)
	DeleteRecordingTracks(ctx context.Context, ids []string) (int, error)
	DeleteRecordings(ctx context.Context, ids []string) (int, error)
	// RecordingIDsEndedBefore lists the recordings that ended (or, never
	// ended, started) before before, or before their meeting's own
	// cut-off for the meetings in cutoffs.
	RecordingIDsEndedBefore(ctx context.Context, before time.Time, cutoffs map[string]time.Time) ([]string, error)
	// RecordingsExisting and RecordingTracksExisting return those of ids
	// that have a row, for the sweep of files whose row is gone.
	RecordingsExisting(ctx context.Context, ids []string) (map[string]bool, error)
	RecordingTracksExisting(ctx context.Context, ids []string) (map[string]bool, error)
	// ShareRecording is ErrNotFound when the recording does not exist;
	// sharing twice with one account keeps the first share.
	ShareRecording(ctx context.Context, s RecordingShare) error
	UnshareRecording(ctx context.Context, recordingID, accountID string) error
	RecordingShares(ctx context.Context, recordingID string) ([]RecordingShare, error)
	// EraseRecordingSubject deletes the shares to the subject and replaces
	// it by ErasedSubject where it started or shared a recording.
	EraseRecordingSubject(ctx context.Context, subjectID string) (RecordingErasure, error)
}
