package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

// meetingColumns are the stored columns; title and passcode are sealed
// (package sealed).
const meetingColumns = "id, title_sealed, passcode_sealed, host_id, created_at, waiting_room, join_before_host, " +
	"screen_share, max_participants, recurrence, starts_at, ends_at, signed_in_only, chat_history, chat_after, recording, e2ee, sensitive, transcription"

// CreateMeeting stores m and its co-hosts in one transaction; ErrConflict
// on a duplicate ID, ErrNotFound when the host or a co-host does not exist.
func (s *Store) CreateMeeting(ctx context.Context, m store.Meeting) error {
	sm, err := sealed.SealMeeting(ctx, s.keys, m)
	if err != nil {
		return fmt.Errorf("create meeting: %w", err)
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx,
			"INSERT INTO meetings ("+meetingColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
			m.ID, sm.TitleSealed, sm.PasscodeSealed, m.HostID, toDB(m.CreatedAt), m.WaitingRoom,
			m.JoinBeforeHost, m.ScreenShare, m.MaxParticipants, m.Recurrence,
			optionalToDB(m.StartsAt), optionalToDB(m.EndsAt), m.SignedInOnly,
			m.ChatHistory, m.ChatAfter, m.Recording, m.E2EE, m.Sensitive, m.Transcription)
		if err != nil {
			return err
		}
		for _, id := range m.Cohosts {
			if _, err := tx.Exec(ctx, "INSERT INTO meeting_cohosts (meeting_id, user_id) VALUES ($1, $2)", m.ID, id); err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr("create meeting", err)
}

func scanMeeting(row pgx.Row) (sealed.Meeting, error) {
	var (
		sm                    sealed.Meeting
		m                     = &sm.Meeting
		created, starts, ends int64
	)
	err := row.Scan(&m.ID, &sm.TitleSealed, &sm.PasscodeSealed, &m.HostID, &created, &m.WaitingRoom, &m.JoinBeforeHost,
		&m.ScreenShare, &m.MaxParticipants, &m.Recurrence, &starts, &ends, &m.SignedInOnly,
		&m.ChatHistory, &m.ChatAfter, &m.Recording, &m.E2EE, &m.Sensitive, &m.Transcription)
	if err != nil {
		return sealed.Meeting{}, err
	}
	m.CreatedAt, m.StartsAt, m.EndsAt = fromDB(created), optionalFromDB(starts), optionalFromDB(ends)
	return sm, nil
}

// MeetingByID returns the meeting with the given (normalised) ID.
func (s *Store) MeetingByID(ctx context.Context, id string) (store.Meeting, error) {
	sm, err := scanMeeting(s.pool.QueryRow(ctx, "SELECT "+meetingColumns+" FROM meetings WHERE id = $1", id))
	if err != nil {
		return store.Meeting{}, mapErr("meeting by id", err)
	}
	m, err := sm.Open(ctx, s.keys)
	if err != nil {
		return store.Meeting{}, mapErr("meeting by id", err)
	}
	cohosts, err := s.cohosts(ctx, "WHERE meeting_id = $1", id)
	if err != nil {
		return store.Meeting{}, mapErr("meeting by id", err)
	}
	m.Cohosts = cohosts[m.ID]
	return m, nil
}

// MeetingsByHost lists the host's meetings, newest first, leaving out
// those whose key was shredded (on their way out). An unknown host simply
// has none.
func (s *Store) MeetingsByHost(ctx context.Context, hostID string) ([]store.Meeting, error) {
	rows, err := s.pool.Query(ctx,
		"SELECT "+meetingColumns+" FROM meetings WHERE host_id = $1 ORDER BY created_at DESC, id COLLATE \"C\"", hostID)
	if err != nil {
		return nil, mapErr("meetings by host", err)
	}
	sealedRows, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sealed.Meeting, error) { return scanMeeting(r) })
	if err != nil {
		return nil, mapErr("meetings by host", err)
	}
	cohosts, err := s.cohosts(ctx, "WHERE meeting_id IN (SELECT id FROM meetings WHERE host_id = $1)", hostID)
	if err != nil {
		return nil, mapErr("meetings by host", err)
	}
	var out []store.Meeting
	for _, sm := range sealedRows {
		m, err := sm.Open(ctx, s.keys)
		if errors.Is(err, store.ErrErased) {
			continue
		}
		if err != nil {
			return nil, mapErr("meetings by host", err)
		}
		m.Cohosts = cohosts[m.ID]
		out = append(out, m)
	}
	return out, nil
}

