package turn

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // the TURN REST scheme (and every browser) uses HMAC-SHA1
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/stun/v4"
	pionturn "github.com/pion/turn/v5"
)

// grants is the set of participants currently allowed to use the relay.
// A credential is only as good as its participant's presence in a meeting:
// leaving or being removed revokes it at once, whatever its expiry says.
type grants struct {
	mu     sync.Mutex
	issued map[string]time.Time // participant ID → when the newest credential expires
}

func newGrants() *grants { return &grants{issued: make(map[string]time.Time)} }

func (g *grants) grant(id string, expiry time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.issued[id] = expiry
}

// revoke forgets id and reports whether it was granted.
func (g *grants) revoke(id string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.issued[id]
	delete(g.issued, id)
	return ok
}

func (g *grants) active(id string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.issued[id]
	return ok
}

func (g *grants) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.issued)
}

// username is the TURN REST username "expiry:participantID".
func username(expiry time.Time, participantID string) string {
	return strconv.FormatInt(expiry.Unix(), 10) + ":" + participantID
}

// parseUsername splits a TURN REST username; ok is false when it is not one.
func parseUsername(u string) (expiry time.Time, participantID string, ok bool) {
	ts, id, found := strings.Cut(u, ":")
	if !found || id == "" {
		return time.Time{}, "", false
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, "", false
	}
	return time.Unix(sec, 0), id, true
}

// password is the TURN REST password: base64(HMAC-SHA1(secret, username)).
func password(secret, user string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(user))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// authenticate is the TURN server's AuthHandler. A request is accepted when
// its username names a participant who holds a grant, and its password is
// the one the server issued. A new allocation also needs an unexpired
// credential; requests on an existing allocation (refresh, permission,
// channel bind) only need the participant to be present, so a long meeting
// keeps its relay without the browser having to re-authenticate, while a
// participant who left loses it at once.
func (s *Server) authenticate(ra *pionturn.RequestAttributes) (userID string, key []byte, ok bool) {
	expiry, id, ok := parseUsername(ra.Username)
	if !ok || !s.grants.active(id) {
		return "", nil, false
	}
	if ra.Method == stun.MethodAllocate && !s.now().Before(expiry) {
		return "", nil, false
	}
	pass := password(s.cfg.Secret, ra.Username)
	return id, pionturn.GenerateAuthKey(ra.Username, ra.Realm, pass), true
}
