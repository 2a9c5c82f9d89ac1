package audit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sealedHead(t *testing.T, l *Log) SealedHead {
	t.Helper()
	h, ok, err := l.SealHead(context.Background())
	if err != nil || !ok {
		t.Fatalf("SealHead: %v %v", ok, err)
	}
	return h
}

func TestSealedHeadRoundTrip(t *testing.T) {
	l, m := newMemLog(t, 3)
	h := sealedHead(t, l)
	if h.Seq != 3 || !bytes.Equal(h.Hash, m.entries[2].Hash) || h.Time.Nanosecond() != 0 {
		t.Fatalf("head %+v", h)
	}
	got, err := ParseHead(h.String())
	if err != nil || got.String() != h.String() || !l.CheckHead(got) {
		t.Fatalf("round trip: %v %v", got, err)
	}
	// Its first two fields are the anchor --anchor always took.
	if a, err := ParseAnchor(h.Anchor().String()); err != nil || !strings.HasPrefix(h.String(), a.String()+":") {
		t.Fatalf("anchor prefix: %v", err)
	}
	plain, err := ParseHead(h.Anchor().String())
	if err != nil || plain.Seal != nil || l.CheckHead(plain) {
		t.Fatalf("plain anchor: %+v %v", plain, err)
	}
}

// TestForgedHeadRejected: without the key no field of a head can be
// changed, and no head made up.
func TestForgedHeadRejected(t *testing.T) {
	l, _ := newMemLog(t, 3)
	h := sealedHead(t, l)
	forgeries := map[string]SealedHead{
		"seq":  {Seq: 2, Hash: h.Hash, Time: h.Time, Seal: h.Seal},
		"hash": {Seq: 3, Hash: bytes.Repeat([]byte{1}, 32), Time: h.Time, Seal: h.Seal},
		"time": {Seq: 3, Hash: h.Hash, Time: h.Time.Add(time.Second), Seal: h.Seal},
		"seal": {Seq: 3, Hash: h.Hash, Time: h.Time, Seal: bytes.Repeat([]byte{2}, 32)},
	}
	other := New(&memStore{}, Options{Key: []byte("another key, another key, anothe")})
	forgeries["other key"] = other.chain.sealHead(SealedHead{Seq: 3, Hash: h.Hash, Time: h.Time})
	forgeries["no key"] = New(&memStore{}, Options{}).chain.sealHead(SealedHead{Seq: 3, Hash: h.Hash, Time: h.Time})
	for name, f := range forgeries {
		if l.CheckHead(f) {
			t.Errorf("%s: forged head accepted", name)
		}
		if _, err := l.ReadHeads(strings.NewReader(f.String() + "\n")); err == nil {
			t.Errorf("%s: forged line accepted", name)
		}
	}
}

func TestParseHeadRejects(t *testing.T) {
	l, _ := newMemLog(t, 1)
	h := sealedHead(t, l).String()
	parts := strings.Split(h, ":")
	for _, bad := range []string{
		"", "1", parts[0] + ":" + parts[1] + ":" + parts[2], h + ":x",
		parts[0] + ":" + parts[1] + ":2026-01-01:" + parts[3],
		parts[0] + ":" + parts[1] + ":" + parts[2] + ":abcd",
		"0:" + parts[1] + ":" + parts[2] + ":" + parts[3],
	} {
		if _, err := ParseHead(bad); err == nil {
			t.Errorf("ParseHead(%q) accepted", bad)
		}
	}
}

func TestReadHeads(t *testing.T) {
	l, _ := newMemLog(t, 2)
	h2 := sealedHead(t, l)
	appendN(t, l, 3)
	h5 := sealedHead(t, l)
	text := h2.String() + "\n\n" + h5.String() + "\n" + h2.String() + "\n" + h5.String()[:40] // torn last line
	p, err := l.ReadHeads(strings.NewReader(text))
	if err != nil || len(p.Heads) != 3 || p.Newest.String() != h5.String() {
		t.Fatalf("heads %+v %v", p, err)
	}
	if as := p.Anchors(); len(as) != 3 || as[1].String() != h5.Anchor().String() {
		t.Fatalf("anchors %v", as)
	}
	for name, text := range map[string]string{
		"garbage":  h2.String() + "\nhello\n" + h5.String() + "\n",
		"unsealed": h2.Anchor().String() + "\n",
	} {
		if _, err := l.ReadHeads(strings.NewReader(text)); err == nil || !strings.Contains(err.Error(), "line ") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if p, err := l.ReadHeads(strings.NewReader("")); err != nil || len(p.Heads) != 0 {
		t.Fatalf("empty: %+v %v", p, err)
	}
	if _, err := l.ReadHeadFile(filepath.Join(t.TempDir(), "absent")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("absent file: %v", err)
	}
}

// TestVerifyAgainstPublishedHeads: the heads a server published show a
// log cut at its end, emptied, or cut and refilled; heads that retention
// overtook are passed over unless the newest is among them.
func TestVerifyAgainstPublishedHeads(t *testing.T) {
	ctx := context.Background()
	l, m := newMemLog(t, 4)
	heads := []Anchor{sealedHead(t, l).Anchor()}
	appendN(t, l, 2)
	heads = append(heads, sealedHead(t, l).Anchor())
	if r, err := l.VerifyAgainst(ctx, heads); err != nil || !r.OK() {
		t.Fatalf("intact: %v %v", r.Problems, err)
	}
	m.entries = m.entries[:5]
	expectProblems(t, verifyAgainst(t, l, heads), Problem{Kind: Truncated, Seq: 6, Last: 5})
	m.entries = nil
	r := verifyAgainst(t, l, heads)
	expectProblems(t, r, Problem{Kind: Truncated, Seq: 6})
	if s := r.Problems[0].String(); s != "log emptied: published head seq 6, but the log has no entries" {
		t.Fatalf("emptied: %q", s)
	}

	// Cut at 3 and refilled to beyond the heads: the newest head alone
	// would not notice if the server published one for the refilled log.
	l, m = newMemLog(t, 4)
	heads = []Anchor{sealedHead(t, l).Anchor()}
	m.entries = m.entries[:3]
	appendN(t, l, 3)
	heads = append(heads, sealedHead(t, l).Anchor())
	expectProblems(t, verifyAgainst(t, l, heads), Problem{Kind: AnchorMismatch, Seq: 4})
}

func TestVerifyAgainstHeadsAfterRetention(t *testing.T) {
	ctx := context.Background()
	l, m := newMemLog(t, 6)
	var heads []Anchor
	for _, e := range m.entries {
		heads = append(heads, Anchor{Seq: e.Seq, Hash: bytes.Clone(e.Hash)})
	}
	if _, err := l.Truncate(ctx, m.entries[4].Time); err != nil {
		t.Fatal(err)
	}
	if r := verifyAgainst(t, l, heads); !r.OK() {
		t.Fatalf("heads older than the checkpoint: %v", r.Problems)
	}
	r := verifyAgainst(t, l, heads[:2])
	expectProblems(t, r, Problem{Kind: AnchorRemoved, Seq: 2, Last: 4})
	// Retention keeps the newest entry; an attacker removing it as well
	// leaves a log ending at the checkpoint.
	m.entries = nil
	expectProblems(t, verifyAgainst(t, l, heads), Problem{Kind: Truncated, Seq: 6})
}

func verifyAgainst(t *testing.T, l *Log, anchors []Anchor) Report {
	t.Helper()
	r, err := l.VerifyAgainst(context.Background(), anchors)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
