package audit

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/conclave-meet/conclave/internal/store"
)

// ProblemKind classifies what verification found.
type ProblemKind string

const (
	// Changed: the entry's content, address or hash is not what was sealed.
	Changed ProblemKind = "changed"
	// Missing: sequence numbers Seq..Last are absent (entries removed).
	Missing ProblemKind = "missing"
	// Reordered: the entry is intact but was sealed at position From.
	Reordered ProblemKind = "reordered"
	// Unlinked: the entry is intact but does not follow the entry before it,
	// which was therefore replaced (e.g. changed and re-hashed) or moved.
	Unlinked ProblemKind = "unlinked"
	// AnchorMismatch: the anchored entry is absent or has another hash, so
	// the log was cut short or rewritten since the anchor was taken.
	AnchorMismatch ProblemKind = "anchor"
	// Truncated: a published head or anchor names entry Seq, but the log
	// ends before it, at Last (0: the log has no entries). Entries were
	// cut off its end, or all of them removed.
	Truncated ProblemKind = "truncated"
	// AnchorRemoved: the anchored entry was removed by retention (Last: the
	// checkpoint's Seq), so the anchor can no longer be checked. Not by
	// itself a sign of tampering, but it fails verification: otherwise
	// faking a retention run would be a way round any anchor.
	AnchorRemoved ProblemKind = "anchor_removed"
	// CheckpointChanged: the retention checkpoint (at Seq) does not match
	// its seal, so the entries before it may have been removed by someone
	// other than retention.
	CheckpointChanged ProblemKind = "checkpoint"
	// CheckpointUnlinked: the first entry after the retention checkpoint
	// does not follow the entry the checkpoint says was removed last.
	CheckpointUnlinked ProblemKind = "checkpoint_unlinked"
)

// Problem is one finding of Verify or CheckEntries.
type Problem struct {
	Kind ProblemKind `json:"kind"`
	Seq  int64       `json:"seq"`
	Last int64       `json:"last,omitempty"` // Missing: last absent number (>= Seq)
	From int64       `json:"from,omitempty"` // Reordered: original position
}

func (p Problem) String() string {
	switch p.Kind {
	case Missing:
		if p.Last > p.Seq {
			return fmt.Sprintf("entries %d to %d: missing (removed)", p.Seq, p.Last)
		}
		return fmt.Sprintf("entry %d: missing (removed)", p.Seq)
	case Reordered:
		return fmt.Sprintf("entry %d: reordered (it was sealed as entry %d)", p.Seq, p.From)
	case Unlinked:
		return fmt.Sprintf("entry %d: does not follow entry %d (that one was replaced or moved)", p.Seq, p.Seq-1)
	case AnchorMismatch:
		return fmt.Sprintf("entry %d: absent or different from the anchor (log cut short or rewritten)", p.Seq)
	case Truncated:
		if p.Last == 0 {
			return fmt.Sprintf("log emptied: published head seq %d, but the log has no entries", p.Seq)
		}
		return fmt.Sprintf("log truncated/shortened: published head seq %d, log ends at %d", p.Seq, p.Last)
	case AnchorRemoved:
		return fmt.Sprintf("entry %d: removed by retention (the log now starts after entry %d); "+
			"the anchor can no longer be checked, anchor a newer head", p.Seq, p.Last)
	case CheckpointChanged:
		return fmt.Sprintf("retention checkpoint at entry %d: changed (its seal does not match; "+
			"entries up to %d may have been removed without retention)", p.Seq, p.Seq)
	case CheckpointUnlinked:
		return fmt.Sprintf("entry %d: does not follow the retention checkpoint (entry %d, removed)", p.Seq, p.Seq-1)
	default:
		return fmt.Sprintf("entry %d: changed (content or hash differs from what was sealed)", p.Seq)
	}
}

// Anchor is a (Seq, Hash) pair recorded outside the server, e.g. the head
// printed by an earlier `conclave audit verify`.
type Anchor struct {
	Seq  int64
	Hash []byte
}

// String formats a as SEQ:HEX, the form ParseAnchor reads.
func (a Anchor) String() string {
	return strconv.FormatInt(a.Seq, 10) + ":" + hex.EncodeToString(a.Hash)
}

// ParseAnchor reads SEQ:HEX.
func ParseAnchor(s string) (Anchor, error) {
	seqText, hashText, ok := strings.Cut(s, ":")
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if !ok || err != nil || seq < 1 {
		return Anchor{}, errors.New("anchor must be SEQ:HASH as printed by conclave audit verify")
	}
	h, err := hex.DecodeString(hashText)
	if err != nil || len(h) != 32 {
		return Anchor{}, errors.New("anchor hash must be 64 hex digits")
	}
	return Anchor{Seq: seq, Hash: h}, nil
}

