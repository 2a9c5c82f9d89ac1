package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/conclave-meet/conclave/internal/crypt"
	"github.com/conclave-meet/conclave/internal/store"
)

// Option configures Open.
type Option func(*options)

type options struct {
	keySource crypt.Source
}

// WithKeySource says where the master keys come from (the data dir and the
// environment the server was given).
func WithKeySource(src crypt.Source) Option {
	return func(o *options) { o.keySource = src }
}

// Keyring is the store's keyring: for shredding, rotation and key status.
func (s *Store) Keyring() *crypt.Keyring { return s.keys }

// initEncryption loads the keyring and seals what migration 00005 left in
// plain text.
func (s *Store) initEncryption(ctx context.Context, src crypt.Source) error {
	keys, err := crypt.NewKeyring(ctx, s, src)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	s.keys = keys
	if err := s.convertPlaintext(ctx); err != nil {
		return fmt.Errorf("open database: encrypt existing data: %w", err)
	}
	return nil
}

// convertPlaintext seals the rows migrations 00005 and 00011 set aside, one row per
// transaction, deleting each plain-text row as it is sealed; an
// interrupted conversion resumes on the next Open. When it converted
// anything it scrubs the files, whose free pages and WAL frames would
// otherwise keep the old plain text.
func (s *Store) convertPlaintext(ctx context.Context) error {
	users, err := s.convertUsers(ctx)
	if err != nil {
		return err
	}
	meetings, err := s.convertMeetings(ctx)
	if err != nil {
		return err
	}
	requests, err := s.convertRequests(ctx)
	if err != nil {
		return err
	}
	if users+meetings+requests == 0 {
		return nil
	}
	return s.ScrubDeleted(ctx)
}

type plainUser struct{ id, email, name string }

func (s *Store) convertUsers(ctx context.Context) (int, error) {
	var pending []plainUser
	err := s.queryEach(ctx, "SELECT id, email, name FROM users_plaintext", nil, func(r *sql.Rows) error {
		var u plainUser
		if err := r.Scan(&u.id, &u.email, &u.name); err != nil {
			return err
		}
		pending = append(pending, u)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("users: %w", err)
	}
	for _, u := range pending {
		if err := s.convertUser(ctx, u); err != nil {
			return 0, fmt.Errorf("user %s: %w", u.id, err)
		}
	}
	return len(pending), nil
}

func (s *Store) convertUser(ctx context.Context, u plainUser) error {
	r, err := s.sealUser(ctx, store.User{ID: u.id, Email: u.email, Name: u.name})
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx,
			"UPDATE users SET email_index = ?, email_sealed = ?, name_sealed = ? WHERE id = ?",
			r.EmailIndex, r.Email, r.Name, u.id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM users_plaintext WHERE id = ?", u.id)
		return err
	})
}

type plainMeeting struct{ id, title, passcode string }

func (s *Store) convertMeetings(ctx context.Context) (int, error) {
	var pending []plainMeeting
	err := s.queryEach(ctx, "SELECT id, title, passcode FROM meetings_plaintext", nil, func(r *sql.Rows) error {
		var m plainMeeting
		if err := r.Scan(&m.id, &m.title, &m.passcode); err != nil {
			return err
		}
		pending = append(pending, m)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("meetings: %w", err)
	}
	for _, m := range pending {
		if err := s.convertMeeting(ctx, m); err != nil {
			return 0, fmt.Errorf("meeting %s: %w", m.id, err)
		}
	}
	return len(pending), nil
}

func (s *Store) convertMeeting(ctx context.Context, m plainMeeting) error {
	sm, err := s.sealMeeting(ctx, store.Meeting{ID: m.id, Title: m.title, Passcode: m.passcode})
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx,
			"UPDATE meetings SET title_sealed = ?, passcode_sealed = ? WHERE id = ?",
			sm.title, sm.passcode, m.id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM meetings_plaintext WHERE id = ?", m.id)
		return err
	})
}

type plainRequest struct {
	id         int64
	ref, notes string
}

// convertRequests seals the subject references and notes migration 00011
// moved out of subject_requests.
func (s *Store) convertRequests(ctx context.Context) (int, error) {
	var pending []plainRequest
	err := s.queryEach(ctx, "SELECT id, subject_ref, notes FROM subject_requests_plaintext", nil, func(r *sql.Rows) error {
		var p plainRequest
		err := r.Scan(&p.id, &p.ref, &p.notes)
		pending = append(pending, p)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("subject requests: %w", err)
	}
	for _, p := range pending {
		if err := s.convertRequest(ctx, p); err != nil {
			return 0, fmt.Errorf("subject request %d: %w", p.id, err)
		}
	}
	return len(pending), nil
}

func (s *Store) convertRequest(ctx context.Context, p plainRequest) error {
	subject, notes, err := s.sealRequestText(ctx, p.id, p.ref, p.notes)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx,
			"UPDATE subject_requests SET subject_index = ?, subject_sealed = ?, notes_sealed = ? WHERE id = ?",
			s.requestIndex(p.ref), subject, notes, p.id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM subject_requests_plaintext WHERE id = ?", p.id)
		return err
	})
}

// queryEach calls fn for every row of query, then closes the rows before
// returning, so that fn's caller can write afterwards.
func (s *Store) queryEach(ctx context.Context, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
