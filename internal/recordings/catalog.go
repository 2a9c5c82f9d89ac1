package recordings

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"

	"github.com/conclave-meet/conclave/internal/recorder"
	"github.com/conclave-meet/conclave/internal/store"
)

// The recorder registers its files here (recorder.Catalog).
var _ recorder.Catalog = (*Service)(nil)

// AddTrack registers a track file of a running recording: it makes the
// track's ID and a random 32-byte content key, stores them (the key
// sealed under the meeting's key) and returns where to write. Below
// recording_min_free_mb it refuses with ErrNoSpace.
func (s *Service) AddTrack(ctx context.Context, m recorder.TrackMeta) (recorder.TrackFile, error) {
	if !s.isActive(m.RecordingID) {
		return recorder.TrackFile{}, fmt.Errorf("recordings: add track to %s: %w", m.RecordingID, ErrNotActive)
	}
	if err := s.checkSpace(); err != nil {
		return recorder.TrackFile{}, err
	}
	id, err := newID("t_")
	if err != nil {
		return recorder.TrackFile{}, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return recorder.TrackFile{}, fmt.Errorf("recordings: track key: %w", err)
	}
	t := store.RecordingTrack{ID: id, RecordingID: m.RecordingID, Owner: m.Owner, Subject: m.Subject,
		OwnerName: s.ownerName(ctx, m), Source: m.Source, Kind: m.Kind, Codec: m.Codec, Offset: m.Offset,
		Key: key, CreatedAt: s.opts.Now().UTC()}
	// The directory exists from Begin; made again in case an operator
	// removed it, so that the recorder's O_EXCL create finds it.
	if err := os.MkdirAll(s.dir(m.RecordingID), 0o700); err != nil {
		return recorder.TrackFile{}, fmt.Errorf("recordings: add track: %w", err)
	}
	if err := s.opts.Store.AddRecordingTrack(ctx, t); err != nil {
		return recorder.TrackFile{}, fmt.Errorf("recordings: add track: %w", err)
	}
	return recorder.TrackFile{ID: id, Path: s.path(m.RecordingID, id), Key: key}, nil
}

// ownerName is the owner's display name from the live meeting, or the
// account's name for a signed-in owner; "" when neither is known.
func (s *Service) ownerName(ctx context.Context, m recorder.TrackMeta) string {
	if s.opts.Names != nil {
		if n := s.opts.Names.DisplayName(ctx, m.MeetingID, m.Owner); n != "" {
			return n
		}
	}
	if len(m.Subject) > 2 && m.Subject[:2] == "u_" {
		if u, err := s.opts.Store.UserByID(ctx, m.Subject); err == nil {
			return u.Name
		}
	}
	return ""
}

// FinishTrack records how a track file ended.
func (s *Service) FinishTrack(ctx context.Context, id string, end recorder.TrackEnd) error {
	err := s.opts.Store.FinishRecordingTrack(ctx, id, store.RecordingTrackEnd{Frames: end.Frames, Bytes: end.Bytes,
		Duration: end.Duration, Complete: end.Complete})
	if err != nil {
		return fmt.Errorf("recordings: finish track %s: %w", id, err)
	}
	return nil
}

// RecorderOpen is recorder.Open as an OpenFunc, the default.
func RecorderOpen(r io.ReaderAt, size int64, key []byte, id string) (Reader, error) {
	rd, err := recorder.Open(r, size, key, id)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return rd, nil
}

// RecorderSeal is recorder.NewSealWriter as a SealFunc, the default.
func RecorderSeal(w io.Writer, key []byte, id string) (SealWriter, error) {
	sw, err := recorder.NewSealWriter(w, key, id)
	if err != nil {
		return nil, err
	}
	return sw, nil
}
