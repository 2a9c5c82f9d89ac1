package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// chainSeal links an entry to the one before, as package audit does (any
// deterministic function of the chain fields will do).
func chainSeal(e store.AuditEntry) (store.AuditEntry, error) {
	if e.PrevHash == nil {
		e.PrevHash = []byte("genesis")
	}
	sum := sha256.Sum256(append([]byte(strconv.FormatInt(e.Seq, 10)+e.Action), e.PrevHash...))
	e.Hash = sum[:]
	return e, nil
}

func checkpointSeal(cp store.AuditCheckpoint) (store.AuditCheckpoint, error) {
	cp.Time, cp.Seal = t0.Add(1000*time.Hour), []byte("seal")
	return cp, nil
}

func appendAt(t *testing.T, s *Store, at time.Time, action string) store.AuditEntry {
	t.Helper()
	e := store.AuditEntry{Time: at, Action: action, Outcome: "success",
		ClientAddr: "192.0.2.1", AddrSalt: []byte("salt"), AddrHash: []byte("hash")}
	out, err := s.AppendAudit(context.Background(), e, chainSeal)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// verifyChain checks that the log is one chain: consecutive numbers from
// the checkpoint (or 1) on, each entry linked to the one before; it
// returns the number of entries.
func verifyChain(t *testing.T, s *Store) int {
	t.Helper()
	ctx := context.Background()
	all, err := s.AuditEntries(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	next, prev := int64(1), []byte("genesis")
	if cp, err := s.AuditCheckpoint(ctx); err == nil {
		next, prev = cp.Seq+1, cp.Hash
	}
	for _, e := range all {
		if e.Seq != next || !bytes.Equal(e.PrevHash, prev) {
			t.Fatalf("entry %d (want %d) links to %x, want %x: the chain forked or has a gap", e.Seq, next, e.PrevHash, prev)
		}
		if want, _ := chainSeal(e); !bytes.Equal(e.Hash, want.Hash) {
			t.Fatalf("entry %d: hash does not match its fields", e.Seq)
		}
		next, prev = e.Seq+1, e.Hash
	}
	return len(all)
}

// TestAuditOneChainAcrossNodes: appends from several nodes (each its own
// pool of connections), many at once, form one chain: no fork, no gap,
// none lost.
func TestAuditOneChainAcrossNodes(t *testing.T) {
	const nodeCount, workers, each = 3, 6, 15
	ns := nodes(t, nodeCount)
	var wg sync.WaitGroup
	errs := make(chan error, nodeCount*workers*each)
	for n, s := range ns {
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					e := store.AuditEntry{Time: t0, Action: fmt.Sprintf("n%d.w%d.%d", n, w, i), Outcome: "success"}
					if _, err := s.AppendAudit(context.Background(), e, chainSeal); err != nil {
						errs <- err
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := verifyChain(t, ns[0]); got != nodeCount*workers*each {
		t.Fatalf("%d entries, want %d", got, nodeCount*workers*each)
	}
	actions := map[string]bool{}
	all, _ := ns[1].AuditEntries(context.Background(), store.AuditFilter{})
	for _, e := range all {
		actions[e.Action] = true
	}
	if len(actions) != nodeCount*workers*each {
		t.Fatalf("%d distinct entries: some were lost or doubled", len(actions))
	}
}

// TestAuditTruncateWhileAppending: retention on one node while others
// append leaves one chain, continuing from the checkpoint.
func TestAuditTruncateWhileAppending(t *testing.T) {
	ns := nodes(t, 3)
	for i := range 20 {
		appendAt(t, ns[0], t0.Add(time.Duration(i)*time.Hour), "old")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for _, s := range ns[1:] {
		wg.Go(func() {
			for range 20 {
				e := store.AuditEntry{Time: t0.Add(500 * time.Hour), Action: "new", Outcome: "success"}
				if _, err := s.AppendAudit(context.Background(), e, chainSeal); err != nil {
					errs <- err
				}
			}
		})
	}
	removed := 0
	wg.Go(func() {
		for h := 1; h <= 20; h += 4 {
			n, err := ns[0].TruncateAudit(context.Background(), t0.Add(time.Duration(h)*time.Hour), checkpointSeal)
			if err != nil {
				errs <- err
			}
			removed += n
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if removed != 17 {
		t.Errorf("removed %d entries, want 17 (those before hour 17)", removed)
	}
	cp, err := ns[2].AuditCheckpoint(context.Background())
	if err != nil || cp.Seq != 17 {
		t.Fatalf("checkpoint %+v, %v; want at entry 17", cp, err)
	}
	if got := verifyChain(t, ns[1]); got != 20-17+40 {
		t.Fatalf("%d entries remain, want %d", got, 20-17+40)
	}
}

func TestAuditTruncate(t *testing.T) {
	ctx := context.Background()
	s := nodes(t, 1)[0]
	if n, err := s.TruncateAudit(ctx, t0, checkpointSeal); err != nil || n != 0 {
		t.Fatalf("truncating an empty log: %d, %v", n, err)
	}
	es := []store.AuditEntry{appendAt(t, s, t0, "a"), appendAt(t, s, t0.Add(time.Hour), "b"), appendAt(t, s, t0.Add(2*time.Hour), "c")}
	// Never the newest entry, however old.
	n, err := s.TruncateAudit(ctx, t0.Add(100*time.Hour), checkpointSeal)
	if err != nil || n != 2 {
		t.Fatalf("TruncateAudit = %d, %v; want 2", n, err)
	}
	cp, err := s.AuditCheckpoint(ctx)
	if err != nil || cp.Seq != 2 || !bytes.Equal(cp.Hash, es[1].Hash) || string(cp.Seal) != "seal" {
		t.Fatalf("checkpoint %+v, %v", cp, err)
	}
	if !cp.Time.Equal(t0.Add(1000*time.Hour)) || cp.Time.Location() != time.UTC {
		t.Errorf("checkpoint time %v", cp.Time)
	}
	var addrs int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM audit_addr").Scan(&addrs); err != nil || addrs != 1 {
		t.Errorf("%d addresses remain, %v; want the head's only", addrs, err)
	}
	if e := appendAt(t, s, t0.Add(3*time.Hour), "d"); e.Seq != 4 || !bytes.Equal(e.PrevHash, es[2].Hash) {
		t.Fatalf("the next entry: seq %d prev %x", e.Seq, e.PrevHash)
	}
	if n, err := s.TruncateAudit(ctx, t0.Add(100*time.Hour), checkpointSeal); err != nil || n != 1 {
		t.Fatalf("a second truncation: %d, %v; want 1", n, err)
	}
	verifyChain(t, s)
}

// TestAuditTruncateSealFailure: a failing seal removes nothing.
func TestAuditTruncateSealFailure(t *testing.T) {
	ctx := context.Background()
	s := nodes(t, 1)[0]
	appendAt(t, s, t0, "a")
	appendAt(t, s, t0.Add(time.Hour), "b")
	fail := func(store.AuditCheckpoint) (store.AuditCheckpoint, error) {
		return store.AuditCheckpoint{}, fmt.Errorf("no key")
	}
	if _, err := s.TruncateAudit(ctx, t0.Add(100*time.Hour), fail); err == nil {
		t.Fatal("a failing seal truncated")
	}
	if got := verifyChain(t, s); got != 2 {
		t.Fatalf("%d entries after a failed truncation", got)
	}
	if _, err := s.AuditCheckpoint(ctx); err == nil {
		t.Fatal("a failed truncation left a checkpoint")
	}
}

// TestAuditTamperRefused: the database itself refuses what would break
// the chain, whoever connects (the triggers, not only the store's code).
func TestAuditTamperRefused(t *testing.T) {
	ctx := context.Background()
	s := nodes(t, 1)[0]
	for i := range 3 {
		appendAt(t, s, t0.Add(time.Duration(i)*time.Hour), "a")
	}
	for _, sql := range []string{
		"UPDATE audit_log SET action = 'x' WHERE seq = 2",
		"DELETE FROM audit_log WHERE seq = 1",
		"TRUNCATE audit_log CASCADE",
		"INSERT INTO audit_log (seq, at, action, actor, target, meeting, outcome, details, prev_hash, hash) " +
			"VALUES (7, 0, 'a', '', '', '', 'success', '{}', '\\x00', '\\x00')",
		"UPDATE audit_addr SET addr = '198.51.100.1'",
		"INSERT INTO audit_checkpoint (id, seq, hash, at, seal) VALUES (1, 3, '\\x00', 0, '\\x00')",
	} {
		if _, err := s.pool.Exec(ctx, sql); err == nil || !strings.Contains(err.Error(), "audit_") {
			t.Errorf("%s: %v, want refused", sql, err)
		}
	}
	if _, err := s.TruncateAudit(ctx, t0.Add(100*time.Hour), checkpointSeal); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		"DELETE FROM audit_checkpoint",
		"UPDATE audit_checkpoint SET seq = 1",
	} {
		if _, err := s.pool.Exec(ctx, sql); err == nil || !strings.Contains(err.Error(), "audit_checkpoint") {
			t.Errorf("%s: %v, want refused", sql, err)
		}
	}
	verifyChain(t, s)
}
