package recordings

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/conclave-meet/conclave/internal/store"
)

// Who may do what with a recording, beyond the permission table (which
// the HTTP layer checks first, by organisation role): the host of its
// meeting manages it (plays, downloads, shares, deletes, exports), as
// does a viewer with Any (privacy officers); an account it was shared
// with plays and downloads it. This is the one place that relation is
// decided.

// Viewer is the account asking.
type Viewer struct {
	AccountID string
	// Any: the permission table lets this account act on every recording
	// (authz.RecordingAny).
	Any bool
}

// Access is what a viewer may do with one recording.
type Access int

const (
	NoAccess  Access = iota
	CanView          // play and download
	CanManage        // and share, delete, export
)

// Summary is a recording as listed: its tracks (without their keys),
// shares and what the viewer may do.
type Summary struct {
	store.Recording
	Tracks    []store.RecordingTrack
	Shares    []store.RecordingShare
	Access    Access
	Exporting bool // a composite is being made
}

// access decides what v may do with r.
func (s *Service) access(ctx context.Context, v Viewer, r store.Recording) (Access, error) {
	if v.Any {
		return CanManage, nil
	}
	if v.AccountID == "" {
		return NoAccess, nil
	}
	m, err := s.opts.Store.MeetingByID(ctx, r.MeetingID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return NoAccess, fmt.Errorf("recordings: meeting: %w", err)
	}
	if err == nil && m.HostID == v.AccountID {
		return CanManage, nil
	}
	shares, err := s.opts.Store.RecordingShares(ctx, r.ID)
	if err != nil {
		return NoAccess, fmt.Errorf("recordings: shares: %w", err)
	}
	if slices.ContainsFunc(shares, func(sh store.RecordingShare) bool { return sh.AccountID == v.AccountID }) {
		return CanView, nil
	}
	return NoAccess, nil
}

// List returns the recordings v may see, newest first: every recording
// for Any, otherwise those of the meetings v hosts and those shared with v.
func (s *Service) List(ctx context.Context, v Viewer) ([]Summary, error) {
	var (
		rs  []store.Recording
		err error
	)
	if v.Any {
		rs, err = s.opts.Store.AllRecordings(ctx)
	} else {
		rs, err = s.opts.Store.RecordingsForAccount(ctx, v.AccountID)
	}
	if err != nil {
		return nil, fmt.Errorf("recordings: list: %w", err)
	}
	out := make([]Summary, 0, len(rs))
	for _, r := range rs {
		sum, err := s.summary(ctx, v, r)
		if err != nil {
			return nil, err
		}
		out = append(out, sum)
	}
	return out, nil
}

// Get returns one recording for v: store.ErrNotFound when there is none
// readable, ErrForbidden when v may not see it.
func (s *Service) Get(ctx context.Context, v Viewer, id string) (Summary, error) {
	r, err := s.recording(ctx, id)
	if err != nil {
		return Summary{}, err
	}
	sum, err := s.summary(ctx, v, r)
	if err != nil {
		return Summary{}, err
	}
	if sum.Access == NoAccess {
		return Summary{}, fmt.Errorf("recordings: %s: %w", id, ErrForbidden)
	}
	return sum, nil
}

func (s *Service) recording(ctx context.Context, id string) (store.Recording, error) {
	if !ValidRecordingID(id) {
		return store.Recording{}, fmt.Errorf("recordings: %w", store.ErrNotFound)
	}
	r, err := s.opts.Store.Recording(ctx, id)
	if err != nil {
		return store.Recording{}, fmt.Errorf("recordings: %w", err)
	}
	return r, nil
}

func (s *Service) summary(ctx context.Context, v Viewer, r store.Recording) (Summary, error) {
	acc, err := s.access(ctx, v, r)
	if err != nil || acc == NoAccess {
		return Summary{Recording: r, Access: acc}, err
	}
	tracks, err := s.opts.Store.RecordingTracks(ctx, r.ID)
	if err != nil {
		return Summary{}, fmt.Errorf("recordings: tracks: %w", err)
	}
	for i := range tracks {
		tracks[i].Key = nil // never leaves the service
	}
	sum := Summary{Recording: r, Tracks: tracks, Access: acc}
	if acc == CanManage {
		if sum.Shares, err = s.opts.Store.RecordingShares(ctx, r.ID); err != nil {
			return Summary{}, fmt.Errorf("recordings: shares: %w", err)
		}
	}
	s.mu.Lock()
	sum.Exporting = s.exporting[r.ID]
	s.mu.Unlock()
	return sum, nil
}

