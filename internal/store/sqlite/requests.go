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

// requestColumns are the stored columns. The subject reference and the
// notes are free text that may name a person, so they are sealed under
// the request's own key; subject_index (a blind index of the reference)
// is what finding one subject's requests uses.
const requestColumns = "id, kind, received_at, due_at, status, closed_at, subject_index, subject_sealed, notes_sealed"

// requestOwner is the key owner of one request: each request has its own
// key so that expiry can shred exactly the requests it deletes.
func requestOwner(id int64) string { return sealed.RequestOwner(id) }

// requestRow is a subject_requests row as stored (package sealed).
type requestRow = sealed.Request

// requestIndex is the blind index subject_requests.subject_index holds.
func (s *Store) requestIndex(ref string) string { return sealed.RequestIndex(s.keys, ref) }

// sealRequestText seals a request's subject reference and notes under its
// key (created on first use). It must run outside any transaction:
// creating the key writes to the database itself.
func (s *Store) sealRequestText(ctx context.Context, id int64, ref, notes string) (subject, sealedNotes []byte, err error) {
	return sealed.SealRequestText(ctx, s.keys, id, ref, notes)
}

// CreateSubjectRequest implements store.PrivacyStore. The row is inserted
// first because its key is named after the ID SQLite assigns; the sealed
// text follows at once, and the row is removed again if sealing fails.
func (s *Store) CreateSubjectRequest(ctx context.Context, r store.SubjectRequest) (store.SubjectRequest, error) {
	r.Status = store.RequestOpen
	res, err := s.db.ExecContext(ctx,
		"INSERT INTO subject_requests (kind, received_at, due_at, status, subject_index) VALUES (?, ?, ?, ?, ?)",
		r.Kind, toDB(r.ReceivedAt), toDB(r.DueAt), r.Status, s.requestIndex(r.SubjectRef))
	if err != nil {
		return store.SubjectRequest{}, mapErr("create subject request", err)
	}
	if r.ID, err = res.LastInsertId(); err != nil {
		return store.SubjectRequest{}, fmt.Errorf("create subject request: %w", err)
	}
	if err := s.storeRequestText(ctx, r.ID, r.SubjectRef, r.Notes); err != nil {
		_, undo := s.DeleteSubjectRequests(ctx, []int64{r.ID})
		return store.SubjectRequest{}, fmt.Errorf("create subject request: %w", errors.Join(err, undo))
	}
	return r, nil
}

func (s *Store) storeRequestText(ctx context.Context, id int64, ref, notes string) error {
	subject, sealedNotes, err := s.sealRequestText(ctx, id, ref, notes)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx,
		"UPDATE subject_requests SET subject_sealed = ?, notes_sealed = ? WHERE id = ?", subject, sealedNotes, id)
	return err
}

// SubjectRequests implements store.PrivacyStore.
func (s *Store) SubjectRequests(ctx context.Context, openOnly bool) ([]store.SubjectRequest, error) {
	where := ""
	if openOnly {
		where = "WHERE status = 'open'"
	}
	out, err := s.requestsWhere(ctx, where)
	return out, mapErr("subject requests", err)
}

// SubjectRequestsBySubject returns the requests whose subject reference
// is exactly ref (a subject ID), found by the blind index.
func (s *Store) SubjectRequestsBySubject(ctx context.Context, ref string) ([]store.SubjectRequest, error) {
	out, err := s.requestsWhere(ctx, "WHERE subject_index = ?", s.requestIndex(ref))
	return out, mapErr("subject requests by subject", err)
}

