package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// exposition renders a server's metrics at one moment.
func exposition(cpu, rss, fwd float64, latency [3]int) string {
	return fmt.Sprintf(`# TYPE go_memstats_mallocs_total counter
go_memstats_mallocs_total %g
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total %g
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes %g
# TYPE conclave_forwarded_packets_total counter
conclave_forwarded_packets_total %g
# TYPE conclave_forwarded_bytes_total counter
conclave_forwarded_bytes_total %g
# TYPE conclave_participants gauge
conclave_participants 6
# TYPE conclave_forward_latency_seconds histogram
conclave_forward_latency_seconds_bucket{le="0.001"} %d
conclave_forward_latency_seconds_bucket{le="0.002"} %d
conclave_forward_latency_seconds_bucket{le="+Inf"} %d
conclave_forward_latency_seconds_sum %g
conclave_forward_latency_seconds_count %d
`, fwd*3, cpu, rss, fwd, fwd*1000, latency[0], latency[1], latency[2], float64(latency[2])*0.001, latency[2])
}

func parse(t *testing.T, text string) *sample {
	t.Helper()
	fams, err := ParseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return &sample{at: time.Now(), fams: fams}
}

func TestServerSeriesDeltas(t *testing.T) {
	s := newServerSeries()
	first := parse(t, exposition(10, 50e6, 1000, [3]int{0, 0, 0}))
	mid := parse(t, exposition(12, 80e6, 5000, [3]int{50, 90, 100}))
	last := parse(t, exposition(14, 60e6, 9000, [3]int{100, 180, 200}))
	last.at = first.at.Add(4 * time.Second)
	s.add(first)
	s.add(mid)
	s.add(&sample{err: fmt.Errorf("connection refused")})
	s.add(last)
	m := s.summary(1)
	check := func(name string, got *float64, want float64) {
		t.Helper()
		if got == nil || math.Abs(*got-want) > 1e-9*math.Max(1, want) {
			t.Errorf("%s = %v, want %v", name, deref(got), want)
		}
	}
	check("cpu seconds", m.CPUSeconds, 4)
	check("cpu cores", m.CPUCores, 1)
	check("peak rss", m.PeakRSSBytes, 80e6)
	check("forwarded", m.ForwardedPackets, 8000)
	check("forwarded bytes", m.ForwardedBytes, 8e6)
	check("packets per cpu second", m.ForwardedPacketsPerCPUSecond, 2000)
	check("mallocs", m.Mallocs, 24000)
	check("allocations per forwarded packet", m.AllocsPerForwardedPacket, 3)
	check("participants", m.Participants, 6)
	if m.Scrapes != 4 || m.Failures != 1 || m.LastError == "" {
		t.Errorf("scrapes %d failures %d %q", m.Scrapes, m.Failures, m.LastError)
	}
	if m.ReceivedPackets != nil || m.Meetings != nil {
		t.Error("metrics the server did not expose must be nil")
	}
	l := m.ForwardLatency
	// 200 samples: 100 up to 1 ms, 80 in (1, 2] ms, 20 beyond.
	if l == nil || l.Count != 200 || math.Abs(l.Mean-1) > 1e-9 || math.Abs(l.P50-1) > 1e-9 || l.P99 != 2 {
		t.Errorf("latency %+v", l)
	}
}

func deref(v *float64) any {
	if v == nil {
		return "nil"
	}
	return *v
}

func TestServerSeriesWithoutData(t *testing.T) {
	if newServerSeries().summary(0) != nil {
		t.Fatal("no metrics URL must give no server section")
	}
	s := newServerSeries()
	s.add(&sample{err: fmt.Errorf("refused")})
	m := s.summary(1)
	if m == nil || m.CPUSeconds != nil || m.Failures != 1 {
		t.Fatalf("%+v", m)
	}
	// One good scrape: a level (memory) but no deltas.
	s.add(parse(t, "process_resident_memory_bytes 1e6\n"))
	if m := s.summary(1); m.PeakRSSBytes == nil || m.CPUSeconds != nil || m.ForwardLatency != nil {
		t.Fatalf("%+v", m)
	}
	// Metrics missing from the exposition altogether.
	s2 := newServerSeries()
	s2.add(parse(t, "other_metric 1\n"))
	s2.add(parse(t, "other_metric 2\n"))
	m = s2.summary(1)
	if m.CPUSeconds != nil || m.PeakRSSBytes != nil || m.ForwardedPacketsPerCPUSecond != nil || m.ForwardLatency != nil {
		t.Fatalf("%+v", m)
	}
	var out bytes.Buffer
	if err := WriteTable(&out, &Result{Server: m}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "server CPU              n/a") || !strings.Contains(out.String(), "latency                 n/a") {
		t.Fatalf("missing figures not shown as n/a:\n%s", out.String())
	}
}

func TestHistogramQuantileInterpolates(t *testing.T) {
	h := histSnapshot{count: 100, buckets: map[float64]float64{0.1: 10, 0.2: 90, 0.4: 100, math.Inf(1): 100}}
	for _, tc := range []struct{ q, want float64 }{{0.05, 0.05}, {0.5, 0.15}, {0.95, 0.3}, {1, 0.4}} {
		if got, ok := h.quantile(tc.q); !ok || math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("q%.2f = %v, want %v", tc.q, got, tc.want)
		}
	}
	inf := histSnapshot{count: 10, buckets: map[float64]float64{0.1: 5, math.Inf(1): 10}}
	if got, _ := inf.quantile(0.99); got != 0.1 {
		t.Errorf("rank in +Inf bucket: %v, want the largest finite bound", got)
	}
	if _, ok := (histSnapshot{}).quantile(0.5); ok {
		t.Error("empty histogram")
	}
}

func TestScraperSendsTokenAndReportsErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t0ken" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, exposition(1, 2, 3, [3]int{1, 1, 1}))
	}))
	defer srv.Close()
	ctx := context.Background()
	if s := newScraper([]string{srv.URL}, "t0ken").scrape(ctx); s.err != nil || s.fams[metricCPU] == nil {
		t.Fatalf("scrape: %v", s.err)
	}
	if s := newScraper([]string{srv.URL}, "wrong").scrape(ctx); s.err == nil || !strings.Contains(s.err.Error(), "401") {
		t.Fatalf("unauthorized scrape: %v", s.err)
	}
	if newScraper(nil, "").scrape(ctx) != nil {
		t.Fatal("no URL must mean no scrape")
	}
}
