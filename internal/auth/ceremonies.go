package auth

import (
	"errors"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
)

// CeremonyTTL is how long a passkey ceremony (the challenge given to the
// browser) stays answerable: enough to touch a key or unlock a phone.
const CeremonyTTL = 5 * time.Minute

// maxCeremonies bounds the ceremonies held at once: passwordless sign-in
// starts one for anybody, so the map must not grow without limit.
const maxCeremonies = 10000

// ErrBusy: too many passkey ceremonies are open; try again shortly.
var ErrBusy = errors.New("auth: too many passkey ceremonies in progress")

// ceremony is the server's half of one WebAuthn ceremony. It never leaves
// the server (the browser gets only the challenge), so a client cannot
// alter what its answer is checked against.
type ceremony struct {
	data    webauthn.SessionData
	userID  string // "" for a passwordless sign-in
	expires time.Time
}

// ceremonies holds open ceremonies by binding: a purpose prefix and the
// session (or pre-sign-in cookie) that began it. Each binding holds one
// ceremony, and take removes it, so a challenge is answered at most once
// and only by whoever holds the session that asked for it.
type ceremonies struct {
	mu   sync.Mutex
	open map[string]ceremony
}

func (c *ceremonies) put(binding string, cer ceremony, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open == nil {
		c.open = map[string]ceremony{}
	}
	if len(c.open) >= maxCeremonies {
		for k, v := range c.open {
			if !now.Before(v.expires) {
				delete(c.open, k)
			}
		}
	}
	if _, replacing := c.open[binding]; !replacing && len(c.open) >= maxCeremonies {
		return ErrBusy
	}
	c.open[binding] = cer
	return nil
}

// take removes and returns binding's ceremony, if it has one that has not
// expired.
func (c *ceremonies) take(binding string, now time.Time) (ceremony, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cer, ok := c.open[binding]
	delete(c.open, binding)
	if !ok || !now.Before(cer.expires) {
		return ceremony{}, false
	}
	return cer, true
}
