package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store/sqlite"
	"github.com/conclave-meet/conclave/internal/testclock"
	"github.com/conclave-meet/conclave/internal/testlog"
)

// smallDisk mounts a 4 MiB tmpfs for the test, or skips when this process
// may not mount (not root, or no CAP_SYS_ADMIN in a container).
func smallDisk(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size=4m,mode=0700"); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root with CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fill writes to a new file in dir until the file system is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return path
		}
	}
}

// On a real file system filled to the last block, /readyz turns 503 and
// comes back once space is freed.
func TestReadyzOnFullDisk(t *testing.T) {
	dir := smallDisk(t)
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	opts := newOptions(t, st, &testlog.Buffer{})
	clk := testclock.New(time.Unix(1_700_000_000, 0))
	opts.Ready = NewReadiness(ReadinessOptions{Store: st, DataDir: dir, MinFree: 1 << 20, Clock: clk.Now, Logger: opts.Logger})
	srv := httptest.NewServer(New(opts))
	t.Cleanup(srv.Close)
	e := &testEnv{opts: opts, store: st, srv: srv}
	if code, s := readyStatus(t, e); code != http.StatusOK {
		t.Fatalf("empty disk: %d %q", code, s)
	}
	filler := fill(t, dir)
	clk.Advance(readyCacheFor)
	code, s := readyStatus(t, e)
	if code != http.StatusServiceUnavailable {
		t.Fatalf("full disk: %d %q, want 503", code, s)
	}
	t.Logf("full disk: %s", s)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	clk.Advance(readyCacheFor)
	if code, s := readyStatus(t, e); code != http.StatusOK {
		t.Fatalf("after freeing space: %d %q", code, s)
	}
}
