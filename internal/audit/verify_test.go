package audit

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestVerifyIntact(t *testing.T) {
	l, m := newMemLog(t, 5)
	r := verify(t, l, nil)
	if !r.OK() || r.Entries != 5 || r.Head.Seq != 5 || !bytes.Equal(r.Head.Hash, m.entries[4].Hash) {
		t.Fatalf("report %+v", r)
	}
	if !bytes.Equal(m.entries[0].PrevHash, Genesis) {
		t.Fatal("first entry does not chain to the genesis value")
	}
	empty, _ := newMemLog(t, 0)
	if r := verify(t, empty, nil); !r.OK() || r.Entries != 0 || r.Head.Seq != 0 {
		t.Fatalf("empty log: %+v", r)
	}
}

// (a) A changed field is reported at that entry alone.
func TestVerifyChangedField(t *testing.T) {
	edits := map[string]func(*Entry){
		"actor":   func(e *Entry) { e.Actor = "u_mallory" },
		"outcome": func(e *Entry) { e.Outcome = string(Failure) },
		"time":    func(e *Entry) { e.Time = e.Time.Add(-1) },
		"details": func(e *Entry) { e.Details = map[string]string{"n": "z"} },
		"address": func(e *Entry) { e.ClientAddr = "198.51.100.1" },
		"hash":    func(e *Entry) { e.Hash[0] ^= 1 },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			l, m := newMemLog(t, 5)
			m.tamper(2, edit)
			expectProblems(t, verify(t, l, nil), Problem{Kind: Changed, Seq: 3})
		})
	}
}

// (b) A deleted entry shows as a gap.
func TestVerifyDeletedEntry(t *testing.T) {
	l, m := newMemLog(t, 6)
	m.entries = append(m.entries[:2], m.entries[4:]...) // remove 3 and 4
	expectProblems(t, verify(t, l, nil), Problem{Kind: Missing, Seq: 3, Last: 4})

	l, m = newMemLog(t, 3)
	m.entries = m.entries[1:]
	expectProblems(t, verify(t, l, nil), Problem{Kind: Missing, Seq: 1, Last: 1})
}

// (c) Two entries swapped (their positions exchanged, contents intact).
func TestVerifySwappedEntries(t *testing.T) {
	l, m := newMemLog(t, 6)
	a, b := m.entries[2], m.entries[3]
	a.Seq, b.Seq = 4, 3
	m.entries[2], m.entries[3] = b, a
	expectProblems(t, verify(t, l, nil),
		Problem{Kind: Reordered, Seq: 3, From: 4},
		Problem{Kind: Reordered, Seq: 4, From: 3})
}

func TestVerifySwapNonAdjacent(t *testing.T) {
	l, m := newMemLog(t, 8)
	a, b := m.entries[1], m.entries[5]
	a.Seq, b.Seq = 6, 2
	m.entries[1], m.entries[5] = b, a
	expectProblems(t, verify(t, l, nil),
		Problem{Kind: Reordered, Seq: 2, From: 6},
		Problem{Kind: Reordered, Seq: 6, From: 2})
}

// (d) Someone with database access but without the key rewrites an entry
// and recomputes the whole chain from there on: every rewritten entry fails.
func TestVerifyRecomputedChainWithoutKey(t *testing.T) {
	l, m := newMemLog(t, 5)
	forger := chain{key: []byte("a guess that is not the key......")}
	prev := m.entries[1].Hash
	for i := 2; i < 5; i++ {
		m.tamper(i, func(e *Entry) {
			if i == 2 {
				e.Outcome = string(Denied)
			}
			e.PrevHash = prev
			e.Hash = forger.sum(*e)
			prev = e.Hash
		})
	}
	expectProblems(t, verify(t, l, nil),
		Problem{Kind: Changed, Seq: 3}, Problem{Kind: Changed, Seq: 4}, Problem{Kind: Changed, Seq: 5})

	// The same forgery passes an unkeyed check, which is why the key matters.
	unkeyed := chain{}
	for i := range m.entries {
		m.tamper(i, func(e *Entry) {
			if i > 0 {
				e.PrevHash = m.entries[i-1].Hash
			}
			e.Hash = unkeyed.sum(*e)
		})
	}
	if r := verify(t, New(m, Options{}), nil); !r.OK() {
		t.Fatalf("unkeyed control: %v", r.Problems)
	}
	if r := verify(t, l, nil); len(r.Problems) != 5 {
		t.Fatalf("keyed verify of an unkeyed forgery: %v", r.Problems)
	}
}

