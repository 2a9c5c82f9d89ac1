package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/throttle"
)

// loginKeys are the throttle keys of a sign-in: the client address and
// the (hashed) e-mail address tried. The account key exists whether or not
// the address has an account, so a lock-out reveals nothing about that.
type loginKeys struct{ ip, account string }

func newLoginKeys(r *http.Request, email string) loginKeys {
	return loginKeys{ip: throttle.IPKey(clientAddr(r)), account: throttle.AccountKey(email)}
}

// all returns the keys that are set: a passwordless sign-in knows no
// account until its passkey is found.
func (k loginKeys) all() []string {
	if k.account == "" {
		return []string{k.ip}
	}
	return []string{k.ip, k.account}
}

// refuseIfLocked answers 429 and returns true when the address or the
// account is locked out. Nothing is recorded: the lock-out was recorded
// when it began, and anyone could fill the log with refused attempts.
func (s *server) refuseIfLocked(w http.ResponseWriter, k loginKeys) bool {
	wait := s.LoginThrottle.Check(k.all()...)
	if wait <= 0 {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
	writeError(w, http.StatusTooManyRequests, "too_many_attempts", "too many failed sign-ins; try again later")
	return true
}

// retryAfterSeconds rounds up, so that a client that waits as told is not
// refused again for the last fraction of a second.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// loginFailed counts a wrong e-mail or password against both keys and
// records one auth.lockout for each key this failure locked. It returns
// whether any key was newly locked.
func (s *server) loginFailed(r *http.Request, k loginKeys, target string) bool {
	locked := s.LoginThrottle.Fail(k.all()...)
	for _, key := range locked {
		s.auditOrLog(r, audit.Event{
			Action: audit.AuthLockout, Target: target, Outcome: audit.Denied,
			Details: map[string]string{"scope": throttle.Scope(key)},
		})
	}
	return len(locked) > 0
}
