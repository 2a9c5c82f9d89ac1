package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// TruncateAudit implements store.Store. It holds the append mutex so that
// this process's appends do not queue on the busy timeout behind it; the
// immediate transaction serialises it with other processes.
func (s *Store) TruncateAudit(ctx context.Context, before time.Time, seal store.AuditCheckpointSeal) (int, error) {
	s.auditMu.Lock()
	defer s.auditMu.Unlock()
	var removed int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		removed, err = truncateAudit(ctx, tx, before, seal)
		return err
	})
	if err != nil {
		return 0, mapErr("truncate audit log", err)
	}
	return removed, nil
}

func truncateAudit(ctx context.Context, tx *sql.Tx, before time.Time, seal store.AuditCheckpointSeal) (int, error) {
	last, ok, err := lastExpired(ctx, tx, before)
	if err != nil || !ok {
		return 0, err
	}
	cp := store.AuditCheckpoint{Seq: last.Seq, Hash: last.Hash}
	sealed, err := seal(cp)
	if err != nil {
		return 0, fmt.Errorf("seal checkpoint: %w", err)
	}
	if sealed.Seq != cp.Seq || string(sealed.Hash) != string(cp.Hash) {
		return 0, fmt.Errorf("seal changed the checkpoint of entry %d", cp.Seq)
	}
	// The checkpoint goes first: the delete trigger allows removing only
	// entries up to it.
	if err := writeCheckpoint(ctx, tx, sealed); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM audit_addr WHERE seq <= ?", cp.Seq); err != nil {
		return 0, fmt.Errorf("delete addresses up to entry %d: %w", cp.Seq, err)
	}
	res, err := tx.ExecContext(ctx, "DELETE FROM audit_log WHERE seq <= ?", cp.Seq)
	if err != nil {
		return 0, fmt.Errorf("delete entries up to %d: %w", cp.Seq, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("count deleted entries: %w", err)
	}
	return int(n), nil
}

// lastExpired returns the last entry of the longest prefix whose entries
// are all older than before, stopping short of the newest entry. Going by
// the first entry that is not old enough, rather than the last that is,
// keeps an entry inside its period even when a clock stepped back.
func lastExpired(ctx context.Context, tx *sql.Tx, before time.Time) (store.AuditEntry, bool, error) {
	var e store.AuditEntry
	err := tx.QueryRowContext(ctx,
		"SELECT seq, hash FROM audit_log WHERE seq = min("+
			"coalesce((SELECT min(seq) FROM audit_log WHERE at >= ?), (SELECT max(seq) FROM audit_log)),"+
			" (SELECT max(seq) FROM audit_log)) - 1",
		toDB(before)).Scan(&e.Seq, &e.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil // nothing old enough, only the head, or an empty log
	}
	if err != nil {
		return e, false, fmt.Errorf("find expired entries: %w", err)
	}
	return e, true, nil
}

// writeCheckpoint replaces the single checkpoint row; the triggers refuse
// moving it backwards or to an entry that is not there.
func writeCheckpoint(ctx context.Context, tx *sql.Tx, cp store.AuditCheckpoint) error {
	res, err := tx.ExecContext(ctx, "UPDATE audit_checkpoint SET seq = ?, hash = ?, at = ?, seal = ? WHERE id = 1",
		cp.Seq, cp.Hash, toDB(cp.Time), cp.Seal)
	if err != nil {
		return fmt.Errorf("move checkpoint to entry %d: %w", cp.Seq, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO audit_checkpoint (id, seq, hash, at, seal) VALUES (1, ?, ?, ?, ?)",
		cp.Seq, cp.Hash, toDB(cp.Time), cp.Seal)
	if err != nil {
		return fmt.Errorf("write checkpoint at entry %d: %w", cp.Seq, err)
	}
	return nil
}

// AuditCheckpoint implements store.Store.
func (s *Store) AuditCheckpoint(ctx context.Context) (store.AuditCheckpoint, error) {
	cp, err := readCheckpoint(ctx, s.db)
	if err != nil {
		return cp, mapErr("audit checkpoint", err)
	}
	return cp, nil
}

// readCheckpoint returns store.ErrNotFound when nothing was ever removed.
func readCheckpoint(ctx context.Context, q querier) (store.AuditCheckpoint, error) {
	var (
		cp store.AuditCheckpoint
		at int64
	)
	err := q.QueryRowContext(ctx, "SELECT seq, hash, at, seal FROM audit_checkpoint WHERE id = 1").
		Scan(&cp.Seq, &cp.Hash, &at, &cp.Seal)
	if errors.Is(err, sql.ErrNoRows) {
		return cp, store.ErrNotFound
	}
	if err != nil {
		return cp, fmt.Errorf("read checkpoint: %w", err)
	}
	cp.Time = fromDB(at)
	return cp, nil
}
