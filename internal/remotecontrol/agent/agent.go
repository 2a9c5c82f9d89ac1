// Package agent is the client loop of `conclave agent`, the companion
// program a sharer runs so that one controller may drive their desktop
// (docs/operations.md, "Remote control agent"). It connects to the
// server's /api/control/agent, presents the pairing code, waits for the
// grant, and hands each event that passes every check to an Injector
// (remotecontrol/x11 on Linux) until control ends.
//
// The package knows nothing of X: what reaches the desktop is decided here
// and again by the Injector, so a fault in one does not let input through.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/remotecontrol"
)

// Injector puts events on the sharer's desktop.
type Injector interface {
	// Banner shows, on the desktop itself, who is in control; control
	// does not start if it cannot be shown.
	Banner(controller string) error
	// ClearBanner removes the banner.
	ClearBanner()
	// Inject puts one checked event on the desktop.
	Inject(remotecontrol.Event) error
	// Release lets go of every key and button Inject holds down.
	Release()
	// StopKey is closed when the sharer presses the stop combination
	// (remotecontrol.StopKey with StopMods) on their own keyboard.
	StopKey() <-chan struct{}
}

// Config is one run of the agent, for one grant.
type Config struct {
	// Server is the Conclave server's address, https://host[:port][/prefix];
	// http only for a loopback address.
	Server string
	// Meeting is the meeting's ID, or "": named in the endpoint's query so
	// that a cluster passes the agent to the node running the meeting,
	// where the grant lives (a single node ignores it).
	Meeting string
	// Code is the pairing code the sharer's page showed.
	Code remotecontrol.PairingCode
	// HTTPClient dials the server (its TLS settings trust a private CA);
	// nil for http.DefaultClient.
	HTTPClient *http.Client
	Injector   Injector
	Logger     *slog.Logger
	// Now and After are the clock of the grant's time limit; nil for the
	// real one. Tests drive them.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
}

// EndpointPath is where the server accepts agents.
const EndpointPath = "/api/control/agent"

// maxMessageBytes bounds one message from the server: a sealed event of
// MaxEventBytes grows by a third in base64 plus its envelope.
const maxMessageBytes = 4 * remotecontrol.MaxEventBytes

// stopTimeout bounds telling the server that control stopped, so that a
// dead connection does not keep the agent from exiting.
const stopTimeout = 5 * time.Second

// ErrRefused is returned when the server does not play by the protocol
// (anything but a grant first); the agent then injects nothing.
var ErrRefused = errors.New("agent: the server's answer was refused")

// Endpoint turns the server's address into the agent's WebSocket URL:
// wss for https, ws only for a loopback host, where nothing else can
// read the pairing code or the events on the way. A meeting ID, when
// given, becomes ?meeting=ID, as the meeting page's own sockets name it.
func Endpoint(server, meeting string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(server))
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("agent: server %q is not a URL like https://meet.example.org", server)
	}
	switch u.Scheme {
	case "https", "wss":
		u.Scheme = "wss"
	case "http", "ws":
		if !loopback(u.Hostname()) {
			return "", fmt.Errorf("agent: %s is not encrypted: use https (plain http only for a loopback address)", u.Redacted())
		}
		u.Scheme = "ws"
	default:
		return "", fmt.Errorf("agent: server %q: scheme must be https", server)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("agent: server %q: give only the scheme, host and path", u.Redacted())
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + EndpointPath
	u.RawPath = ""
	if meeting != "" {
		u.RawQuery = url.Values{"meeting": {meeting}}.Encode()
	}
	return u.String(), nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *Config) defaults() error {
	if c.Injector == nil {
		return errors.New("agent: no injector")
	}
	if c.Code.Server == "" {
		return errors.New("agent: no pairing code")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.After == nil {
		c.After = time.After
	}
	if c.HTTPClient == nil {
		c.HTTPClient = http.DefaultClient
	}
	return nil
}

// Run connects to the server, waits for the grant and injects its events
// until control ends: at the server's "end", the grant's time limit, the
// stop key, or ctx's end. It returns why control ended (a
// remotecontrol.Cause… value); err is set when the connection failed or
// the server broke the protocol.
func Run(ctx context.Context, cfg Config) (cause string, err error) {
	if err := cfg.defaults(); err != nil {
		return "", err
	}
	s, err := connect(ctx, &cfg)
	if err != nil {
		return "", err
	}
	defer s.close()
	g, cause, err := s.awaitGrant(ctx)
	if err != nil || cause != "" {
		return cause, err
	}
	return s.control(ctx, g)
}