// Report is the result of Verify.
type Report struct {
	Entries  int64     // entries read
	Head     Anchor    // the last entry read (Seq 0 when the log is empty)
	Problems []Problem // ordered by Seq
	// Checkpoint is the last retention run's: entries 1 to Checkpoint.Seq
	// were removed and the chain was verified from the next one. Nil when
	// no entry was ever removed.
	Checkpoint *Checkpoint
}

// OK reports whether the log verified without problems.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// OnlyAnchorRemoved reports whether the chain verified and the only
// problem is an anchor that retention removed.
func (r Report) OnlyAnchorRemoved() bool {
	return len(r.Problems) == 1 && r.Problems[0].Kind == AnchorRemoved
}

// verifyPage is how many entries Verify reads at a time.
const verifyPage = 1000

// maxSuspects bounds the broken entries kept for the reordering analysis;
// beyond it they are reported as changed.
const maxSuspects = 10000

// Verify reads the whole log in chain order and reports every entry that
// was changed, removed or reordered. After a retention run the chain starts
// at the sealed checkpoint instead of the genesis value. With an anchor it
// also checks that the anchored entry is still there unchanged, which
// detects removal at the end and wholesale rewriting that the chain alone
// cannot show. Memory stays small: one page plus the broken entries.
func (l *Log) Verify(ctx context.Context, anchor *Anchor) (Report, error) {
	if anchor == nil {
		return l.VerifyAgainst(ctx, nil)
	}
	return l.VerifyAgainst(ctx, []Anchor{*anchor})
}

// VerifyAgainst is Verify with any number of anchors, e.g. every head the
// server published. Each must be confirmed: its entry still there with its
// hash (or kept by the retention checkpoint). The newest one, the highest
// Seq, shows a log that ends before it as truncated; an older one that
// retention removed is passed over, since a newer anchor covers the chain
// up to it. Checking all of them, not just the newest, matters: after a cut,
// the server goes on appending and publishing heads of the shortened log.
func (l *Log) VerifyAgainst(ctx context.Context, anchors []Anchor) (Report, error) {
	v := verifier{chain: l.chain, start: 1, expect: 1, prev: Genesis, anchors: newAnchorSet(anchors)}
	cp, found, err := l.checkpoint(ctx)
	if err != nil {
		return Report{}, err
	}
	if found {
		v.fromCheckpoint(cp)
	}
	if err := l.scan(ctx, v.start-1, v.check); err != nil {
		return Report{}, err
	}
	v.finishAnchors()
	if len(v.suspects) > 0 {
		if err := l.classify(ctx, &v); err != nil {
			return Report{}, err
		}
	}
	slices.SortStableFunc(v.report.Problems, func(a, b Problem) int { return cmp.Compare(a.Seq, b.Seq) })
	return v.report, nil
}

// scan calls fn for every entry after Seq `after`, in chain order.
func (l *Log) scan(ctx context.Context, after int64, fn func(Entry)) error {
	for {
		page, err := l.Entries(ctx, store.AuditFilter{AfterSeq: after, Limit: verifyPage})
		if err != nil {
			return err
		}
		for _, e := range page {
			fn(e)
		}
		if len(page) < verifyPage {
			return nil
		}
		after = page[len(page)-1].Seq
	}
}

type verifier struct {
	chain    chain
	start    int64  // the first Seq the log should have: 1, or after the checkpoint
	cpOK     bool   // whether the checkpoint, if any, matches its seal
	expect   int64  // the Seq the next entry should have
	prev     []byte // stored Hash of the previous entry read
	prevOK   bool   // whether the previous entry read was intact
	anchors  anchorSet
	suspects []Entry // broken entries, classified after the scan
	report   Report
}

func (v *verifier) check(e Entry) {
	v.report.Entries++
	v.report.Head = Anchor{Seq: e.Seq, Hash: e.Hash}
	gap := e.Seq != v.expect
	if gap {
		v.add(Problem{Kind: Missing, Seq: v.expect, Last: e.Seq - 1})
	}
	ok := v.chain.intact(e) && addrMatches(e)
	switch {
	case !ok && len(v.suspects) < maxSuspects:
		v.suspects = append(v.suspects, e)
	case !ok:
		v.add(Problem{Kind: Changed, Seq: e.Seq})
	case !gap && (v.expect == 1 || v.prevOK) && !bytes.Equal(e.PrevHash, v.prev):
		// A broken predecessor or a gap already explains a broken link.
		v.add(v.unlinked(e.Seq))
	}
	v.anchors.see(e, ok)
	v.prev, v.prevOK, v.expect = e.Hash, ok, e.Seq+1
}

