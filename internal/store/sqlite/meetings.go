package sqlite

import (
	"context"
	"fmt"

	"github.com/conclave-meet/conclave/internal/store"
)

// CreateMeeting stores m; ErrConflict on a duplicate ID, ErrNotFound when
// the host does not exist.
func (s *Store) CreateMeeting(ctx context.Context, m store.Meeting) error {
	_, err := s.db.ExecContext(ctx,
		"INSERT INTO meetings (id, title, passcode, host_id, created_at) VALUES (?, ?, ?, ?, ?)",
		m.ID, m.Title, m.Passcode, m.HostID, toDB(m.CreatedAt))
	return mapErr("create meeting", err)
}

// MeetingByID returns the meeting with the given (normalised) ID.
func (s *Store) MeetingByID(ctx context.Context, id string) (store.Meeting, error) {
	var (
		m       store.Meeting
		created int64
	)
	err := s.db.QueryRowContext(ctx,
		"SELECT id, title, passcode, host_id, created_at FROM meetings WHERE id = ?", id,
	).Scan(&m.ID, &m.Title, &m.Passcode, &m.HostID, &created)
	if err != nil {
		return store.Meeting{}, mapErr("meeting by id", err)
	}
	m.CreatedAt = fromDB(created)
	return m, nil
}

// MeetingsByHost lists the host's meetings, newest first. An unknown host
// simply has none.
func (s *Store) MeetingsByHost(ctx context.Context, hostID string) ([]store.Meeting, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT id, title, passcode, host_id, created_at FROM meetings WHERE host_id = ? ORDER BY created_at DESC, id",
		hostID)
	if err != nil {
		return nil, mapErr("meetings by host", err)
	}
	defer rows.Close()
	var out []store.Meeting
	for rows.Next() {
		var (
			m       store.Meeting
			created int64
		)
		if err := rows.Scan(&m.ID, &m.Title, &m.Passcode, &m.HostID, &created); err != nil {
			return nil, fmt.Errorf("meetings by host: %w", err)
		}
		m.CreatedAt = fromDB(created)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("meetings by host: %w", err)
	}
	return out, nil
}
