package cluster

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Placement is a node's side of the leases (docs/architecture.md,
// "Placing meetings on nodes"): it places a meeting when someone joins,
// keeps the leases of the meetings live on this node renewed, gives back
// those whose meeting ended, ends a meeting whose lease another node took
// (fencing), and reports this node's load in its heartbeat.
//
// It is the one owner of this node's leases: signalling asks it where a
// meeting runs, the routing of requests asks it who holds one, and its
// loop is the only writer of renewals.
type Placement struct {
	leases *Leases
	rooms  Rooms
	load   func() Load
	log    *slog.Logger
	now    func() time.Time

	mu   sync.Mutex
	held map[string]held // meeting ID → the lease this node holds
}

// held is a lease of this node and when it was placed here: a placement
// whose join never arrived (the person gave up) is given back once a TTL
// has passed without a live room.
type held struct {
	Lease
	since time.Time
	live  bool // the meeting was live here at the last round (or just placed)
}

// Rooms is what placement needs of the node's live meetings.
type Rooms interface {
	// Live reports whether the meeting is live on this node.
	Live(meetingID string) bool
	// MoveMeeting ends this node's copy of a meeting that now runs
	// elsewhere: everyone is told to join again.
	MoveMeeting(meetingID string) bool
}

// PlacementOptions configure a Placement.
type PlacementOptions struct {
	Rooms Rooms
	// Load reports this node's load for its heartbeat.
	Load func() Load
	Log  *slog.Logger
	// Now is the clock of the give-back grace (default time.Now).
	Now func() time.Time
}

// NewPlacement keeps l's leases for o.Rooms.
func NewPlacement(l *Leases, o PlacementOptions) (*Placement, error) {
	if l == nil || o.Rooms == nil || o.Load == nil {
		return nil, errors.New("cluster: placement needs leases, rooms and a load")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Placement{leases: l, rooms: o.Rooms, load: o.Load, log: o.Log, now: o.Now, held: map[string]held{}}, nil
}

// Where says which node runs a meeting.
type Where struct {
	// Local: this node; the join goes on here.
	Local bool
	// Node and URL name the holder (URL: its address for other nodes).
	Node, URL string
	// Started is when the live meeting began (Lease.Started).
	Started time.Time
}

// Place returns where meetingID runs, placing it by load when no node
// holds it. A placement on this node is kept and renewed from now on.
func (p *Placement) Place(ctx context.Context, meetingID string) (Where, error) {
	l, err := p.leases.Place(ctx, meetingID)
	if err != nil {
		return Where{}, err
	}
	if l.Node != p.leases.o.Node {
		return Where{Node: l.Node, URL: l.URL}, nil
	}
	p.mu.Lock()
	if h, ok := p.held[meetingID]; !ok || h.Epoch != l.Epoch {
		p.held[meetingID] = held{Lease: l, since: p.now(), live: true}
	}
	p.mu.Unlock()
	return Where{Local: true, Node: l.Node, URL: l.URL, Started: l.Started}, nil
}

// Holder returns the node that holds a live lease on meetingID, without
// placing anything: requests are routed before anyone is let in, so an
// outsider naming a meeting must not write a lease. ok is false when no
// live lease exists.
func (p *Placement) Holder(ctx context.Context, meetingID string) (w Where, ok bool, err error) {
	l, ok, err := p.leases.Holder(ctx, meetingID)
	if err != nil || !ok {
		return Where{}, false, err
	}
	return Where{Local: l.Node == p.leases.o.Node, Node: l.Node, URL: l.URL}, true, nil
}

// Node is this node's ID.
func (p *Placement) Node() string { return p.leases.o.Node }

// Run beats and renews every third of the lease TTL until ctx ends, then
// leaves the cluster and gives back every lease it holds (a node that
// stops cleanly frees its meetings at once instead of making them wait
// for the expiry, and is chosen for no new one).
func (p *Placement) Run(ctx context.Context) {
	t := time.NewTicker(p.leases.o.TTL / 3)
	defer t.Stop()
	for {
		p.Step(ctx)
		select {
		case <-ctx.Done():
			p.releaseAll(context.WithoutCancel(ctx))
			return
		case <-t.C:
		}
	}
}

// Step is one round of the loop: the heartbeat, then each held lease
// renewed (a live room), given back (no room for a TTL) or found taken
// over (its room here is ended). Tests call it instead of Run.
func (p *Placement) Step(ctx context.Context) {
	if err := p.leases.Heartbeat(ctx, p.load()); err != nil && ctx.Err() == nil {
		p.log.Warn("cluster heartbeat failed", "err", err)
	}
	for _, h := range p.snapshot() {
		p.keep(ctx, h)
	}
}

func (p *Placement) snapshot() []held {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]held, 0, len(p.held))
	for _, h := range p.held {
		out = append(out, h)
	}
	return out
}

// keep renews, gives back or fences one held lease.
func (p *Placement) keep(ctx context.Context, h held) {
	if !p.rooms.Live(h.Meeting) {
		if p.now().Sub(h.since) < p.leases.o.TTL {
			return // placed here a moment ago; the join is on its way
		}
		p.setLive(h, false)
		if err := p.leases.Release(ctx, h.Lease); err != nil {
			p.log.Warn("cluster: giving back a lease failed", "err", err)
			return // the next round tries again; expiry frees it anyway
		}
		p.drop(h)
		return
	}
	l, err := p.leases.Renew(ctx, h.Lease)
	switch {
	case errors.Is(err, ErrFenced):
		p.drop(h)
		p.log.Warn("cluster: a meeting's lease was taken over; ending it here", "epoch", h.Epoch)
		p.rooms.MoveMeeting(h.Meeting)
	case err != nil:
		// Kept: a database hiccup shorter than the TTL costs nothing.
		p.log.Warn("cluster: renewing a lease failed", "err", err)
	default:
		p.mu.Lock()
		if cur, ok := p.held[h.Meeting]; ok && cur.Epoch == l.Epoch {
			cur.Expires, cur.live = l.Expires, true
			p.held[h.Meeting] = cur
		}
		p.mu.Unlock()
	}
}

func (p *Placement) setLive(h held, live bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cur, ok := p.held[h.Meeting]; ok && cur.Epoch == h.Epoch {
		cur.live = live
		p.held[h.Meeting] = cur
	}
}

// drop forgets h unless a newer placement replaced it meanwhile.
func (p *Placement) drop(h held) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cur, ok := p.held[h.Meeting]; ok && cur.Epoch == h.Epoch {
		delete(p.held, h.Meeting)
	}
}

// releaseAll leaves the cluster first, so that the participants told to
// join again are not placed back here, then hands over the leases of the
// meetings that were live at the last round (they go on elsewhere, from
// when they began) and gives the others back. The rooms themselves may
// already be closing: the shutdown runs beside this.
func (p *Placement) releaseAll(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := p.leases.Leave(ctx); err != nil {
		p.log.Warn("cluster: leaving at stop failed", "err", err)
	}
	for _, h := range p.snapshot() {
		give := p.leases.Release
		if h.live {
			give = p.leases.HandOver
		}
		if err := give(ctx, h.Lease); err != nil {
			p.log.Warn("cluster: giving up a lease at stop failed", "err", err)
		}
		p.drop(h)
	}
}

// Held reports whether this node holds a lease on meetingID (tests).
func (p *Placement) Held(meetingID string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.held[meetingID]
	return ok
}
