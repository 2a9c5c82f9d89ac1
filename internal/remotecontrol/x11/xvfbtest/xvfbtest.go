// Package xvfbtest runs a virtual X server (Debian's xvfb) for tests of
// what the agent does to a desktop, and reads back what arrived there.
package xvfbtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Size of the virtual screen.
const (
	Width  = 1024
	Height = 768
)

// Start runs Xvfb on a free display until the test ends and returns the
// display's name (":3"). Without Xvfb the test is skipped, except in CI
// (CI=true), where a missing Xvfb is a broken setup and fails it.
func Start(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("Xvfb")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("Xvfb is missing: install Debian's xvfb package (test.sh does)")
		}
		t.Skip("Xvfb is missing: apt-get install xvfb")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// -displayfd: Xvfb picks a free display number and writes it to fd 3,
	// once it accepts connections. No TCP: local socket only.
	cmd := exec.Command(bin, "-displayfd", "3", "-screen", "0", screenSpec(),
		"-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stderr = &logWriter{t: t}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	// Xvfb closes its end on exit, so a failed start ends this read.
	line, err := bufio.NewReader(r).ReadString('\n')
	num := strings.TrimSpace(line)
	if err != nil || num == "" {
		t.Fatalf("Xvfb did not report its display: %q, %v", line, err)
	}
	return ":" + num
}

func screenSpec() string { return fmt.Sprintf("%dx%dx24", Width, Height) }

// logWriter passes Xvfb's complaints to the test log, which shows them
// only when the test fails.
type logWriter struct{ t testing.TB }

func (l *logWriter) Write(p []byte) (int, error) {
	l.t.Logf("Xvfb: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
