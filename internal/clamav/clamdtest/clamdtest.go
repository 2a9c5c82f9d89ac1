// Package clamdtest starts a real clamd for tests, with a signature
// database of its own that detects only the EICAR test file: no network,
// no freshclam, and a start measured in seconds.
package clamdtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/clamav"
)

// EICAR returns the EICAR anti-virus test file, the 68 bytes every scanner
// detects as a test. It is assembled at run time so that scanners on
// developers' machines do not flag this source file.
func EICAR() []byte {
	parts := []string{`X5O!P%@AP[4\PZX54(P^)7CC)7}$`, "EICAR-STANDARD-", "ANTIVIRUS-TEST-FILE!", "$H+H*"}
	return []byte(strings.Join(parts, ""))
}

// Signature is the name clamd reports for EICAR with this package's
// database (clamd appends ".UNOFFICIAL" to signatures outside its
// official databases).
const Signature = "Conclave.Test.EICAR.UNOFFICIAL"

// startTimeout bounds clamd's start; a tiny database loads in a second or
// two, a loaded CI machine may take longer.
const startTimeout = 60 * time.Second

// binary finds clamd: on PATH, or where Debian's clamav-daemon puts it
// (/usr/sbin is not on every user's PATH).
func binary() string {
	if p, err := exec.LookPath("clamd"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/clamd", "/usr/local/sbin/clamd"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

// Start runs clamd until the test ends and returns the path of its unix
// socket once it answers PING. Without clamd installed it skips the test,
// unless $CI is set: CI installs clamav-daemon (test.sh), so a missing
// clamd there is a failure, not a reason to skip.
func Start(t testing.TB) string {
	t.Helper()
	bin := binary()
	if bin == "" {
		if os.Getenv("CI") == "" {
			t.Skip("clamd not installed (Debian: apt-get install clamav-daemon)")
		}
		t.Fatal("clamd not installed, and $CI is set: test.sh installs clamav-daemon")
	}
	// A short directory of its own: a unix socket path must stay under
	// 108 bytes, which t.TempDir's long names can exceed.
	dir, err := os.MkdirTemp("", "clamd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	socket := writeConfig(t, dir)

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--config-file="+filepath.Join(dir, "clamd.conf"))
	// Ended with SIGTERM, so that it removes its socket; killed if it
	// does not exit within WaitDelay.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start clamd: %v", err)
	}
	p := &process{done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	waitReady(t, socket, p, &out)
	return socket
}

// process is a started clamd: done is closed when it exited, with err.
type process struct {
	done chan struct{}
	err  error
}

// writeConfig writes the signature database and clamd.conf into dir and
// returns the socket path. The database has two signatures of the same
// name: an MD5 of the whole EICAR file (.hdb: md5:size:name) and a body
// signature that finds it anywhere in any file (.ndb:
// name:target:offset:hex), so that EICAR inside a larger file is found
// too.
func writeConfig(t testing.TB, dir string) string {
	t.Helper()
	db := filepath.Join(dir, "db")
	tmp := filepath.Join(dir, "tmp")
	for _, d := range []string{db, tmp} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	sum := md5.Sum(EICAR())
	sig := fmt.Sprintf("%s:%d:Conclave.Test.EICAR\n", hex.EncodeToString(sum[:]), len(EICAR()))
	if err := os.WriteFile(filepath.Join(db, "conclave-test.hdb"), []byte(sig), 0o600); err != nil {
		t.Fatal(err)
	}
	body := "Conclave.Test.EICAR:0:*:" + hex.EncodeToString(EICAR()) + "\n"
	if err := os.WriteFile(filepath.Join(db, "conclave-test.ndb"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	socket := filepath.Join(dir, "clamd.sock")
	conf := strings.Join([]string{
		"LocalSocket " + socket,
		"Foreground true",
		"DatabaseDirectory " + db,
		"TemporaryDirectory " + tmp,
		"LogFile " + filepath.Join(dir, "clamd.log"),
		"LogVerbose false",
		"MaxThreads 4",
		"StreamMaxLength 64M",
		"SelfCheck 3600",
		"Bytecode false",
		"",
	}, "\n")
	if err := os.WriteFile(filepath.Join(dir, "clamd.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return socket
}

// waitReady polls PING until clamd answers, it exits, or the deadline
// passes; the poll is the wait, there is no sleep for a guessed time.
func waitReady(t testing.TB, socket string, p *process, out *syncBuffer) {
	t.Helper()
	c, err := clamav.New(socket)
	if err != nil {
		t.Fatal(err)
	}
	c.DialTimeout, c.IOTimeout = time.Second, 5*time.Second
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := c.Ping(context.Background()); err == nil {
			return
		}
		select {
		case <-p.done:
			t.Fatalf("clamd exited before answering PING (%v):\n%s", p.err, out.String())
		case <-deadline.C:
			t.Fatalf("clamd did not answer PING within %v:\n%s", startTimeout, out.String())
		case <-tick.C:
		}
	}
}

// syncBuffer collects clamd's output from its two pipes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
