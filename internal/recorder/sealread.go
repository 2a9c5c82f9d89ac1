package recorder

import (
	"bytes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
)

// record is one sealed chunk of a file: where it is and what it holds.
type record struct {
	off   int64 // file offset of the sealed chunk (after its length prefix)
	n     int   // sealed length
	plain int64 // plaintext offset of its first byte
}

// Reader gives random access to the plaintext of a sealed track file.
// It is safe for concurrent use, as io.ReaderAt requires.
type Reader struct {
	r        io.ReaderAt
	aead     cipher.AEAD
	id       string
	recs     []record
	size     int64
	complete bool

	mu    sync.Mutex
	cache [cacheChunks]cachedChunk
	next  int // cache slot to replace next
}

type cachedChunk struct {
	index int
	plain []byte // nil: empty slot
}

// Open indexes the sealed track file r (size bytes) by its length prefixes
// and opens its last whole record, to learn whether the file is complete.
// The other chunks are opened when read. A file cut short, even inside a
// record, opens: it reads up to its last whole record and Complete reports
// false. Anything that does not authenticate fails with ErrCorrupt, at
// Open for the header, the record lengths and the last record, at ReadAt
// for the others.
func Open(r io.ReaderAt, size int64, key []byte, id string) (*Reader, error) {
	aead, err := newSealAEAD(key)
	if err != nil {
		return nil, err
	}
	rd := &Reader{r: r, aead: aead, id: id}
	end, err := rd.index(size)
	if err != nil {
		return nil, err
	}
	if err := rd.openLast(end < size); err != nil {
		return nil, err
	}
	return rd, nil
}

// index reads the header and every length prefix, and returns where the
// last whole record ends.
func (rd *Reader) index(size int64) (int64, error) {
	h := make([]byte, len(sealHeader))
	if size < int64(len(h)) {
		return 0, fmt.Errorf("%w: %d bytes, shorter than the header", ErrCorrupt, size)
	}
	if _, err := rd.r.ReadAt(h, 0); err != nil {
		return 0, fmt.Errorf("recorder: read header: %w", err)
	}
	if !bytes.Equal(h, sealHeader) {
		return 0, fmt.Errorf("%w: unknown header", ErrCorrupt)
	}
	off := int64(len(h))
	var plain int64
	var p [prefixSize]byte
	for size-off >= prefixSize {
		if _, err := rd.r.ReadAt(p[:], off); err != nil {
			return 0, fmt.Errorf("recorder: read record %d: %w", len(rd.recs), err)
		}
		n := int64(binary.BigEndian.Uint32(p[:]))
		if n < sealTagSize || n > maxSealed {
			return 0, fmt.Errorf("%w: record %d claims %d bytes", ErrCorrupt, len(rd.recs), n)
		}
		if off+prefixSize+n > size {
			break // a record cut short: the file ends before it
		}
		rd.recs = append(rd.recs, record{off: off + prefixSize, n: int(n), plain: plain})
		plain += n - sealTagSize
		off += prefixSize + n
	}
	rd.size = plain
	return off, nil
}

// openLast opens the last whole record, as final if it is, and caches it.
// A final record must end the file: trailing is whether bytes follow it.
func (rd *Reader) openLast(trailing bool) error {
	last := len(rd.recs) - 1
	if last < 0 {
		return nil // cut before the first flush: empty and incomplete
	}
	sealed, err := rd.readSealed(last)
	if err != nil {
		return err
	}
	if plain, err := rd.open(sealed, last, true); err == nil {
		if trailing {
			return fmt.Errorf("%w: data after the final chunk", ErrCorrupt)
		}
		rd.complete = true
		rd.cache[0] = cachedChunk{index: last, plain: plain}
		return nil
	}
	sealed, err = rd.readSealed(last) // open overwrote it in place
	if err != nil {
		return err
	}
	plain, err := rd.open(sealed, last, false)
	if err != nil {
		return err
	}
	rd.cache[0] = cachedChunk{index: last, plain: plain}
	return nil
}

func (rd *Reader) readSealed(i int) ([]byte, error) {
	rec := rd.recs[i]
	buf := make([]byte, rec.n)
	if _, err := rd.r.ReadAt(buf, rec.off); err != nil {
		return nil, fmt.Errorf("recorder: read chunk %d: %w", i, err)
	}
	return buf, nil
}

// open authenticates and decrypts chunk i in place.
func (rd *Reader) open(sealed []byte, i int, final bool) ([]byte, error) {
	nonce := make([]byte, rd.aead.NonceSize())
	aad := sealAAD(rd.id)
	sealParams(nonce, aad, uint64(i), final)
	plain, err := rd.aead.Open(sealed[:0], nonce, sealed, aad)
	if err != nil {
		return nil, fmt.Errorf("%w: chunk %d", ErrCorrupt, i)
	}
	return plain, nil
}

// Size is the plaintext size: everything up to the last whole record.
func (rd *Reader) Size() int64 { return rd.size }

// Complete reports whether the file ends with its final chunk, as a
// recording closed normally does; false when it was cut short.
func (rd *Reader) Complete() bool { return rd.complete }

// Chunks is the number of whole records.
func (rd *Reader) Chunks() int { return len(rd.recs) }

// ReadAt implements io.ReaderAt over the plaintext, opening only the
// chunks that hold [off, off+len(p)).
func (rd *Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("recorder: negative offset")
	}
	n := 0
	for n < len(p) && off < rd.size {
		i := sort.Search(len(rd.recs), func(i int) bool { return rd.recs[i].plain > off }) - 1
		plain, err := rd.chunk(i)
		if err != nil {
			return n, err
		}
		k := copy(p[n:], plain[off-rd.recs[i].plain:])
		if k == 0 {
			return n, fmt.Errorf("%w: chunk %d is empty", ErrCorrupt, i)
		}
		n += k
		off += int64(k)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// chunk returns chunk i's plaintext, from the cache or opened now. Opening
// happens outside the lock, so concurrent readers of different chunks do
// not wait on each other.
func (rd *Reader) chunk(i int) ([]byte, error) {
	rd.mu.Lock()
	for _, c := range rd.cache {
		if c.plain != nil && c.index == i {
			rd.mu.Unlock()
			return c.plain, nil
		}
	}
	rd.mu.Unlock()
	sealed, err := rd.readSealed(i)
	if err != nil {
		return nil, err
	}
	final := rd.complete && i == len(rd.recs)-1
	plain, err := rd.open(sealed, i, final)
	if err != nil {
		return nil, err
	}
	rd.mu.Lock()
	rd.cache[rd.next] = cachedChunk{index: i, plain: plain}
	rd.next = (rd.next + 1) % cacheChunks
	rd.mu.Unlock()
	return plain, nil
}
