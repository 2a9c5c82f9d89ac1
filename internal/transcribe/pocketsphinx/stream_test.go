package pocketsphinx

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/transcribe"
)

// fakeEngine is an Engine whose program is the shell script body, with a
// model directory of empty files: the process side of the adapter, tested
// without PocketSphinx.
func fakeEngine(t *testing.T, body string) *Engine {
	t.Helper()
	dir := t.TempDir()
	prog := filepath.Join(dir, "fake-pocketsphinx")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "model")
	if err := os.MkdirAll(filepath.Join(model, "en-us"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"en-us.lm.bin", "cmudict-en-us.dict"} {
		if err := os.WriteFile(filepath.Join(model, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e, err := New(Config{Program: prog, ModelDir: model})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func open(t *testing.T, e *Engine) transcribe.Stream {
	t.Helper()
	s, err := e.Open(context.Background(), transcribe.StreamOptions{Speaker: "p_ana"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func collect(s transcribe.Stream) []transcribe.Result {
	var rs []transcribe.Result
	for r := range s.Results() {
		rs = append(rs, r)
	}
	return rs
}

// TestStreamFinish: the process reads all the audio, then what it prints
// comes out as results, after Finish, even if nobody reads Results until
// Finish has returned.
func TestStreamFinish(t *testing.T) {
	e := fakeEngine(t, `
bytes=$(wc -c)
echo "hello world"
echo "<s> 0.0 0.1 1"
echo "hello 0.1 0.5 0.9"
echo "world 0.5 0.9 0.8"
echo "</s> 0.9 1.0 1"
echo "got $bytes"
echo "got 1.0 1.5 1"
echo "$bytes 1.5 2.0 1"
`)
	s := open(t, e)
	ctx := context.Background()
	for range 50 {
		if err := s.Write(ctx, make([]int16, 320)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Finish(ctx); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	rs := collect(s)
	if len(rs) != 2 || rs[0].Text != "hello world" || rs[0].Speaker != "p_ana" || rs[1].Text != "got 32000" {
		t.Fatalf("%+v", rs)
	}
	if s.Err() != nil {
		t.Fatalf("Err after Finish: %v", s.Err())
	}
	if err := s.Write(ctx, make([]int16, 1)); !errors.Is(err, transcribe.ErrClosed) {
		t.Fatalf("Write after Finish: %v", err)
	}
}

// TestStreamEngineFails: a process that dies says why, in Err and in the
// writes that follow.
func TestStreamEngineFails(t *testing.T) {
	e := fakeEngine(t, `echo "ERROR: model is broken" >&2; exit 3`)
	s := open(t, e)
	if rs := collect(s); len(rs) != 0 {
		t.Fatalf("results from a failed engine: %+v", rs)
	}
	err := s.Err()
	if err == nil || !strings.Contains(err.Error(), "model is broken") {
		t.Fatalf("Err: %v", err)
	}
	var werr error
	for range 100 { // the pipe takes a few writes before it notices
		if werr = s.Write(context.Background(), make([]int16, 16000)); werr != nil {
			break
		}
	}
	if werr == nil || !strings.Contains(werr.Error(), "model is broken") {
		t.Fatalf("Write to a dead engine: %v", werr)
	}
}

// TestStreamStopsEarly: an engine that exits 0 before its input ended
// has failed.
func TestStreamStopsEarly(t *testing.T) {
	s := open(t, fakeEngine(t, `exit 0`))
	collect(s)
	if s.Err() == nil {
		t.Fatal("no error for an engine that stopped by itself")
	}
}

// TestStreamWriteHonoursContext: a stuck engine does not hold a writer
// past its context.
func TestStreamWriteHonoursContext(t *testing.T) {
	s := open(t, fakeEngine(t, `exec sleep 600`))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Write(ctx, make([]int16, 1<<20)) }() // 2 MiB: far more than a pipe holds
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Write: %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if err := s.Write(ctx, make([]int16, 1<<20)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Write past deadline: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	collect(s) // closed by Close
	if s.Err() != nil {
		t.Fatalf("Err after Close: %v", s.Err())
	}
}

// TestStreamFinishHonoursContext: an engine that never ends is killed
// when Finish's context is done.
func TestStreamFinishHonoursContext(t *testing.T) {
	s := open(t, fakeEngine(t, `exec sleep 600`))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Finish(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Finish: %v", err)
	}
	collect(s)
}

// TestStreamCloseWhileUnread: Close ends a stream whose results nobody
// reads, and may be called again.
func TestStreamCloseWhileUnread(t *testing.T) {
	s := open(t, fakeEngine(t, `i=0; while [ $i -lt 50 ]; do echo "word$i"; echo "word 0 1 1"; i=$((i+1)); done; exec sleep 600`))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	collect(s)
}

func TestNewNotInstalled(t *testing.T) {
	_, err := New(Config{Program: "no-such-pocketsphinx-program"})
	if !errors.Is(err, transcribe.ErrNotInstalled) {
		t.Fatalf("missing program: %v", err)
	}
	_, err = New(Config{Program: "/bin/sh", ModelDir: t.TempDir()})
	if !errors.Is(err, transcribe.ErrNotInstalled) || !strings.Contains(err.Error(), "pocketsphinx-en-us") {
		t.Fatalf("missing model: %v", err)
	}
}

func TestOpenRefusesOtherLanguages(t *testing.T) {
	e := fakeEngine(t, `exec cat >/dev/null`)
	if _, err := e.Open(context.Background(), transcribe.StreamOptions{Language: "de-DE"}); err == nil {
		t.Fatal("a German stream on the English model")
	}
	for _, lang := range []string{"", "en", "en-GB", "EN-us"} {
		s, err := e.Open(context.Background(), transcribe.StreamOptions{Language: lang})
		if err != nil {
			t.Fatalf("%q: %v", lang, err)
		}
		s.Close()
	}
	if e.Name() != "pocketsphinx" || e.Language() != "en-US" {
		t.Fatalf("%q %q", e.Name(), e.Language())
	}
}

// TestStreamEnvironment: the engine gets none of the server's environment.
func TestStreamEnvironment(t *testing.T) {
	t.Setenv("CONCLAVE_TEST_SECRET", "leaked")
	s := open(t, fakeEngine(t, `cat >/dev/null; echo "secret${CONCLAVE_TEST_SECRET}none"`))
	if err := s.Finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rs := collect(s); len(rs) != 1 || rs[0].Text != "secretnone" {
		t.Fatalf("%+v", rs)
	}
}
