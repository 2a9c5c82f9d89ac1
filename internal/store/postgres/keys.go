package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/store"
)

const dataKeyColumns = "owner, wrapped, master_id, created_at"

func scanDataKey(row pgx.Row) (store.DataKey, error) {
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

// DataKey implements store.KeyStore.
func (s *Store) DataKey(ctx context.Context, owner string) (store.DataKey, error) {
	k, err := scanDataKey(s.pool.QueryRow(ctx, "SELECT "+dataKeyColumns+" FROM data_keys WHERE owner = $1", owner))
	return k, mapErr("data key", err)
}

// InsertDataKey implements store.KeyStore: the first key stored for an
// owner wins, and every caller, on any node, gets that one back.
func (s *Store) InsertDataKey(ctx context.Context, k store.DataKey) (store.DataKey, error) {
	_, err := s.pool.Exec(ctx,
		"INSERT INTO data_keys ("+dataKeyColumns+") VALUES ($1, $2, $3, $4) ON CONFLICT (owner) DO NOTHING",
		k.Owner, k.Wrapped, k.MasterID, toDB(k.CreatedAt))
	if err != nil {
		return store.DataKey{}, mapErr("insert data key", err)
	}
	return s.DataKey(ctx, k.Owner)
}

// DeleteDataKey implements store.KeyStore. PostgreSQL leaves the deleted
// row's bytes in the table's pages until VACUUM reuses them, and in the
// WAL and backups made before: see docs/architecture.md ("Storage
// backends") for what erasure means here.
func (s *Store) DeleteDataKey(ctx context.Context, owner string) (bool, error) {
	n, err := s.execCount(ctx, "delete data key", "DELETE FROM data_keys WHERE owner = $1", owner)
	return n > 0, err
}

// DataKeysNotUnder implements store.KeyStore.
func (s *Store) DataKeysNotUnder(ctx context.Context, masterID string, limit int) ([]store.DataKey, error) {
	rows, err := s.pool.Query(ctx,
		"SELECT "+dataKeyColumns+" FROM data_keys WHERE master_id <> $1 ORDER BY owner COLLATE \"C\" LIMIT $2",
		masterID, limit)
	if err != nil {
		return nil, mapErr("data keys not under", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.DataKey, error) { return scanDataKey(r) })
	if len(out) == 0 {
		out = nil
	}
	return out, mapErr("data keys not under", err)
}

// RewrapDataKeys implements store.KeyStore: one transaction per batch,
// each row changed only while still under its FromMaster.
func (s *Store) RewrapDataKeys(ctx context.Context, rs []store.Rewrap) (int, error) {
	total := 0
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		total = 0 // a retried function starts over
		for _, r := range rs {
			tag, err := tx.Exec(ctx,
				"UPDATE data_keys SET wrapped = $1, master_id = $2 WHERE owner = $3 AND master_id = $4",
				r.Wrapped, r.MasterID, r.Owner, r.FromMaster)
			if err != nil {
				return err
			}
			total += int(tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		return 0, mapErr("rewrap data keys", err)
	}
	return total, nil
}

// DataKeyCounts implements store.KeyStore.
func (s *Store) DataKeyCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, "SELECT master_id, count(*) FROM data_keys GROUP BY master_id")
	if err != nil {
		return nil, mapErr("data key counts", err)
	}
	out := map[string]int{}
	var (
		id string
		n  int
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error {
		out[id] = n
		return nil
	})
	return out, mapErr("data key counts", err)
}
