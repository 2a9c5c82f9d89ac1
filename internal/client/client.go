// Package client is a Go implementation of Conclave's client side: it speaks
// the signalling protocol and publishes and subscribes media with Pion, like
// the browser client does. Integration tests and the load tester use it.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/protocol"
)

// Hello is what the client sends to join.
type Hello struct {
	MeetingID string
	Passcode  string
	Name      string
	// Device is the browser-style device token (optional), used by the
	// server only to enforce bans on guests.
	Device string
	// NoticeVersion is the privacy notice version accepted on the
	// participant's behalf; 0 (omitted) for servers that require none.
	NoticeVersion int
}

// Options tunes the client.
type Options struct {
	// Simulcast publishes the camera as two layers (rids l and h).
	Simulcast bool
	// Header is sent with the websocket request (e.g. a session cookie).
	Header http.Header
	// OnTrack is called for every track the server forwards to this client.
	OnTrack func(owner, source string, track *webrtc.TrackRemote)
	// OnMessage is called for every signalling message (after the client's
	// own handling), for tests that watch events.
	OnMessage func(typ string, data json.RawMessage)
	// OnWaiting is called while the server holds the client in the waiting
	// room (Dial returns only once admitted).
	OnWaiting func(reason string, locked bool)
	// TCPOnly restricts ICE to TCP, as for a client behind a firewall that
	// blocks UDP.
	TCPOnly bool
	// ServerSDP, when set, rewrites every SDP the server sends before it is
	// applied: tests use it to route media through a proxy they control.
	ServerSDP func(sdp string) string
	// RelayOnly sends all media through the server's TURN relay (ICE
	// transport policy "relay"), with the credentials from welcome.
	RelayOnly bool
	// DropEveryNth simulates loss on received video: the first arrival of
	// every Nth sequence number is dropped (0 = no loss).
	DropEveryNth uint16
	// Resume makes the client ride out a dropped signalling connection:
	// it reconnects and resumes its session within the server's grace
	// period, as the browser client does (resume.go).
	Resume bool
}

// Participant, Welcome and ICEServer are the protocol's own types
// (package protocol): the client speaks the one definition.
type (
	Participant = protocol.Participant
	Welcome     = protocol.Welcome
	ICEServer   = protocol.ICEServer
)

// Error is an `error` message from the server.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Ref     int64  `json:"ref"`
	// NoticeVersion comes with notice_required: the version to accept.
	NoticeVersion int `json:"notice_version"`
}

func (e *Error) Error() string { return "server error " + e.Code + ": " + e.Message }

// Bye is returned by Dial when the server ends the connection before
// admitting the client (denied from the waiting room, meeting ended).
type Bye struct {
	Reason string `json:"reason"`
}

func (b *Bye) Error() string { return "server said bye: " + b.Reason }

// Client is one connected participant.
type Client struct {
	opts    Options
	url     string
	Welcome Welcome

	// ws is the current signalling socket; swapped by a resume under both
	// writeMu and wsMu (readers hold either).
	ws   *websocket.Conn
	wsMu sync.Mutex
	// resume state (resume.go)
	lastSeq  int64 // highest server seq handled; read goroutine only
	seq      int64 // last client seq sent; under writeMu
	sent     []sentFrame
	resumeMu sync.Mutex
	token    string
	grace    time.Duration
	dropped  atomic.Bool // DropSignal was called: the next read error is a drop

	// Local tracks: write RTP to them to publish.
	Audio  *webrtc.TrackLocalStaticRTP
	Camera []*webrtc.TrackLocalStaticRTP // one per simulcast layer, lowest first
	Screen *webrtc.TrackLocalStaticRTP

	pub, sub *webrtc.PeerConnection

	// Dropped counts packets discarded by DropEveryNth.
	Dropped atomic.Int64
	// KeyframeRequests counts PLI/FIR received from the server.
	KeyframeRequests atomic.Int64

	audioSender, cameraSender *webrtc.RTPSender
	cameraMid                 string
	ext                       atomic.Pointer[extIDs]
	keyframeWanted            atomic.Bool

	helloSent time.Time

	mu        sync.Mutex
	subTracks map[string]trackInfo
	writeMu   sync.Mutex
	done      chan struct{}
	err       error
}

