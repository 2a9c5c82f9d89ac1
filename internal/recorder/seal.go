package recorder

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// A track file is sealed from its first byte with the STREAM construction
// of internal/files (AES-256-GCM under the file's own random key, the
// chunk's index and a final flag in nonce and associated data), but with
// chunks of varying length, so that the recorder can seal whatever it has
// whenever it wants it on disk (at every WebM cluster, at least every
// second) and a recording cut by a crash still plays up to its last flush:
//
//	file    = header ‖ record₀ ‖ record₁ ‖ … ‖ recordₙ
//	header  = "CONCLAVE-REC\x00\x00v1" (16 bytes)
//	recordᵢ = uint32 big-endian len(sealedᵢ) ‖ sealedᵢ
//	sealedᵢ = AES-256-GCM(key, nonceᵢ, plaintextᵢ, aadᵢ) (1 to ChunkSize bytes
//	          of plaintext, only the final chunk may be empty; + 16 bytes of tag)
//	nonceᵢ  = 0x000000 ‖ uint64 big-endian i ‖ final (1 if i = n, else 0)
//	aadᵢ    = "conclave recording v1\x00" ‖ track file ID ‖ "\x00" ‖ uint64 i ‖ final
//
// The length prefix is not authenticated on its own, but a changed length
// moves the chunk boundaries and the chunks then fail to open. Records
// moved, dropped, repeated or taken from another file fail to open too.
// A file whose last whole record is not flagged final was cut (a crash, a
// full disk): it reads up to that record and reports Complete false; a
// partial trailing record is ignored the same way. Anything after the
// final record is refused. Only the length prefixes are read to index a
// file, so a reader can serve any byte range by opening just the chunks
// it needs (http.ServeContent over io.NewSectionReader).

// ChunkSize is the most plaintext one sealed chunk holds: the writer seals
// a chunk when its buffer reaches it, or earlier on Flush.
const ChunkSize = 64 << 10

const (
	sealKeySize = 32
	sealTagSize = 16
	prefixSize  = 4
	maxSealed   = ChunkSize + sealTagSize
	cacheChunks = 4
)

var sealHeader = []byte("CONCLAVE-REC\x00\x00v1")

// SealHeaderSize is the size of the format header.
var SealHeaderSize = len(sealHeader)

// ErrCorrupt is returned when a sealed track file fails to authenticate:
// altered, reordered or extended records, the wrong key or file ID, or a
// file that is not one. A file merely cut short is not corrupt.
var ErrCorrupt = errors.New("recorder: sealed track file does not authenticate")

func newSealAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != sealKeySize {
		return nil, fmt.Errorf("recorder: content key is %d bytes, want %d", len(key), sealKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("recorder: %w", err)
	}
	return cipher.NewGCM(block)
}

// sealAAD returns the associated data for chunks of file id, with room for
// the index and final flag that chunkParams fills in.
func sealAAD(id string) []byte {
	p := make([]byte, 0, 32+len(id))
	p = append(p, "conclave recording v1\x00"...)
	p = append(p, id...)
	p = append(p, 0)
	return append(p, make([]byte, 9)...)
}

// sealParams fills nonce and the tail of aad for chunk i.
func sealParams(nonce, aad []byte, i uint64, final bool) {
	clear(nonce)
	binary.BigEndian.PutUint64(nonce[3:11], i)
	tail := aad[len(aad)-9:]
	binary.BigEndian.PutUint64(tail, i)
	tail[8] = 0
	if final {
		nonce[11], tail[8] = 1, 1
	}
}

// SealWriter seals what is written to it onto an underlying writer. Bytes
// reach the underlying writer only as whole sealed records: when a chunk
// fills, on Flush and on Close. It is not safe for concurrent use.
type SealWriter struct {
	w       io.Writer
	aead    cipher.AEAD
	nonce   []byte
	aad     []byte
	buf     []byte // plaintext of the chunk being filled
	out     []byte // length prefix ‖ sealed chunk
	index   uint64
	written int64
	err     error
	closed  bool
}

// NewSealWriter writes the header to w and returns a writer that seals
// onto it. key is the file's 32-byte content key; id (the track file ID)
// is bound into every chunk.
func NewSealWriter(w io.Writer, key []byte, id string) (*SealWriter, error) {
	aead, err := newSealAEAD(key)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(sealHeader); err != nil {
		return nil, fmt.Errorf("recorder: write header: %w", err)
	}
	return &SealWriter{w: w, aead: aead, nonce: make([]byte, aead.NonceSize()), aad: sealAAD(id),
		buf: make([]byte, 0, ChunkSize), out: make([]byte, 0, prefixSize+maxSealed),
		written: int64(len(sealHeader))}, nil
}

// Write buffers p, sealing a chunk each time the buffer fills.
func (s *SealWriter) Write(p []byte) (int, error) {
	if err := s.usable(); err != nil {
		return 0, err
	}
	n := 0
	for len(p) > 0 {
		k := copy(s.buf[len(s.buf):ChunkSize], p)
		s.buf = s.buf[:len(s.buf)+k]
		p = p[k:]
		n += k
		if len(s.buf) == ChunkSize {
			if err := s.seal(false); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// Flush seals what is buffered as a chunk of its own, so that it is on the
// underlying writer (and a reader of a file cut later gets it). Nothing
// buffered: nothing to do.
func (s *SealWriter) Flush() error {
	if err := s.usable(); err != nil {
		return err
	}
	if len(s.buf) == 0 {
		return nil
	}
	return s.seal(false)
}

// Close seals the final chunk (possibly empty). It does not close the
// underlying writer.
func (s *SealWriter) Close() error {
	if s.closed {
		return s.err
	}
	if s.err != nil {
		s.closed = true
		return s.err
	}
	s.closed = true
	return s.seal(true)
}

// Written is how many bytes reached the underlying writer: the sealed size.
func (s *SealWriter) Written() int64 { return s.written }

// Buffered is how many plaintext bytes wait for the next seal.
func (s *SealWriter) Buffered() int { return len(s.buf) }

func (s *SealWriter) usable() error {
	if s.err != nil {
		return s.err
	}
	if s.closed {
		return errors.New("recorder: write to a closed seal writer")
	}
	return nil
}

// seal writes the buffer as one record, prefix and chunk in one write so
// that a crash leaves at most one partial record behind.
func (s *SealWriter) seal(final bool) error {
	sealParams(s.nonce, s.aad, s.index, final)
	s.out = s.out[:prefixSize]
	s.out = s.aead.Seal(s.out, s.nonce, s.buf, s.aad)
	binary.BigEndian.PutUint32(s.out[:prefixSize], uint32(len(s.out)-prefixSize))
	s.buf = s.buf[:0]
	s.index++
	n, err := s.w.Write(s.out)
	s.written += int64(n)
	if err != nil {
		s.err = fmt.Errorf("recorder: write sealed chunk %d: %w", s.index-1, err)
		return s.err
	}
	return nil
}