// A changed entry whose hash was recomputed with the key (e.g. by someone
// who also stole it, or in an unkeyed log) still breaks the next link.
func TestVerifyRehashedEntryBreaksNextLink(t *testing.T) {
	l, m := newMemLog(t, 4)
	m.tamper(1, func(e *Entry) {
		e.Actor = "u_mallory"
		e.Hash = l.chain.sum(*e)
	})
	expectProblems(t, verify(t, l, nil), Problem{Kind: Unlinked, Seq: 3})
}

func TestVerifyAnchor(t *testing.T) {
	l, m := newMemLog(t, 5)
	anchor := Anchor{Seq: 5, Hash: bytes.Clone(m.entries[4].Hash)}
	if r := verify(t, l, &anchor); !r.OK() {
		t.Fatalf("intact with anchor: %v", r.Problems)
	}
	m.entries = m.entries[:3] // cut short: invisible to the chain alone
	if r := verify(t, l, nil); !r.OK() {
		t.Fatalf("truncation without anchor: %v", r.Problems)
	}
	expectProblems(t, verify(t, l, &anchor), Problem{Kind: Truncated, Seq: 5, Last: 3})
	m.entries = m.entries[:2]
	appendN(t, l, 3) // refilled beyond the anchor: a different entry 5
	expectProblems(t, verify(t, l, &anchor), Problem{Kind: AnchorMismatch, Seq: 5})
}

func TestVerifyErasedAddressStillIntact(t *testing.T) {
	l, m := newMemLog(t, 3)
	m.tamper(1, func(e *Entry) { e.ClientAddr, e.AddrSalt = "", nil })
	if r := verify(t, l, nil); !r.OK() {
		t.Fatalf("erasure broke the chain: %v", r.Problems)
	}
	m.tamper(2, func(e *Entry) { e.AddrSalt = nil }) // address kept, salt lost
	expectProblems(t, verify(t, l, nil), Problem{Kind: Changed, Seq: 3})
}

func TestVerifyPagesThroughLargeLogs(t *testing.T) {
	l, m := newMemLog(t, verifyPage*2+3)
	m.tamper(verifyPage+1, func(e *Entry) { e.Meeting = "aaaa-bbbb-cccc-dddd" })
	r := verify(t, l, nil)
	expectProblems(t, r, Problem{Kind: Changed, Seq: verifyPage + 2})
	if r.Entries != verifyPage*2+3 {
		t.Fatalf("read %d entries", r.Entries)
	}
}

func TestAnchorParse(t *testing.T) {
	a := Anchor{Seq: 42, Hash: bytes.Repeat([]byte{0xab}, 32)}
	got, err := ParseAnchor(a.String())
	if err != nil || got.Seq != 42 || !bytes.Equal(got.Hash, a.Hash) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for _, bad := range []string{"", "42", "x:ab", "0:" + strings.Repeat("ab", 32), "1:abc", "1:" + strings.Repeat("ab", 31)} {
		if _, err := ParseAnchor(bad); err == nil {
			t.Errorf("ParseAnchor(%q) accepted", bad)
		}
	}
}

func TestProblemStrings(t *testing.T) {
	for _, p := range []Problem{
		{Kind: Changed, Seq: 3}, {Kind: Missing, Seq: 3, Last: 3}, {Kind: Missing, Seq: 3, Last: 5},
		{Kind: Reordered, Seq: 3, From: 4}, {Kind: Unlinked, Seq: 3}, {Kind: AnchorMismatch, Seq: 3},
	} {
		if s := p.String(); !strings.HasPrefix(s, "entr") || !strings.Contains(s, "3") {
			t.Errorf("%+v: %q", p, s)
		}
	}
}

