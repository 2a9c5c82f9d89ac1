package bwe

import "time"

// signal is what the delay detector concludes from the queueing delay trend.
type signal int

const (
	normal   signal = iota
	overuse         // queues are growing: send less
	underuse        // queues are draining: hold, let them empty
)

// Constants of Google Congestion Control's delay-based detector
// (draft-ietf-rmcat-gcc-02 §5, and libwebrtc's trendline estimator).
const (
	burst          = 5 * time.Millisecond // packets sent this close together form a group
	trendWindow    = 20                   // groups in the linear regression
	smoothing      = 0.9                  // of the accumulated delay
	trendGain      = 4.0
	maxDeltas      = 60
	overuseTimeMin = 10.0 // ms over the threshold before overuse is signalled
	thresholdInit  = 12.5 // ms
	thresholdMin   = 6.0
	thresholdMax   = 600.0
	kUp            = 0.0087 // threshold adaptation when the trend is above it
	kDown          = 0.039  // and when below
)

// group is a burst of packets: its last send and arrival time.
type group struct {
	firstSend, lastSend, lastArrival time.Duration
	set                              bool
}

// delayDetector turns (send time, arrival time) pairs into an overuse
// signal. Its state is a fixed-size window: adding a packet allocates
// nothing.
type delayDetector struct {
	cur, prev    group
	firstArrival time.Duration
	acc, smooth  float64 // accumulated and smoothed one-way delay variation, ms
	xs, ys       [trendWindow]float64
	n            int // points in the window, up to trendWindow
	head         int
	deltas       int
	threshold    float64
	lastAdapt    float64 // ms, the arrival time of the last adaptation; -1 before it
	overuseTime  float64
	overuseCount int
	prevTrend    float64
	signal       signal
}

func newDelayDetector() delayDetector {
	return delayDetector{threshold: thresholdInit, lastAdapt: -1}
}

// add takes one received packet, in feedback (sequence) order.
func (d *delayDetector) add(send, arrival time.Duration) {
	if !d.cur.set {
		d.cur = group{firstSend: send, lastSend: send, lastArrival: arrival, set: true}
		d.firstArrival = arrival
		return
	}
	if send < d.cur.firstSend {
		return // reordered into an earlier group; GCC ignores it too
	}
	if send-d.cur.firstSend <= burst {
		d.cur.lastSend = max(d.cur.lastSend, send)
		d.cur.lastArrival = max(d.cur.lastArrival, arrival)
		return
	}
	if d.prev.set {
		sendDelta := d.cur.lastSend - d.prev.lastSend
		arrivalDelta := d.cur.lastArrival - d.prev.lastArrival
		d.update(ms(arrivalDelta-sendDelta), ms(d.cur.lastArrival-d.firstArrival), ms(sendDelta))
	}
	d.prev = d.cur
	d.cur = group{firstSend: send, lastSend: send, lastArrival: arrival, set: true}
}

// update adds one inter-group delay variation and re-evaluates the trend.
func (d *delayDetector) update(delayDelta, at, sendDelta float64) {
	d.deltas = min(d.deltas+1, 1000)
	d.acc += delayDelta
	d.smooth = smoothing*d.smooth + (1-smoothing)*d.acc
	d.xs[d.head], d.ys[d.head] = at, d.smooth
	d.head = (d.head + 1) % trendWindow
	d.n = min(d.n+1, trendWindow)
	if d.n < trendWindow {
		return
	}
	trend := slope(d.xs[:], d.ys[:]) * float64(min(d.deltas, maxDeltas)) * trendGain
	d.detect(trend, sendDelta, at)
}

// detect compares the trend with the adaptive threshold.
func (d *delayDetector) detect(trend, sendDelta, at float64) {
	switch {
	case trend > d.threshold:
		if d.overuseCount == 0 {
			d.overuseTime = sendDelta / 2
		} else {
			d.overuseTime += sendDelta
		}
		d.overuseCount++
		if d.overuseTime > overuseTimeMin && d.overuseCount > 1 && trend >= d.prevTrend {
			d.overuseTime, d.overuseCount = 0, 0
			d.signal = overuse
		}
	case trend < -d.threshold:
		d.overuseTime, d.overuseCount = 0, 0
		d.signal = underuse
	default:
		d.overuseTime, d.overuseCount = 0, 0
		d.signal = normal
	}
	d.prevTrend = trend
	d.adapt(trend, at)
}

// adapt moves the threshold towards the trend, so that a detector sharing a
// link with loss-based TCP flows is not starved (GCC §5.4).
func (d *delayDetector) adapt(trend, at float64) {
	abs := max(trend, -trend)
	last := d.lastAdapt
	d.lastAdapt = at
	if last < 0 || abs > d.threshold+15 {
		return
	}
	k := kDown
	if abs > d.threshold {
		k = kUp
	}
	dt := min(at-last, 100)
	d.threshold = min(max(d.threshold+k*(abs-d.threshold)*dt, thresholdMin), thresholdMax)
}

// slope is the least-squares slope of ys over xs.
func slope(xs, ys []float64) float64 {
	var sx, sy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
	}
	mx, my := sx/float64(len(xs)), sy/float64(len(ys))
	var num, den float64
	for i := range xs {
		num += (xs[i] - mx) * (ys[i] - my)
		den += (xs[i] - mx) * (xs[i] - mx)
	}
	if den == 0 {
		return 0
	}
	return num / den
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