// fromCheckpoint starts the chain after the entries retention removed:
// the checkpoint must match its seal and the first remaining entry must
// follow its hash. A checkpoint that fails its seal is reported once; the
// link to it is then not reported again.
func (v *verifier) fromCheckpoint(cp Checkpoint) {
	v.report.Checkpoint = &cp
	v.start, v.expect, v.prev = cp.Seq+1, cp.Seq+1, cp.Hash
	v.cpOK = v.chain.checkpointIntact(cp)
	v.prevOK = v.cpOK
	if !v.cpOK {
		v.add(Problem{Kind: CheckpointChanged, Seq: cp.Seq})
	}
}

// unlinked names a broken link; the first entry after a checkpoint links
// to the checkpoint rather than to an entry that is still there.
func (v *verifier) unlinked(seq int64) Problem {
	if seq == v.start && v.start > 1 {
		return Problem{Kind: CheckpointUnlinked, Seq: seq}
	}
	return Problem{Kind: Unlinked, Seq: seq}
}

func (v *verifier) add(p Problem) { v.report.Problems = append(v.report.Problems, p) }

// finishAnchors reports the anchors that the scan did not confirm. An
// anchor at the checkpoint itself is still checked against the
// checkpoint's hash; one before it names an entry that retention removed,
// which only matters for the newest anchor. Beyond the end of the log, only
// the newest anchor is reported, and of the mismatches only the first:
// through the chain, every later one follows from it.
func (v *verifier) finishAnchors() {
	s := v.anchors
	cp := v.report.Checkpoint
	last := v.report.Head.Seq
	end := last
	if cp != nil && cp.Seq > end {
		end = cp.Seq
	}
	mismatched := false
	for _, seq := range slices.Sorted(maps.Keys(s.hashes)) {
		switch {
		case s.confirmed[seq]:
		case cp != nil && seq == cp.Seq && v.cpOK && s.matches(seq, cp.Hash):
		case cp != nil && seq < cp.Seq:
			if seq == s.newest {
				v.add(Problem{Kind: AnchorRemoved, Seq: seq, Last: cp.Seq})
			}
		case seq > end:
			v.add(Problem{Kind: Truncated, Seq: s.newest, Last: last})
			return
		case !mismatched:
			mismatched = true
			v.add(Problem{Kind: AnchorMismatch, Seq: seq})
		}
	}
}

// anchorSet holds every hash anchored for each Seq: two published heads
// of one Seq with different hashes mean the log was cut and refilled, and
// the log can match at most one of them.
type anchorSet struct {
	hashes    map[int64][][]byte
	newest    int64
	confirmed map[int64]bool
}

func newAnchorSet(anchors []Anchor) anchorSet {
	s := anchorSet{hashes: map[int64][][]byte{}, confirmed: map[int64]bool{}}
	for _, a := range anchors {
		if !slices.ContainsFunc(s.hashes[a.Seq], func(h []byte) bool { return bytes.Equal(h, a.Hash) }) {
			s.hashes[a.Seq] = append(s.hashes[a.Seq], a.Hash)
		}
		s.newest = max(s.newest, a.Seq)
	}
	return s
}

// see confirms the anchors of e's Seq when e is intact and has their hash.
func (s anchorSet) see(e Entry, intact bool) {
	if _, ok := s.hashes[e.Seq]; ok {
		s.confirmed[e.Seq] = intact && s.matches(e.Seq, e.Hash)
	}
}

// matches reports whether every hash anchored at seq is h.
func (s anchorSet) matches(seq int64, h []byte) bool {
	for _, a := range s.hashes[seq] {
		if !bytes.Equal(a, h) {
			return false
		}
	}
	return true
}

// classify tells reordered entries from changed ones. An entry that was
// moved still names its original predecessor in PrevHash, and hashes
// correctly once given its original Seq: the predecessor's original Seq
// plus one, where the predecessor may itself have moved. A second scan
// finds where those predecessors are now.
func (l *Log) classify(ctx context.Context, v *verifier) error {
	c := classifier{
		chain: v.chain, where: map[string]int64{string(Genesis): 0},
		suspects: make(map[int64]Entry, len(v.suspects)), orig: map[int64]int64{},
	}
	if cp := v.report.Checkpoint; cp != nil && v.cpOK {
		c.where[string(cp.Hash)] = cp.Seq
	}
	wanted := make(map[string]bool, len(v.suspects))
	for _, e := range v.suspects {
		wanted[string(e.PrevHash)] = true
		c.suspects[e.Seq] = e
	}
	err := l.scan(ctx, v.start-1, func(e Entry) {
		if wanted[string(e.Hash)] {
			c.where[string(e.Hash)] = e.Seq
		}
	})
	if err != nil {
		return err
	}
	for _, e := range v.suspects {
		v.add(c.problem(e))
	}
	return nil
}

