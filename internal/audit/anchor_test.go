package audit

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/testlog"
)

// recSink records heads on a channel; fail makes Publish fail after.
type recSink struct {
	heads chan SealedHead
	fail  error
}

func newRecSink() *recSink { return &recSink{heads: make(chan SealedHead, 16)} }

func (r *recSink) Name() string { return "rec" }

func (r *recSink) Publish(_ context.Context, h SealedHead) error {
	r.heads <- h
	return r.fail
}

// next waits for the next head; the timeout only bounds a broken test.
func (r *recSink) next(t *testing.T) SealedHead {
	t.Helper()
	select {
	case h := <-r.heads:
		return h
	case <-time.After(10 * time.Second):
		t.Fatal("no head published")
		return SealedHead{}
	}
}

type fakeTicker struct{ c chan time.Time }

func (f fakeTicker) C() <-chan time.Time { return f.c }
func (f fakeTicker) Stop()               {}

type anchorEnv struct {
	log    *Log
	mem    *memStore
	sink   *recSink
	tick   chan time.Time
	logBuf *testlog.Buffer
	a      *Anchorer
}

func newAnchorEnv(t *testing.T, entries int, every int64) *anchorEnv {
	t.Helper()
	l, m := newMemLog(t, entries)
	e := &anchorEnv{log: l, mem: m, sink: newRecSink(), tick: make(chan time.Time), logBuf: &testlog.Buffer{}}
	var interval time.Duration
	e.a = NewAnchorer(l, AnchorOptions{
		Sinks: []Sink{e.sink}, Every: every, Logger: slog.New(slog.NewTextHandler(e.logBuf, nil)),
		NewTicker: func(d time.Duration) Ticker { interval = d; return fakeTicker{e.tick} },
	})
	t.Cleanup(func() {
		if interval != 0 && interval != DefaultAnchorInterval {
			t.Errorf("interval %s", interval)
		}
	})
	return e
}

// run starts Run and returns a function that stops it and waits.
func (e *anchorEnv) run() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		e.a.Run(ctx)
		close(done)
	}()
	return func() {
		cancel()
		<-done
	}
}

func TestAnchorerPublishesAtStartEveryNIntervalAndShutdown(t *testing.T) {
	e := newAnchorEnv(t, 2, 3)
	stop := e.run()
	if h := e.sink.next(t); h.Seq != 2 || !e.log.CheckHead(h) {
		t.Fatalf("start head %+v", h)
	}
	appendN(t, e.log, 2)
	select {
	case h := <-e.sink.heads:
		t.Fatalf("published after 2 of 3 entries: %+v", h)
	default:
	}
	appendN(t, e.log, 1)
	if h := e.sink.next(t); h.Seq != 5 {
		t.Fatalf("every-3 head %+v", h)
	}
	e.tick <- time.Now()
	if h := e.sink.next(t); h.Seq != 5 {
		t.Fatalf("interval head %+v", h)
	}
	appendN(t, e.log, 1)
	stop()
	if h := e.sink.next(t); h.Seq != 6 {
		t.Fatalf("shutdown head %+v", h)
	}
	logged := e.logBuf.String()
	for _, reason := range []string{"start", "entries", "interval", "shutdown"} {
		if !strings.Contains(logged, `msg="audit head" reason=`+reason+" seq=") {
			t.Errorf("no %s head in the server log:\n%s", reason, logged)
		}
	}
	if strings.Contains(logged, string(testKey)) {
		t.Fatal("the key reached the log")
	}
}

// TestAnchorerLogLinePastesIntoAnchor: the server log's anchor= value is
// the sealed head, which verification accepts.
func TestAnchorerLogLinePastesIntoAnchor(t *testing.T) {
	e := newAnchorEnv(t, 3, 0)
	h, ok, err := e.a.Publish(context.Background(), "start")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	_, after, _ := strings.Cut(e.logBuf.String(), "anchor=")
	text := strings.Fields(after)[0]
	got, err := ParseHead(text)
	if err != nil || text != h.String() || !e.log.CheckHead(got) {
		t.Fatalf("logged %q: %v", text, err)
	}
}

