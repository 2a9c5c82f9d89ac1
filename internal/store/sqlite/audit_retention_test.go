package sqlite

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

var retentionT0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// appendAt appends one entry per time, each with a client address.
func appendAt(t *testing.T, s *Store, times ...time.Time) []store.AuditEntry {
	t.Helper()
	var out []store.AuditEntry
	for _, at := range times {
		e := store.AuditEntry{Time: at, Action: "auth.logout", Outcome: "success",
			ClientAddr: "192.0.2.1", AddrSalt: []byte("salt"), AddrHash: []byte("hash")}
		sealed, err := s.AppendAudit(context.Background(), e, testSeal)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sealed)
	}
	return out
}

func hoursAfterT0(hs ...int) []time.Time {
	out := make([]time.Time, len(hs))
	for i, h := range hs {
		out[i] = retentionT0.Add(time.Duration(h) * time.Hour)
	}
	return out
}

var truncatedAt = retentionT0.Add(1000 * time.Hour)

func testCheckpointSeal(cp store.AuditCheckpoint) (store.AuditCheckpoint, error) {
	cp.Time, cp.Seal = truncatedAt, []byte("seal")
	return cp, nil
}

func truncate(t *testing.T, s *Store, before time.Time) int {
	t.Helper()
	n, err := s.TruncateAudit(context.Background(), before, testCheckpointSeal)
	if err != nil {
		t.Fatalf("TruncateAudit: %v", err)
	}
	return n
}

