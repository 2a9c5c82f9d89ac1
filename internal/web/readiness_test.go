package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store/sqlite"
	"github.com/conclave-meet/conclave/internal/testclock"
)

// flakyStore is the real store whose write probe fails on demand, as it
// does when the disk is full or the file system turns read-only.
type flakyStore struct {
	*sqlite.Store
	fail   atomic.Bool
	probes atomic.Int64
}

func (f *flakyStore) ProbeWrite(ctx context.Context) error {
	f.probes.Add(1)
	if f.fail.Load() {
		return errors.New("database or disk is full (SQLITE_FULL)")
	}
	return f.Store.ProbeWrite(ctx)
}

func readyStatus(t *testing.T, e *testEnv) (int, string) {
	t.Helper()
	r := do(t, e.client(t), "GET", e.srv.URL+"/readyz", "")
	var body struct{ Status, Reason string }
	r.json(t, &body)
	return r.StatusCode, body.Status + " " + body.Reason
}

// /healthz stays "ok" (the process runs) while /readyz says the store
// refuses writes, with the reason, one warning in the log per outage and
// an info line on recovery; results are cached so probes stay rare.
func TestReadyzReportsFailingWrites(t *testing.T) {
	clk := testclock.New(time.Unix(1_700_000_000, 0))
	var fs *flakyStore
	e := newTestEnv(t, func(o *Options) {
		fs = &flakyStore{Store: o.Store.(*sqlite.Store)}
		o.Ready = NewReadiness(ReadinessOptions{Store: fs, Clock: clk.Now, Logger: o.Logger,
			FreeSpace: func(string) (uint64, error) { return 1 << 40, nil }, MinFree: 256 << 20})
	})
	if code, s := readyStatus(t, e); code != http.StatusOK || s != "ready " {
		t.Fatalf("healthy store: %d %q", code, s)
	}
	fs.fail.Store(true)
	clk.Advance(readyCacheFor)
	for range 3 {
		if code, s := readyStatus(t, e); code != http.StatusServiceUnavailable || s != "not_ready "+reasonStoreWrite {
			t.Fatalf("failing store: %d %q", code, s)
		}
	}
	if n := fs.probes.Load(); n != 2 {
		t.Errorf("%d probes for 4 checks within the cache period, want 2", n)
	}
	clk.Advance(readyCacheFor)
	readyStatus(t, e)
	expectStatus(t, do(t, e.client(t), "GET", e.srv.URL+"/healthz", ""), http.StatusOK)
	if n := strings.Count(e.log.String(), `msg="server not ready"`); n != 1 {
		t.Errorf("%d not-ready warnings for one outage, want 1:\n%s", n, e.log)
	}
	if !strings.Contains(e.log.String(), "level=WARN msg=\"server not ready\" reason="+reasonStoreWrite) {
		t.Errorf("warning lacks level or reason:\n%s", e.log)
	}
	fs.fail.Store(false)
	clk.Advance(readyCacheFor)
	if code, _ := readyStatus(t, e); code != http.StatusOK {
		t.Fatalf("recovered store: %d", code)
	}
	if !strings.Contains(e.log.String(), `level=INFO msg="server ready again"`) {
		t.Errorf("no recovery line:\n%s", e.log)
	}
}

func TestReadyzLowDiskSpace(t *testing.T) {
	free := uint64(100 << 20)
	e := newTestEnv(t, func(o *Options) {
		o.Ready = NewReadiness(ReadinessOptions{Store: o.Store.(*sqlite.Store), Logger: o.Logger, MinFree: 256 << 20,
			FreeSpace: func(string) (uint64, error) { return free, nil }})
	})
	if code, s := readyStatus(t, e); code != http.StatusServiceUnavailable || s != "not_ready "+reasonDiskSpace {
		t.Fatalf("100 MiB free of 256 required: %d %q", code, s)
	}
	ready, bytes := e.opts.Ready.Gauges(context.Background())
	if ready || bytes != int64(free) {
		t.Fatalf("gauges %v %d", ready, bytes)
	}
}
