// Package metrics exposes the server's Prometheus metrics. Labels never
// carry personal data: no user, participant or meeting IDs, no names, no
// addresses. Only counts and durations leave the server.
package metrics

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/conclave-meet/conclave/internal/sfu"
	"github.com/conclave-meet/conclave/internal/turn"
)

// Sources are what the metrics read from.
type Sources struct {
	// Media is the media server: counters, tracks, latency samples.
	Media *sfu.Engine
	// Live returns the number of live meetings and participants.
	Live func() (meetings, participants int)
	// Ready is the readiness check (web.Readiness.Gauges): whether the
	// store accepts writes and the data directory has room, and the free
	// bytes there (-1: unknown). Nil exports neither gauge.
	Ready func(ctx context.Context) (ready bool, freeBytes int64)
	// Relay is the embedded TURN server's counters; nil (TURN off) exports
	// none.
	Relay func() turn.Stats
}

// Registry holds Conclave's collectors plus the Go runtime and process ones.
type Registry struct {
	reg *prometheus.Registry
}

// New registers every collector and hooks latency sampling into the media
// server.
func New(src Sources) *Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&mediaCollector{src: src},
	)
	latency := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "conclave_forward_latency_seconds",
		Help: "Time a sampled RTP packet spends in the forwarder, from leaving Pion's receive path to its write to one subscriber returning.",
		// 5 µs … 41 ms
		Buckets: prometheus.ExponentialBuckets(5e-6, 2, 14),
	})
	reg.MustRegister(latency)
	if src.Media != nil {
		src.Media.SetLatencyObserver(func(d time.Duration) { latency.Observe(d.Seconds()) })
	}
	return &Registry{reg: reg}
}

// Handler serves the metrics in the Prometheus text format. With a non-empty
// token it requires "Authorization: Bearer <token>".
//
// The page is never compressed, even when the scraper offers gzip (as
// Prometheus and Go's HTTP client do): it is about 12 KB, and each gzip
// writer is some 1 MB of compressor state that, scraped once a second (the
// load tester samples memory that way), measurably raised the server's
// peak memory and CPU (docs/performance.md).
func (r *Registry) Handler(token string) http.Handler {
	return r.Protect(token, promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{DisableCompression: true}))
}

// Protect requires the bearer token (when not empty) before h.
func (r *Registry) Protect(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		got, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="conclave-metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, req)
	})
}

// mediaCollector reads the media server's counters at scrape time, so the
// forwarding path never touches a Prometheus metric.
type mediaCollector struct{ src Sources }

var (
	descMeetings     = prometheus.NewDesc("conclave_meetings", "Live meetings.", nil, nil)
	descParticipants = prometheus.NewDesc("conclave_participants", "Participants in live meetings.", nil, nil)
	descTracks       = prometheus.NewDesc("conclave_tracks", "Published tracks (audio, camera, screen) being forwarded.", nil, nil)
	descRecvPackets  = prometheus.NewDesc("conclave_received_packets_total", "RTP packets received from publishers.", nil, nil)
	descRecvBytes    = prometheus.NewDesc("conclave_received_bytes_total", "RTP payload bytes received from publishers.", nil, nil)
	descFwdPackets   = prometheus.NewDesc("conclave_forwarded_packets_total", "RTP packets forwarded to subscribers.", nil, nil)
	descFwdBytes     = prometheus.NewDesc("conclave_forwarded_bytes_total", "RTP payload bytes forwarded to subscribers.", nil, nil)
	descNACKs        = prometheus.NewDesc("conclave_nacked_packets_total", "Packets subscribers asked to be resent (NACK).", nil, nil)
	descResent       = prometheus.NewDesc("conclave_resent_packets_total", "Packets resent to subscribers from the published layers' retransmission caches.", nil, nil)
	descKeyframes    = prometheus.NewDesc("conclave_keyframe_requests_total", "Keyframe requests (PLI) sent to publishers.", nil, nil)
	descLost         = prometheus.NewDesc("conclave_subscriber_lost_packets_total", "Packets subscribers reported lost in their receiver reports.", nil, nil)
	descTCPDropped   = prometheus.NewDesc("conclave_tcp_queue_dropped_packets_total", "Packets dropped for ICE-TCP subscribers whose connection could not keep up, instead of stalling the other subscribers.", nil, nil)
	descUDPSent      = prometheus.NewDesc("conclave_udp_sent_datagrams_total", "Datagrams the media UDP socket sent (media, RTCP, ICE).", nil, nil)
	descUDPCalls     = prometheus.NewDesc("conclave_udp_send_calls_total", "sendmmsg system calls that sent them: datagrams per call is the batching achieved.", nil, nil)
	descRelayAllocs  = prometheus.NewDesc("conclave_turn_allocations", "Live relay allocations on the embedded TURN server.", nil, nil)
	descRelayGrants  = prometheus.NewDesc("conclave_turn_grants", "Participants currently allowed to use the TURN relay.", nil, nil)
	descRelayRefused = prometheus.NewDesc("conclave_turn_refused_datagrams_total", "Datagrams the TURN relay dropped for going to, or coming from, anything but the media server.", nil, nil)
	descReady        = prometheus.NewDesc("conclave_store_ready", "1 when the store accepts writes and the data directory has its minimum free space (GET /readyz), else 0.", nil, nil)
	descFree         = prometheus.NewDesc("conclave_data_free_bytes", "Bytes available on the data directory's file system.", nil, nil)
)