func seqs(t *testing.T, s *Store) []int64 {
	t.Helper()
	es, err := s.AuditEntries(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

func countAddrs(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow("SELECT count(*) FROM audit_addr").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTruncateAuditRemovesOldPrefix: the entries before the cut-off go
// with their addresses, the checkpoint keeps the last one's seq and hash.
func TestTruncateAuditRemovesOldPrefix(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	es := appendAt(t, s, hoursAfterT0(0, 1, 2, 3, 4)...)
	if _, err := s.AuditCheckpoint(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("checkpoint before any truncation: %v", err)
	}
	if n := truncate(t, s, retentionT0.Add(150*time.Minute)); n != 3 {
		t.Fatalf("removed %d, want 3", n)
	}
	if got := seqs(t, s); len(got) != 2 || got[0] != 4 {
		t.Fatalf("left %v, want [4 5]", got)
	}
	if n := countAddrs(t, s); n != 2 {
		t.Fatalf("%d addresses left, want 2", n)
	}
	cp, err := s.AuditCheckpoint(ctx)
	if err != nil || cp.Seq != 3 || !bytes.Equal(cp.Hash, es[2].Hash) || !cp.Time.Equal(truncatedAt) || string(cp.Seal) != "seal" {
		t.Fatalf("checkpoint %+v %v", cp, err)
	}
	// Nothing older left: no change, the checkpoint stays.
	if n := truncate(t, s, retentionT0.Add(150*time.Minute)); n != 0 {
		t.Fatalf("second run removed %d", n)
	}
	if again, _ := s.AuditCheckpoint(ctx); again.Seq != 3 {
		t.Fatalf("checkpoint moved to %d", again.Seq)
	}
}

// TestTruncateAuditStopsAtFirstRecentEntry: an entry whose clock stepped
// back stays when an entry before it is still inside its period, so only
// a prefix is ever removed.
func TestTruncateAuditStopsAtFirstRecentEntry(t *testing.T) {
	s := openTemp(t)
	appendAt(t, s, hoursAfterT0(0, 10, 1, 11)...)
	if n := truncate(t, s, retentionT0.Add(5*time.Hour)); n != 1 {
		t.Fatalf("removed %d, want 1", n)
	}
	if got := seqs(t, s); len(got) != 3 || got[0] != 2 {
		t.Fatalf("left %v", got)
	}
}

// TestTruncateAuditKeepsHeadAndContinues: even when every entry is old,
// the newest stays, and numbering and chaining go on from it.
func TestTruncateAuditKeepsHeadAndContinues(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	if n := truncate(t, s, truncatedAt); n != 0 {
		t.Fatalf("empty log: removed %d", n)
	}
	es := appendAt(t, s, hoursAfterT0(0)...)
	if n := truncate(t, s, truncatedAt); n != 0 {
		t.Fatalf("only the head: removed %d", n)
	}
	es = append(es, appendAt(t, s, hoursAfterT0(1, 2, 3)...)...)
	if n := truncate(t, s, truncatedAt); n != 3 {
		t.Fatalf("removed %d, want 3", n)
	}
	next := appendAt(t, s, hoursAfterT0(4)...)[0]
	if next.Seq != 5 || !bytes.Equal(next.PrevHash, es[3].Hash) {
		t.Fatalf("next entry %d follows %x, want 5 after %x", next.Seq, next.PrevHash, es[3].Hash)
	}
	if last, err := s.LastAudit(ctx); err != nil || last.Seq != 5 {
		t.Fatalf("head %+v %v", last, err)
	}
}

// TestTruncateAuditSealFailureRemovesNothing: the transaction rolls back.
func TestTruncateAuditSealFailureRemovesNothing(t *testing.T) {
	s := openTemp(t)
	appendAt(t, s, hoursAfterT0(0, 1, 2)...)
	boom := errors.New("no key")
	_, err := s.TruncateAudit(context.Background(), truncatedAt, func(store.AuditCheckpoint) (store.AuditCheckpoint, error) {
		return store.AuditCheckpoint{}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if got := seqs(t, s); len(got) != 3 {
		t.Fatalf("left %v", got)
	}
}

// TestAuditCheckpointTriggers: the database allows deleting only entries
// up to the checkpoint, and the checkpoint only moves forward to a stored
// entry other than the head.
func TestAuditCheckpointTriggers(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	es := appendAt(t, s, hoursAfterT0(0, 1, 2, 3, 4, 5)...)
	refusedBefore := []string{
		"DELETE FROM audit_log WHERE seq = 1",
		"INSERT INTO audit_checkpoint VALUES (1, 6, x'" + hexOf(es[5].Hash) + "', 0, x'00')", // the head
		"INSERT INTO audit_checkpoint VALUES (1, 2, x'00', 0, x'00')",                        // not its hash
	}
	expectRefused(t, s, refusedBefore...)
	if n := truncate(t, s, retentionT0.Add(150*time.Minute)); n != 3 {
		t.Fatalf("removed %d", n)
	}
	expectRefused(t, s,
		"DELETE FROM audit_log WHERE seq = 4", // beyond the checkpoint
		"UPDATE audit_checkpoint SET seq = 2",
		"UPDATE audit_checkpoint SET hash = x'00'", // same seq, other hash
		"UPDATE audit_checkpoint SET seq = 4, hash = x'00'",
		"UPDATE audit_checkpoint SET seq = 6, hash = x'"+hexOf(es[5].Hash)+"'",
		"INSERT OR REPLACE INTO audit_checkpoint VALUES (1, 4, x'"+hexOf(es[3].Hash)+"', 0, x'00')",
		"DELETE FROM audit_checkpoint",
		"INSERT INTO audit_log (seq, at, action, actor, target, meeting, outcome, details, prev_hash, hash) VALUES (1, 0, 'x', '', '', '', 'success', '{}', x'00', x'00')",
	)
	if got := seqs(t, s); len(got) != 3 || got[0] != 4 {
		t.Fatalf("left %v", got)
	}
	if cp, err := s.AuditCheckpoint(ctx); err != nil || cp.Seq != 3 {
		t.Fatalf("checkpoint %+v %v", cp, err)
	}
}

// TestAuditNumberingAfterEverythingRemoved: should the head be removed
// behind the triggers' back, the next entry still continues from the
// checkpoint rather than restarting at 1.
func TestAuditNumberingAfterEverythingRemoved(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	es := appendAt(t, s, hoursAfterT0(0, 1)...)
	truncate(t, s, truncatedAt)
	for _, q := range []string{
		"DROP TRIGGER audit_checkpoint_update",
		"UPDATE audit_checkpoint SET seq = 2, hash = x'" + hexOf(es[1].Hash) + "'",
		"DELETE FROM audit_addr",
		"DELETE FROM audit_log",
	} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	expectRefused(t, s, "INSERT INTO audit_log (seq, at, action, actor, target, meeting, outcome, details, prev_hash, hash) VALUES (1, 0, 'x', '', '', '', 'success', '{}', x'00', x'00')")
	next := appendAt(t, s, hoursAfterT0(3)...)[0]
	if next.Seq != 3 || !bytes.Equal(next.PrevHash, es[1].Hash) {
		t.Fatalf("next entry %d after %x", next.Seq, next.PrevHash)
	}
}

func expectRefused(t *testing.T, s *Store, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := s.db.ExecContext(context.Background(), q); err == nil || !strings.Contains(err.Error(), "audit_") {
			t.Errorf("%s: err = %v", q, err)
		}
	}
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }
