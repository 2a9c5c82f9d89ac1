// Package sfu is Conclave's selective forwarding unit: it terminates each
// participant's WebRTC peer connections (Pion) and forwards every published
// RTP stream to every other participant of the same room, choosing simulcast
// layers per subscriber. It knows nothing about websockets, accounts or
// meetings; the room package drives it through Room and Participant.
package sfu

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/sdp/v3"
	"github.com/pion/transport/v5/packetio"
	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/bwe"
	"github.com/conclave-meet/conclave/internal/pionlog"
	"github.com/conclave-meet/conclave/internal/rtphdr"
	"github.com/conclave-meet/conclave/internal/udpbatch"
)

// Config is the network configuration of the media server.
type Config struct {
	// IP is the address every media socket binds to. Nothing else is used.
	IP net.IP
	// Port is the one UDP port (ICE UDP mux) and the one TCP port (ICE-TCP
	// fallback) for all participants.
	Port int
	// PublicIP, when set, replaces IP in the candidates sent to clients
	// (servers behind 1:1 NAT).
	PublicIP net.IP
	// DisableTCP turns off the ICE-TCP listener.
	DisableTCP bool
	// TCPQueueBytes bounds what may wait to be written to one ICE-TCP
	// connection before packets are dropped (0: tcpQueueBytes). Tests make
	// it small to reach the bound quickly.
	TCPQueueBytes int
	// ManualControl stops the rooms' control loops from running on their
	// own: speaker detection, rate sampling and layer allocation then run
	// only when Engine.Step is called (tests drive time with it).
	ManualControl bool
	// Now is the clock rate sampling reads (nil: time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Engine owns the media sockets and builds peer connections on them.
type Engine struct {
	cfg Config
	log *slog.Logger
	udp net.PacketConn
	// fanout batches each fan-out's datagrams into one send (the same
	// socket as udp: udpbatch.Conn.Hold/Release).
	fanout fanout
	tcp    net.Listener
	// The ICE muxes read the sockets; Close closes through them.
	udpMux ice.UDPMux
	tcpMux ice.TCPMux
	// tcpDropped counts packets dropped because an ICE-TCP subscriber's
	// queue was full (tcpqueue.go).
	tcpDropped atomic.Uint64
	settings   webrtc.SettingEngine
	reg        registry
}

// NewEngine opens the media sockets. Close releases them.
func NewEngine(cfg Config) (*Engine, error) {
	if cfg.IP == nil || cfg.IP.IsUnspecified() {
		return nil, errors.New("sfu: media IP must be a concrete address")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	e := &Engine{cfg: cfg, log: cfg.Logger}
	udp, tcp, err := listenMedia(cfg)
	if err != nil {
		return nil, err
	}
	// Batch writes with sendmmsg: one incoming packet fans out to many
	// subscribers as a burst of datagrams from one goroutine.
	batch := udpbatch.Wrap(udp, cfg.Logger)
	e.udp, e.fanout = batch, batch
	e.tcp = tcp
	if e.settings, err = e.settingEngine(); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// portAttempts bounds the search for a port number free for both UDP and
// TCP when the configuration leaves the choice to the system.
const portAttempts = 20

// listenMedia opens the media UDP socket and, unless disabled, the TCP
// listener on the same port number. With Port 0 (tests) the system picks
// the UDP port; the same TCP port may be taken, so it tries again.
func listenMedia(cfg Config) (*net.UDPConn, net.Listener, error) {
	network := "udp4"
	if cfg.IP.To4() == nil {
		network = "udp6"
	}
	for attempt := 1; ; attempt++ {
		addr := net.JoinHostPort(cfg.IP.String(), strconv.Itoa(cfg.Port))
		udp, err := net.ListenPacket(network, addr)
		if err != nil {
			return nil, nil, fmt.Errorf("sfu: listen media UDP %s: %w", addr, err)
		}
		if cfg.DisableTCP {
			return udp.(*net.UDPConn), nil, nil
		}
		port := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err := net.Listen("tcp", net.JoinHostPort(cfg.IP.String(), strconv.Itoa(port)))
		if err == nil {
			return udp.(*net.UDPConn), tcp, nil
		}
		udp.Close()
		if cfg.Port != 0 || attempt == portAttempts || !errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, fmt.Errorf("sfu: listen media TCP: %w", err)
		}
	}
}

// now reads the engine's clock.
func (e *Engine) now() time.Time {
	if e.cfg.Now != nil {
		return e.cfg.Now()
	}
	return time.Now()
}

// UDPAddr is the bound media UDP address.
func (e *Engine) UDPAddr() *net.UDPAddr { return e.udp.LocalAddr().(*net.UDPAddr) }

// Close closes the media sockets. It closes them through Pion's muxes,
// which mark themselves closed first: their read loops then end quietly
// instead of reporting a read on a closed socket as an error.
func (e *Engine) Close() error {
	var errs []error
	if e.udpMux != nil {
		errs = append(errs, e.udpMux.Close())
	} else if e.udp != nil {
		errs = append(errs, e.udp.Close())
	}
	if e.tcpMux != nil {
		errs = append(errs, e.tcpMux.Close())
	} else if e.tcp != nil {
		errs = append(errs, e.tcp.Close())
	}
	return errors.Join(errs...)
}

func (e *Engine) settingEngine() (webrtc.SettingEngine, error) {
	var s webrtc.SettingEngine
	s.LoggerFactory = pionlog.Factory(e.log)
	ip := e.cfg.IP
	v4 := ip.To4() != nil
	// Only the configured address: no interface scan beyond it, no mDNS
	// (which would bind 0.0.0.0:5353), no STUN lookups.
	s.SetIPFilter(func(candidate net.IP) bool { return candidate.Equal(ip) })
	s.SetIncludeLoopbackCandidate(ip.IsLoopback())
	if ip.IsLoopback() {
		// A server on loopback can only be reached from this machine: ignore
		// remote candidates on other addresses rather than send connectivity
		// checks to them (browsers also offer their LAN addresses).
		// This machine's own addresses count as loopback: Firefox offers no
		// 127.0.0.1 candidate, only its interface addresses, and packets
		// between local addresses never leave the machine.
		local := localAddrs()
		s.SetRemoteIPFilter(func(remote net.IP) bool { return remote.IsLoopback() || local(remote) })
	}
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	types := []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
	if !v4 {
		types = []webrtc.NetworkType{webrtc.NetworkTypeUDP6}
	}
	muxLog := pionlog.Factory(e.log).NewLogger("mux")
	e.udpMux = webrtc.NewICEUDPMux(muxLog, e.udp)
	s.SetICEUDPMux(e.udpMux)
	if e.tcp != nil {
		e.tcpMux = webrtc.NewICETCPMux(muxLog, queuedListener{Listener: e.tcp, limit: e.cfg.TCPQueueBytes, dropped: &e.tcpDropped}, 32)
		s.SetICETCPMux(e.tcpMux)
		if v4 {
			types = append(types, webrtc.NetworkTypeTCP4)
		} else {
			types = append(types, webrtc.NetworkTypeTCP6)
		}
	}
	s.SetNetworkTypes(types)
	if e.cfg.PublicIP != nil {
		// Behind 1:1 NAT: advertise the public address instead of the
		// bound one in host candidates.
		if err := s.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External:        []string{e.cfg.PublicIP.String()},
			AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode:            webrtc.ICEAddressRewriteReplace,
		}); err != nil {
			return s, fmt.Errorf("sfu: public IP rule: %w", err)
		}
	}
	// Keep the server passive in DTLS: browsers expect to be the client.
	if err := s.SetAnsweringDTLSRole(webrtc.DTLSRoleServer); err != nil {
		return s, fmt.Errorf("sfu: DTLS role: %w", err)
	}
	// As the DTLS server the SFU picks the SRTP profile, in this order.
	// AEAD-AES-128-GCM protects a packet several times faster than
	// AES-CM with HMAC-SHA1 and faster than AES-256-GCM (fewer rounds,
	// BenchmarkSRTPProtect); Pion's default puts 256 first. Every browser
	// Conclave supports offers it; CM-HMAC stays for anything that does
	// not.
	s.SetSRTPProtectionProfiles(srtpProfiles...)
	return s, nil
}