func (c *mediaCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMeetings, descParticipants, descTracks, descRecvPackets, descRecvBytes,
		descFwdPackets, descFwdBytes, descNACKs, descResent, descKeyframes, descLost, descTCPDropped, descUDPSent, descUDPCalls, descRelayAllocs, descRelayGrants, descRelayRefused, descReady, descFree} {
		ch <- d
	}
}

func (c *mediaCollector) Collect(ch chan<- prometheus.Metric) {
	c.collectReady(ch)
	c.collectRelay(ch)
	if c.src.Live != nil {
		meetings, participants := c.src.Live()
		ch <- prometheus.MustNewConstMetric(descMeetings, prometheus.GaugeValue, float64(meetings))
		ch <- prometheus.MustNewConstMetric(descParticipants, prometheus.GaugeValue, float64(participants))
	}
	if c.src.Media == nil {
		return
	}
	s := c.src.Media.Stats()
	ch <- prometheus.MustNewConstMetric(descTracks, prometheus.GaugeValue, float64(s.Tracks))
	counters := []struct {
		d *prometheus.Desc
		v uint64
	}{
		{descRecvPackets, s.ReceivedPackets}, {descRecvBytes, s.ReceivedBytes},
		{descFwdPackets, s.ForwardedPackets}, {descFwdBytes, s.ForwardedBytes},
		{descNACKs, s.NACKedPackets}, {descResent, s.ResentPackets}, {descKeyframes, s.KeyframeRequests}, {descLost, s.SubscriberLost},
		{descTCPDropped, s.TCPQueueDropped},
		{descUDPSent, s.UDPSentDatagrams}, {descUDPCalls, s.UDPSendCalls},
	}
	for _, m := range counters {
		ch <- prometheus.MustNewConstMetric(m.d, prometheus.CounterValue, float64(m.v))
	}
}

// collectRelay exports the TURN server's figures: counts only, never who.
func (c *mediaCollector) collectRelay(ch chan<- prometheus.Metric) {
	if c.src.Relay == nil {
		return
	}
	s := c.src.Relay()
	ch <- prometheus.MustNewConstMetric(descRelayAllocs, prometheus.GaugeValue, float64(s.Allocations))
	ch <- prometheus.MustNewConstMetric(descRelayGrants, prometheus.GaugeValue, float64(s.Grants))
	ch <- prometheus.MustNewConstMetric(descRelayRefused, prometheus.CounterValue, float64(s.Refused))
}

// collectReady exports the readiness verdict; the check caches its result,
// so scrapes do not add database writes.
func (c *mediaCollector) collectReady(ch chan<- prometheus.Metric) {
	if c.src.Ready == nil {
		return
	}
	ready, free := c.src.Ready(context.Background())
	v := 0.0
	if ready {
		v = 1
	}
	ch <- prometheus.MustNewConstMetric(descReady, prometheus.GaugeValue, v)
	if free >= 0 {
		ch <- prometheus.MustNewConstMetric(descFree, prometheus.GaugeValue, float64(free))
	}
}
