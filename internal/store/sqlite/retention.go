package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// SetMeetingRetention implements store.RetentionStore.
func (s *Store) SetMeetingRetention(ctx context.Context, meetingID string, periods map[string]time.Duration) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set meeting retention: %w", err)
	}
	defer tx.Rollback()
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM meetings WHERE id = ?`, meetingID).Scan(&one); err != nil {
		return mapErr("set meeting retention", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM meeting_retention WHERE meeting_id = ?`, meetingID); err != nil {
		return mapErr("set meeting retention", err)
	}
	for cat, d := range periods {
		if _, err := tx.ExecContext(ctx, `INSERT INTO meeting_retention (meeting_id, category, period) VALUES (?, ?, ?)`,
			meetingID, cat, int64(d/time.Second)); err != nil {
			return mapErr("set meeting retention", err)
		}
	}
	return mapErr("set meeting retention", tx.Commit())
}

// MeetingRetention implements store.RetentionStore.
func (s *Store) MeetingRetention(ctx context.Context, meetingID string) (map[string]time.Duration, error) {
	return s.retentionRows(ctx, "meeting retention",
		`SELECT category, period FROM meeting_retention WHERE meeting_id = ?`, meetingID)
}

// MeetingRetentions implements store.RetentionStore.
func (s *Store) MeetingRetentions(ctx context.Context, category string) (map[string]time.Duration, error) {
	return s.retentionRows(ctx, "meeting retentions",
		`SELECT meeting_id, period FROM meeting_retention WHERE category = ?`, category)
}

// retentionRows reads (key, period seconds) rows into a map.
func (s *Store) retentionRows(ctx context.Context, op, query string, arg string) (map[string]time.Duration, error) {
	rows, err := s.db.QueryContext(ctx, query, arg)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	out := map[string]time.Duration{}
	for rows.Next() {
		var key string
		var secs int64
		if err := rows.Scan(&key, &secs); err != nil {
			return nil, mapErr(op, err)
		}
		out[key] = time.Duration(secs) * time.Second
	}
	return out, mapErr(op, rows.Err())
}

var _ store.RetentionStore = (*Store)(nil)
