package cluster

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Routing requests to a meeting's node (docs/architecture.md, "Placing
// meetings on nodes"). Behind one public name every node may receive any
// request; the requests that belong to a live meeting — its signalling
// socket (/ws?meeting=ID), its shared files (/api/meetings/ID/files…) and
// its remote control sockets (/api/control/input?meeting=ID,
// /api/control/agent?meeting=ID) — are passed to the node that holds the
// meeting's lease, which serves them as its own. Everything else (pages,
// accounts, the API) is served by whichever node got it: all nodes share
// the database.
//
// The holder must know the client's address (throttles and the audit
// log), which it would otherwise see as the forwarding node's. The
// forwarding node names it in a header sealed with a key every node
// derives from the cluster's shared audit key: a client cannot forge it,
// and a request that carries one the key does not open is refused, never
// served with the forwarder's address.

// ForwardHeader carries the client's address from node to node.
const ForwardHeader = "Conclave-Forwarded"

// forwardSkew is how old (or how far ahead) a forwarded header may be.
const forwardSkew = time.Minute

// ForwardKey derives the key nodes seal forwarded addresses with from the
// cluster's audit key (the same on every node: docs/operations.md), so
// that no further secret is provisioned; the label keeps it apart from
// every other use of that key.
func ForwardKey(auditKey []byte) ([]byte, error) {
	if len(auditKey) < 16 {
		return nil, errors.New("cluster: the audit key is too short to derive the forwarding key from")
	}
	k, err := hkdf.Key(sha256.New, auditKey, nil, "conclave node forwarding v1", 32)
	if err != nil {
		return nil, fmt.Errorf("cluster: derive the forwarding key: %w", err)
	}
	return k, nil
}

// Holders says which node holds a meeting's live lease (Placement).
type Holders interface {
	Holder(ctx context.Context, meetingID string) (Where, bool, error)
}

// RouterOptions configure a Router.
type RouterOptions struct {
	Holders Holders
	// Key seals and opens forwarded addresses (ForwardKey).
	Key []byte
	// Transport reaches the other nodes (nil: http.DefaultTransport).
	Transport http.RoundTripper
	Log       *slog.Logger
	// Now is the clock of the forwarded headers (nil: time.Now).
	Now func() time.Time
}

// Router serves a meeting's requests on its node: it passes them to the
// holder when that is another node, and serves forwarded ones locally
// with the client's address.
type Router struct {
	o    RouterOptions
	next http.Handler
}

// NewRouter routes in front of next, this node's own handler.
func NewRouter(next http.Handler, o RouterOptions) (*Router, error) {
	if o.Holders == nil || len(o.Key) < 16 {
		return nil, errors.New("cluster: a router needs the lease holders and the forwarding key")
	}
	if o.Transport == nil {
		o.Transport = http.DefaultTransport
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Router{o: o, next: next}, nil
}

func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if sealed := r.Header.Get(ForwardHeader); sealed != "" {
		addr, err := rt.open(sealed, r)
		if err != nil {
			rt.o.Log.Warn("cluster: forwarded request refused", "err", err)
			http.Error(w, "forwarded request refused", http.StatusForbidden)
			return
		}
		// Served here whoever holds the lease now: a request is passed
		// on at most once, so two nodes that disagree for a moment
		// cannot bounce it between them.
		r.RemoteAddr = net.JoinHostPort(addr, "0")
		r.Header.Del(ForwardHeader)
		rt.next.ServeHTTP(w, r)
		return
	}
	id := MeetingOf(r)
	if id == "" {
		rt.next.ServeHTTP(w, r)
		return
	}
	where, ok, err := rt.o.Holders.Holder(r.Context(), id)
	if err != nil {
		// Served here: a hello then places the meeting, or fails to if
		// the database is down, and says so.
		rt.o.Log.Warn("cluster: looking up a meeting's node failed", "err", err)
	}
	if err != nil || !ok || where.Local {
		rt.next.ServeHTTP(w, r)
		return
	}
	rt.forward(w, r, where)
}

// MeetingOf names the live meeting a request belongs to, or "".
func MeetingOf(r *http.Request) string {
	switch r.URL.Path {
	case "/ws", "/api/control/input", "/api/control/agent":
		// Their state (the signalling hub, the control relay's pairings)
		// lives in memory on the meeting's node. Without the parameter
		// (older clients and agents) they are served where they arrive,
		// as before: right on a single node.
		return r.URL.Query().Get("meeting")
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/meetings/")
	if !ok {
		return ""
	}
	id, tail, _ := strings.Cut(rest, "/")
	if tail == "files" || strings.HasPrefix(tail, "files/") {
		return id
	}
	return ""
}

// forward passes r to the holder's node, as it came, but for the sealed
// address. The Host stays the client's, so that the holder checks the
// page's origin and builds links as for a request of its own.
func (rt *Router) forward(w http.ResponseWriter, r *http.Request, where Where) {
	target, err := url.Parse(where.URL)
	if err != nil || target.Host == "" {
		rt.o.Log.Error("cluster: a node's URL is unusable", "node", where.Node)
		http.Error(w, "the meeting's server cannot be reached", http.StatusBadGateway)
		return
	}
	// A proxied upload is timed by the holder, which sees its progress;
	// the body deadline this node set for its own requests would cut it.
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	addr, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		addr = r.RemoteAddr
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
			pr.Out.Header.Set(ForwardHeader, rt.seal(addr, pr.Out))
		},
		Transport: rt.o.Transport,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			// The holder died or is unreachable: its lease expires within
			// seconds and the meeting is placed again; the client retries.
			rt.o.Log.Warn("cluster: the meeting's node did not answer", "node", where.Node, "err", err)
			w.Header().Set("Retry-After", "1")
			http.Error(w, "the meeting's server is not answering; try again", http.StatusServiceUnavailable)
		},
	}
	proxy.ServeHTTP(w, r)
}

// seal writes the forwarded header for addr on the outgoing request:
// version, address, time and a MAC over them and the request line, so a
// captured header works for no other request.
func (rt *Router) seal(addr string, out *http.Request) string {
	ts := strconv.FormatInt(rt.o.Now().Unix(), 10)
	return "v1;" + addr + ";" + ts + ";" + rt.mac(addr, ts, out)
}

// open checks a forwarded header and returns the client's address.
func (rt *Router) open(sealed string, r *http.Request) (string, error) {
	parts := strings.Split(sealed, ";")
	if len(parts) != 4 || parts[0] != "v1" {
		return "", errors.New("malformed forwarded header")
	}
	addr, ts, mac := parts[1], parts[2], parts[3]
	if !hmac.Equal([]byte(mac), []byte(rt.mac(addr, ts, r))) {
		return "", errors.New("forwarded header not sealed with this cluster's key")
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", errors.New("malformed forwarded time")
	}
	if d := rt.o.Now().Sub(time.Unix(secs, 0)); d > forwardSkew || d < -forwardSkew {
		return "", fmt.Errorf("forwarded header %s old", d.Round(time.Second))
	}
	if net.ParseIP(addr) == nil {
		return "", errors.New("forwarded address is not an IP address")
	}
	return addr, nil
}

func (rt *Router) mac(addr, ts string, r *http.Request) string {
	m := hmac.New(sha256.New, rt.o.Key)
	for _, s := range []string{addr, ts, r.Method, r.Host, r.URL.RequestURI()} {
		m.Write([]byte(s))
		m.Write([]byte{0})
	}
	return hex.EncodeToString(m.Sum(nil))
}
