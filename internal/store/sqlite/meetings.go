package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

// meetingColumns are the stored columns; title and passcode are sealed
// under the meeting's key (the passcode is compared after opening).
const meetingColumns = "id, title_sealed, passcode_sealed, host_id, created_at, waiting_room, join_before_host, " +
	"screen_share, max_participants, recurrence, starts_at, ends_at, signed_in_only, chat_history, chat_after, recording, e2ee, sensitive, transcription"

func meetingOwner(id string) string { return sealed.MeetingOwner(id) }

// sealedMeeting is a meeting with its title and passcode sealed.
type sealedMeeting struct {
	store.Meeting
	title, passcode []byte
}

// rowScanner is satisfied by *sql.Row and *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// CreateMeeting stores m and its co-hosts in one transaction; ErrConflict on
// a duplicate ID, ErrNotFound when the host or a co-host does not exist.
func (s *Store) CreateMeeting(ctx context.Context, m store.Meeting) error {
	sm, err := s.sealMeeting(ctx, m)
	if err != nil {
		return fmt.Errorf("create meeting: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := insertMeeting(ctx, tx, sm); err != nil {
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

// sealMeeting encrypts m's title and passcode (package sealed). It runs
// before any transaction: creating the data key writes to the database
// itself.
func (s *Store) sealMeeting(ctx context.Context, m store.Meeting) (sealedMeeting, error) {
	sm, err := sealed.SealMeeting(ctx, s.keys, m)
	if err != nil {
		return sealedMeeting{}, err
	}
	return sealedMeeting{Meeting: m, title: sm.TitleSealed, passcode: sm.PasscodeSealed}, nil
}

// openMeeting decrypts what scanMeeting read; ErrErased when the
// meeting's key was shredded.
func (s *Store) openMeeting(ctx context.Context, sm sealedMeeting) (store.Meeting, error) {
	return sealed.Meeting{Meeting: sm.Meeting, TitleSealed: sm.title, PasscodeSealed: sm.passcode}.Open(ctx, s.keys)
}

func insertMeeting(ctx context.Context, tx *sql.Tx, sm sealedMeeting) error {
	m := sm.Meeting
	_, err := tx.ExecContext(ctx,
		"INSERT INTO meetings ("+meetingColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		m.ID, sm.title, sm.passcode, m.HostID, toDB(m.CreatedAt), boolToDB(m.WaitingRoom),
		boolToDB(m.JoinBeforeHost), m.ScreenShare, m.MaxParticipants, m.Recurrence,
		optionalToDB(m.StartsAt), optionalToDB(m.EndsAt), boolToDB(m.SignedInOnly),
		boolToDB(m.ChatHistory), boolToDB(m.ChatAfter), boolToDB(m.Recording), boolToDB(m.E2EE), boolToDB(m.Sensitive),
		boolToDB(m.Transcription))
	return err
}

func scanMeeting(row rowScanner) (sealedMeeting, error) {
	var (
		sm                          sealedMeeting
		m                           = &sm.Meeting
		created, starts, ends       int64
		waitingRoom, joinBeforeHost int64
		signedInOnly, chatHistory   int64
		chatAfter, recording, e2ee  int64
		sensitive, transcription    int64
	)
	err := row.Scan(&m.ID, &sm.title, &sm.passcode, &m.HostID, &created, &waitingRoom, &joinBeforeHost,
		&m.ScreenShare, &m.MaxParticipants, &m.Recurrence, &starts, &ends, &signedInOnly,
		&chatHistory, &chatAfter, &recording, &e2ee, &sensitive, &transcription)
	if err != nil {
		return sealedMeeting{}, err
	}
	m.CreatedAt = fromDB(created)
	m.WaitingRoom = waitingRoom != 0
	m.JoinBeforeHost = joinBeforeHost != 0
	m.SignedInOnly = signedInOnly != 0
	m.ChatHistory = chatHistory != 0
	m.ChatAfter = chatAfter != 0
	m.Recording = recording != 0
	m.E2EE = e2ee != 0
	m.Sensitive = sensitive != 0
	m.Transcription = transcription != 0
	m.StartsAt = optionalFromDB(starts)
	m.EndsAt = optionalFromDB(ends)
	return sm, nil
}

// MeetingByID returns the meeting with the given (normalised) ID.
func (s *Store) MeetingByID(ctx context.Context, id string) (store.Meeting, error) {
	sm, err := scanMeeting(s.db.QueryRowContext(ctx, "SELECT "+meetingColumns+" FROM meetings WHERE id = ?", id))
	if err != nil {
		return store.Meeting{}, mapErr("meeting by id", err)
	}
	m, err := s.openMeeting(ctx, sm)
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
	var sealed []sealedMeeting
	for rows.Next() {
		sm, err := scanMeeting(rows)
		if err != nil {
			return nil, err
		}
		sealed = append(sealed, sm)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close() // opening reads data keys: do not hold this cursor meanwhile
	return s.openMeetings(ctx, sealed)
}

// openMeetings decrypts a list, leaving out meetings whose key was
// shredded: they are on their way out (erasure deletes them).
func (s *Store) openMeetings(ctx context.Context, sealed []sealedMeeting) ([]store.Meeting, error) {
	var out []store.Meeting
	for _, sm := range sealed {
		m, err := s.openMeeting(ctx, sm)
		if errors.Is(err, store.ErrErased) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
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
