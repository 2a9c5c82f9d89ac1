package transcribe

import "sync"

// Pump hands an adapter's results to its consumer in order without ever
// making the producer wait: the engine's side queues with Push, a
// goroutine delivers. Results must be read, as Stream says; a consumer
// that stops reading holds only the queue, never the engine.
type Pump struct {
	out  chan Result
	more chan struct{} // Push, End → run: the queue changed
	stop chan struct{} // closed by Stop

	stopOnce sync.Once
	mu       sync.Mutex
	queue    []Result
	ended    bool
}

// NewPump starts delivering.
func NewPump() *Pump {
	p := &Pump{out: make(chan Result), more: make(chan struct{}, 1), stop: make(chan struct{})}
	go p.run()
	return p
}

// Results is the channel to hand the consumer: closed after End and the
// last result, or at Stop.
func (p *Pump) Results() <-chan Result { return p.out }

// Push queues r.
func (p *Pump) Push(r Result) {
	p.mu.Lock()
	p.queue = append(p.queue, r)
	p.mu.Unlock()
	p.poke()
}

// End says no more results follow: Results closes after the queued ones.
func (p *Pump) End() {
	p.mu.Lock()
	p.ended = true
	p.mu.Unlock()
	p.poke()
}

// Stop closes Results now, dropping what is queued. Safe to call more
// than once.
func (p *Pump) Stop() { p.stopOnce.Do(func() { close(p.stop) }) }

func (p *Pump) poke() {
	select {
	case p.more <- struct{}{}:
	default: // one pending covers this one
	}
}

func (p *Pump) run() {
	defer close(p.out)
	for {
		p.mu.Lock()
		if len(p.queue) == 0 {
			end := p.ended
			p.mu.Unlock()
			if end {
				return
			}
			select {
			case <-p.more:
				continue
			case <-p.stop:
				return
			}
		}
		r := p.queue[0]
		p.queue = p.queue[1:]
		p.mu.Unlock()
		select {
		case p.out <- r:
		case <-p.stop:
			return
		}
	}
}
