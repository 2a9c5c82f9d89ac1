package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

// requestColumns are the stored columns. The subject reference and the
// notes are sealed under the request's own key (package sealed);
// subject_index, a blind index of the reference, finds one subject's
// requests.
const requestColumns = "id, kind, received_at, due_at, status, closed_at, subject_index, subject_sealed, notes_sealed"

// CreateSubjectRequest implements store.PrivacyStore. The ID is taken
// from the table's sequence first, so that the text is sealed under the
// request's key before the row exists and one INSERT stores it all (no
// row is ever left unsealed).
func (s *Store) CreateSubjectRequest(ctx context.Context, r store.SubjectRequest) (store.SubjectRequest, error) {
	r.Status = store.RequestOpen
	err := s.pool.QueryRow(ctx, "SELECT nextval(pg_get_serial_sequence('subject_requests', 'id'))").Scan(&r.ID)
	if err != nil {
		return store.SubjectRequest{}, mapErr("create subject request", err)
	}
	subject, notes, err := sealed.SealRequestText(ctx, s.keys, r.ID, r.SubjectRef, r.Notes)
	if err != nil {
		return store.SubjectRequest{}, fmt.Errorf("create subject request: %w", err)
	}
	_, err = s.pool.Exec(ctx, "INSERT INTO subject_requests (id, kind, received_at, due_at, status, subject_index, "+
		"subject_sealed, notes_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		r.ID, r.Kind, toDB(r.ReceivedAt), toDB(r.DueAt), r.Status, sealed.RequestIndex(s.keys, r.SubjectRef), subject, notes)
	if err != nil {
		_ = s.keys.Shred(ctx, sealed.RequestOwner(r.ID)) // its key owns nothing
		return store.SubjectRequest{}, mapErr("create subject request", err)
	}
	r.ReceivedAt, r.DueAt = fromDB(toDB(r.ReceivedAt)), fromDB(toDB(r.DueAt))
	return r, nil
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
	out, err := s.requestsWhere(ctx, "WHERE subject_index = $1", sealed.RequestIndex(s.keys, ref))
	return out, mapErr("subject requests by subject", err)
}

// requestsWhere reads the matching rows, earliest deadline first, and
// opens them.
func (s *Store) requestsWhere(ctx context.Context, where string, args ...any) ([]store.SubjectRequest, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+requestColumns+" FROM subject_requests "+where+" ORDER BY due_at, id", args...)
	if err != nil {
		return nil, err
	}
	sealedRows, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sealed.Request, error) { return scanRequest(r) })
	if err != nil {
		return nil, err
	}
	out := make([]store.SubjectRequest, 0, len(sealedRows))
	for _, row := range sealedRows {
		sr, err := row.Open(ctx, s.keys)
		if err != nil {
			return nil, fmt.Errorf("request %d: %w", row.ID, err)
		}
		out = append(out, sr)
	}
	return out, nil
}

func scanRequest(row pgx.Row) (sealed.Request, error) {
	var (
		r                       sealed.Request
		received, due, closedAt int64
		index                   *string
	)
	err := row.Scan(&r.ID, &r.Kind, &received, &due, &r.Status, &closedAt, &index, &r.SubjectSealed, &r.NotesSealed)
	if err != nil {
		return sealed.Request{}, err
	}
	r.ReceivedAt, r.DueAt, r.ClosedAt = fromDB(received), fromDB(due), optionalFromDB(closedAt)
	return r, nil
}

// CloseSubjectRequest implements store.PrivacyStore. The notes are sealed
// before the update; the request is checked first, so that no key is made
// for a request that does not exist.
func (s *Store) CloseSubjectRequest(ctx context.Context, id int64, status string, at time.Time, notes string) (store.SubjectRequest, error) {
	if status != store.RequestDone && status != store.RequestRejected {
		return store.SubjectRequest{}, fmt.Errorf("close subject request: invalid status %q", status)
	}
	var open int
	if err := s.pool.QueryRow(ctx, "SELECT 1 FROM subject_requests WHERE id = $1 AND status = 'open'", id).Scan(&open); err != nil {
		return store.SubjectRequest{}, mapErr("close subject request", err)
	}
	sealedNotes, err := sealed.SealRequestNotes(ctx, s.keys, id, notes)
	if err != nil {
		return store.SubjectRequest{}, fmt.Errorf("close subject request: %w", err)
	}
	row, err := scanRequest(s.pool.QueryRow(ctx,
		"UPDATE subject_requests SET status = $1, closed_at = $2, notes_sealed = $3 WHERE id = $4 AND status = 'open' "+
			"RETURNING "+requestColumns, status, toDB(at), sealedNotes, id))
	if err != nil {
		return store.SubjectRequest{}, mapErr("close subject request", err)
	}
	sr, err := row.Open(ctx, s.keys)
	return sr, mapErr("close subject request", err)
}

// SubjectRequestIDsClosedBefore lists the requests closed (done or
// rejected) before t; open requests never expire.
func (s *Store) SubjectRequestIDsClosedBefore(ctx context.Context, t time.Time) ([]int64, error) {
	rows, err := s.pool.Query(ctx,
		"SELECT id FROM subject_requests WHERE status <> 'open' AND closed_at <> 0 AND closed_at < $1 ORDER BY id", toDB(t))
	if err != nil {
		return nil, mapErr("subject requests closed before", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return nilIfNone(ids), mapErr("subject requests closed before", err)
}

// DeleteSubjectRequests deletes the requests and their keys in one
// transaction, so that nothing sealed for them stays readable.
func (s *Store) DeleteSubjectRequests(ctx context.Context, ids []int64) (int, error) {
	owners := make([]string, len(ids))
	for i, id := range ids {
		owners[i] = sealed.RequestOwner(id)
	}
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM data_keys WHERE owner = ANY($1)", owners); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "DELETE FROM subject_requests WHERE id = ANY($1)", ids)
		n = int(tag.RowsAffected())
		return err
	})
	if err != nil {
		return 0, mapErr("delete subject requests", err)
	}
	return n, nil
}
