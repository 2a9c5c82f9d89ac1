package recorder

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func testKey(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func randomBytes(n int, seed uint64) []byte {
	r := mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// sealPieces writes pieces, flushing after each, and closes when asked.
func sealPieces(t testing.TB, key []byte, id string, pieces [][]byte, closeIt bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewSealWriter(&buf, key, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pieces {
		if _, err := w.Write(p); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if closeIt {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if w.Written() != int64(buf.Len()) {
		t.Fatalf("Written = %d, %d bytes on the writer", w.Written(), buf.Len())
	}
	return buf.Bytes()
}

func openBytes(b []byte, key []byte, id string) (*Reader, error) {
	return Open(bytes.NewReader(b), int64(len(b)), key, id)
}

func readAll(t testing.TB, r *Reader) []byte {
	t.Helper()
	out, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
	if err != nil {
		t.Fatalf("read plaintext: %v", err)
	}
	return out
}

func TestSealRoundTrip(t *testing.T) {
	key := testKey(t)
	cases := map[string][][]byte{
		"empty":           nil,
		"one byte":        {{42}},
		"exactly a chunk": {randomBytes(ChunkSize, 1)},
		"big write":       {randomBytes(3*ChunkSize+17, 2)},
		"many flushes":    {randomBytes(10, 3), randomBytes(1000, 4), randomBytes(ChunkSize+1, 5), {1}},
	}
	for name, pieces := range cases {
		t.Run(name, func(t *testing.T) {
			file := sealPieces(t, key, "trk_1", pieces, true)
			r, err := openBytes(file, key, "trk_1")
			if err != nil {
				t.Fatal(err)
			}
			want := bytes.Join(pieces, nil)
			if !r.Complete() {
				t.Error("a closed file reports incomplete")
			}
			if r.Size() != int64(len(want)) {
				t.Fatalf("Size = %d, want %d", r.Size(), len(want))
			}
			if got := readAll(t, r); !bytes.Equal(got, want) {
				t.Fatal("plaintext differs")
			}
		})
	}
}

func TestSealFlushSealsOnDemand(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewSealWriter(&buf, testKey(t), "trk")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != SealHeaderSize || w.Buffered() != 3 {
		t.Fatalf("a write reached the file before a flush (%d bytes, %d buffered)", buf.Len(), w.Buffered())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if want := SealHeaderSize + prefixSize + 3 + sealTagSize; buf.Len() != want {
		t.Fatalf("after Flush: %d bytes, want %d", buf.Len(), want)
	}
	if err := w.Flush(); err != nil || buf.Len() != SealHeaderSize+prefixSize+3+sealTagSize {
		t.Fatalf("an empty Flush wrote (%v)", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("write after Close succeeded")
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestSealReadAtRandomAccess(t *testing.T) {
	key := testKey(t)
	var pieces [][]byte
	for i := range 40 {
		pieces = append(pieces, randomBytes(1+i*i*97%9000, uint64(i)))
	}
	pieces = append(pieces, randomBytes(2*ChunkSize+5, 99))
	file := sealPieces(t, key, "trk", pieces, true)
	plain := bytes.Join(pieces, nil)
	r, err := openBytes(file, key, "trk")
	if err != nil {
		t.Fatal(err)
	}
	rng := mrand.New(mrand.NewPCG(7, 7))
	for range 500 {
		off := rng.Int64N(int64(len(plain)) + 10)
		n := rng.IntN(3 * ChunkSize)
		p := make([]byte, n)
		got, err := r.ReadAt(p, off)
		wantN := max(0, min(int64(n), int64(len(plain))-off))
		if int64(got) != wantN {
			t.Fatalf("ReadAt(%d bytes at %d) = %d, want %d", n, off, got, wantN)
		}
		if (int64(n) > wantN) != errors.Is(err, io.EOF) || (err != nil && !errors.Is(err, io.EOF)) {
			t.Fatalf("ReadAt(%d bytes at %d): err %v", n, off, err)
		}
		if !bytes.Equal(p[:got], plain[off:off+int64(got)]) {
			t.Fatalf("ReadAt(%d bytes at %d): wrong bytes", n, off)
		}
	}
}

// TestSealServeContentRange serves a sealed file's plaintext as a download
// would, with a range request.
func TestSealServeContentRange(t *testing.T) {
	key := testKey(t)
	plain := randomBytes(3*ChunkSize+100, 3)
	file := sealPieces(t, key, "trk", [][]byte{plain[:1000], plain[1000:]}, true)
	r, err := openBytes(file, key, "trk")
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/rec.webm", nil)
	req.Header.Set("Range", "bytes=70000-140000")
	rec := httptest.NewRecorder()
	http.ServeContent(rec, req, "rec.webm", time.Time{}, io.NewSectionReader(r, 0, r.Size()))
	if rec.Code != http.StatusPartialContent {
		t.Fatalf("status %d", rec.Code)
	}
	if !bytes.Equal(rec.Body.Bytes(), plain[70000:140001]) {
		t.Fatal("range body differs")
	}
}

func TestSealCutAtEveryOffset(t *testing.T) {
	key := testKey(t)
	pieces := [][]byte{randomBytes(100, 1), randomBytes(1, 2), randomBytes(300, 3), randomBytes(57, 4)}
	file := sealPieces(t, key, "trk", pieces, true)
	plain := bytes.Join(pieces, nil)
	// The plaintext a reader must see when the file ends at each record.
	var ends []int
	for off, sum := SealHeaderSize, 0; off < len(file); {
		n := int(binary.BigEndian.Uint32(file[off:]))
		off += prefixSize + n
		sum += n - sealTagSize
		ends = append(ends, off, sum)
	}
	for cut := 0; cut <= len(file); cut++ {
		r, err := openBytes(file[:cut], key, "trk")
		if cut < SealHeaderSize {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("cut at %d (inside the header): err %v, want ErrCorrupt", cut, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		want := 0
		for i := 0; i < len(ends); i += 2 {
			if ends[i] <= cut {
				want = ends[i+1]
			}
		}
		if got := readAll(t, r); !bytes.Equal(got, plain[:want]) {
			t.Fatalf("cut at %d: read %d bytes, want the first %d", cut, len(got), want)
		}
		if r.Complete() != (cut == len(file)) {
			t.Fatalf("cut at %d: Complete = %v", cut, r.Complete())
		}
	}
}

// TestSealCrashCutReadable is a writer that never closed (kill -9): what
// it flushed reads, it reports incomplete, and a partial record written
// after is ignored.
func TestSealCrashCutReadable(t *testing.T) {
	key := testKey(t)
	var buf bytes.Buffer
	w, err := NewSealWriter(&buf, key, "trk")
	if err != nil {
		t.Fatal(err)
	}
	flushed := randomBytes(5000, 1)
	w.Write(flushed)
	w.Flush()
	w.Write([]byte("never flushed"))
	r, err := openBytes(buf.Bytes(), key, "trk")
	if err != nil {
		t.Fatal(err)
	}
	if r.Complete() || !bytes.Equal(readAll(t, r), flushed) {
		t.Fatalf("crash-cut file: complete %v, size %d", r.Complete(), r.Size())
	}
	w.Flush()
	partial := buf.Bytes()[:buf.Len()-3]
	r, err = openBytes(partial, key, "trk")
	if err != nil {
		t.Fatal(err)
	}
	if r.Complete() || !bytes.Equal(readAll(t, r), flushed) {
		t.Fatal("a partial trailing record was not ignored")
	}
}

func TestSealRejectsTampering(t *testing.T) {
	key := testKey(t)
	pieces := [][]byte{randomBytes(100, 1), randomBytes(200, 2), randomBytes(300, 3)}
	file := sealPieces(t, key, "trk", pieces, true)
	recs := splitRecords(file)

	mustFail := func(name string, b []byte, k []byte, id string) {
		t.Helper()
		r, err := openBytes(b, k, id)
		if err == nil {
			_, err = io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err %v, want ErrCorrupt", name, err)
		}
	}
	prefixes := map[int]bool{}
	for off, i := SealHeaderSize, 0; i < len(recs); off, i = off+len(recs[i]), i+1 {
		for j := range prefixSize {
			prefixes[off+j] = true
		}
	}
	plain := bytes.Join(pieces, nil)
	for i := SealHeaderSize; i < len(file); i++ {
		b := bytes.Clone(file)
		b[i] ^= 0x40
		if !prefixes[i] {
			mustFail("flipped byte", b, key, "trk")
			continue
		}
		// A length made longer than the file looks like a cut: a crash
		// leaves the same. It must then read as one, never as more.
		r, err := openBytes(b, key, "trk")
		if err == nil {
			got, rerr := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
			if rerr == nil && (r.Complete() || !bytes.HasPrefix(plain, got)) {
				t.Errorf("flipped length byte %d: read as complete or as other content", i)
			}
		} else if !errors.Is(err, ErrCorrupt) {
			t.Errorf("flipped length byte %d: err %v", i, err)
		}
	}
	mustFail("wrong key", file, testKey(t), "trk")
	mustFail("wrong file ID", file, key, "trk2")
	mustFail("records swapped", join(file[:SealHeaderSize], recs[1], recs[0], recs[2], recs[3]), key, "trk")
	mustFail("record dropped", join(file[:SealHeaderSize], recs[0], recs[2], recs[3]), key, "trk")
	mustFail("record repeated", join(file[:SealHeaderSize], recs[0], recs[0], recs[1], recs[2], recs[3]), key, "trk")
	mustFail("record after the final", join(file, recs[1]), key, "trk")
	mustFail("bytes after the final", join(file, []byte{0, 0}), key, "trk")
	mustFail("final record moved up", join(file[:SealHeaderSize], recs[0], recs[3]), key, "trk")
	other := sealPieces(t, key, "trk_other", pieces, true) // even under the same key
	mustFail("record from another file", join(file[:SealHeaderSize], recs[0], splitRecords(other)[1], recs[2], recs[3]), key, "trk")
	mustFail("unknown header", join([]byte("CONCLAVE-FILE\x00v1"), file[SealHeaderSize:]), key, "trk")
	huge := join(file[:SealHeaderSize], []byte{0xff, 0xff, 0xff, 0xff})
	mustFail("impossible length", huge, key, "trk")
}

func splitRecords(file []byte) [][]byte {
	var recs [][]byte
	for off := SealHeaderSize; off < len(file); {
		n := int(binary.BigEndian.Uint32(file[off:]))
		recs = append(recs, file[off:off+prefixSize+n])
		off += prefixSize + n
	}
	return recs
}

func join(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestSealBadKeySize(t *testing.T) {
	if _, err := NewSealWriter(io.Discard, make([]byte, 16), "x"); err == nil {
		t.Fatal("a 16-byte key was taken")
	}
	if _, err := Open(strings.NewReader(""), 0, make([]byte, 31), "x"); err == nil {
		t.Fatal("a 31-byte key was taken")
	}
}

type failingWriter struct{ after int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errors.New("disk full")
	}
	f.after--
	return len(p), nil
}

func TestSealWriteErrorSticks(t *testing.T) {
	w, err := NewSealWriter(&failingWriter{after: 1}, testKey(t), "x")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("a"))
	if err := w.Flush(); err == nil {
		t.Fatal("Flush hid a write error")
	}
	if _, err := w.Write([]byte("b")); err == nil {
		t.Fatal("Write after a failed flush succeeded")
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close hid the error")
	}
}

func FuzzOpen(f *testing.F) {
	key := bytes.Repeat([]byte{7}, 32)
	full := sealPieces(f, key, "trk", [][]byte{[]byte("hello"), randomBytes(300, 1), {}}, true)
	f.Add(full)
	f.Add(full[:len(full)-5])
	f.Add(sealPieces(f, key, "trk", [][]byte{[]byte("cut")}, false))
	f.Add(sealHeader)
	f.Add([]byte("CONCLAVE-REC\x00\x00v1\x00\x00\x00\x10"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := openBytes(b, key, "trk")
		if err != nil {
			if r != nil {
				t.Fatal("a reader with an error")
			}
			return
		}
		if r.Size() < 0 || r.Size() > int64(len(b)) || r.Size() > math.MaxInt32 {
			t.Fatalf("Size %d of a %d-byte file", r.Size(), len(b))
		}
		got, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("read: %v", err)
			}
			return
		}
		if int64(len(got)) != r.Size() {
			t.Fatalf("read %d bytes of %d", len(got), r.Size())
		}
	})
}
