package sfu

import "sync/atomic"

// Active-speaker detection works on the RFC 6464 audio level that browsers put
// in every Opus packet (0 dBov loudest … 127 silence). The forwarding path only
// adds each packet's loudness to two atomics on its track (levelMeter); a room
// ticker drains them and feeds speakerDetector, which owns all the policy.

const (
	// speakingThreshold is the smoothed loudness (127 - dBov) above which a
	// participant counts as speaking: about -50 dBov, above room noise.
	speakingThreshold = 77
	// switchMargin keeps the current speaker unless someone else is clearly
	// louder, so the highlight doesn't flicker between two talkers.
	switchMargin = 6
	// smoothing is the weight of the newest window in the moving average.
	smoothing = 0.5
)

// levelMeter accumulates audio levels from the forwarding goroutine without
// locks. The detector drains it once per tick.
type levelMeter struct {
	sum   atomic.Uint64
	count atomic.Uint64
}

// observe records one packet's RFC 6464 level (dBov, 0..127).
func (m *levelMeter) observe(dBov uint8) {
	if dBov > 127 {
		dBov = 127
	}
	m.sum.Add(uint64(127 - dBov))
	m.count.Add(1)
}

// drain returns the mean loudness since the last drain; ok is false when no
// packet arrived (muted or silent sender using DTX).
func (m *levelMeter) drain() (loudness float64, ok bool) {
	n := m.count.Swap(0)
	s := m.sum.Swap(0)
	if n == 0 {
		return 0, false
	}
	return float64(s) / float64(n), true
}

// speakerDetector picks the active speaker from per-window loudness samples.
// It is not safe for concurrent use; the room's ticker goroutine owns it.
type speakerDetector struct {
	current  string
	smoothed map[string]float64
}

func newSpeakerDetector() *speakerDetector {
	return &speakerDetector{smoothed: make(map[string]float64)}
}

// update folds in one window of samples (participant → mean loudness; a
// participant without a sample was silent) and reports the active speaker and
// whether it changed. An empty id means nobody is speaking.
func (d *speakerDetector) update(samples map[string]float64) (id string, changed bool) {
	for p, v := range d.smoothed {
		s, ok := samples[p]
		if !ok {
			s = 0
		}
		d.smoothed[p] = v*(1-smoothing) + s*smoothing
	}
	for p, s := range samples {
		if _, ok := d.smoothed[p]; !ok {
			d.smoothed[p] = s * smoothing
		}
	}
	best, bestLevel := "", 0.0
	for p, v := range d.smoothed {
		if v > bestLevel || (v == bestLevel && p < best) {
			best, bestLevel = p, v
		}
	}
	next := d.current
	curLevel := d.smoothed[d.current]
	switch {
	case bestLevel < speakingThreshold && curLevel < speakingThreshold:
		next = ""
	case d.current == "" || curLevel < speakingThreshold:
		next = best
	case best != d.current && bestLevel > curLevel+switchMargin:
		next = best
	}
	changed = next != d.current
	d.current = next
	return next, changed
}

// forget drops a participant who left.
func (d *speakerDetector) forget(id string) {
	delete(d.smoothed, id)
}
