package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/store"
)

// auditColumns read an entry; the address comes from audit_addr, which is
// empty for entries without an address and after erasure.
const auditColumns = "l.seq, l.at, l.action, l.actor, l.target, l.meeting, l.outcome, l.details, " +
	"l.addr_hash, l.prev_hash, l.hash, coalesce(a.addr, ''), a.salt"

const auditFrom = " FROM audit_log l LEFT JOIN audit_addr a ON a.seq = l.seq"

// lockAudit serialises appends and truncations across every connection
// and node until the transaction ends: SHARE ROW EXCLUSIVE conflicts with
// itself and with the row changes other appends make, but not with plain
// reads. Each later statement of a read-committed transaction sees what
// the previous holder committed, so the sequence and previous hash read
// after the lock are the chain's head.
func lockAudit(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, "LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE"); err != nil {
		return fmt.Errorf("lock audit log: %w", err)
	}
	return nil
}

// AppendAudit implements store.Store: in one transaction, under
// lockAudit, it reads the head of the chain, seals e after it and inserts
// it.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry, seal store.AuditSeal) (store.AuditEntry, error) {
	var out store.AuditEntry
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = appendAudit(ctx, tx, e, seal)
		return err
	})
	if err != nil {
		return store.AuditEntry{}, mapErr("append audit entry", err)
	}
	return out, nil
}

// appendAudit appends e inside tx (which other writes may share, such as
// a consent stored with its entry).
func appendAudit(ctx context.Context, tx pgx.Tx, e store.AuditEntry, seal store.AuditSeal) (store.AuditEntry, error) {
	if err := lockAudit(ctx, tx); err != nil {
		return e, err
	}
	last, hash, err := lastLink(ctx, tx)
	if err != nil {
		return e, err
	}
	e.Seq, e.PrevHash = last+1, hash
	sealed, err := seal(e)
	if err != nil {
		return e, fmt.Errorf("seal: %w", err)
	}
	if sealed.Seq != e.Seq {
		return e, fmt.Errorf("seal changed seq %d to %d", e.Seq, sealed.Seq)
	}
	return sealed, insertAudit(ctx, tx, sealed)
}

// lastLink returns the Seq and Hash the next entry follows: the newest
// entry's, else the retention checkpoint's (numbering never restarts under
// removed history), else 0 and nil for the first entry.
func lastLink(ctx context.Context, tx pgx.Tx) (int64, []byte, error) {
	var (
		last int64
		hash []byte
	)
	err := tx.QueryRow(ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&last, &hash)
	if err == nil {
		return last, hash, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, fmt.Errorf("read last entry: %w", err)
	}
	cp, err := readCheckpoint(ctx, tx)
	switch {
	case err == nil:
		return cp.Seq, cp.Hash, nil
	case errors.Is(err, store.ErrNotFound):
		return 0, nil, nil
	}
	return 0, nil, err
}

func insertAudit(ctx context.Context, tx pgx.Tx, e store.AuditEntry) error {
	details, err := store.EncodeAuditDetails(e.Details)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx,
		"INSERT INTO audit_log (seq, at, action, actor, target, meeting, outcome, details, addr_hash, prev_hash, hash)"+
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
		e.Seq, toDB(e.Time), e.Action, e.Actor, e.Target, e.Meeting, e.Outcome, details,
		nilIfEmpty(e.AddrHash), nonNil(e.PrevHash), nonNil(e.Hash))
	if err != nil {
		return fmt.Errorf("insert entry %d: %w", e.Seq, err)
	}
	if e.ClientAddr == "" {
		return nil
	}
	_, err = tx.Exec(ctx, "INSERT INTO audit_addr (seq, addr, salt) VALUES ($1, $2, $3)", e.Seq, e.ClientAddr, nonNil(e.AddrSalt))
	if err != nil {
		return fmt.Errorf("insert address of entry %d: %w", e.Seq, err)
	}
	return nil
}

// nilIfEmpty stores an absent hash as NULL rather than an empty value.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// nonNil stores nil as an empty value in a NOT NULL column, as SQLite's
// driver does.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// LastAudit implements store.Store.
func (s *Store) LastAudit(ctx context.Context) (store.AuditEntry, error) {
	entries, err := s.AuditEntries(ctx, store.AuditFilter{Newest: true, Limit: 1})
	if err != nil {
		return store.AuditEntry{}, fmt.Errorf("last audit entry: %w", err)
	}
	if len(entries) == 0 {
		return store.AuditEntry{}, fmt.Errorf("last audit entry: %w", store.ErrNotFound)
	}
	return entries[0], nil
}

