package loadtest

// ServerMetrics are the server's own figures over the measured window, from
// its Prometheus endpoint. A nil field was not available: no endpoint, a
// failed scrape, or a metric the server does not expose.
type ServerMetrics struct {
	// Interval is the time between the first and the last scrape (seconds),
	// which the deltas below cover: the window plus two scrapes.
	Interval float64 `json:"interval_s"`
	Scrapes  int     `json:"scrapes"`
	// Nodes is the number of endpoints scraped; with several, every figure
	// is a sum over them, and PeakRSSBytes the peak of the summed RSS.
	Nodes    int `json:"nodes"`
	Failures int `json:"failed_scrapes"`
	// LastError is the last scrape's failure, if any.
	LastError string `json:"last_error,omitempty"`

	CPUSeconds   *float64 `json:"cpu_seconds"`    // process_cpu_seconds_total delta
	CPUCores     *float64 `json:"cpu_cores"`      // CPUSeconds / Interval: cores kept busy
	PeakRSSBytes *float64 `json:"peak_rss_bytes"` // max process_resident_memory_bytes

	ForwardedPackets *float64 `json:"forwarded_packets"`
	ForwardedBytes   *float64 `json:"forwarded_bytes"`
	ReceivedPackets  *float64 `json:"received_packets"`
	ReceivedBytes    *float64 `json:"received_bytes"`
	// ForwardedPacketsPerCPUSecond is forwarded packets / CPU seconds: the
	// server's efficiency, comparable across machines of one kind.
	ForwardedPacketsPerCPUSecond *float64 `json:"forwarded_packets_per_cpu_second"`
	// Mallocs is the heap allocations the whole server made in the window
	// (go_memstats_mallocs_total delta); AllocsPerForwardedPacket divides
	// them by the packets forwarded: the per-packet allocation cost of the
	// real path (SRTP, interceptors, sockets, Conclave), not a benchmark's.
	Mallocs                  *float64 `json:"mallocs"`
	AllocsPerForwardedPacket *float64 `json:"allocs_per_forwarded_packet"`

	// Participants and Meetings are the gauges at the last scrape.
	Participants *float64 `json:"participants"`
	Meetings     *float64 `json:"meetings"`

	// ForwardLatency is the server's in-forwarder latency histogram over the
	// window, in milliseconds (quantiles interpolated within buckets).
	ForwardLatency *ServerLatency `json:"forward_latency,omitempty"`
}

// ServerLatency summarizes conclave_forward_latency_seconds.
type ServerLatency struct {
	Count float64 `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P99   float64 `json:"p99_ms"`
}

// serverSeries collects the scrapes of one window.
type serverSeries struct {
	first, last *sample // first and last successful scrape
	peakRSS     *float64
	scrapes     int
	failures    int
	lastErr     error
}

func newServerSeries() *serverSeries { return &serverSeries{} }

func (s *serverSeries) add(smp *sample) {
	if smp == nil {
		return
	}
	s.scrapes++
	if smp.err != nil {
		s.failures++
		s.lastErr = smp.err
		return
	}
	if s.first == nil {
		s.first = smp
	}
	s.last = smp
	if v, ok := value(smp.fams, metricRSS); ok && (s.peakRSS == nil || v > *s.peakRSS) {
		s.peakRSS = &v
	}
}

// summary turns the series into deltas; nil when nothing was scraped.
func (s *serverSeries) summary(nodes int) *ServerMetrics {
	if nodes == 0 {
		return nil
	}
	m := &ServerMetrics{Nodes: nodes, Scrapes: s.scrapes, Failures: s.failures, PeakRSSBytes: s.peakRSS}
	if s.lastErr != nil {
		m.LastError = s.lastErr.Error()
	}
	if s.first == nil || s.first == s.last {
		return m // deltas need two good scrapes
	}
	m.Interval = s.last.at.Sub(s.first.at).Seconds()
	delta := func(name string) *float64 {
		a, okA := value(s.first.fams, name)
		b, okB := value(s.last.fams, name)
		if !okA || !okB {
			return nil
		}
		return ptr(b - a)
	}
	gauge := func(name string) *float64 {
		v, ok := value(s.last.fams, name)
		if !ok {
			return nil
		}
		return ptr(v)
	}
	m.CPUSeconds = delta(metricCPU)
	m.ForwardedPackets = delta(metricFwdPackets)
	m.ForwardedBytes = delta(metricFwdBytes)
	m.ReceivedPackets = delta(metricRecvPackets)
	m.ReceivedBytes = delta(metricRecvBytes)
	m.Participants = gauge(metricParticipants)
	m.Meetings = gauge(metricMeetings)
	if m.CPUSeconds != nil && m.Interval > 0 {
		m.CPUCores = ptr(*m.CPUSeconds / m.Interval)
	}
	if m.CPUSeconds != nil && *m.CPUSeconds > 0 && m.ForwardedPackets != nil {
		m.ForwardedPacketsPerCPUSecond = ptr(*m.ForwardedPackets / *m.CPUSeconds)
	}
	m.Mallocs = delta(metricMallocs)
	if m.Mallocs != nil && m.ForwardedPackets != nil && *m.ForwardedPackets > 0 {
		m.AllocsPerForwardedPacket = ptr(*m.Mallocs / *m.ForwardedPackets)
	}
	m.ForwardLatency = s.latency()
	return m
}

func (s *serverSeries) latency() *ServerLatency {
	a, okA := histogram(s.first.fams, metricFwdLatency)
	b, okB := histogram(s.last.fams, metricFwdLatency)
	if !okA || !okB {
		return nil
	}
	d := b.minus(a)
	if d.count <= 0 {
		return nil
	}
	p50, _ := d.quantile(0.5)
	p99, _ := d.quantile(0.99)
	return &ServerLatency{Count: d.count, Mean: d.sum / d.count * 1e3, P50: p50 * 1e3, P99: p99 * 1e3}
}

func ptr(v float64) *float64 { return &v }