func TestAnchorerEmptyLogPublishesNothing(t *testing.T) {
	e := newAnchorEnv(t, 0, 0)
	if _, ok, err := e.a.Publish(context.Background(), "start"); ok || err != nil {
		t.Fatalf("empty log: %v %v", ok, err)
	}
	if len(e.sink.heads) != 0 || !strings.Contains(e.logBuf.String(), "entries=0") {
		t.Fatalf("log %q", e.logBuf.String())
	}
}

// TestAnchorerSinkFailure: one failing sink neither stops the others nor
// the anchorer, and the error names it.
func TestAnchorerSinkFailure(t *testing.T) {
	l, _ := newMemLog(t, 1)
	bad, good := newRecSink(), newRecSink()
	bad.fail = errors.New("disk full")
	a := NewAnchorer(l, AnchorOptions{Sinks: []Sink{bad, good}, Logger: slog.New(slog.NewTextHandler(&testlog.Buffer{}, nil))})
	_, ok, err := a.Publish(context.Background(), "start")
	if !ok || err == nil || !strings.Contains(err.Error(), "rec: disk full") {
		t.Fatalf("publish: %v %v", ok, err)
	}
	if good.next(t).Seq != 1 || bad.next(t).Seq != 1 {
		t.Fatal("a sink missed the head")
	}
}

// TestAnchorerNoticesShortenedLog: a running server logs an error when its
// last published head is gone, cut off or emptied or rewritten.
func TestAnchorerNoticesShortenedLog(t *testing.T) {
	ctx := context.Background()
	cases := map[string]struct {
		tamper func(*anchorEnv)
		want   string
	}{
		"cut":       {func(e *anchorEnv) { e.mem.entries = e.mem.entries[:2] }, "shortened since its last published head"},
		"emptied":   {func(e *anchorEnv) { e.mem.entries = nil }, "shortened since its last published head"},
		"same seq":  {func(e *anchorEnv) { e.mem.entries = e.mem.entries[:2]; appendN(t, e.log, 2) }, "rewritten since"},
		"refilled":  {func(e *anchorEnv) { e.mem.entries = e.mem.entries[:2]; appendN(t, e.log, 5) }, "rewritten since"},
		"untouched": {func(e *anchorEnv) { appendN(t, e.log, 2) }, ""},
		// Entries appended after the last head, cut before the next one.
		"unpublished": {func(e *anchorEnv) { appendN(t, e.log, 3); e.mem.entries = e.mem.entries[:5] },
			"shortened since its last published head"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := newAnchorEnv(t, 4, 0)
			if _, _, err := e.a.Publish(ctx, "start"); err != nil {
				t.Fatal(err)
			}
			tc.tamper(e)
			if _, _, err := e.a.Publish(ctx, "interval"); err != nil {
				t.Fatal(err)
			}
			logged := e.logBuf.String()
			if tc.want == "" && strings.Contains(logged, "level=ERROR") || !strings.Contains(logged, tc.want) {
				t.Fatalf("log:\n%s", logged)
			}
		})
	}
}

func TestAnchorerRetentionIsNotTampering(t *testing.T) {
	ctx := context.Background()
	e := newAnchorEnv(t, 3, 0)
	if _, _, err := e.a.Publish(ctx, "start"); err != nil {
		t.Fatal(err)
	}
	appendN(t, e.log, 2)
	if _, err := e.log.Truncate(ctx, e.mem.entries[4].Time); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.a.Publish(ctx, "interval"); err != nil || strings.Contains(e.logBuf.String(), "level=ERROR") {
		t.Fatalf("%v\n%s", err, e.logBuf.String())
	}
}

// TestAnchorerNoFalseAlarmWhileAppending: entries appended while a head is
// being published are never taken for removed ones.
func TestAnchorerNoFalseAlarmWhileAppending(t *testing.T) {
	e := newAnchorEnv(t, 1, 2)
	e.sink.heads = make(chan SealedHead, 1024) // about 70 heads, none waited for
	stop := e.run()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { appendN(t, e.log, 25) })
	}
	for range 20 {
		e.tick <- time.Now()
	}
	wg.Wait()
	stop()
	if logged := e.logBuf.String(); strings.Contains(logged, "level=ERROR") {
		t.Fatalf("false alarm:\n%s", logged)
	}
	var last SealedHead
	for len(e.sink.heads) > 0 {
		last = <-e.sink.heads
	}
	if last.Seq != 101 {
		t.Fatalf("shutdown head %+v", last)
	}
}
