package recordings

import (
	"context"
	"errors"
	"fmt"

	"github.com/conclave-meet/conclave/internal/store"
)

// MeetingAccess is what v may do with a meeting's recorded material as a
// whole, such as its stored transcripts (docs/transcripts.md): exactly
// those who may see one of its recordings. A viewer with Any and the
// meeting's host manage it; an account one of its recordings was shared
// with views it; anyone else, and a meeting that does not exist, gets
// NoAccess.
func (s *Service) MeetingAccess(ctx context.Context, v Viewer, meetingID string) (Access, error) {
	if v.Any {
		return CanManage, nil
	}
	if v.AccountID == "" {
		return NoAccess, nil
	}
	m, err := s.opts.Store.MeetingByID(ctx, meetingID)
	if errors.Is(err, store.ErrNotFound) {
		return NoAccess, nil
	}
	if err != nil {
		return NoAccess, fmt.Errorf("recordings: meeting: %w", err)
	}
	if m.HostID == v.AccountID {
		return CanManage, nil
	}
	// The recordings of meetings v hosts and those shared with v; v hosts
	// not this one, so any of its recordings listed was shared with v.
	rs, err := s.opts.Store.RecordingsForAccount(ctx, v.AccountID)
	if err != nil {
		return NoAccess, fmt.Errorf("recordings: shared: %w", err)
	}
	for _, r := range rs {
		if r.MeetingID == meetingID {
			return CanView, nil
		}
	}
	return NoAccess, nil
}
