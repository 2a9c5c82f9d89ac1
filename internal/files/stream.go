package files

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The content of a shared file is encrypted as a stream of chunks, each
// sealed with AES-256-GCM under the file's own random key (the STREAM
// construction of Hoang, Reyhanitabar, Rogaway and Vizár, "Online
// Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance"):
//
//	file   = header ‖ chunk₀ ‖ chunk₁ ‖ … ‖ chunkₙ
//	header = "CONCLAVE-FILE\x00v1" (16 bytes)
//	chunkᵢ = AES-256-GCM(key, nonceᵢ, plaintextᵢ, aadᵢ) (ChunkSize bytes of
//	         plaintext, fewer only in the last, + 16 bytes of tag)
//	nonceᵢ = 0x000000 ‖ uint64 big-endian i ‖ final (1 if i = n, else 0)
//	aadᵢ   = "conclave file v1\x00" ‖ file ID ‖ "\x00" ‖ uint64 i ‖ final
//
// The key is random per file, so a nonce never repeats under a key, and no
// nonce needs storing. The chunk's index and the final flag are in both
// the nonce and the associated data, so chunks moved, dropped, repeated or
// taken from another file fail to open, a stream cut after any chunk but
// the last lacks the final flag, and bytes after the final chunk are
// refused. Each chunk is encrypted as it arrives: nothing of the plain
// text is written to disk, not even in a temporary file.

// ChunkSize is the plaintext size of every chunk but the last.
const ChunkSize = 64 << 10

const (
	keySize = 32
	tagSize = 16
)

var header = []byte("CONCLAVE-FILE\x00v1")

// HeaderSize is the size of the format header.
var HeaderSize = len(header)

// ErrCorrupt is returned when stored content fails to authenticate:
// altered, reordered, truncated or extended chunks, or the wrong key.
var ErrCorrupt = errors.New("files: stored content does not authenticate")

// EncryptedSize is the size on disk of plain bytes of content.
func EncryptedSize(plain int64) int64 {
	chunks := plain / ChunkSize
	if plain%ChunkSize != 0 || plain == 0 {
		chunks++
	}
	return int64(HeaderSize) + plain + chunks*tagSize
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("files: content key is %d bytes, want %d", len(key), keySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	return cipher.NewGCM(block)
}

// chunkParams fills nonce and aad for chunk i; aad's prefix (label and
// file ID) is already in place and only the tail changes.
func chunkParams(nonce, aad []byte, i uint64, final bool) {
	clear(nonce)
	binary.BigEndian.PutUint64(nonce[3:11], i)
	tail := aad[len(aad)-9:]
	binary.BigEndian.PutUint64(tail, i)
	tail[8] = 0
	if final {
		nonce[11], tail[8] = 1, 1
	}
}

func aadPrefix(fileID string) []byte {
	p := make([]byte, 0, 32+len(fileID))
	p = append(p, "conclave file v1\x00"...)
	p = append(p, fileID...)
	p = append(p, 0)
	return append(p, make([]byte, 9)...)
}

// Encrypter encrypts what is written to it onto w. Close seals the final
// chunk; content without it does not open.
type Encrypter struct {
	w      io.Writer
	aead   cipher.AEAD
	nonce  []byte
	aad    []byte
	buf    []byte // plaintext of the chunk being filled
	out    []byte
	index  uint64
	err    error
	closed bool
}

// NewEncrypter writes the header to w and returns a writer that encrypts
// onto it. key is the file's 32-byte content key; fileID is bound into
// every chunk.
func NewEncrypter(w io.Writer, key []byte, fileID string) (*Encrypter, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(header); err != nil {
		return nil, err
	}
	return &Encrypter{w: w, aead: aead, nonce: make([]byte, aead.NonceSize()), aad: aadPrefix(fileID),
		buf: make([]byte, 0, ChunkSize), out: make([]byte, 0, ChunkSize+tagSize)}, nil
}

// Write implements io.Writer. A full chunk is sealed only when more bytes
// follow it, so that the last chunk, however long, is the one Close seals
// as final.
func (e *Encrypter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.closed {
		return 0, errors.New("files: write after close")
	}
	n := 0
	for len(p) > 0 {
		if len(e.buf) == ChunkSize {
			if err := e.seal(false); err != nil {
				return n, err
			}
		}
		k := copy(e.buf[len(e.buf):ChunkSize], p)
		e.buf = e.buf[:len(e.buf)+k]
		p = p[k:]
		n += k
	}
	return n, nil
}

// Close seals the last chunk (possibly empty). It does not close w.
func (e *Encrypter) Close() error {
	if e.err != nil || e.closed {
		return e.err
	}
	e.closed = true
	return e.seal(true)
}

func (e *Encrypter) seal(final bool) error {
	chunkParams(e.nonce, e.aad, e.index, final)
	e.out = e.aead.Seal(e.out[:0], e.nonce, e.buf, e.aad)
	e.buf = e.buf[:0]
	e.index++
	if _, err := e.w.Write(e.out); err != nil {
		e.err = err
		return err
	}
	return nil
}

// decrypter reads and opens chunks one at a time.
type decrypter struct {
	r     *bufio.Reader
	aead  cipher.AEAD
	nonce []byte
	aad   []byte
	in    []byte
	plain []byte // opened, not yet read
	index uint64
	done  bool
	err   error
}

// NewDecrypter checks the header read from r and returns a reader of the
// plain content. A read fails with ErrCorrupt as soon as a chunk does not
// open, when the stream ends before its final chunk, or when anything
// follows that chunk; a caller that streams the content on must therefore
// treat it as incomplete unless reading ended in io.EOF.
func NewDecrypter(r io.Reader, key []byte, fileID string) (io.Reader, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(r, ChunkSize+tagSize+1)
	h := make([]byte, len(header))
	if _, err := io.ReadFull(br, h); err != nil {
		return nil, fmt.Errorf("%w: no header: %v", ErrCorrupt, err)
	}
	if string(h) != string(header) {
		return nil, fmt.Errorf("%w: unknown header", ErrCorrupt)
	}
	return &decrypter{r: br, aead: aead, nonce: make([]byte, aead.NonceSize()), aad: aadPrefix(fileID),
		in: make([]byte, ChunkSize+tagSize)}, nil
}

func (d *decrypter) Read(p []byte) (int, error) {
	for len(d.plain) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		if d.done {
			return 0, io.EOF
		}
		d.err = d.next()
	}
	n := copy(p, d.plain)
	d.plain = d.plain[n:]
	return n, nil
}

// next opens the next chunk. A chunk shorter than a full one must be the
// final one; a full one is final exactly when nothing follows it.
func (d *decrypter) next() error {
	n, err := io.ReadFull(d.r, d.in)
	switch {
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: chunk %d missing (truncated)", ErrCorrupt, d.index)
	case errors.Is(err, io.ErrUnexpectedEOF):
	case err != nil:
		return err
	}
	final := n < len(d.in)
	if !final {
		if _, perr := d.r.Peek(1); errors.Is(perr, io.EOF) {
			final = true
		} else if perr != nil {
			return perr
		}
	}
	if n < tagSize {
		return fmt.Errorf("%w: chunk %d is %d bytes", ErrCorrupt, d.index, n)
	}
	chunkParams(d.nonce, d.aad, d.index, final)
	plain, err := d.aead.Open(d.in[:0], d.nonce, d.in[:n], d.aad)
	if err != nil {
		return fmt.Errorf("%w: chunk %d", ErrCorrupt, d.index)
	}
	d.plain = plain
	d.index++
	d.done = final
	return nil
}
