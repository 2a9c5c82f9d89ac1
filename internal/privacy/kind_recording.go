package privacy

import (
	"context"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// Recordings is what the recording kind reads, erases and expires
// (*recordings.Service implements it: rows in the store, sealed files in
// the data directory).
type Recordings interface {
	// TracksOfSubject lists the subject's own track files (an account's
	// by account ID, a guest's by participant ID) and the composites that
	// contain them.
	TracksOfSubject(ctx context.Context, subjectID string) ([]store.RecordingTrack, error)
	// ReadTrack returns a track file's content in plain text.
	ReadTrack(ctx context.Context, t store.RecordingTrack) ([]byte, error)
	// EraseSubject deletes the subject's tracks and the composites
	// containing them (rows with their keys, and files) and the shares to
	// the subject, and replaces the subject where it started or shared a
	// recording.
	EraseSubject(ctx context.Context, subjectID string) (store.RecordingErasure, error)
	// ExpireRecordings deletes the recordings that ended before the
	// cut-off (their meeting's own, for the meetings in cutoffs).
	ExpireRecordings(ctx context.Context, before time.Time, cutoffs map[string]time.Time) (int, error)
}

// RecordingKind is meeting recordings: one sealed file per recorded
// track, of the participants who consented, and composites made of them.
type RecordingKind struct{ Recordings Recordings }

// Declare implements Kind.
func (RecordingKind) Declare() Declaration {
	return Declaration{
		Name:     "recording",
		Category: CatRecording,
		Description: "Recordings of meetings: the camera, microphone and screen of each participant who consented " +
			"(one encrypted file per track), composites made of them, who started each recording and why, " +
			"and the accounts a host shared it with.",
		Purpose:    "Keep a record of a meeting its participants agreed to have recorded.",
		LegalBasis: Consent,
		Storage: "directory DATA/recordings (each file encrypted under its own key); tables recordings, recording_tracks, " +
			"recording_track_subjects and recording_shares; the file keys sealed under the meeting's key",
		Fields: []string{"audio and video of consenting participants (encrypted)", "purpose (sealed)",
			"participant's display name (sealed)", "meeting ID (plain)", "participant and account IDs (plain)",
			"who started it and who shared it with whom (plain)", "start, end, offsets, durations and sizes (plain)"},
	}
}

type recordingTrackRecord struct {
	ID        string        `json:"id"`
	Recording string        `json:"recording"`
	Meeting   string        `json:"meeting"`
	Source    string        `json:"source"`
	Kind      string        `json:"kind"`
	Codec     string        `json:"codec"`
	Offset    time.Duration `json:"offset_ns"`
	Duration  time.Duration `json:"duration_ns"`
	Complete  bool          `json:"complete"`
	Recorded  time.Time     `json:"recorded_at"`
	// File names the file in the archive; a composite is listed, not
	// included: it holds other people too.
	File string `json:"file,omitempty"`
	// People counts the people in a composite.
	People int `json:"people,omitempty"`
}

// Export implements Kind: the person's own tracks, decrypted into the
// archive, and a record of each composite they appear in (the composite
// itself shows others too; a privacy officer can hand it out on request
// after weighing their rights).
func (k RecordingKind) Export(ctx context.Context, s Subject) ([]Item, error) {
	ts, err := k.Recordings.TracksOfSubject(ctx, s.ID)
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	items := make([]Item, 0, len(ts))
	for _, t := range ts {
		rec := recordingTrackRecord{ID: t.ID, Recording: t.RecordingID, Meeting: t.MeetingID, Source: t.Source, Kind: t.Kind,
			Codec: t.Codec, Offset: t.Offset, Duration: t.Duration, Complete: t.Complete, Recorded: t.CreatedAt}
		if t.Kind == store.TrackComposite {
			rec.People = len(t.Subjects)
			items = append(items, Item{Record: rec})
			continue
		}
		content, err := k.Recordings.ReadTrack(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("recording: %w", err)
		}
		rec.File = t.ID + "-" + t.Source + ".webm"
		items = append(items, Item{Record: rec, Name: rec.File, File: content})
	}
	return items, nil
}

// Erase implements Kind: the person's tracks are deleted, file and row
// (its key goes with the row, so the file is unreadable in later backups
// too), and so is every composite they appear in, whole: a composite
// cannot be cut. Shares to the person go; where they started or shared a
// recording, which stays for the others in it, they are shown as erased.
func (k RecordingKind) Erase(ctx context.Context, s Subject) (Erased, error) {
	er, err := k.Recordings.EraseSubject(ctx, s.ID)
	deleted := er.Tracks + er.Composites
	out := Erased{Deleted: deleted + er.Shares, Shredded: deleted, Pseudonymous: er.Pseudonymised}
	if er.Composites > 0 {
		out.Note = fmt.Sprintf("%d composite(s) containing the person deleted whole", er.Composites)
	}
	if err != nil {
		return out, fmt.Errorf("recording: %w", err)
	}
	return out, nil
}

// Expire implements Kind with the organisation's cut-off for every meeting.
func (k RecordingKind) Expire(ctx context.Context, before time.Time) (int, error) {
	return k.ExpireMeetings(ctx, before, nil)
}

// ExpireMeetings implements retention.MeetingScoped: a meeting's own
// recording period applies to its recordings.
func (k RecordingKind) ExpireMeetings(ctx context.Context, before time.Time, cutoffs map[string]time.Time) (int, error) {
	n, err := k.Recordings.ExpireRecordings(ctx, before, cutoffs)
	if err != nil {
		return n, fmt.Errorf("recording: %w", err)
	}
	return n, nil
}
