package files

import (
	"math"
	"sync"
	"time"
)

// Rate limits of the file routes, per participant: uploads cost disk,
// scanning and the recipients' attention; downloads cost decryption.
var (
	// UploadRate: a burst of 5 files, then one every 12 seconds, at most
	// 2 at once.
	UploadRate = Rate{Burst: 5, Every: 12 * time.Second, Concurrent: 2}
	// DownloadRate: a burst of 30, then one every 2 seconds, at most 4 at
	// once.
	DownloadRate = Rate{Burst: 30, Every: 2 * time.Second, Concurrent: 4}
)

// Rate is a token bucket with a cap on requests in progress.
type Rate struct {
	Burst      int
	Every      time.Duration // one token back per Every
	Concurrent int
}

// maxTracked bounds the participants a limiter tracks; past it, idle
// participants with full buckets are forgotten (they lose nothing).
const maxTracked = 10_000

// limiter applies a Rate per key (participant ID). Its clock is injected.
type limiter struct {
	rate Rate
	now  func() time.Time

	mu   sync.Mutex
	keys map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
	active int
}

func newLimiter(r Rate, now func() time.Time) *limiter {
	return &limiter{rate: r, now: now, keys: map[string]*bucket{}}
}

// acquire takes a token and a slot for key. It returns release when
// allowed, or how long to wait.
func (l *limiter) acquire(key string) (release func(), wait time.Duration, ok bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.keys[key]
	if b == nil {
		if len(l.keys) >= maxTracked {
			l.pruneLocked(now)
		}
		b = &bucket{tokens: float64(l.rate.Burst), last: now}
		l.keys[key] = b
	}
	l.refill(b, now)
	if b.active >= l.rate.Concurrent {
		return nil, time.Second, false
	}
	if b.tokens < 1 {
		return nil, time.Duration(math.Ceil((1 - b.tokens) * float64(l.rate.Every))), false
	}
	b.tokens--
	b.active++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			b.active--
			l.mu.Unlock()
		})
	}, 0, true
}

func (l *limiter) refill(b *bucket, now time.Time) {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(float64(l.rate.Burst), b.tokens+float64(elapsed)/float64(l.rate.Every))
		b.last = now
	}
}

func (l *limiter) pruneLocked(now time.Time) {
	for k, b := range l.keys {
		l.refill(b, now)
		if b.active == 0 && b.tokens >= float64(l.rate.Burst) {
			delete(l.keys, k)
		}
	}
}