// manage returns the recording when v manages it.
func (s *Service) manage(ctx context.Context, v Viewer, id string) (Summary, error) {
	sum, err := s.Get(ctx, v, id)
	if err != nil {
		return Summary{}, err
	}
	if sum.Access != CanManage {
		return Summary{}, fmt.Errorf("recordings: %s: %w", id, ErrForbidden)
	}
	return sum, nil
}

// Playback is a track opened for reading in plain text. Close it.
type Playback struct {
	Track store.RecordingTrack // without its key
	Reader
	// ContentType is video/webm or audio/webm.
	ContentType string
	file        *os.File
}

// Content reads the whole plain text from the start, seekable.
func (p *Playback) Content() *io.SectionReader { return io.NewSectionReader(p.Reader, 0, p.Size()) }

// Close closes the sealed file.
func (p *Playback) Close() error { return p.file.Close() }

// OpenTrack opens a track of a recording v may view, decrypting on the
// fly: nothing is written in plain text.
func (s *Service) OpenTrack(ctx context.Context, v Viewer, recordingID, trackID string) (*Playback, error) {
	if _, err := s.Get(ctx, v, recordingID); err != nil {
		return nil, err
	}
	if !ValidTrackID(trackID) {
		return nil, fmt.Errorf("recordings: %w", store.ErrNotFound)
	}
	t, err := s.opts.Store.RecordingTrack(ctx, recordingID, trackID)
	if err != nil {
		return nil, fmt.Errorf("recordings: %w", err)
	}
	return s.openTrack(t)
}

// openTrack opens t's sealed file.
func (s *Service) openTrack(t store.RecordingTrack) (*Playback, error) {
	f, err := os.Open(s.path(t.RecordingID, t.ID))
	if err != nil {
		return nil, fmt.Errorf("recordings: open %s: %w", t.ID, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("recordings: open %s: %w", t.ID, err)
	}
	r, err := s.opts.Open(f, info.Size(), t.Key, t.ID)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("recordings: open %s: %w", t.ID, err)
	}
	ct := "video/webm"
	if t.Kind == store.TrackAudio {
		ct = "audio/webm"
	}
	t.Key = nil
	return &Playback{Track: t, Reader: r, ContentType: ct, file: f}, nil
}

// Share shares a recording v manages with accounts (IDs), by v.
// store.ErrNotFound when an account does not exist or was erased.
func (s *Service) Share(ctx context.Context, v Viewer, recordingID string, accounts []string) error {
	if _, err := s.manage(ctx, v, recordingID); err != nil {
		return err
	}
	for _, a := range accounts {
		if _, err := s.opts.Store.UserByID(ctx, a); err != nil {
			return fmt.Errorf("recordings: share with %s: %w", a, err)
		}
	}
	for _, a := range accounts {
		if err := s.opts.Store.ShareRecording(ctx, store.RecordingShare{RecordingID: recordingID, AccountID: a,
			SharedBy: v.AccountID, SharedAt: s.opts.Now().UTC()}); err != nil {
			return fmt.Errorf("recordings: share: %w", err)
		}
	}
	return nil
}

// Unshare withdraws a share of a recording v manages.
func (s *Service) Unshare(ctx context.Context, v Viewer, recordingID, account string) error {
	if _, err := s.manage(ctx, v, recordingID); err != nil {
		return err
	}
	if err := s.opts.Store.UnshareRecording(ctx, recordingID, account); err != nil {
		return fmt.Errorf("recordings: unshare: %w", err)
	}
	return nil
}

// Delete deletes a recording v manages, files and rows; ErrActive while
// it runs (stop it first).
func (s *Service) Delete(ctx context.Context, v Viewer, recordingID string) error {
	sum, err := s.manage(ctx, v, recordingID)
	if err != nil {
		return err
	}
	if s.isActive(recordingID) || sum.State == store.RecordingActive {
		return ErrActive
	}
	_, err = s.DeleteRecordings(ctx, []string{recordingID})
	return err
}
