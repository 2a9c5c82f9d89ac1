package files

import (
	"bytes"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/clamav/clamdtest"
	"github.com/conclave-meet/conclave/internal/store"
)

// TestUploadScannedByRealClamd uploads through the HTTP handler to a
// service that scans with a real clamd: the EICAR test file is refused
// with the scanner's finding, nothing is kept, nobody is told, and the
// refusal is in the audit log; a clean file is stored as scanned.
func TestUploadScannedByRealClamd(t *testing.T) {
	sc, err := ClamdScanner(clamdtest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, func(o *Options) { o.Scanner = sc })

	msg := wantError(t, s.post(t, "tok-alice", "invoice.pdf", "p_bob", bytes.NewReader(clamdtest.EICAR())),
		http.StatusUnprocessableEntity, "infected")
	if want := "This file was refused: the virus scanner found " + clamdtest.Signature + "."; msg != want {
		t.Fatalf("message %q, want %q", msg, want)
	}
	s.env.assertStored(t, 0)
	if len(s.access.announced) != 0 {
		t.Fatal("a refused file was announced")
	}
	evs := s.rec.find("upload", audit.Denied)
	if len(evs) != 1 || evs[0].Actor != "p_alice" || evs[0].Meeting != testMeeting ||
		evs[0].Details["reason"] != "malware" || evs[0].Details["signature"] != clamdtest.Signature {
		t.Fatalf("audit: %+v", evs)
	}

	// EICAR deep inside a larger file, past the first chunks, is found
	// too: the scanner sees the whole stream, not what was sniffed.
	buried := append(append(text(3*ChunkSize), clamdtest.EICAR()...), text(1000)...)
	resp := s.post(t, "tok-alice", "notes.txt", "", bytes.NewReader(buried))
	wantError(t, resp, http.StatusUnprocessableEntity, "infected")
	s.env.assertStored(t, 0)

	resp = s.post(t, "tok-alice", "notes.txt", "", strings.NewReader("nothing to see here\n"))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("clean file: %d", resp.StatusCode)
	}
	up := decodeBody[uploadResponse](t, resp)
	f, err := s.svc.File(t.Context(), testMeeting, up.ID)
	if err != nil || f.Scan != store.ScanClean {
		t.Fatalf("clean file: %+v, %v", f, err)
	}
	if on, _ := s.svc.Scanning(); !on {
		t.Fatal("Scanning says off")
	}
}

// TestUploadScannerUnavailable: a configured scanner that cannot be
// reached fails uploads closed; nothing is stored unscanned.
func TestUploadScannerUnavailable(t *testing.T) {
	sc, err := ClamdScanner(filepath.Join(t.TempDir(), "no-clamd.sock"))
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, func(o *Options) { o.Scanner = sc })
	wantError(t, s.post(t, "tok-alice", "notes.txt", "", strings.NewReader("hello\n")), http.StatusServiceUnavailable, "scan_unavailable")
	s.env.assertStored(t, 0)
}

func TestCheckScanner(t *testing.T) {
	e := newEnv(t, nil)
	if err := e.svc.CheckScanner(t.Context()); err != nil {
		t.Fatalf("no scanner: %v", err)
	}
	sc, err := ClamdScanner(filepath.Join(t.TempDir(), "no-clamd.sock"))
	if err != nil {
		t.Fatal(err)
	}
	down := newEnv(t, func(o *Options) { o.Scanner = sc })
	if err := down.svc.CheckScanner(t.Context()); err == nil {
		t.Fatal("an absent clamd answered")
	}
	up, err := ClamdScanner(clamdtest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	s := newEnv(t, func(o *Options) { o.Scanner = up })
	if err := s.svc.CheckScanner(t.Context()); err != nil {
		t.Fatal(err)
	}
}
