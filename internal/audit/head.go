package audit

import (
	"bufio"
	"context"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// headTag starts what a published head's seal covers, so that a head seal
// can never pass for an entry hash or a checkpoint seal, or the other way
// round.
const headTag = "conclave-audit-head-v1"

// headTimeLayout writes a head's time without colons, so that the text
// form splits on ':' and stays one token in a log line.
const headTimeLayout = "20060102T150405Z"

// SealedHead is the log's head as the server published it: the newest
// entry's Seq and Hash at Time, sealed with HMAC-SHA-256 under the audit
// key. Someone with the database but not the key cannot forge one, so a
// head found in the server log, an anchor file or a webhook receiver
// proves that the log once reached Seq with that Hash.
type SealedHead struct {
	Seq  int64
	Hash []byte
	Time time.Time // whole seconds, UTC
	Seal []byte
}

// Anchor returns the (Seq, Hash) pair that Verify checks.
func (h SealedHead) Anchor() Anchor { return Anchor{Seq: h.Seq, Hash: h.Hash} }

// String formats h as SEQ:HASH:TIME:SEAL, which `conclave audit verify
// --anchor` and the anchor file accept; its first two fields are the
// plain anchor SEQ:HASH.
func (h SealedHead) String() string {
	return h.Anchor().String() + ":" + h.Time.UTC().Format(headTimeLayout) + ":" + hex.EncodeToString(h.Seal)
}

// headJSON is a head as a webhook receives it.
type headJSON struct {
	Seq    int64     `json:"seq"`
	Hash   string    `json:"hash"`
	Time   time.Time `json:"time"`
	Seal   string    `json:"seal"`
	Anchor string    `json:"anchor"`
}

func (h SealedHead) toJSON() headJSON {
	return headJSON{Seq: h.Seq, Hash: hex.EncodeToString(h.Hash), Time: h.Time.UTC(),
		Seal: hex.EncodeToString(h.Seal), Anchor: h.String()}
}

// ErrHeadFormat means text is neither SEQ:HASH nor SEQ:HASH:TIME:SEAL.
var ErrHeadFormat = errors.New("a head must be SEQ:HASH or SEQ:HASH:TIME:SEAL as printed by conclave")

// ParseHead reads SEQ:HASH:TIME:SEAL, or a plain anchor SEQ:HASH, which
// yields a head without Seal. Whether the seal is genuine is for
// Log.CheckHead to say: parsing needs no key.
func ParseHead(s string) (SealedHead, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) != 2 && len(parts) != 4 {
		return SealedHead{}, ErrHeadFormat
	}
	a, err := ParseAnchor(parts[0] + ":" + parts[1])
	if err != nil {
		return SealedHead{}, err
	}
	h := SealedHead{Seq: a.Seq, Hash: a.Hash}
	if len(parts) == 2 {
		return h, nil
	}
	if h.Time, err = time.Parse(headTimeLayout, parts[2]); err != nil {
		return SealedHead{}, fmt.Errorf("head time %q: %w", parts[2], ErrHeadFormat)
	}
	if h.Seal, err = hex.DecodeString(parts[3]); err != nil || len(h.Seal) != 32 {
		return SealedHead{}, errors.New("head seal must be 64 hex digits")
	}
	return h, nil
}

// encodeHead returns what a head's seal covers.
func encodeHead(h SealedHead) []byte {
	b := make([]byte, 0, 80)
	b = append(b, headTag...)
	b = binary.BigEndian.AppendUint64(b, uint64(h.Seq))
	b = binary.BigEndian.AppendUint64(b, uint64(h.Time.Unix()))
	return appendString(b, string(h.Hash))
}

func (c chain) sealHead(h SealedHead) SealedHead {
	m := c.newHash()
	m.Write(encodeHead(h))
	h.Seal = m.Sum(nil)
	return h
}

// CheckHead reports whether h carries a seal made with this log's key. A
// log without a key accepts any correctly computed SHA-256, which anyone
// can forge; Conclave always has a key.
func (l *Log) CheckHead(h SealedHead) bool {
	return len(h.Seal) > 0 && subtle.ConstantTimeCompare(l.chain.sealHead(h).Seal, h.Seal) == 1
}

// SealHead returns the log's newest entry as a sealed head at the log's
// current time, and false when the log is empty.
func (l *Log) SealHead(ctx context.Context) (SealedHead, bool, error) {
	e, ok, err := l.Head(ctx)
	if err != nil || !ok {
		return SealedHead{}, false, err
	}
	h := SealedHead{Seq: e.Seq, Hash: e.Hash, Time: l.now().UTC().Truncate(time.Second)}
	return l.chain.sealHead(h), true, nil
}

// PublishedHeads are the heads read from an anchor file.
type PublishedHeads struct {
	Heads []SealedHead // in file order, every one with a valid seal
	// Newest is the head with the highest Seq (the latest of those); the
	// zero head when there are none. The log's Seq only grows, so this is
	// the newest state the server published.
	Newest SealedHead
}

// Anchors returns every head as an anchor for VerifyAgainst.
func (p PublishedHeads) Anchors() []Anchor {
	out := make([]Anchor, len(p.Heads))
	for i, h := range p.Heads {
		out[i] = h.Anchor()
	}
	return out
}

// ReadHeadFile reads an anchor file written by FileSink.
func (l *Log) ReadHeadFile(path string) (PublishedHeads, error) {
	f, err := os.Open(path)
	if err != nil {
		return PublishedHeads{}, fmt.Errorf("audit: anchor file: %w", err)
	}
	defer f.Close()
	p, err := l.ReadHeads(f)
	if err != nil {
		return PublishedHeads{}, fmt.Errorf("audit: anchor file %s: %w", path, err)
	}
	return p, nil
}

// ReadHeads reads one sealed head per line. Every line must parse and
// carry a valid seal: a line that does not was written by someone other
// than the server (or under another key), which is itself a finding. The
// only exception is an unterminated last line, what a crash in the middle
// of a write leaves behind.
func (l *Log) ReadHeads(r io.Reader) (PublishedHeads, error) {
	var p PublishedHeads
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return PublishedHeads{}, fmt.Errorf("read: %w", err)
		}
		torn := errors.Is(err, io.EOF)
		if text := strings.TrimSpace(line); text != "" {
			h, perr := l.readHead(text)
			switch {
			case perr != nil && torn:
			case perr != nil:
				return PublishedHeads{}, fmt.Errorf("line %d: %w", n, perr)
			default:
				p.add(h)
			}
		}
		if torn {
			return p, nil
		}
	}
}

func (l *Log) readHead(text string) (SealedHead, error) {
	h, err := ParseHead(text)
	if err != nil {
		return SealedHead{}, err
	}
	if h.Seal == nil {
		return SealedHead{}, errors.New("head is not sealed")
	}
	if !l.CheckHead(h) {
		return SealedHead{}, errors.New("head seal does not match (forged, or sealed under another key)")
	}
	return h, nil
}

func (p *PublishedHeads) add(h SealedHead) {
	p.Heads = append(p.Heads, h)
	if len(p.Heads) == 1 || h.Seq > p.Newest.Seq || (h.Seq == p.Newest.Seq && !h.Time.Before(p.Newest.Time)) {
		p.Newest = h
	}
}
