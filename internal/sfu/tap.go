package sfu

// taps is a room's set of taps and the sinks they attached. It has its own
// lock so that attaching (which calls the tap, which may be slow) never
// holds the room's.
type taps struct {
	next  int
	taps  map[int]Tap
	sinks map[*upTrack]map[int]Sink // track → tap ID → its sink
}

// AddTap attaches tap to every track published in the room, now and later,
// until remove is called or the room closes; each attached sink is closed
// when its track ends. Recording, transcription and relays to other nodes
// consume media this way, beside the subscribers.
func (r *Room) AddTap(tap Tap) (remove func()) {
	r.tapMu.Lock()
	if r.taps.taps == nil {
		r.taps.taps = map[int]Tap{}
		r.taps.sinks = map[*upTrack]map[int]Sink{}
	}
	id := r.taps.next
	r.taps.next++
	r.taps.taps[id] = tap
	r.tapMu.Unlock()
	for _, p := range r.snapshot() {
		for _, up := range p.publishedTracks() {
			r.attach(id, tap, up)
		}
	}
	return func() { r.removeTap(id) }
}

// tapTrack offers a newly published track to every tap.
func (r *Room) tapTrack(up *upTrack) {
	r.tapMu.Lock()
	pending := make(map[int]Tap, len(r.taps.taps))
	for id, t := range r.taps.taps {
		pending[id] = t
	}
	r.tapMu.Unlock()
	for id, t := range pending {
		r.attach(id, t, up)
	}
}

// attach asks tap for a sink on up and attaches it, unless the tap was
// removed or already attached meanwhile (AddTap and a publish can race to
// offer the same track).
func (r *Room) attach(id int, tap Tap, up *upTrack) {
	if up.closed.Load() {
		return
	}
	s := tap(Track{up})
	if s == nil {
		return
	}
	r.tapMu.Lock()
	_, live := r.taps.taps[id]
	_, dup := r.taps.sinks[up][id]
	if !live || dup {
		r.tapMu.Unlock()
		s.Close()
		return
	}
	if r.taps.sinks[up] == nil {
		r.taps.sinks[up] = map[int]Sink{}
	}
	r.taps.sinks[up][id] = s
	r.tapMu.Unlock()
	up.addSink(s)
}

// untapTracks detaches and closes the sinks on tracks that ended.
func (r *Room) untapTracks(ups []*upTrack) {
	var closing []Sink
	r.tapMu.Lock()
	for _, up := range ups {
		for _, s := range r.taps.sinks[up] {
			up.removeSink(s)
			closing = append(closing, s)
		}
		delete(r.taps.sinks, up)
	}
	r.tapMu.Unlock()
	for _, s := range closing {
		s.Close()
	}
}

func (r *Room) removeTap(id int) {
	var closing []Sink
	r.tapMu.Lock()
	delete(r.taps.taps, id)
	for up, bySink := range r.taps.sinks {
		if s, ok := bySink[id]; ok {
			up.removeSink(s)
			closing = append(closing, s)
			delete(bySink, id)
		}
	}
	r.tapMu.Unlock()
	for _, s := range closing {
		s.Close()
	}
}

// closeTaps ends every tap when the room closes.
func (r *Room) closeTaps() {
	r.tapMu.Lock()
	ids := make([]int, 0, len(r.taps.taps))
	for id := range r.taps.taps {
		ids = append(ids, id)
	}
	r.tapMu.Unlock()
	for _, id := range ids {
		r.removeTap(id)
	}
}
