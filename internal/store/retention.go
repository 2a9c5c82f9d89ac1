package store

import (
	"context"
	"time"
)

// RetentionStore keeps the retention periods hosts chose for single
// meetings (package retention validates them against the limits).
type RetentionStore interface {
	// SetMeetingRetention replaces the meeting's own periods, by category,
	// with periods; categories absent from it follow the organisation's
	// period again. ErrNotFound when the meeting does not exist.
	SetMeetingRetention(ctx context.Context, meetingID string, periods map[string]time.Duration) error
	// MeetingRetention returns the meeting's own periods (empty when none).
	MeetingRetention(ctx context.Context, meetingID string) (map[string]time.Duration, error)
	// MeetingRetentions returns, for one category, every meeting that has
	// its own period, and that period.
	MeetingRetentions(ctx context.Context, category string) (map[string]time.Duration, error)
}
