package loadtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Run joins the participants, measures for cfg.Duration and leaves. It
// returns when everyone has left, bounded by a deadline derived from the
// configuration. If ctx ends during the measured window, the window ends
// early and the result covers what was measured.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.deadline())
	defer cancel()
	acceptNotice(ctx, &cfg)
	env := &runEnv{cfg: cfg, clock: newClock(), log: cfg.Logger}
	roles := cfg.roles()
	ps := make([]*participant, len(roles))
	for i, r := range roles {
		ps[i] = newParticipant(env, r)
	}
	media, stopMedia := context.WithCancel(ctx)
	var loops sync.WaitGroup
	stop := func() {
		stopMedia()
		leaveAll(ps)
		loops.Wait()
	}
	cfg.Logger.Info("joining", "scenario", cfg.Scenario, "meetings", len(cfg.Meetings), "urls", len(cfg.URLs),
		"publishers", cfg.Publishers, "subscribers", cfg.Subscribers, "ramp", cfg.Ramp)
	joined := joinAll(ctx, media, cfg, ps, &loops)
	if joined == 0 {
		stop()
		return nil, fmt.Errorf("loadtest: nobody could join: %w", firstJoinError(ps))
	}
	cfg.Logger.Info("joined", "participants", joined, "of", len(ps))
	if !sleepCtx(ctx, cfg.Settle) {
		stop()
		return nil, fmt.Errorf("loadtest: stopped before measuring: %w", context.Cause(ctx))
	}
	w := measure(ctx, env, newScraper(cfg.MetricsURLs, cfg.MetricsToken))
	gone := disconnected(ps)
	stop()
	return buildResult(cfg, ps, w, gone), nil
}

// joinAll starts each participant's join at its slot in the ramp and waits
// for all of them; it returns how many joined.
func joinAll(ctx, media context.Context, cfg Config, ps []*participant, loops *sync.WaitGroup) int {
	start := time.Now()
	var wg sync.WaitGroup
	for i, p := range ps {
		at := start
		if len(ps) > 1 {
			at = start.Add(cfg.Ramp * time.Duration(i) / time.Duration(len(ps)-1))
		}
		wg.Go(func() {
			if !sleepCtx(ctx, time.Until(at)) {
				p.joinErr = context.Cause(ctx)
				return
			}
			jctx, cancel := context.WithTimeout(ctx, cfg.JoinTimeout)
			defer cancel()
			if p.joinErr = p.join(jctx, media, loops); p.joinErr != nil {
				p.log.Warn("join failed", "err", p.joinErr)
			}
		})
	}
	wg.Wait()
	n := 0
	for _, p := range ps {
		if p.joinErr == nil {
			n++
		}
	}
	return n
}

func firstJoinError(ps []*participant) error {
	for _, p := range ps {
		if p.joinErr != nil {
			return p.joinErr
		}
	}
	return errors.New("no participants")
}

// disconnected counts joined participants whose signalling connection has
// already ended.
func disconnected(ps []*participant) int {
	n := 0
	for _, p := range ps {
		c := p.c.Load()
		if c == nil {
			continue
		}
		select {
		case <-c.Done():
			n++
			p.log.Warn("disconnected during the run", "err", c.Err())
		default:
		}
	}
	return n
}

// leaveAll closes every client at once: leaving one by one would turn the
// end of a run into a long ramp down of renegotiations.
func leaveAll(ps []*participant) {
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Go(p.leave)
	}
	wg.Wait()
}

// measured is what the window produced besides the participants' counters.
type measured struct {
	start, end time.Time
	server     *ServerMetrics
}

// measure opens the window for cfg.Duration (or until ctx ends), scraping
// the server's metrics before, every second during, and after it.
func measure(ctx context.Context, env *runEnv, sc *scraper) measured {
	series := newServerSeries()
	series.add(sc.scrape(ctx))
	env.window.on.Store(true)
	m := measured{start: time.Now()}
	env.log.Info("measuring", "duration", env.cfg.Duration)
	end := time.NewTimer(env.cfg.Duration)
	defer end.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			env.log.Warn("window ended early", "err", context.Cause(ctx))
			break loop
		case <-end.C:
			break loop
		case <-tick.C:
			series.add(sc.scrape(ctx))
		}
	}
	env.window.on.Store(false)
	m.end = time.Now()
	// The run's context may be over (interrupted): the last scrape gets a
	// moment of its own.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	series.add(sc.scrape(sctx))
	m.server = series.summary(sc.nodes())
	return m
}

// sleepCtx sleeps for d; it reports false if ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