// AuditEntries implements store.Store.
func (s *Store) AuditEntries(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	query, args := auditQuery(f)
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, mapErr("audit entries", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.AuditEntry, error) { return scanAudit(r) })
	if err != nil {
		return nil, fmt.Errorf("audit entries: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// auditQuery builds the SELECT for f; values only ever travel as arguments.
func auditQuery(f store.AuditFilter) (string, []any) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if !f.Since.IsZero() {
		add("l.at >= $?", toDB(f.Since))
	}
	if !f.Until.IsZero() {
		add("l.at < $?", toDB(f.Until))
	}
	for _, c := range []struct{ col, v string }{
		{"l.action", f.Action}, {"l.actor", f.Actor}, {"l.target", f.Target},
		{"l.meeting", f.Meeting}, {"l.outcome", f.Outcome},
	} {
		if c.v != "" {
			add(c.col+" = $?", c.v)
		}
	}
	if f.AfterSeq > 0 {
		add("l.seq > $?", f.AfterSeq)
	}
	if len(f.Seqs) > 0 {
		add("l.seq = ANY($?)", f.Seqs)
	}
	q := "SELECT " + auditColumns + auditFrom
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY l.seq"
	if f.Newest {
		q += " DESC"
	}
	if f.Limit > 0 || f.Offset > 0 {
		var limit any // NULL: no limit
		if f.Limit > 0 {
			limit = int64(f.Limit)
		}
		args = append(args, limit, int64(max(f.Offset, 0)))
		q += fmt.Sprintf(" LIMIT $%d::bigint OFFSET $%d", len(args)-1, len(args))
	}
	return q, args
}

func scanAudit(row pgx.Row) (store.AuditEntry, error) {
	var (
		e       store.AuditEntry
		at      int64
		details string
	)
	err := row.Scan(&e.Seq, &at, &e.Action, &e.Actor, &e.Target, &e.Meeting, &e.Outcome, &details,
		&e.AddrHash, &e.PrevHash, &e.Hash, &e.ClientAddr, &e.AddrSalt)
	if err != nil {
		return e, err
	}
	e.Time = fromDB(at)
	if e.Details, err = store.DecodeAuditDetails(details); err != nil {
		return e, fmt.Errorf("details of entry %d: %w", e.Seq, err)
	}
	return e, nil
}

// TruncateAudit implements store.AuditRetentionStore, under lockAudit.
func (s *Store) TruncateAudit(ctx context.Context, before time.Time, seal store.AuditCheckpointSeal) (int, error) {
	var removed int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		removed, err = truncateAudit(ctx, tx, before, seal)
		return err
	})
	if err != nil {
		return 0, mapErr("truncate audit log", err)
	}
	return removed, nil
}

func truncateAudit(ctx context.Context, tx pgx.Tx, before time.Time, seal store.AuditCheckpointSeal) (int, error) {
	if err := lockAudit(ctx, tx); err != nil {
		return 0, err
	}
	var cp store.AuditCheckpoint
	// The last entry of the longest prefix older than before, short of the
	// newest entry. Going by the first entry that is not old enough keeps
	// an entry inside its period even when a clock stepped back.
	err := tx.QueryRow(ctx,
		"SELECT seq, hash FROM audit_log WHERE seq = least("+
			"coalesce((SELECT min(seq) FROM audit_log WHERE at >= $1), (SELECT max(seq) FROM audit_log)),"+
			" (SELECT max(seq) FROM audit_log)) - 1",
		toDB(before)).Scan(&cp.Seq, &cp.Hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil // nothing old enough, only the head, or an empty log
	}
	if err != nil {
		return 0, fmt.Errorf("find expired entries: %w", err)
	}
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
	if _, err := tx.Exec(ctx, "DELETE FROM audit_addr WHERE seq <= $1", cp.Seq); err != nil {
		return 0, fmt.Errorf("delete addresses up to entry %d: %w", cp.Seq, err)
	}
	tag, err := tx.Exec(ctx, "DELETE FROM audit_log WHERE seq <= $1", cp.Seq)
	if err != nil {
		return 0, fmt.Errorf("delete entries up to %d: %w", cp.Seq, err)
	}
	return int(tag.RowsAffected()), nil
}

// writeCheckpoint replaces the single checkpoint row (an update, else an
// insert: an upsert would run the insert trigger, which refuses a second
// checkpoint, before it found the conflict). The triggers refuse moving it
// backwards or to an entry that is not there.
func writeCheckpoint(ctx context.Context, tx pgx.Tx, cp store.AuditCheckpoint) error {
	tag, err := tx.Exec(ctx, "UPDATE audit_checkpoint SET seq = $1, hash = $2, at = $3, seal = $4 WHERE id = 1",
		cp.Seq, cp.Hash, toDB(cp.Time), nonNil(cp.Seal))
	if err != nil {
		return fmt.Errorf("move checkpoint to entry %d: %w", cp.Seq, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	_, err = tx.Exec(ctx, "INSERT INTO audit_checkpoint (id, seq, hash, at, seal) VALUES (1, $1, $2, $3, $4)",
		cp.Seq, cp.Hash, toDB(cp.Time), nonNil(cp.Seal))
	if err != nil {
		return fmt.Errorf("write checkpoint at entry %d: %w", cp.Seq, err)
	}
	return nil
}

// AuditCheckpoint implements store.AuditRetentionStore.
func (s *Store) AuditCheckpoint(ctx context.Context) (store.AuditCheckpoint, error) {
	cp, err := readCheckpoint(ctx, s.pool)
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
	err := q.QueryRow(ctx, "SELECT seq, hash, at, seal FROM audit_checkpoint WHERE id = 1").Scan(&cp.Seq, &cp.Hash, &at, &cp.Seal)
	if errors.Is(err, pgx.ErrNoRows) {
		return cp, store.ErrNotFound
	}
	if err != nil {
		return cp, fmt.Errorf("read checkpoint: %w", err)
	}
	cp.Time = fromDB(at)
	return cp, nil
}
