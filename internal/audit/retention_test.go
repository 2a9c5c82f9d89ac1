package audit

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// truncatedMemLog is a log of n entries whose first `removed` entries
// were removed by retention.
func truncatedMemLog(t *testing.T, n, removed int) (*Log, *memStore) {
	t.Helper()
	l, m := newMemLog(t, n)
	got, err := l.Truncate(context.Background(), m.entries[removed].Time)
	if err != nil || got != removed {
		t.Fatalf("Truncate: %d %v, want %d", got, err, removed)
	}
	return l, m
}

func TestVerifyTruncatedLog(t *testing.T) {
	st := openSQLite(t)
	l := New(st, Options{Key: testKey, Now: (&clock{t: t0}).Now})
	appendN(t, l, 6)
	es, err := l.Entries(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := l.Truncate(context.Background(), es[3].Time); err != nil || n != 3 {
		t.Fatalf("Truncate: %d %v", n, err)
	}
	r := verify(t, l, nil)
	if !r.OK() || r.Entries != 3 || r.Head.Seq != 6 || r.Checkpoint == nil || r.Checkpoint.Seq != 3 {
		t.Fatalf("report %+v", r)
	}
	appendN(t, l, 1) // the log goes on from its head
	if r := verify(t, l, nil); !r.OK() || r.Head.Seq != 7 {
		t.Fatalf("after another append: %+v", r)
	}
}

// Entries after the checkpoint are checked as before: a gap, a change or
// a reordering is still reported.
func TestVerifyTamperingAfterTruncation(t *testing.T) {
	l, m := truncatedMemLog(t, 8, 3)
	m.entries = append(m.entries[:2], m.entries[3:]...) // remove 6
	expectProblems(t, verify(t, l, nil), Problem{Kind: Missing, Seq: 6, Last: 6})

	l, m = truncatedMemLog(t, 8, 3)
	m.entries = m.entries[1:] // remove 4, the first after the checkpoint
	expectProblems(t, verify(t, l, nil), Problem{Kind: Missing, Seq: 4, Last: 4})

	l, m = truncatedMemLog(t, 8, 3)
	m.tamper(0, func(e *Entry) { e.Actor = "u_mallory" })
	expectProblems(t, verify(t, l, nil), Problem{Kind: Changed, Seq: 4})

	l, m = truncatedMemLog(t, 8, 3)
	a, b := m.entries[0], m.entries[1]
	a.Seq, b.Seq = 5, 4
	m.entries[0], m.entries[1] = b, a
	expectProblems(t, verify(t, l, nil),
		Problem{Kind: Reordered, Seq: 4, From: 5}, Problem{Kind: Reordered, Seq: 5, From: 4})
}

// Someone with the database but not the key cannot pass off removed
// entries as retention: the checkpoint's seal does not match.
func TestVerifyForgedCheckpoint(t *testing.T) {
	l, m := newMemLog(t, 6)
	forger := chain{key: []byte("a guess that is not the key......")}
	cp := forger.sealCheckpoint(Checkpoint{Seq: 3, Hash: bytes.Clone(m.entries[2].Hash), Time: t0})
	m.cp, m.entries = &cp, m.entries[3:]
	expectProblems(t, verify(t, l, nil), Problem{Kind: CheckpointChanged, Seq: 3})

	// A real checkpoint moved back in time is just as changed.
	l, m = truncatedMemLog(t, 6, 3)
	m.cp.Time = m.cp.Time.Add(-time.Hour)
	expectProblems(t, verify(t, l, nil), Problem{Kind: CheckpointChanged, Seq: 3})

	// A sealed checkpoint that names another hash than the one the first
	// remaining entry follows (possible only with the key).
	l, m = truncatedMemLog(t, 6, 3)
	other := l.chain.sealCheckpoint(Checkpoint{Seq: 3, Hash: bytes.Repeat([]byte{1}, 32), Time: t0})
	m.cp = &other
	expectProblems(t, verify(t, l, nil), Problem{Kind: CheckpointUnlinked, Seq: 4})
}

func TestVerifyAnchorAfterTruncation(t *testing.T) {
	l, m := newMemLog(t, 6)
	anchors := map[int64]Anchor{}
	for _, e := range m.entries {
		anchors[e.Seq] = Anchor{Seq: e.Seq, Hash: bytes.Clone(e.Hash)}
	}
	if _, err := l.Truncate(context.Background(), m.entries[3].Time); err != nil {
		t.Fatal(err)
	}
	for _, seq := range []int64{3, 5} { // the checkpoint keeps entry 3's hash
		a := anchors[seq]
		if r := verify(t, l, &a); !r.OK() {
			t.Fatalf("anchor %d: %v", seq, r.Problems)
		}
	}
	old := anchors[2]
	r := verify(t, l, &old)
	expectProblems(t, r, Problem{Kind: AnchorRemoved, Seq: 2, Last: 3})
	if !r.OnlyAnchorRemoved() {
		t.Fatal("an anchor removed by retention is not tampering")
	}
	wrong := Anchor{Seq: 3, Hash: bytes.Repeat([]byte{1}, 32)}
	expectProblems(t, verify(t, l, &wrong), Problem{Kind: AnchorMismatch, Seq: 3})
}

// A page that starts right after the checkpoint links to it, not to a gap.
func TestCheckEntriesAfterTruncation(t *testing.T) {
	ctx := context.Background()
	l, m := truncatedMemLog(t, 6, 3)
	if p, err := l.CheckEntries(ctx, m.entries[:2]); err != nil || len(p) != 0 {
		t.Fatalf("page after the checkpoint: %v %v", p, err)
	}
	m.cp.Seal[0] ^= 1
	p, err := l.CheckEntries(ctx, m.entries[:2])
	if err != nil || len(p) != 1 || p[0] != (Problem{Kind: CheckpointChanged, Seq: 3}) {
		t.Fatalf("forged checkpoint: %v %v", p, err)
	}
}
