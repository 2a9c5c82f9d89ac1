package audit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// encodingTag starts every encoding, so that a hash of an audit entry can
// never be mistaken for a hash of anything else, and versions the format.
const encodingTag = "conclave-audit-v1"

// Encode returns the canonical encoding of the chained part of e: every
// field except Hash and the erasable ClientAddr and AddrSalt (AddrHash
// stands for them). Integers are fixed-width big-endian, strings and byte
// strings carry a 4-byte length, details are sorted by key and counted, so
// no two different entries encode alike (boundaries cannot shift the way
// they can when fields are simply concatenated).
func Encode(e store.AuditEntry) []byte {
	b := make([]byte, 0, 256)
	b = append(b, encodingTag...)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Seq))
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.UnixNano()))
	for _, s := range []string{e.Action, e.Actor, e.Target, e.Meeting, e.Outcome} {
		b = appendString(b, s)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.Details)))
	for _, k := range slices.Sorted(maps.Keys(e.Details)) {
		b = appendString(b, k)
		b = appendString(b, e.Details[k])
	}
	b = appendString(b, string(e.AddrHash))
	return appendString(b, string(e.PrevHash))
}

// checkpointTag starts a checkpoint's encoding, so that its seal can
// never pass for an entry's hash or the other way round.
const checkpointTag = "conclave-audit-checkpoint-v1"

// encodeCheckpoint returns what a retention checkpoint's seal covers: the
// last removed entry's Seq and Hash, and the time it was removed.
func encodeCheckpoint(cp store.AuditCheckpoint) []byte {
	b := make([]byte, 0, 96)
	b = append(b, checkpointTag...)
	b = binary.BigEndian.AppendUint64(b, uint64(cp.Seq))
	b = binary.BigEndian.AppendUint64(b, uint64(cp.Time.UnixNano()))
	return appendString(b, string(cp.Hash))
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// ErrEncoding means bytes are not a canonical entry encoding.
var ErrEncoding = errors.New("audit: not a canonical entry encoding")

// Decode parses what Encode produced. It accepts only canonical input
// (known tag, details keys strictly ascending, nothing left over), so
// Encode(Decode(b)) == b whenever Decode succeeds. Empty byte strings and
// details decode as nil.
func Decode(b []byte) (store.AuditEntry, error) {
	d := decoder{b: b}
	var e store.AuditEntry
	if !d.tag() {
		return e, ErrEncoding
	}
	e.Seq = int64(d.uint64())
	e.Time = time.Unix(0, int64(d.uint64())).UTC()
	for _, p := range []*string{&e.Action, &e.Actor, &e.Target, &e.Meeting, &e.Outcome} {
		*p = d.string()
	}
	e.Details = d.details()
	e.AddrHash = d.bytes()
	e.PrevHash = d.bytes()
	if d.err != nil || len(d.b) != 0 {
		return store.AuditEntry{}, fmt.Errorf("%w at byte %d", ErrEncoding, len(b)-len(d.b))
	}
	return e, nil
}

// decoder consumes b; after the first error every read returns zero.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n uint64) []byte {
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = ErrEncoding
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) tag() bool {
	return bytes.Equal(d.take(uint64(len(encodingTag))), []byte(encodingTag))
}

func (d *decoder) uint64() uint64 {
	if p := d.take(8); p != nil {
		return binary.BigEndian.Uint64(p)
	}
	return 0
}

func (d *decoder) uint32() uint32 {
	if p := d.take(4); p != nil {
		return binary.BigEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) string() string { return string(d.take(uint64(d.uint32()))) }

func (d *decoder) bytes() []byte {
	p := d.take(uint64(d.uint32()))
	if len(p) == 0 {
		return nil
	}
	return bytes.Clone(p)
}

func (d *decoder) details() map[string]string {
	n := d.uint32()
	if n == 0 || d.err != nil {
		return nil
	}
	// Each pair takes at least 8 bytes, which bounds the allocation.
	if uint64(n)*8 > uint64(len(d.b)) {
		d.err = ErrEncoding
		return nil
	}
	m := make(map[string]string, n)
	prev := ""
	for i := range n {
		k, v := d.string(), d.string()
		if d.err != nil || (i > 0 && k <= prev) {
			d.err = ErrEncoding
			return nil
		}
		m[k], prev = v, k
	}
	return m
}
