package files

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"
)

func testKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, keySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func encrypt(t *testing.T, key []byte, id string, plain []byte, writes int) []byte {
	t.Helper()
	var out bytes.Buffer
	e, err := NewEncrypter(&out, key, id)
	if err != nil {
		t.Fatal(err)
	}
	// Uneven writes: chunk boundaries must not depend on how data arrives.
	step := max(1, len(plain)/max(1, writes))
	for p := plain; len(p) > 0; {
		n := min(len(p), step+len(p)%7)
		if _, err := e.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func decrypt(key []byte, id string, enc []byte) ([]byte, error) {
	r, err := NewDecrypter(bytes.NewReader(enc), key, id)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStreamRoundTrip(t *testing.T) {
	key := testKey(t)
	for _, n := range []int{0, 1, 100, ChunkSize - 1, ChunkSize, ChunkSize + 1, 2 * ChunkSize, 3*ChunkSize + 17} {
		plain := randomBytes(t, n)
		for _, writes := range []int{1, 3, 50} {
			enc := encrypt(t, key, "f_test", plain, writes)
			if int64(len(enc)) != EncryptedSize(int64(n)) {
				t.Errorf("%d bytes: encrypted to %d, EncryptedSize says %d", n, len(enc), EncryptedSize(int64(n)))
			}
			if bytes.Contains(enc, plain) && n > 16 {
				t.Errorf("%d bytes: plain text in the output", n)
			}
			got, err := decrypt(key, "f_test", enc)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("%d bytes in %d writes: %v (got %d bytes)", n, writes, err, len(got))
			}
		}
	}
}

// chunks splits an encrypted stream into its header and chunks.
func chunks(enc []byte) (header []byte, cs [][]byte) {
	header, rest := enc[:HeaderSize], enc[HeaderSize:]
	for len(rest) > 0 {
		n := min(len(rest), ChunkSize+tagSize)
		cs = append(cs, rest[:n])
		rest = rest[n:]
	}
	return header, cs
}

func join(header []byte, cs ...[]byte) []byte {
	return bytes.Join(append([][]byte{header}, cs...), nil)
}

// TestStreamTampering: every way of altering stored content is detected:
// a flipped bit, chunks swapped, dropped, repeated or cut, bytes or a
// chunk appended, another file's chunk, the wrong file ID or key.
func TestStreamTampering(t *testing.T) {
	key := testKey(t)
	plain := randomBytes(t, 3*ChunkSize+100) // four chunks, the last short
	enc := encrypt(t, key, "f_test", plain, 1)
	h, cs := chunks(enc)
	if len(cs) != 4 {
		t.Fatalf("%d chunks", len(cs))
	}
	full := encrypt(t, key, "f_test", plain[:2*ChunkSize], 1) // two full chunks, the second final
	fh, fcs := chunks(full)
	other := encrypt(t, key, "f_other", plain, 1)
	_, ocs := chunks(other)

	flipped := bytes.Clone(enc)
	flipped[HeaderSize+ChunkSize+100] ^= 1
	badHeader := bytes.Clone(enc)
	badHeader[3] ^= 1

	cases := map[string]struct {
		data []byte
		id   string
		key  []byte
	}{
		"flipped bit":                 {data: flipped},
		"header changed":              {data: badHeader},
		"chunks swapped":              {data: join(h, cs[1], cs[0], cs[2], cs[3])},
		"chunk dropped":               {data: join(h, cs[0], cs[2], cs[3])},
		"chunk repeated":              {data: join(h, cs[0], cs[0], cs[1], cs[2], cs[3])},
		"last chunk dropped":          {data: join(h, cs[0], cs[1], cs[2])},
		"cut inside a chunk":          {data: enc[:HeaderSize+ChunkSize+500]},
		"cut to the header":           {data: enc[:HeaderSize]},
		"cut inside the header":       {data: enc[:5]},
		"byte appended":               {data: append(bytes.Clone(enc), 0)},
		"chunk appended":              {data: join(h, cs[0], cs[1], cs[2], cs[3], cs[3])},
		"final full chunk, appended":  {data: join(fh, fcs[0], fcs[1], fcs[1])},
		"final full chunk dropped":    {data: join(fh, fcs[0])},
		"another file's chunk":        {data: join(h, cs[0], ocs[1], cs[2], cs[3])},
		"another file's ID":           {data: enc, id: "f_other"},
		"another key":                 {data: enc, key: testKey(t)},
		"the last chunk of two files": {data: join(h, cs[0], cs[1], cs[2], ocs[3])},
	}
	for name, tc := range cases {
		id, k := "f_test", key
		if tc.id != "" {
			id = tc.id
		}
		if tc.key != nil {
			k = tc.key
		}
		got, err := decrypt(k, id, tc.data)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v (read %d bytes), want ErrCorrupt", name, err, len(got))
		}
	}
	if got, err := decrypt(key, "f_test", full); err != nil || !bytes.Equal(got, plain[:2*ChunkSize]) {
		t.Fatalf("the untouched full-chunk file: %v", err)
	}
}

func TestEncrypterRefusesBadKey(t *testing.T) {
	if _, err := NewEncrypter(io.Discard, make([]byte, 16), "f_x"); err == nil {
		t.Fatal("a 16-byte key was accepted")
	}
}
