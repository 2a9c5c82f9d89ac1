package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/conclave-meet/conclave/internal/store"
)

// auditColumns read an entry; the address comes from audit_addr, which is
// empty for entries without an address and after erasure.
const auditColumns = "l.seq, l.at, l.action, l.actor, l.target, l.meeting, l.outcome, l.details, " +
	"l.addr_hash, l.prev_hash, l.hash, coalesce(a.addr, ''), a.salt"

const auditFrom = " FROM audit_log l LEFT JOIN audit_addr a ON a.seq = l.seq"

// AppendAudit implements store.Store. The mutex keeps this process's
// appends from queueing on SQLite's busy timeout; the immediate
// transaction serialises them with other processes (the CLI) too.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry, seal store.AuditSeal) (store.AuditEntry, error) {
	s.auditMu.Lock()
	defer s.auditMu.Unlock()
	var out store.AuditEntry
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = appendAudit(ctx, tx, e, seal)
		return err
	})
	if err != nil {
		return store.AuditEntry{}, mapErr("append audit entry", err)
	}
	return out, nil
}

func appendAudit(ctx context.Context, tx *sql.Tx, e store.AuditEntry, seal store.AuditSeal) (store.AuditEntry, error) {
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
// entry's, else the retention checkpoint's (so numbering never restarts
// under removed history), else 0 and nil for the first entry.
func lastLink(ctx context.Context, tx *sql.Tx) (int64, []byte, error) {
	var last int64
	var hash []byte
	err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&last, &hash)
	if err == nil {
		return last, hash, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
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

func insertAudit(ctx context.Context, tx *sql.Tx, e store.AuditEntry) error {
	details, err := store.EncodeAuditDetails(e.Details)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx,
		"INSERT INTO audit_log (seq, at, action, actor, target, meeting, outcome, details, addr_hash, prev_hash, hash)"+
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		e.Seq, toDB(e.Time), e.Action, e.Actor, e.Target, e.Meeting, e.Outcome, details,
		nilIfEmpty(e.AddrHash), e.PrevHash, e.Hash)
	if err != nil {
		return fmt.Errorf("insert entry %d: %w", e.Seq, err)
	}
	if e.ClientAddr == "" {
		return nil
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO audit_addr (seq, addr, salt) VALUES (?, ?, ?)", e.Seq, e.ClientAddr, e.AddrSalt)
	if err != nil {
		return fmt.Errorf("insert address of entry %d: %w", e.Seq, err)
	}
	return nil
}

// nilIfEmpty stores an absent hash as NULL rather than an empty blob.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
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
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr("audit entries", err)
	}
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("audit entries: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit entries: %w", err)
	}
	return out, nil
}

// auditQuery builds the SELECT for f; values only ever travel as arguments.
func auditQuery(f store.AuditFilter) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if !f.Since.IsZero() {
		add("l.at >= ?", toDB(f.Since))
	}
	if !f.Until.IsZero() {
		add("l.at < ?", toDB(f.Until))
	}
	for _, c := range []struct{ col, v string }{
		{"l.action", f.Action}, {"l.actor", f.Actor}, {"l.target", f.Target},
		{"l.meeting", f.Meeting}, {"l.outcome", f.Outcome},
	} {
		if c.v != "" {
			add(c.col+" = ?", c.v)
		}
	}
	if f.AfterSeq > 0 {
		add("l.seq > ?", f.AfterSeq)
	}
	if len(f.Seqs) > 0 {
		where = append(where, "l.seq IN (?"+strings.Repeat(", ?", len(f.Seqs)-1)+")")
		for _, seq := range f.Seqs {
			args = append(args, seq)
		}
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
		limit := int64(f.Limit)
		if limit <= 0 {
			limit = -1 // SQLite: no limit
		}
		q += " LIMIT ? OFFSET ?"
		args = append(args, limit, max(f.Offset, 0))
	}
	return q, args
}

func scanAudit(rows *sql.Rows) (store.AuditEntry, error) {
	var (
		e       store.AuditEntry
		at      int64
		details string
	)
	err := rows.Scan(&e.Seq, &at, &e.Action, &e.Actor, &e.Target, &e.Meeting, &e.Outcome, &details,
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