// extIDs are negotiated RTP header extension IDs (0: not negotiated).
type extIDs struct{ mid, rid, audioLevel uint8 }

type (
	trackInfo = protocol.TrackOwner
	envelope  = protocol.Envelope
)

// Dial connects to wsURL (ws://host/ws), joins with hello and starts
// publishing. It returns once the server has welcomed the client. A
// redirect (the meeting runs on another node of a cluster) is followed on
// the same origin, a few times at most.
func Dial(ctx context.Context, wsURL string, hello Hello, opts Options) (*Client, error) {
	for hops := 0; ; hops++ {
		c, err := dialOnce(ctx, wsURL, hello, opts)
		var r *Redirect
		if !errors.As(err, &r) {
			return c, err
		}
		if hops == maxRedirects {
			return nil, fmt.Errorf("client: more than %d redirects", maxRedirects)
		}
		if !sameOrigin(wsURL, r.URL) {
			return nil, fmt.Errorf("client: redirect to another origin refused: %s", r.URL)
		}
		wsURL = r.URL
	}
}

// maxRedirects bounds a join's redirects: one is the rule (the meeting's
// node is known once placed), a second covers a move meanwhile.
const maxRedirects = 3

// Redirect is returned by one dial when the server sends the client to
// the meeting's node.
type Redirect struct {
	URL string `json:"url"`
}

func (r *Redirect) Error() string { return "server redirected to " + r.URL }

func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Scheme == ub.Scheme && strings.EqualFold(ua.Host, ub.Host)
}

// withMeeting names the meeting in the signalling URL (?meeting=), as the
// browser does, so that any node of a cluster can pass the socket to the
// meeting's node before hello (and a node that died is answered 503
// there, without a hello counted against the join limits).
func withMeeting(wsURL, meetingID string) string {
	u, err := url.Parse(wsURL)
	if err != nil || meetingID == "" || u.Query().Has("meeting") {
		return wsURL
	}
	q := u.Query()
	q.Set("meeting", meetingID)
	u.RawQuery = q.Encode()
	return u.String()
}

func dialOnce(ctx context.Context, wsURL string, hello Hello, opts Options) (*Client, error) {
	wsURL = withMeeting(wsURL, hello.MeetingID)
	ws, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: opts.Header})
	if err != nil {
		return nil, fmt.Errorf("client: dial: %w", err)
	}
	ws.SetReadLimit(1 << 20)
	c := &Client{opts: opts, url: wsURL, ws: ws, subTracks: map[string]trackInfo{}, done: make(chan struct{})}
	c.helloSent = time.Now()
	if err := c.Send(ctx, "hello", map[string]any{
		"version": 1, "meeting_id": hello.MeetingID, "passcode": hello.Passcode, "name": hello.Name,
		"device": hello.Device, "notice_version": hello.NoticeVersion,
	}); err != nil {
		ws.CloseNow()
		return nil, err
	}
	data, err := c.awaitWelcome(ctx)
	if err != nil {
		ws.CloseNow()
		return nil, err
	}
	if err := json.Unmarshal(data, &c.Welcome); err != nil {
		ws.CloseNow()
		return nil, fmt.Errorf("client: welcome: %w", err)
	}
	if err := c.setup(ctx); err != nil {
		c.Close()
		return nil, err
	}
	go c.readLoop()
	return c, nil
}

// awaitWelcome reads until the server admits the client, passing waiting
// notices to OnWaiting.
func (c *Client) awaitWelcome(ctx context.Context) (json.RawMessage, error) {
	for {
		typ, data, err := c.read(ctx)
		if err != nil {
			return nil, err
		}
		switch typ {
		case "welcome":
			return data, nil
		case "resume_token", "lobby":
			continue
		case "waiting":
			var w struct {
				Reason string `json:"reason"`
				Locked bool   `json:"locked"`
			}
			_ = json.Unmarshal(data, &w)
			if c.opts.OnWaiting != nil {
				c.opts.OnWaiting(w.Reason, w.Locked)
			}
		case "error":
			var e Error
			_ = json.Unmarshal(data, &e)
			return nil, &e
		case "bye":
			var b Bye
			_ = json.Unmarshal(data, &b)
			return nil, &b
		case "redirect":
			var r Redirect
			_ = json.Unmarshal(data, &r)
			return nil, &r
		default:
			return nil, fmt.Errorf("client: expected welcome, got %s", typ)
		}
	}
}

