package files

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
)

func TestUploadStoresEncrypted(t *testing.T) {
	e := newEnv(t, nil)
	content := append([]byte("Secret agenda: Okapi-Marmalade-9931\n"), text(3*ChunkSize)...)
	f := e.mustUpload(t, alice, "agenda.txt", content, bob)
	if f.Type != TypeText || f.Size != int64(len(content)) || f.Name != "agenda.txt" || f.Scan != store.ScanNone {
		t.Fatalf("stored %+v", f)
	}
	e.assertStored(t, 1)
	enc, err := os.ReadFile(e.svc.path(f.ID))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(enc, []byte("Okapi-Marmalade")) || int64(len(enc)) != EncryptedSize(f.Size) {
		t.Fatal("content on disk is not the encrypted stream")
	}
	fi, _ := os.Stat(e.svc.path(f.ID))
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("content mode %o", fi.Mode().Perm())
	}
	got, err := e.svc.File(context.Background(), testMeeting, f.ID)
	if err != nil || got.Name != "agenda.txt" || len(got.To) != 1 || got.To[0].UserID != "u_bob" {
		t.Fatalf("row: %+v, %v", got, err)
	}
	rc, err := e.svc.Content(got)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if plain, err := io.ReadAll(rc); err != nil || !bytes.Equal(plain, content) {
		t.Fatalf("content: %v", err)
	}
	if evs := e.rec.find("upload", audit.Success); len(evs) != 1 || evs[0].Actor != "p_alice" ||
		evs[0].Meeting != testMeeting || evs[0].Details["recipients"] != "1" {
		t.Fatalf("audit: %+v", evs)
	}
}

// TestUploadLimit: a file of exactly the limit is kept; one byte more is
// refused while streaming, with nothing left on disk or in the database,
// whether its length was declared or not.
func TestUploadLimit(t *testing.T) {
	const limit = 2*ChunkSize + 10
	e := newEnv(t, func(o *Options) { o.MaxBytes = limit })
	e.mustUpload(t, alice, "exact.txt", text(limit))
	e.assertStored(t, 1)

	over := text(limit + 1)
	for _, length := range []int64{-1, limit} { // unknown, and declared too small (a lie)
		_, err := e.svc.Upload(context.Background(), Upload{MeetingID: testMeeting, From: alice, Name: "over.txt",
			Body: bytes.NewReader(over), Length: length})
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("length %d: %v, want ErrTooLarge", length, err)
		}
		e.assertStored(t, 1)
	}
	// A declared length over the limit is refused before reading.
	_, err := e.svc.Upload(context.Background(), Upload{MeetingID: testMeeting, From: alice, Name: "big.txt",
		Body: failingReader{}, Length: limit + 1})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("declared: %v", err)
	}
	e.assertStored(t, 1)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("must not be read") }

// cutReader delivers n bytes of r and then fails, as a connection that
// drops mid-upload.
type cutReader struct {
	r io.Reader
	n int
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	p = p[:min(len(p), c.n)]
	n, err := c.r.Read(p)
	c.n -= n
	return n, err
}

func TestUploadCutHalfway(t *testing.T) {
	e := newEnv(t, nil)
	content := text(4 * ChunkSize)
	_, err := e.svc.Upload(context.Background(), Upload{MeetingID: testMeeting, From: alice, Name: "half.txt",
		Body: &cutReader{r: bytes.NewReader(content), n: 2*ChunkSize + 5}, Length: int64(len(content))})
	if !errors.Is(err, ErrBody) {
		t.Fatalf("%v, want ErrBody", err)
	}
	e.assertStored(t, 0)
	// The context ending (the client went away) leaves nothing either.
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	go func() {
		pw.Write(text(ChunkSize + 1))
		cancel()
		pw.CloseWithError(context.Canceled)
	}()
	if _, err := e.svc.Upload(ctx, Upload{MeetingID: testMeeting, From: alice, Name: "gone.txt", Body: pr, Length: -1}); err == nil {
		t.Fatal("a cancelled upload was kept")
	}
	e.assertStored(t, 0)
}