// cohosts maps meeting IDs to their co-hosts for the meetings that where
// selects, in the order they were given (the position column).
func (s *Store) cohosts(ctx context.Context, where string, args ...any) (map[string][]string, error) {
	rows, err := s.pool.Query(ctx, "SELECT meeting_id, user_id FROM meeting_cohosts "+where+" ORDER BY position", args...)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	var meetingID, userID string
	_, err = pgx.ForEachRow(rows, []any{&meetingID, &userID}, func() error {
		out[meetingID] = append(out[meetingID], userID)
		return nil
	})
	return out, err
}

// SetMeetingPasscode replaces the meeting's passcode, sealed under the
// meeting's key like the original. ErrNotFound when there is no such
// meeting (checked before sealing, which would create a key for it).
func (s *Store) SetMeetingPasscode(ctx context.Context, id, passcode string) error {
	if err := s.requireMeeting(ctx, id); err != nil {
		return mapErr("set meeting passcode", err)
	}
	sealedPasscode, err := sealed.SealPasscode(ctx, s.keys, id, passcode)
	if err != nil {
		return fmt.Errorf("set meeting passcode: %w", err)
	}
	n, err := s.execCount(ctx, "set meeting passcode", "UPDATE meetings SET passcode_sealed = $1 WHERE id = $2", sealedPasscode, id)
	if err == nil && n == 0 { // deleted between the check and the update
		return fmt.Errorf("set meeting passcode: %w", store.ErrNotFound)
	}
	return err
}

// requireMeeting returns ErrNotFound unless the meeting exists.
func (s *Store) requireMeeting(ctx context.Context, id string) error {
	var one int
	return s.pool.QueryRow(ctx, "SELECT 1 FROM meetings WHERE id = $1", id).Scan(&one)
}

// AddMeetingBan bars subject from the meeting; a repeated ban keeps the
// first one's time. ErrNotFound when the meeting does not exist.
func (s *Store) AddMeetingBan(ctx context.Context, meetingID, kind, subject string, at time.Time) error {
	if err := checkBan(kind, subject); err != nil {
		return fmt.Errorf("add meeting ban: %w", err)
	}
	_, err := s.pool.Exec(ctx,
		"INSERT INTO meeting_bans (meeting_id, kind, subject, created_at) VALUES ($1, $2, $3, $4) "+
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
	err := s.pool.QueryRow(ctx,
		"SELECT EXISTS (SELECT 1 FROM meeting_bans WHERE meeting_id = $1 AND kind = $2 AND subject = $3)",
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

// SetMeetingRetention implements store.RetentionStore.
func (s *Store) SetMeetingRetention(ctx context.Context, meetingID string, periods map[string]time.Duration) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, "SELECT 1 FROM meetings WHERE id = $1 FOR UPDATE", meetingID).Scan(&one); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM meeting_retention WHERE meeting_id = $1", meetingID); err != nil {
			return err
		}
		for cat, d := range periods {
			if _, err := tx.Exec(ctx, "INSERT INTO meeting_retention (meeting_id, category, period) VALUES ($1, $2, $3)",
				meetingID, cat, int64(d/time.Second)); err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr("set meeting retention", err)
}

// MeetingRetention implements store.RetentionStore.
func (s *Store) MeetingRetention(ctx context.Context, meetingID string) (map[string]time.Duration, error) {
	return s.retentionRows(ctx, "meeting retention",
		"SELECT category, period FROM meeting_retention WHERE meeting_id = $1", meetingID)
}

// MeetingRetentions implements store.RetentionStore.
func (s *Store) MeetingRetentions(ctx context.Context, category string) (map[string]time.Duration, error) {
	return s.retentionRows(ctx, "meeting retentions",
		"SELECT meeting_id, period FROM meeting_retention WHERE category = $1", category)
}

// retentionRows reads (key, period seconds) rows into a map.
func (s *Store) retentionRows(ctx context.Context, op, query, arg string) (map[string]time.Duration, error) {
	rows, err := s.pool.Query(ctx, query, arg)
	if err != nil {
		return nil, mapErr(op, err)
	}
	out := map[string]time.Duration{}
	var (
		key  string
		secs int64
	)
	_, err = pgx.ForEachRow(rows, []any{&key, &secs}, func() error {
		out[key] = time.Duration(secs) * time.Second
		return nil
	})
	return out, mapErr(op, err)
}

var _ store.RetentionStore = (*Store)(nil)