type classifier struct {
	chain    chain
	where    map[string]int64 // stored Hash -> current Seq (Genesis: 0)
	suspects map[int64]Entry  // broken entries by current Seq
	orig     map[int64]int64  // current Seq -> original Seq; -1 unknown
}

func (c *classifier) problem(e Entry) Problem {
	if from := c.original(e); from > 0 && from != e.Seq && addrMatches(e) {
		moved := e
		moved.Seq = from
		if c.chain.intact(moved) {
			return Problem{Kind: Reordered, Seq: e.Seq, From: from}
		}
	}
	return Problem{Kind: Changed, Seq: e.Seq}
}

// original returns the Seq e was sealed at as its chain link tells it, or
// -1 when the link leads nowhere (or round in a circle).
func (c *classifier) original(e Entry) int64 {
	if o, done := c.orig[e.Seq]; done {
		return o
	}
	c.orig[e.Seq] = -1 // visiting: a cycle resolves to unknown
	o := int64(-1)
	if p, found := c.where[string(e.PrevHash)]; found {
		o = p + 1
		if pe, moved := c.suspects[p]; moved {
			if po := c.original(pe); po > 0 {
				o = po + 1
			} else {
				o = -1
			}
		}
	}
	c.orig[e.Seq] = o
	return o
}

// CheckEntries checks entries returned by a query, which need not be
// consecutive: each must be intact and follow the entry that really
// precedes it in the log (fetched when it is not among them), or the
// retention checkpoint for the first entry after it. It is the quick check
// of a page of results; Verify checks the whole log.
func (l *Log) CheckEntries(ctx context.Context, entries []Entry) ([]Problem, error) {
	hashes := map[int64][]byte{0: Genesis}
	cp, found, err := l.checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	start := int64(1)
	if found {
		start = cp.Seq + 1
		if l.chain.checkpointIntact(cp) {
			hashes[cp.Seq] = cp.Hash
		}
	}
	preds, err := l.predecessors(ctx, entries, hashes)
	if err != nil {
		return nil, err
	}
	var problems []Problem
	for _, e := range entries {
		if p, bad := l.checkEntry(e, preds, start); bad {
			problems = append(problems, p)
		}
	}
	return problems, nil
}

// checkEntry checks one entry of a page against its predecessor's hash in
// preds; start is the first Seq of the log (after the checkpoint, if any).
func (l *Log) checkEntry(e Entry, preds map[int64][]byte, start int64) (Problem, bool) {
	if !l.chain.intact(e) || !addrMatches(e) {
		return Problem{Kind: Changed, Seq: e.Seq}, true
	}
	afterCheckpoint := e.Seq == start && start > 1
	prevHash, ok := preds[e.Seq-1]
	switch {
	case !ok && afterCheckpoint:
		return Problem{Kind: CheckpointChanged, Seq: e.Seq - 1}, true
	case !ok:
		return Problem{Kind: Missing, Seq: e.Seq - 1, Last: e.Seq - 1}, true
	case !bytes.Equal(prevHash, e.PrevHash) && afterCheckpoint:
		return Problem{Kind: CheckpointUnlinked, Seq: e.Seq}, true
	case !bytes.Equal(prevHash, e.PrevHash):
		return Problem{Kind: Unlinked, Seq: e.Seq}, true
	}
	return Problem{}, false
}

// predecessors adds to hashes (Seq to stored Hash, already holding Genesis
// at 0 and the checkpoint) every entry before one of entries, reading
// those not among them.
func (l *Log) predecessors(ctx context.Context, entries []Entry, hashes map[int64][]byte) (map[int64][]byte, error) {
	for _, e := range entries {
		hashes[e.Seq] = e.Hash
	}
	var need []int64
	for _, e := range entries {
		if _, ok := hashes[e.Seq-1]; !ok && e.Seq > 1 {
			need = append(need, e.Seq-1)
		}
	}
	if len(need) == 0 {
		return hashes, nil
	}
	found, err := l.Entries(ctx, store.AuditFilter{Seqs: need})
	if err != nil {
		return nil, err
	}
	for _, e := range found {
		hashes[e.Seq] = e.Hash
	}
	return hashes, nil
}
