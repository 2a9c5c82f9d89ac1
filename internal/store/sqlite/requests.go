package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

const requestColumns = "id, kind, subject_ref, received_at, due_at, status, closed_at, notes"

// CreateSubjectRequest implements store.PrivacyStore.
func (s *Store) CreateSubjectRequest(ctx context.Context, r store.SubjectRequest) (store.SubjectRequest, error) {
	r.Status = store.RequestOpen
	res, err := s.db.ExecContext(ctx,
		"INSERT INTO subject_requests (kind, subject_ref, received_at, due_at, status, notes) VALUES (?, ?, ?, ?, ?, ?)",
		r.Kind, r.SubjectRef, toDB(r.ReceivedAt), toDB(r.DueAt), r.Status, r.Notes)
	if err != nil {
		return store.SubjectRequest{}, mapErr("create subject request", err)
	}
	if r.ID, err = res.LastInsertId(); err != nil {
		return store.SubjectRequest{}, fmt.Errorf("create subject request: %w", err)
	}
	return r, nil
}

// SubjectRequests implements store.PrivacyStore.
func (s *Store) SubjectRequests(ctx context.Context, openOnly bool) ([]store.SubjectRequest, error) {
	q := "SELECT " + requestColumns + " FROM subject_requests"
	if openOnly {
		q += " WHERE status = 'open'"
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY due_at, id")
	if err != nil {
		return nil, mapErr("subject requests", err)
	}
	defer rows.Close()
	var out []store.SubjectRequest
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("subject requests: %w", err)
		}
		out = append(out, r)
	}
	return out, mapErr("subject requests", rows.Err())
}

// CloseSubjectRequest implements store.PrivacyStore.
func (s *Store) CloseSubjectRequest(ctx context.Context, id int64, status string, at time.Time, notes string) (store.SubjectRequest, error) {
	if status != store.RequestDone && status != store.RequestRejected {
		return store.SubjectRequest{}, fmt.Errorf("close subject request: invalid status %q", status)
	}
	r, err := scanRequest(s.db.QueryRowContext(ctx,
		"UPDATE subject_requests SET status = ?, closed_at = ?, notes = ? WHERE id = ? AND status = 'open' "+
			"RETURNING "+requestColumns, status, toDB(at), notes, id))
	return r, mapErr("close subject request", err)
}

func scanRequest(row rowScanner) (store.SubjectRequest, error) {
	var (
		r                       store.SubjectRequest
		received, due, closedAt int64
	)
	if err := row.Scan(&r.ID, &r.Kind, &r.SubjectRef, &received, &due, &r.Status, &closedAt, &r.Notes); err != nil {
		return store.SubjectRequest{}, err
	}
	r.ReceivedAt, r.DueAt, r.ClosedAt = fromDB(received), fromDB(due), optionalFromDB(closedAt)
	return r, nil
}
