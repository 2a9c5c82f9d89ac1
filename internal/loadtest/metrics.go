package loadtest

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metric names the server exposes (docs/operations.md).
const (
	metricCPU          = "process_cpu_seconds_total"
	metricRSS          = "process_resident_memory_bytes"
	metricFwdPackets   = "conclave_forwarded_packets_total"
	metricFwdBytes     = "conclave_forwarded_bytes_total"
	metricRecvPackets  = "conclave_received_packets_total"
	metricRecvBytes    = "conclave_received_bytes_total"
	metricParticipants = "conclave_participants"
	metricMeetings     = "conclave_meetings"
	metricFwdLatency   = "conclave_forward_latency_seconds"
	metricMallocs      = "go_memstats_mallocs_total"
)

// scraper reads the servers' Prometheus text endpoints, one per node. A
// nil scraper (no --metrics-url) scrapes nothing.
type scraper struct {
	urls  []string
	token string
	hc    *http.Client
}

func newScraper(urls []string, token string) *scraper {
	if len(urls) == 0 {
		return nil
	}
	return &scraper{urls: urls, token: token, hc: &http.Client{Timeout: 5 * time.Second}}
}

// nodes is the number of endpoints scraped (0 for none).
func (s *scraper) nodes() int {
	if s == nil {
		return 0
	}
	return len(s.urls)
}

// sample is one scrape: the metric families by name, or why there are none.
type sample struct {
	at   time.Time
	fams map[string]*dto.MetricFamily
	err  error
}

func (s *scraper) scrape(ctx context.Context) *sample {
	if s == nil {
		return nil
	}
	fams, err := s.fetch(ctx)
	return &sample{at: time.Now(), fams: fams, err: err}
}

// fetch scrapes every endpoint and merges them: the sums over the nodes
// are the cluster's figures. One failed endpoint fails the whole sample,
// so that no delta compares a sum over three nodes with one over two.
func (s *scraper) fetch(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	all := map[string]*dto.MetricFamily{}
	for _, u := range s.urls {
		fams, err := s.fetchOne(ctx, u)
		if err != nil {
			return nil, err
		}
		mergeFamilies(all, fams)
	}
	return all, nil
}

// mergeFamilies adds src's label sets to dst's families of the same name;
// value and histogram then sum over all of them.
func mergeFamilies(dst, src map[string]*dto.MetricFamily) {
	for name, f := range src {
		if d := dst[name]; d != nil {
			d.Metric = append(d.Metric, f.GetMetric()...)
			continue
		}
		dst[name] = f
	}
}

func (s *scraper) fetchOne(ctx context.Context, url string) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("metrics request: %w", err)
	}
	// Ask for the text format: it is what the parser reads.
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil, fmt.Errorf("scrape %s: HTTP %s", url, resp.Status)
	}
	return ParseMetrics(io.LimitReader(resp.Body, 16<<20))
}

// ParseMetrics reads metric families in the Prometheus text format.
func ParseMetrics(r io.Reader) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	return fams, nil
}

// value sums a counter, gauge or untyped family over its label sets; ok is
// false when the family is missing or of another type.
func value(fams map[string]*dto.MetricFamily, name string) (v float64, ok bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		switch {
		case m.Counter != nil:
			v += m.Counter.GetValue()
		case m.Gauge != nil:
			v += m.Gauge.GetValue()
		case m.Untyped != nil:
			v += m.Untyped.GetValue()
		default:
			return 0, false
		}
		ok = true
	}
	return v, ok
}

// histogram merges a histogram family's label sets into cumulative counts
// per upper bound, plus the sum; ok is false when it is missing.
func histogram(fams map[string]*dto.MetricFamily, name string) (h histSnapshot, ok bool) {
	f := fams[name]
	if f == nil {
		return h, false
	}
	h.buckets = map[float64]float64{}
	for _, m := range f.GetMetric() {
		ph := m.GetHistogram()
		if ph == nil {
			return histSnapshot{}, false
		}
		h.count += float64(ph.GetSampleCount())
		h.sum += ph.GetSampleSum()
		for _, b := range ph.GetBucket() {
			h.buckets[b.GetUpperBound()] += float64(b.GetCumulativeCount())
		}
		ok = true
	}
	return h, ok
}

// histSnapshot is a Prometheus histogram: cumulative counts by upper bound.
type histSnapshot struct {
	count, sum float64
	buckets    map[float64]float64
}

// minus is the histogram of the observations between two scrapes.
func (h histSnapshot) minus(o histSnapshot) histSnapshot {
	d := histSnapshot{count: h.count - o.count, sum: h.sum - o.sum, buckets: map[float64]float64{}}
	for ub, c := range h.buckets {
		d.buckets[ub] = c - o.buckets[ub]
	}
	return d
}

// quantile estimates the q-quantile the way PromQL's histogram_quantile
// does: find the bucket holding the rank, interpolate linearly inside it.
// A rank in the +Inf bucket returns the largest finite bound.
func (h histSnapshot) quantile(q float64) (float64, bool) {
	if h.count <= 0 || len(h.buckets) == 0 {
		return 0, false
	}
	bounds := make([]float64, 0, len(h.buckets))
	for ub := range h.buckets {
		bounds = append(bounds, ub)
	}
	sort.Float64s(bounds)
	rank := q * h.count
	prevBound, prevCount := 0.0, 0.0
	for _, ub := range bounds {
		c := h.buckets[ub]
		if c >= rank {
			if math.IsInf(ub, 1) {
				return prevBound, true
			}
			if c == prevCount {
				return ub, true
			}
			return prevBound + (ub-prevBound)*(rank-prevCount)/(c-prevCount), true
		}
		prevBound, prevCount = ub, c
	}
	return prevBound, true
}