// srtpProfiles is the SFU's SRTP profile preference, strongest-per-cost
// first.
var srtpProfiles = []dtls.SRTPProtectionProfile{
	dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AEAD_AES_256_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80,
}

// Codec payload types. Conclave forwards VP8 and Opus only: one codec per kind
// keeps layer switching simple and lets end-to-end encryption keep the codec
// header in the clear.
const (
	ptVP8  = 96
	ptOpus = 111
)

func registerCodecs(m *webrtc.MediaEngine) error {
	videoFB := []webrtc.RTCPFeedback{
		{Type: "ccm", Parameter: "fir"},
		{Type: "nack"},
		{Type: "nack", Parameter: "pli"},
		{Type: webrtc.TypeRTCPFBTransportCC},
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFB},
		PayloadType:        ptVP8,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return fmt.Errorf("register VP8: %w", err)
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine:  "minptime=10;useinbandfec=1",
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBTransportCC}},
		},
		PayloadType: ptOpus,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return fmt.Errorf("register Opus: %w", err)
	}
	if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.AudioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		return fmt.Errorf("register audio level: %w", err)
	}
	return nil
}

// newAPI builds a Pion API. With onBWE set it is a subscriber connection's:
// Conclave's own send-side bandwidth estimator (internal/bwe) numbers each
// outgoing packet for transport-wide feedback (which rtcproute.go hands
// to it); it is the only interceptor (sender reports are the control loop's,
// reports.go). Every subscriber connection gets its own API so that its
// estimator can be told apart.
// Without onBWE it is for publishers: NACKs for what was lost on the way
// in, receiver reports and transport-wide feedback to the publisher.
//
// Each connection's API also gets the connection's own buffer factory
// (buffers): a publisher's (pushbuf.go) forwards received packets in the
// SRTP session's goroutine, a subscriber's (rtcproute.go) acts on its RTCP
// in the SRTCP session's goroutine.
func (e *Engine) newAPI(onBWE func(*bwe.Estimator), buffers func(packetio.BufferPacketType, uint32) io.ReadWriteCloser) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := registerCodecs(m); err != nil {
		return nil, fmt.Errorf("sfu: %w", err)
	}
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		return nil, fmt.Errorf("sfu: simulcast: %w", err)
	}
	reg := &interceptor.Registry{}
	var err error
	if onBWE != nil {
		err = subscriberInterceptors(m, reg, onBWE)
	} else {
		err = publisherInterceptors(m, reg)
	}
	if err != nil {
		return nil, fmt.Errorf("sfu: %w", err)
	}
	settings := e.settings
	settings.BufferFactory = buffers
	return webrtc.NewAPI(
		webrtc.WithMediaEngine(m),
		webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(settings),
	), nil
}

