package sfu

import (
	"context"
	"time"
)

// Periods of the room's control loop. Media never waits for it.
const (
	speakerTick  = 300 * time.Millisecond
	allocateTick = 500 * time.Millisecond
	rateTick     = time.Second // also the sender-report interval
)

// A Step is one kind of the control loop's periodic work.
type Step int

const (
	// StepSpeaker runs active-speaker detection.
	StepSpeaker Step = iota
	// StepRates turns each layer's byte count since the last sample into
	// a bit rate.
	StepRates
	// StepAllocate picks a simulcast layer for every subscriber and video
	// from tile sizes, layer rates and the bandwidth estimate.
	StepAllocate
	// StepReports sends every subscriber a sender report per track it
	// receives (reports.go).
	StepReports
)

// controlLoop runs the room's periodic work on tickers, unless the engine
// was configured for manual control: then only Engine.Step runs it, so
// tests drive time instead of sleeping.
func (r *Room) controlLoop(ctx context.Context) {
	defer close(r.done)
	if r.engine.cfg.ManualControl {
		<-ctx.Done()
		return
	}
	speaker := time.NewTicker(speakerTick)
	alloc := time.NewTicker(allocateTick)
	rates := time.NewTicker(rateTick)
	defer speaker.Stop()
	defer alloc.Stop()
	defer rates.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-speaker.C:
			r.step(StepSpeaker)
		case <-rates.C:
			r.step(StepRates)
			r.step(StepReports)
		case <-alloc.C:
			r.step(StepAllocate)
		}
	}
}

// Step runs the given control work at once on every live room, in order,
// and returns when it is done. With Config.ManualControl it is the only
// thing that runs it.
func (e *Engine) Step(steps ...Step) {
	e.reg.mu.Lock()
	rooms := make([]*Room, 0, len(e.reg.rooms))
	for r := range e.reg.rooms {
		rooms = append(rooms, r)
	}
	e.reg.mu.Unlock()
	for _, r := range rooms {
		for _, s := range steps {
			r.step(s)
		}
	}
}

func (r *Room) step(s Step) {
	r.control.Lock()
	defer r.control.Unlock()
	switch s {
	case StepSpeaker:
		r.detectSpeaker()
	case StepRates:
		r.sampleRates()
	case StepAllocate:
		for _, p := range r.snapshot() {
			p.allocateLayers()
		}
	case StepReports:
		now := r.engine.now()
		for _, p := range r.snapshot() {
			p.sendReports(now)
		}
	}
}

// sampleRates measures over the time since the last sample, not the
// nominal period: ticks drift under load, and manual steps come at the
// test's pace.
func (r *Room) sampleRates() {
	now := r.engine.now()
	window := now.Sub(r.lastRates)
	r.lastRates = now
	if window <= 0 {
		return
	}
	for _, p := range r.snapshot() {
		for _, up := range p.publishedTracks() {
			up.sampleRates(window)
		}
	}
}

func (r *Room) detectSpeaker() {
	det := r.speaker
	ps := r.snapshot()
	samples := make(map[string]float64, len(ps))
	present := make(map[string]bool, len(ps))
	for _, p := range ps {
		present[p.id] = true
		if up := p.published(SourceAudio); up != nil {
			if v, ok := up.level.drain(); ok {
				samples[p.id] = v
			}
		}
	}
	for id := range det.smoothed {
		if !present[id] {
			det.forget(id)
		}
	}
	if id, changed := det.update(samples); changed && r.onSpeaker != nil {
		r.onSpeaker(id)
	}
}