// requestsWhere reads the matching rows, earliest deadline first, and then
// opens them: the rows are closed before the keys are read.
func (s *Store) requestsWhere(ctx context.Context, where string, args ...any) ([]store.SubjectRequest, error) {
	var rows []requestRow
	err := s.queryEach(ctx, "SELECT "+requestColumns+" FROM subject_requests "+where+" ORDER BY due_at, id",
		args, func(r *sql.Rows) error {
			row, err := scanRequest(r)
			rows = append(rows, row)
			return err
		})
	if err != nil {
		return nil, err
	}
	out := make([]store.SubjectRequest, 0, len(rows))
	for _, row := range rows {
		sr, err := s.openRequest(ctx, row)
		if err != nil {
			return nil, fmt.Errorf("request %d: %w", row.ID, err)
		}
		out = append(out, sr)
	}
	return out, nil
}

// CloseSubjectRequest implements store.PrivacyStore. The notes are sealed
// before the update (the key exists: the request is checked first, so no
// key is made for a request that does not exist).
func (s *Store) CloseSubjectRequest(ctx context.Context, id int64, status string, at time.Time, notes string) (store.SubjectRequest, error) {
	if status != store.RequestDone && status != store.RequestRejected {
		return store.SubjectRequest{}, fmt.Errorf("close subject request: invalid status %q", status)
	}
	var open int
	err := s.db.QueryRowContext(ctx, "SELECT 1 FROM subject_requests WHERE id = ? AND status = 'open'", id).Scan(&open)
	if err != nil {
		return store.SubjectRequest{}, mapErr("close subject request", err)
	}
	sealedNotes, err := sealed.SealRequestNotes(ctx, s.keys, id, notes)
	if err != nil {
		return store.SubjectRequest{}, fmt.Errorf("close subject request: %w", err)
	}
	row, err := scanRequest(s.db.QueryRowContext(ctx,
		"UPDATE subject_requests SET status = ?, closed_at = ?, notes_sealed = ? WHERE id = ? AND status = 'open' "+
			"RETURNING "+requestColumns, status, toDB(at), sealedNotes, id))
	if err != nil {
		return store.SubjectRequest{}, mapErr("close subject request", err)
	}
	sr, err := s.openRequest(ctx, row)
	return sr, mapErr("close subject request", err)
}

// SubjectRequestIDsClosedBefore lists the requests closed (done or
// rejected) before t; open requests never expire.
func (s *Store) SubjectRequestIDsClosedBefore(ctx context.Context, t time.Time) ([]int64, error) {
	var ids []int64
	err := s.queryEach(ctx,
		"SELECT id FROM subject_requests WHERE status <> 'open' AND closed_at <> 0 AND closed_at < ? ORDER BY id",
		[]any{toDB(t)}, func(r *sql.Rows) error {
			var id int64
			err := r.Scan(&id)
			ids = append(ids, id)
			return err
		})
	return ids, mapErr("subject requests closed before", err)
}

// DeleteSubjectRequests deletes the requests and their keys in one
// transaction, so that nothing sealed for them stays readable, and then
// scrubs the WAL.
func (s *Store) DeleteSubjectRequests(ctx context.Context, ids []int64) (int, error) {
	total := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := execTx(ctx, tx, "DELETE FROM data_keys WHERE owner = ?", requestOwner(id)); err != nil {
				return err
			}
			n, err := execTx(ctx, tx, "DELETE FROM subject_requests WHERE id = ?", id)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, mapErr("delete subject requests", err)
	}
	s.scrubBestEffort(ctx)
	return total, nil
}

func scanRequest(row rowScanner) (requestRow, error) {
	var (
		r                       requestRow
		received, due, closedAt int64
		index                   sql.NullString
	)
	err := row.Scan(&r.ID, &r.Kind, &received, &due, &r.Status, &closedAt, &index, &r.SubjectSealed, &r.NotesSealed)
	if err != nil {
		return requestRow{}, err
	}
	r.ReceivedAt, r.DueAt, r.ClosedAt = fromDB(received), fromDB(due), optionalFromDB(closedAt)
	return r, nil
}

// openRequest decrypts a row's text (package sealed): a row not yet
// sealed or whose key is gone reads with empty text.
func (s *Store) openRequest(ctx context.Context, r requestRow) (store.SubjectRequest, error) {
	return r.Open(ctx, s.keys)
}