// subscriberInterceptors: no Pion NACK responder, which would keep a
// copy of every packet per subscriber; downTrack.resend answers NACKs from
// one cache per published layer (packetcache.go). The codecs advertise
// nack and transport-cc feedback either way (registerCodecs).
func subscriberInterceptors(m *webrtc.MediaEngine, reg *interceptor.Registry, onBWE func(*bwe.Estimator)) error {
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.TransportCCURI}, kind); err != nil {
			return fmt.Errorf("twcc header: %w", err)
		}
	}
	reg.Add(bwe.NewFactory(bwe.Config{
		Initial: 1_000_000,
		Min:     100_000,
		Max:     20_000_000,
	}, onBWE))
	return nil
}

// publisherInterceptors: the NACK generator asks publishers to resend what
// was lost on the way in; receiver reports; transport-wide feedback lets
// the publisher's browser estimate its uplink. Innermost, internal/rtphdr
// parses each packet's header once into a buffer reused per stream for
// all three, which would otherwise allocate a map and a header per packet.
func publisherInterceptors(m *webrtc.MediaEngine, reg *interceptor.Registry) error {
	reg.Add(rtphdr.Factory{})
	gen, err := nack.NewGeneratorInterceptor()
	if err != nil {
		return fmt.Errorf("nack: %w", err)
	}
	reg.Add(gen)
	// Receiver reports only: a publisher connection sends no media, so a
	// sender-report interceptor would be a goroutine and a ticker per
	// participant with nothing to report.
	rr, err := report.NewReceiverInterceptor()
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	reg.Add(rr)
	if err := webrtc.ConfigureTWCCSender(m, reg); err != nil {
		return fmt.Errorf("twcc: %w", err)
	}
	return nil
}

// localAddrs returns a test for "is an address of one of this machine's
// interfaces", from the interfaces at the time of the call.
func localAddrs() func(net.IP) bool {
	addrs, _ := net.InterfaceAddrs()
	var ips []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			ips = append(ips, n.IP)
		}
	}
	return func(ip net.IP) bool {
		for _, l := range ips {
			if l.Equal(ip) {
				return true
			}
		}
		return false
	}
}
