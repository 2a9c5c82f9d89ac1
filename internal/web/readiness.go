package web

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// WriteProber is a store that can show it still accepts writes (the
// SQLite store rewrites a one-row table). A read succeeds on a full disk;
// only a write tells.
type WriteProber interface {
	ProbeWrite(ctx context.Context) error
}

// Readiness timing: results are reused for readyCacheFor, so /readyz
// cannot be used to hammer the database, and one probe may take at most
// readyProbeTimeout (SQLite's busy timeout is 5 s).
const (
	readyCacheFor     = 2 * time.Second
	readyProbeTimeout = 3 * time.Second
)

// Reasons /readyz gives for not being ready.
const (
	reasonStoreWrite = "store_write_failed"
	reasonDiskSpace  = "low_disk_space"
)

// ReadinessOptions configure NewReadiness.
type ReadinessOptions struct {
	Store   WriteProber // nil: no write probe
	DataDir string      // whose file system's free space is checked
	MinFree uint64      // bytes; 0 disables the free-space check
	// FreeSpace reports the bytes available to the server under dir; nil
	// uses statfs. Tests substitute it.
	FreeSpace func(dir string) (uint64, error)
	Clock     func() time.Time // nil: time.Now
	Logger    *slog.Logger     // nil: slog.Default()
}

// ReadyStatus is one readiness verdict.
type ReadyStatus struct {
	Ready     bool
	Reason    string // empty when ready
	FreeBytes uint64
	FreeKnown bool // false where free space cannot be measured
	checked   time.Time
}

// Readiness answers whether the server can do its work, as opposed to
// whether it runs (GET /healthz): whether the store accepts writes and the
// data directory has room. It logs a warning when that turns false and an
// info line when it recovers, once per transition.
type Readiness struct {
	o     ReadinessOptions
	mu    sync.Mutex // held across a probe: concurrent checks share it
	last  ReadyStatus
	ready bool // last logged state; starts true so a first failure warns
}

// NewReadiness returns a readiness check.
func NewReadiness(o ReadinessOptions) *Readiness {
	if o.FreeSpace == nil {
		o.FreeSpace = freeSpace
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Readiness{o: o, ready: true}
}

// Check returns the current verdict, probing at most once per
// readyCacheFor.
func (r *Readiness) Check(ctx context.Context) ReadyStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.o.Clock()
	if !r.last.checked.IsZero() && now.Sub(r.last.checked) < readyCacheFor {
		return r.last
	}
	st, err := r.probe(ctx)
	if ctx.Err() != nil {
		return st // the caller left (shutdown, client gone): no verdict
	}
	st.checked = now
	r.logTransition(st, err)
	r.last = st
	return st
}

func (r *Readiness) probe(ctx context.Context) (ReadyStatus, error) {
	st := ReadyStatus{Ready: true}
	free, err := r.o.FreeSpace(r.o.DataDir)
	if err == nil {
		st.FreeBytes, st.FreeKnown = free, true
	}
	if r.o.Store != nil {
		pctx, cancel := context.WithTimeout(ctx, readyProbeTimeout)
		err := r.o.Store.ProbeWrite(pctx)
		cancel()
		if err != nil {
			st.Ready, st.Reason = false, reasonStoreWrite
			return st, err
		}
	}
	if r.o.MinFree > 0 && st.FreeKnown && st.FreeBytes < r.o.MinFree {
		st.Ready, st.Reason = false, reasonDiskSpace
	}
	return st, nil
}

func (r *Readiness) logTransition(st ReadyStatus, err error) {
	if st.Ready == r.ready {
		return
	}
	r.ready = st.Ready
	if st.Ready {
		r.o.Logger.Info("server ready again", "free_bytes", st.FreeBytes)
		return
	}
	r.o.Logger.Warn("server not ready", "reason", st.Reason, "err", err,
		"free_bytes", st.FreeBytes, "min_free_bytes", r.o.MinFree, "data_dir", r.o.DataDir)
}

// Watch runs the check every interval until ctx ends, so that a
// transition is logged even when nothing polls /readyz or the metrics.
func (r *Readiness) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		r.Check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Gauges reports the verdict for the metrics endpoint: ready, and free
// bytes (-1 when unknown).
func (r *Readiness) Gauges(ctx context.Context) (ready bool, freeBytes int64) {
	st := r.Check(ctx)
	if !st.FreeKnown {
		return st.Ready, -1
	}
	return st.Ready, int64(min(st.FreeBytes, uint64(1<<63-1)))
}

// ready answers GET /readyz: 200 when the server can serve, 503 with the
// reason otherwise. Free space is left to the (protected) metrics.
func (s *server) ready(w http.ResponseWriter, r *http.Request) {
	st := s.Ready.Check(r.Context())
	if !st.Ready {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not_ready", "reason": st.Reason})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