func TestCheckEntries(t *testing.T) {
	l, m := newMemLog(t, 6)
	ctx := context.Background()
	page := []Entry{m.entries[5], m.entries[3], m.entries[0]} // not consecutive
	if p, err := l.CheckEntries(ctx, page); err != nil || len(p) != 0 {
		t.Fatalf("intact page: %v %v", p, err)
	}
	m.tamper(3, func(e *Entry) { e.Target = "u_bob" })
	m.entries = append(m.entries[:4], m.entries[5:]...) // remove 5
	page = []Entry{m.entries[4], m.entries[3]}
	p, err := l.CheckEntries(ctx, page)
	if err != nil {
		t.Fatal(err)
	}
	want := []Problem{{Kind: Missing, Seq: 5, Last: 5}, {Kind: Changed, Seq: 4}}
	if len(p) != 2 || p[0] != want[0] || p[1] != want[1] {
		t.Fatalf("problems %v, want %v", p, want)
	}
}

// Removing an entry and renumbering the rest closes the gap, but every
// renumbered entry was sealed with its old number.
func TestVerifyDeletionWithRenumbering(t *testing.T) {
	l, m := newMemLog(t, 5)
	m.entries = append(m.entries[:1], m.entries[2:]...)
	for i := 1; i < len(m.entries); i++ {
		m.entries[i].Seq = int64(i + 1)
	}
	expectProblems(t, verify(t, l, nil),
		Problem{Kind: Changed, Seq: 2}, Problem{Kind: Changed, Seq: 3}, Problem{Kind: Changed, Seq: 4})
}

// A first entry that does not start from the genesis value is caught even
// when its own hash is valid (e.g. a log spliced onto another's tail).
func TestVerifyFirstEntryMustChainToGenesis(t *testing.T) {
	l, m := newMemLog(t, 2)
	m.tamper(0, func(e *Entry) {
		e.PrevHash = bytes.Repeat([]byte{9}, 32)
		e.Hash = l.chain.sum(*e)
	})
	m.tamper(1, func(e *Entry) {
		e.PrevHash = m.entries[0].Hash
		e.Hash = l.chain.sum(*e)
	})
	expectProblems(t, verify(t, l, nil), Problem{Kind: Unlinked, Seq: 1})
}

// Crafted links that point at each other in a circle end as "changed"
// instead of recursing forever.
func TestVerifyCircularLinks(t *testing.T) {
	l, m := newMemLog(t, 3)
	h2, h3 := bytes.Clone(m.entries[1].Hash), bytes.Clone(m.entries[2].Hash)
	m.tamper(1, func(e *Entry) { e.PrevHash = h3 })
	m.tamper(2, func(e *Entry) { e.PrevHash, e.Outcome = h2, string(Denied) }) // broken too
	expectProblems(t, verify(t, l, nil), Problem{Kind: Changed, Seq: 2}, Problem{Kind: Changed, Seq: 3})
}

// Past maxSuspects broken entries the report still lists every one.
func TestVerifyManyBrokenEntries(t *testing.T) {
	n := maxSuspects + 5
	l, m := newMemLog(t, n)
	for i := range n {
		m.tamper(i, func(e *Entry) { e.Outcome = string(Denied) })
	}
	r := verify(t, l, nil)
	if len(r.Problems) != n || r.Problems[0].Seq != 1 || r.Problems[n-1].Seq != int64(n) {
		t.Fatalf("%d problems for %d broken entries", len(r.Problems), n)
	}
	for _, p := range r.Problems {
		if p.Kind != Changed {
			t.Fatalf("%v", p)
		}
	}
}

func TestCheckEntriesFirstAndEmpty(t *testing.T) {
	l, m := newMemLog(t, 2)
	if p, err := l.CheckEntries(context.Background(), nil); err != nil || len(p) != 0 {
		t.Fatalf("empty page: %v %v", p, err)
	}
	m.tamper(0, func(e *Entry) {
		e.PrevHash = bytes.Repeat([]byte{9}, 32)
		e.Hash = l.chain.sum(*e)
	})
	p, err := l.CheckEntries(context.Background(), m.entries[:1])
	if err != nil || len(p) != 1 || p[0] != (Problem{Kind: Unlinked, Seq: 1}) {
		t.Fatalf("first entry off genesis: %v %v", p, err)
	}
}
