package clamav_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/clamav"
	"github.com/conclave-meet/conclave/internal/clamav/clamdtest"
)

// TestRealClamd runs the client against a real clamd (clamdtest): EICAR is
// found whether sent at once or in small pieces, clean content passes, and
// PING and VERSION answer.
func TestRealClamd(t *testing.T) {
	c, err := clamav.New(clamdtest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Version(ctx); err != nil || !strings.HasPrefix(v, "ClamAV") {
		t.Fatalf("version %q, %v", v, err)
	}
	res, err := c.Scan(ctx, bytes.NewReader(clamdtest.EICAR()))
	if err != nil || !res.Infected || res.Signature != clamdtest.Signature {
		t.Fatalf("EICAR: %+v, %v", res, err)
	}
	// In 7-byte chunks, as a slow upload would arrive.
	small := *c
	small.ChunkSize = 7
	s, err := small.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range clamdtest.EICAR() {
		if _, err := s.Write([]byte{b}); err != nil {
			t.Fatal(err)
		}
	}
	if res, err := s.Finish(); err != nil || !res.Infected {
		t.Fatalf("EICAR in pieces: %+v, %v", res, err)
	}
	clean := bytes.Repeat([]byte("a perfectly ordinary document. "), 10000)
	if res, err := c.Scan(ctx, bytes.NewReader(clean)); err != nil || res.Infected {
		t.Fatalf("clean: %+v, %v", res, err)
	}
}

// TestRealClamdSizeLimit: a stream over clamd's StreamMaxLength is an
// error, never a clean verdict.
func TestRealClamdSizeLimit(t *testing.T) {
	c, err := clamav.New(clamdtest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.NewReader(make([]byte, 65<<20)) // clamdtest sets 64M
	res, err := c.Scan(context.Background(), big)
	if !errors.Is(err, clamav.ErrRefused) || res.Infected {
		t.Fatalf("over the limit: %+v, %v; want ErrRefused", res, err)
	}
}

func TestParseSocket(t *testing.T) {
	for in, want := range map[string]string{
		"/run/clamav/clamd.ctl":      "unix:/run/clamav/clamd.ctl",
		"unix:/run/clamav/clamd.ctl": "unix:/run/clamav/clamd.ctl",
		"127.0.0.1:3310":             "tcp:127.0.0.1:3310",
		"tcp:clamav:3310":            "tcp:clamav:3310",
		"[::1]:3310":                 "tcp:[::1]:3310",
	} {
		c, err := clamav.New(in)
		if err != nil || c.String() != want {
			t.Errorf("%s: %v, %v", in, c, err)
		}
	}
	for _, bad := range []string{"", "clamd.ctl", "unix:relative.sock", "localhost", ":3310"} {
		if _, err := clamav.New(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// fakeClamd answers one connection with reply after reading the command
// and, for INSTREAM, the chunks up to the terminator.
func fakeClamd(t *testing.T, reply string, readAll bool) string {
	t.Helper()
	path := filepath.Join(shortTemp(t), "c.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			cn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer cn.Close()
				buf := make([]byte, 1<<16)
				var got []byte
				for {
					n, err := cn.Read(buf)
					got = append(got, buf[:n]...)
					if err != nil || !readAll || bytes.HasSuffix(got, []byte{0, 0, 0, 0}) || bytes.Equal(got, []byte("zPING\x00")) {
						break
					}
				}
				cn.Write([]byte(reply + "\x00"))
			}()
		}
	}()
	return path
}

func shortTemp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if len(dir) > 80 {
		t.Skip("temporary directory too long for a unix socket")
	}
	return dir
}

func TestReplies(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		reply    string
		infected bool
		sig      string
		err      error
	}{
		{"stream: OK", false, "", nil},
		{"stream: Win.Test.EICAR_HDB-1 FOUND", true, "Win.Test.EICAR_HDB-1", nil},
		{"stream: Evil\x07Name@x FOUND", true, "Evil_Name_x", nil},
		{"INSTREAM size limit exceeded. ERROR", false, "", clamav.ErrRefused},
		{"what?", false, "", clamav.ErrUnavailable},
	}
	for _, tc := range cases {
		c, err := clamav.New(fakeClamd(t, tc.reply, true))
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Scan(ctx, strings.NewReader("content"))
		if !errors.Is(err, tc.err) || (tc.err != nil) != (err != nil) || res.Infected != tc.infected || res.Signature != tc.sig {
			t.Errorf("%q: %+v, %v", tc.reply, res, err)
		}
	}
}

// TestUnavailable: no daemon, a context that ends, and a daemon that never
// answers all fail with an error rather than hang or pass.
func TestUnavailable(t *testing.T) {
	c, err := clamav.New(filepath.Join(shortTemp(t), "none.sock"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Scan(context.Background(), strings.NewReader("x")); !errors.Is(err, clamav.ErrUnavailable) {
		t.Fatalf("no daemon: %v", err)
	}

	path := filepath.Join(shortTemp(t), "mute.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		cn, err := ln.Accept()
		if err == nil {
			accepted <- cn
		}
	}()
	mute, _ := clamav.New(path)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := mute.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cn := <-accepted
	defer cn.Close()
	if _, err := s.Write([]byte("content")); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := s.Finish(); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}

	mute.ReplyTimeout = 50 * time.Millisecond
	go func() {
		cn, err := ln.Accept()
		if err == nil {
			accepted <- cn
		}
	}()
	start := time.Now()
	_, err = mute.Scan(context.Background(), strings.NewReader("x"))
	if !errors.Is(err, clamav.ErrUnavailable) {
		t.Fatalf("no reply: %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("the reply timeout did not apply")
	}
	(<-accepted).Close()
}
