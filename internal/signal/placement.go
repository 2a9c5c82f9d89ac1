package signal

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/protocol"
)

// Placing a meeting in a cluster (docs/architecture.md, "Placing meetings
// on nodes"): every live meeting runs on one node. A hello that names a
// meeting running elsewhere, or placed elsewhere by load, is answered with
// redirect: the client connects again naming the meeting (?meeting=), and
// whichever node that reaches passes the socket on to the meeting's node
// (cmd/conclave's routing). The check comes after the passcode, so only
// someone who may join learns anything, and so that nobody without it can
// place (write a lease for) a meeting.

// Placer says where a meeting runs; nil: always here (one node).
type Placer interface {
	// Place returns whether meetingID runs on this node, placing it by
	// load when no node holds it, and, when it does, since when the live
	// meeting runs (zero: from now; earlier where it ran on a node that
	// died and goes on here).
	Place(ctx context.Context, meetingID string) (local bool, started time.Time, err error)
}

// MeetingParam names the meeting in the signalling URL, for routing.
const MeetingParam = "meeting"

// redirected sends the client to the meeting's node when it runs
// elsewhere; it reports whether it did and, when not, since when the
// meeting runs here.
func (c *conn) redirected(ctx context.Context, meetingID string) (bool, time.Time, error) {
	if c.h.opts.Placement == nil {
		return false, time.Time{}, nil
	}
	local, started, err := c.h.opts.Placement.Place(ctx, meetingID)
	if err != nil {
		c.log.Error("placing the meeting failed", "err", err)
		return false, time.Time{}, &ProtocolError{Code: protocol.CodeInternal, Message: "the meeting cannot be placed now; try again", Fatal: true}
	}
	if local {
		return false, started, nil
	}
	c.mu.Lock()
	l := c.link
	c.final = true
	c.mu.Unlock()
	if l == nil {
		return true, time.Time{}, nil
	}
	u := l.base + "/ws?" + url.Values{MeetingParam: {meetingID}}.Encode()
	l.push(c.h.frame("redirect", 0, protocol.Redirect{URL: u}), "redirect")
	return true, time.Time{}, nil
}

// signallingBase is the scheme and host the client reached this socket
// at, as a websocket URL base: the page's origin for a browser (it always
// sends Origin, checked by originAllowed before this), else the public
// URL when the client came by its host (a TLS-terminating proxy hides the
// scheme), else the request's own.
func signallingBase(r *http.Request, publicOrigin string) string {
	if o, err := url.Parse(r.Header.Get("Origin")); err == nil && o.Host != "" {
		return wsScheme(o.Scheme) + "://" + o.Host
	}
	if p, err := url.Parse(publicOrigin); err == nil && p.Host != "" && strings.EqualFold(p.Host, r.Host) {
		return wsScheme(p.Scheme) + "://" + p.Host
	}
	if r.TLS != nil {
		return "wss://" + r.Host
	}
	return "ws://" + r.Host
}

func wsScheme(httpScheme string) string {
	if strings.EqualFold(httpScheme, "https") {
		return "wss"
	}
	return "ws"
}
