package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

const meetingColumns = "id, title, passcode, host_id, created_at, waiting_room, join_before_host, " +
	"screen_share, max_participants, recurrence, starts_at, ends_at"

// rowScanner is satisfied by *sql.Row and *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// CreateMeeting stores m and its co-hosts in one transaction; ErrConflict on
// a duplicate ID, ErrNotFound when the host or a co-host does not exist.
func (s *Store) CreateMeeting(ctx context.Context, m store.Meeting) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := insertMeeting(ctx, tx, m); err != nil {
			return err
		}
		for _, id := range m.Cohosts {
			if _, err := tx.ExecContext(ctx,
				"INSERT INTO meeting_cohosts (meeting_id, user_id) VALUES (?, ?)", m.ID, id); err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr("create meeting", err)
}

func insertMeeting(ctx context.Context, tx *sql.Tx, m store.Meeting) error {
	_, err := tx.ExecContext(ctx,
		"INSERT INTO meetings ("+meetingColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		m.ID, m.Title, m.Passcode, m.HostID, toDB(m.CreatedAt), boolToDB(m.WaitingRoom),
		boolToDB(m.JoinBeforeHost), m.ScreenShare, m.MaxParticipants, m.Recurrence,
		optionalToDB(m.StartsAt), optionalToDB(m.EndsAt))
	return err
}

func scanMeeting(row rowScanner) (store.Meeting, error) {
	var (
		m                           store.Meeting
		created, starts, ends       int64
		waitingRoom, joinBeforeHost int64
	)
	err := row.Scan(&m.ID, &m.Title, &m.Passcode, &m.HostID, &created, &waitingRoom, &joinBeforeHost,
		&m.ScreenShare, &m.MaxParticipants, &m.Recurrence, &starts, &ends)
	if err != nil {
		return store.Meeting{}, err
	}
	m.CreatedAt = fromDB(created)
	m.WaitingRoom = waitingRoom != 0
	m.JoinBeforeHost = joinBeforeHost != 0
	m.StartsAt = optionalFromDB(starts)
	m.EndsAt = optionalFromDB(ends)
	return m, nil
}

// MeetingByID returns the meeting with the given (normalised) ID.
func (s *Store) MeetingByID(ctx context.Context, id string) (store.Meeting, error) {
	m, err := scanMeeting(s.db.QueryRowContext(ctx, "SELECT "+meetingColumns+" FROM meetings WHERE id = ?", id))
	if err != nil {
		return store.Meeting{}, mapErr("meeting by id", err)
	}
	cohosts, err := s.cohosts(ctx, "WHERE meeting_id = ?", id)
	if err != nil {
		return store.Meeting{}, mapErr("meeting by id", err)
	}
	m.Cohosts = cohosts[m.ID]
	return m, nil
}

// MeetingsByHost lists the host's meetings, newest first. An unknown host
// simply has none.
func (s *Store) MeetingsByHost(ctx context.Context, hostID string) ([]store.Meeting, error) {
	out, err := s.listByHost(ctx, hostID)
	if err != nil {
		return nil, mapErr("meetings by host", err)
	}
	cohosts, err := s.cohosts(ctx,
		"WHERE meeting_id IN (SELECT id FROM meetings WHERE host_id = ?)", hostID)
	if err != nil {
		return nil, mapErr("meetings by host", err)
	}
	for i := range out {
		out[i].Cohosts = cohosts[out[i].ID]
	}
	return out, nil
}

func (s *Store) listByHost(ctx context.Context, hostID string) ([]store.Meeting, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT "+meetingColumns+" FROM meetings WHERE host_id = ? ORDER BY created_at DESC, id", hostID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Meeting
	for rows.Next() {
		m, err := scanMeeting(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// cohosts maps meeting IDs to their co-hosts for the meetings that where
// selects. Rowid order is insertion order, so co-hosts come back in the
// order they were given.
func (s *Store) cohosts(ctx context.Context, where string, args ...any) (map[string][]string, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT meeting_id, user_id FROM meeting_cohosts "+where+" ORDER BY rowid", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var meetingID, userID string
		if err := rows.Scan(&meetingID, &userID); err != nil {
			return nil, err
		}
		out[meetingID] = append(out[meetingID], userID)
	}
	return out, rows.Err()
}

// AddMeetingBan bars subject from the meeting; a repeated ban keeps the
// first one's time. ErrNotFound when the meeting does not exist.
func (s *Store) AddMeetingBan(ctx context.Context, meetingID, kind, subject string, at time.Time) error {
	if err := checkBan(kind, subject); err != nil {
		return fmt.Errorf("add meeting ban: %w", err)
	}
	_, err := s.db.ExecContext(ctx,
		"INSERT INTO meeting_bans (meeting_id, kind, subject, created_at) VALUES (?, ?, ?, ?) "+
			"ON CONFLICT (meeting_id, kind, subject) DO NOTHING",
		meetingID, kind, subject, toDB(at))
	return mapErr("add meeting ban", err)
}

// MeetingBanned reports whether subject is banned from the meeting.
func (s *Store) MeetingBanned(ctx context.Context, meetingID, kind, subject string) (bool, error) {
	if err := checkBan(kind, subject); err != nil {
		return false, fmt.Errorf("meeting banned: %w", err)
	}
	var banned bool
	err := s.db.QueryRowContext(ctx,
		"SELECT EXISTS (SELECT 1 FROM meeting_bans WHERE meeting_id = ? AND kind = ? AND subject = ?)",
		meetingID, kind, subject).Scan(&banned)
	return banned, mapErr("meeting banned", err)
}

// checkBan refuses what the schema would, with a clearer message.
func checkBan(kind, subject string) error {
	if kind != store.BanUser && kind != store.BanDevice {
		return fmt.Errorf("invalid ban kind %q", kind)
	}
	if subject == "" {
		return errors.New("empty ban subject")
	}
	return nil
}

func boolToDB(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// optionalToDB stores the zero time as 0, so "not set" round-trips; the
// zero time's UnixNano would overflow.
func optionalToDB(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return toDB(t)
}

func optionalFromDB(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return fromDB(n)
}
