package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/conclave-meet/conclave/internal/store"
)

// DataKey implements store.KeyStore.
func (s *Store) DataKey(ctx context.Context, owner string) (store.DataKey, error) {
	k, err := scanDataKey(s.db.QueryRowContext(ctx,
		"SELECT owner, wrapped, master_id, created_at FROM data_keys WHERE owner = ?", owner))
	return k, mapErr("data key", err)
}

func scanDataKey(row rowScanner) (store.DataKey, error) {
	var (
		k       store.DataKey
		created int64
	)
	if err := row.Scan(&k.Owner, &k.Wrapped, &k.MasterID, &created); err != nil {
		return store.DataKey{}, err
	}
	k.CreatedAt = fromDB(created)
	return k, nil
}

// InsertDataKey implements store.KeyStore: the first key stored for an
// owner wins, and every caller gets that one back.
func (s *Store) InsertDataKey(ctx context.Context, k store.DataKey) (store.DataKey, error) {
	_, err := s.db.ExecContext(ctx,
		"INSERT INTO data_keys (owner, wrapped, master_id, created_at) VALUES (?, ?, ?, ?) "+
			"ON CONFLICT (owner) DO NOTHING",
		k.Owner, k.Wrapped, k.MasterID, toDB(k.CreatedAt))
	if err != nil {
		return store.DataKey{}, mapErr("insert data key", err)
	}
	return s.DataKey(ctx, k.Owner)
}

// DeleteDataKey implements store.KeyStore. The row is zeroed in its page
// (secure_delete) and the WAL's older copies are scrubbed.
func (s *Store) DeleteDataKey(ctx context.Context, owner string) (bool, error) {
	n, err := s.execCount(ctx, "delete data key", "DELETE FROM data_keys WHERE owner = ?", owner)
	if err != nil {
		return false, err
	}
	s.scrubBestEffort(ctx)
	return n > 0, nil
}

// DataKeysNotUnder implements store.KeyStore.
func (s *Store) DataKeysNotUnder(ctx context.Context, masterID string, limit int) ([]store.DataKey, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT owner, wrapped, master_id, created_at FROM data_keys WHERE master_id <> ? ORDER BY owner LIMIT ?",
		masterID, limit)
	if err != nil {
		return nil, mapErr("data keys not under", err)
	}
	defer rows.Close()
	var out []store.DataKey
	for rows.Next() {
		k, err := scanDataKey(rows)
		if err != nil {
			return nil, fmt.Errorf("data keys not under: %w", err)
		}
		out = append(out, k)
	}
	return out, mapErr("data keys not under", rows.Err())
}

// RewrapDataKeys implements store.KeyStore: one short transaction per
// batch, each row changed only while still under its FromMaster.
func (s *Store) RewrapDataKeys(ctx context.Context, rs []store.Rewrap) (int, error) {
	total := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, r := range rs {
			res, err := tx.ExecContext(ctx,
				"UPDATE data_keys SET wrapped = ?, master_id = ? WHERE owner = ? AND master_id = ?",
				r.Wrapped, r.MasterID, r.Owner, r.FromMaster)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			total += int(n)
		}
		return nil
	})
	return total, mapErr("rewrap data keys", err)
}

// DataKeyCounts implements store.KeyStore.
func (s *Store) DataKeyCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT master_id, count(*) FROM data_keys GROUP BY master_id")
	if err != nil {
		return nil, mapErr("data key counts", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			id string
			n  int
		)
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("data key counts: %w", err)
		}
		out[id] = n
	}
	return out, mapErr("data key counts", rows.Err())
}

// errIsShredded reports a value whose owner's key is gone.
func errIsShredded(err error) bool { return errors.Is(err, store.ErrNotFound) }