// ID is the participant ID the server gave this client.
func (c *Client) ID() string { return c.Welcome.ParticipantID }

// Send writes one protocol message, numbered so that a resume can tell
// which ones the server processed.
func (c *Client) Send(ctx context.Context, typ string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("client: encode %s: %w", typ, err)
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.seq++
	b, _ := json.Marshal(envelope{Type: typ, Seq: c.seq, Data: raw})
	c.keepSentLocked(typ, c.seq, b)
	return c.writeLocked(ctx, b)
}

// SendRaw writes a frame as is (tests use it to send malformed input).
func (c *Client) SendRaw(ctx context.Context, frame []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.writeLocked(ctx, frame)
}

func (c *Client) writeLocked(ctx context.Context, frame []byte) error {
	if err := c.socket().Write(ctx, websocket.MessageText, frame); err != nil {
		return fmt.Errorf("client: write: %w", err)
	}
	return nil
}

// socket returns the current signalling socket.
func (c *Client) socket() *websocket.Conn {
	c.wsMu.Lock()
	defer c.wsMu.Unlock()
	return c.ws
}

// read returns the next message of the current socket, keeping resume
// tokens and skipping events a resume replayed twice.
func (c *Client) read(ctx context.Context) (string, json.RawMessage, error) {
	typ, data, err := readFrom(ctx, c.socket(), &c.lastSeq)
	if err == nil && typ == "resume_token" {
		c.keepToken(data)
	}
	return typ, data, err
}

// readFrom reads one frame from ws, skipping numbered frames at or below
// *last and advancing it.
func readFrom(ctx context.Context, ws *websocket.Conn, last *int64) (string, json.RawMessage, error) {
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			return "", nil, fmt.Errorf("client: read: %w", err)
		}
		env, err := protocol.Parse(b)
		if err != nil {
			return "", nil, fmt.Errorf("client: bad frame: %w", err)
		}
		// Every server message is checked against the protocol, so every
		// test that uses this client checks the server's side of it too.
		if _, err := protocol.DecodeServer(env); err != nil {
			return "", nil, fmt.Errorf("client: server sent an invalid %s: %w", env.Type, err)
		}
		if env.Seq > 0 {
			if env.Seq <= *last {
				continue // replayed twice
			}
			*last = env.Seq
		}
		return env.Type, env.Data, nil
	}
}

// api builds a Pion API restricted to loopback IPv4 UDP without mDNS, the
// way tests and load runs must behave.
func (c *Client) api() (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, fmt.Errorf("client: codecs: %w", err)
	}
	// Browsers send the RFC 6464 audio level; the server's active-speaker
	// detection reads it.
	if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.AudioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("client: audio level: %w", err)
	}
	reg := &interceptor.Registry{}
	if c.opts.DropEveryNth > 0 {
		reg.Add(lossFactory{every: c.opts.DropEveryNth, dropped: &c.Dropped})
	}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		return nil, fmt.Errorf("client: interceptors: %w", err)
	}
	var s webrtc.SettingEngine
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	if c.opts.TCPOnly {
		s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeTCP4})
	}
	s.SetIncludeLoopbackCandidate(true)
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	if c.opts.DropEveryNth > 0 {
		s.DisableSRTPReplayProtection(true)
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(s)), nil
}

// Close leaves the meeting and closes the connections.
func (c *Client) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2e9)
	defer cancel()
	_ = c.Send(ctx, "leave", struct{}{})
	c.socket().CloseNow()
	if c.pub != nil {
		c.pub.Close()
	}
	if c.sub != nil {
		c.sub.Close()
	}
}

// Done is closed when the signalling connection ends.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is why the connection ended.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

var errClosed = errors.New("client: connection closed")
