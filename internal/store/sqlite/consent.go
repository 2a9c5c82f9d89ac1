package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// AddNotice stores n as the next version. One statement computes the
// version and inserts, so two publishers cannot get the same number.
func (s *Store) AddNotice(ctx context.Context, n store.Notice) (store.Notice, error) {
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO notices (version, markdown, created_at, created_by)
		 SELECT coalesce(max(version), 0) + 1, ?, ?, ? FROM notices RETURNING version`,
		n.Markdown, toDB(n.CreatedAt), n.CreatedBy).Scan(&n.Version)
	if err != nil {
		return store.Notice{}, mapErr("add notice", err)
	}
	n.CreatedAt = fromDB(toDB(n.CreatedAt))
	return n, nil
}

const noticeColumns = "version, markdown, created_at, created_by"

func scanNotice(row rowScanner) (store.Notice, error) {
	var (
		n       store.Notice
		created int64
	)
	if err := row.Scan(&n.Version, &n.Markdown, &created, &n.CreatedBy); err != nil {
		return store.Notice{}, err
	}
	n.CreatedAt = fromDB(created)
	return n, nil
}

// CurrentNotice returns the highest version.
func (s *Store) CurrentNotice(ctx context.Context) (store.Notice, error) {
	n, err := scanNotice(s.db.QueryRowContext(ctx,
		"SELECT "+noticeColumns+" FROM notices ORDER BY version DESC LIMIT 1"))
	return n, mapErr("current notice", err)
}

// Notices returns every version, newest first.
func (s *Store) Notices(ctx context.Context) ([]store.Notice, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+noticeColumns+" FROM notices ORDER BY version DESC")
	if err != nil {
		return nil, mapErr("list notices", err)
	}
	defer rows.Close()
	var out []store.Notice
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return nil, mapErr("list notices", err)
		}
		out = append(out, n)
	}
	return out, mapErr("list notices", rows.Err())
}

// AddConsent appends c to the ledger.
func (s *Store) AddConsent(ctx context.Context, c store.Consent) (store.Consent, error) {
	c, err := insertConsent(ctx, s.db, c)
	return c, mapErr("add consent", err)
}

// insertConsent appends c through q, a database or a transaction.
func insertConsent(ctx context.Context, q querier, c store.Consent) (store.Consent, error) {
	err := q.QueryRowContext(ctx,
		`INSERT INTO consents (subject_id, kind, version, meeting_id, given_at, withdrawn_at)
		 VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		c.SubjectID, c.Kind, c.Version, nullIfEmpty(c.MeetingID), toDB(c.GivenAt), nullIfZeroTime(c.WithdrawnAt)).Scan(&c.ID)
	if err != nil {
		return store.Consent{}, err
	}
	c.GivenAt = fromDB(toDB(c.GivenAt))
	if !c.WithdrawnAt.IsZero() {
		c.WithdrawnAt = fromDB(toDB(c.WithdrawnAt))
	}
	return c, nil
}

// WithdrawConsent marks the subject's standing consents of kind withdrawn.
func (s *Store) WithdrawConsent(ctx context.Context, subjectID, kind, meetingID string, at time.Time) (int, error) {
	n, err := withdrawConsent(ctx, s.db, subjectID, kind, meetingID, at)
	return n, mapErr("withdraw consent", err)
}

// withdrawConsent runs the withdrawal through q, a database or a
// transaction.
func withdrawConsent(ctx context.Context, q querier, subjectID, kind, meetingID string, at time.Time) (int, error) {
	res, err := q.ExecContext(ctx,
		`UPDATE consents SET withdrawn_at = ?
		 WHERE subject_id = ? AND kind = ? AND withdrawn_at IS NULL AND (? = '' OR meeting_id = ?)`,
		toDB(at), subjectID, kind, meetingID, meetingID)
	if err != nil {
		return 0, err
	}
	return rowsChanged("withdraw consent", res)
}

// ConsentsBySubject returns the subject's entries, oldest first.
func (s *Store) ConsentsBySubject(ctx context.Context, subjectID string) ([]store.Consent, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, subject_id, kind, version, meeting_id, given_at, withdrawn_at
		 FROM consents WHERE subject_id = ? ORDER BY id`, subjectID)
	if err != nil {
		return nil, mapErr("list consents", err)
	}
	defer rows.Close()
	var out []store.Consent
	for rows.Next() {
		c, err := scanConsent(rows)
		if err != nil {
			return nil, mapErr("list consents", err)
		}
		out = append(out, c)
	}
	return out, mapErr("list consents", rows.Err())
}

func scanConsent(row rowScanner) (store.Consent, error) {
	var (
		c         store.Consent
		meeting   sql.NullString
		given     int64
		withdrawn sql.NullInt64
	)
	if err := row.Scan(&c.ID, &c.SubjectID, &c.Kind, &c.Version, &meeting, &given, &withdrawn); err != nil {
		return store.Consent{}, err
	}
	c.MeetingID = meeting.String
	c.GivenAt = fromDB(given)
	if withdrawn.Valid {
		c.WithdrawnAt = fromDB(withdrawn.Int64)
	}
	return c, nil
}

// DeleteConsentsBefore deletes entries given before t.
func (s *Store) DeleteConsentsBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, "DELETE FROM consents WHERE given_at < ?", toDB(t))
	if err != nil {
		return 0, mapErr("delete consents", err)
	}
	return rowsChanged("delete consents", res)
}

func rowsChanged(op string, res sql.Result) (int, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	return int(n), nil
}

// nullIfEmpty stores "" as NULL (meeting_id is NULL when not tied to one).
func nullIfEmpty(v string) sql.NullString { return sql.NullString{String: v, Valid: v != ""} }

// nullIfZeroTime stores the zero time as NULL.
func nullIfZeroTime(t time.Time) sql.NullInt64 {
	return sql.NullInt64{Int64: toDB(t), Valid: !t.IsZero()}
}