func TestUploadRefusedTypes(t *testing.T) {
	e := newEnv(t, nil)
	cases := map[string][]byte{
		"page.png":     []byte("<!DOCTYPE html><html><script>alert(1)</script>"),
		"image.svg":    []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`),
		"notes.txt":    append(text(2*ChunkSize), 0), // text until a NUL well past the first chunk
		"latin1.txt":   append(text(ChunkSize+3), 0xe9, 'a'),
		"archive.zip":  zipOf(t, [3]string{"a.txt", "hello", ""}),
		"cut-utf8.txt": append(text(ChunkSize+3), 0xf0, 0x9f),
	}
	for name, content := range cases {
		if _, err := e.upload(t, alice, name, content); !errors.Is(err, ErrType) {
			t.Errorf("%s: %v, want ErrType", name, err)
		}
	}
	if _, err := e.upload(t, alice, "empty.txt", nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
	e.assertStored(t, 0)
	// A type outside the default list is stored when configured.
	z := newEnv(t, func(o *Options) { o.Types = append([]string{TypeZIP}, DefaultTypes...) })
	if f, err := z.upload(t, alice, "archive", zipOf(t, [3]string{"a.txt", "hello", ""})); err != nil || f.Name != "archive.zip" {
		t.Fatalf("configured zip: %+v, %v", f, err)
	}
}

func TestUploadTypeFromContentNotName(t *testing.T) {
	e := newEnv(t, nil)
	f := e.mustUpload(t, alice, "holiday.txt", pngBytes(t))
	if f.Type != TypePNG || f.Name != "holiday.txt.png" {
		t.Fatalf("%+v", f)
	}
}

// TestUploadNoSpace: refused before anything is written when the disk
// cannot hold the file and the reserve.
func TestUploadNoSpace(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.MinFree = 256 << 20
		o.FreeSpace = func(string) (uint64, error) { return 270 << 20, nil }
	})
	_, err := e.svc.Upload(context.Background(), Upload{MeetingID: testMeeting, From: alice, Name: "a.txt",
		Body: failingReader{}, Length: 20 << 20})
	if !errors.Is(err, ErrNoSpace) {
		t.Fatalf("%v, want ErrNoSpace", err)
	}
	e.assertStored(t, 0)
	e.mustUpload(t, alice, "small.txt", text(1000)) // fits
}

// TestUploadUnknownMeeting: the row cannot be stored, so the content that
// was already in place is removed again.
func TestUploadUnknownMeeting(t *testing.T) {
	e := newEnv(t, nil)
	_, err := e.svc.Upload(context.Background(), Upload{MeetingID: "zzzz-zzzz-zzzz-zzzz", From: alice, Name: "a.txt",
		Body: bytes.NewReader(text(100)), Length: 100})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("%v", err)
	}
	e.assertStored(t, 0)
}

func TestScanningWords(t *testing.T) {
	e := newEnv(t, nil)
	if on, what := e.svc.Scanning(); on || what == "" {
		t.Fatalf("no scanner: %v %q", on, what)
	}
	sc, err := ClamdScanner("/run/clamav/clamd.ctl")
	if err != nil {
		t.Fatal(err)
	}
	s := newEnv(t, func(o *Options) { o.Scanner = sc })
	if on, what := s.svc.Scanning(); !on || !bytes.Contains([]byte(what), []byte("unix:/run/clamav/clamd.ctl")) {
		t.Fatalf("scanner: %v %q", on, what)
	}
	if sc, err := ClamdScanner(""); sc != nil || err != nil {
		t.Fatalf("empty socket: %v, %v", sc, err)
	}
}

// fakeScanner finds malware in content holding "MALWARE".
type fakeScanner struct{ finding string }

func (f fakeScanner) String() string { return "a fake scanner" }

func (f fakeScanner) Begin(context.Context) (Scan, error) { return &fakeScan{finding: f.finding}, nil }

type fakeScan struct {
	finding string
	seen    bytes.Buffer
}

func (s *fakeScan) Write(p []byte) (int, error) { return s.seen.Write(p) }
func (s *fakeScan) Close() error                { return nil }

func (s *fakeScan) Finish() (string, error) {
	if bytes.Contains(s.seen.Bytes(), []byte("MALWARE")) {
		return s.finding, nil
	}
	return "", nil
}

// TestUploadScannerSeesEverything: the scanner gets the whole stream, the
// finding reaches the uploader and the audit log cleaned, and nothing is
// kept.
func TestUploadScannerSeesEverything(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Scanner = fakeScanner{finding: "Evil@Name\x07 "} })
	content := append(text(5*ChunkSize), []byte("MALWARE")...)
	_, err := e.upload(t, alice, "notes.txt", content)
	var infected *InfectedError
	if !errors.As(err, &infected) || infected.Signature != "Evil_Name_" {
		t.Fatalf("%v", err)
	}
	if infected.Error() != "This file was refused: the virus scanner found Evil_Name_." {
		t.Fatalf("message %q", infected.Error())
	}
	e.assertStored(t, 0)
	if evs := e.rec.find("upload", audit.Denied); len(evs) != 1 || evs[0].Details["signature"] != "Evil_Name_" {
		t.Fatalf("audit %+v", evs)
	}
	f := e.mustUpload(t, alice, "clean.txt", text(5*ChunkSize))
	if f.Scan != store.ScanClean {
		t.Fatalf("scan %q", f.Scan)
	}
}
