// Package config loads Conclave's server configuration from flags,
// CONCLAVE_* environment variables, an optional TOML file and defaults, in
// that order of precedence, and validates it.
package config

import (
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"time"
)

// Defaults for every option that has one.
const (
	DefaultListen    = "localhost:8080"
	DefaultDataDir   = "./conclave-data"
	DefaultMediaPort = 7882
	DefaultTURNPort  = 3478
	// A browser opens one relay allocation per peer connection and TURN
	// transport (four); the rest leaves room for ICE restarts.
	DefaultTURNMaxPerCredential = 8
	// Many participants may share one NAT address (a school, an office).
	DefaultTURNMaxPerAddress = 128
	DefaultLogLevel          = "info"
	DefaultLogFormat         = "text"
	DefaultMaxParticipants   = 100
	// Joins per minute (any passcode) before a lock-out of a minute; see
	// throttle.JoinIPPolicy and JoinMeetingPolicy.
	DefaultJoinsPerAddress = 60
	DefaultJoinsPerMeeting = 300
	// DefaultMeetingLifetime is how long a meeting without an end date
	// stays joinable; DefaultMaxMeetingLifetime is the furthest end date a
	// host may set.
	DefaultMeetingLifetime    = 30 * 24 * time.Hour
	DefaultMaxMeetingLifetime = 366 * 24 * time.Hour
	// DefaultResumeGrace is how long a participant whose connection
	// dropped keeps their place; MaxResumeGrace bounds it.
	DefaultResumeGrace = 30 * time.Second
	MaxResumeGrace     = 10 * time.Minute
	// DefaultMinFreeMB is the free space on the data directory's file
	// system below which GET /readyz reports not ready: SQLite needs room
	// for its WAL and temporary files well before the disk is full.
	DefaultMinFreeMB = 256
	MaxMinFreeMB     = 1 << 30 // 1 PiB: anything larger is a typo
)

// Config is the complete server configuration. The toml tags are the keys
// accepted in the configuration file.
type Config struct {
	// Listen is the host:port of the HTTP(S) listener.
	Listen string `toml:"listen"`
	// DataDir holds the database, the TURN secret and the ACME cache.
	DataDir string `toml:"data_dir"`
	// Store names the database: empty for the embedded SQLite file in
	// DataDir, or a postgres:// URL for PostgreSQL (store.go). It may hold
	// a password: print it only through RedactDSN.
	Store string `toml:"store"`
	// MinFreeMB is the free space (MiB) the data directory's file system
	// must keep for GET /readyz to answer ready; 0 disables the check.
	MinFreeMB int `toml:"min_free_mb"`
	// PublicURL is the origin users reach the server at; it is used to build
	// links (setup link, join URLs). Derived from Listen and TLS when empty.
	PublicURL string `toml:"public_url"`
	// TLSCert and TLSKey are PEM files; both or neither.
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
	// ACMEDomain enables automatic certificates (Let's Encrypt) for the domain.
	ACMEDomain string `toml:"acme_domain"`
	ACMEEmail  string `toml:"acme_email"`
	// PublicIP is the address advertised in ICE candidates and TURN relays
	// when the host sits behind a 1:1 NAT.
	PublicIP string `toml:"public_ip"`
	// MediaAddr is the IP the media (UDP mux, ICE-TCP) and TURN sockets bind
	// to. Derived from Listen when empty and Listen names a concrete IP or
	// loopback; must be set explicitly otherwise.
	MediaAddr string `toml:"media_addr"`
	// MediaPort is shared by the UDP mux and ICE-TCP.
	MediaPort int `toml:"media_port"`
	// TURNPort is the embedded TURN server's port; 0 disables TURN. Its
	// secret's file is TURNSecretPath.
	TURNPort int `toml:"turn_port"`
	// TURNMaxPerCredential and TURNMaxPerAddress bound the live relay
	// allocations one participant's credential and one client address may
	// hold (docs/security.md). Raise the second when many participants
	// share one NAT address.
	TURNMaxPerCredential int    `toml:"turn_max_per_credential"`
	TURNMaxPerAddress    int    `toml:"turn_max_per_address"`
	LogLevel             string `toml:"log_level"`
	LogFormat            string `toml:"log_format"`
	MaxParticipants      int    `toml:"max_participants"`
	// JoinsPerAddress and JoinsPerMeeting bound joins per minute from one
	// client address and into one meeting, whatever the passcode
	// (docs/security.md). Raise the first when many participants join
	// from one NAT address at once.
	JoinsPerAddress int `toml:"joins_per_address"`
	JoinsPerMeeting int `toml:"joins_per_meeting"`
	// ForceWaitingRoom refuses meetings without a waiting room.
	ForceWaitingRoom bool `toml:"force_waiting_room"`
	// RequireSignedIn makes every meeting signed-in participants only:
	// guests (no account) are refused.
	RequireSignedIn bool `toml:"require_signed_in"`
	// RequireE2EE end-to-end encrypts every meeting's media (docs/e2ee.md):
	// hosts cannot turn it off, and the server cannot record.
	RequireE2EE bool `toml:"require_e2ee"`
	// Organisation lock-down (docs/operations.md): live settings every
	// meeting has and no host may change. LockScreenShare: only hosts,
	// co-hosts and presenters share the screen. LockChatOff: chat is off
	// (only hosts and co-hosts write). LockPrivateChatOff: no private or
	// group messages except from hosts and co-hosts. LockChatPresenters:
	// only hosts and presenters write in the chat.
	LockScreenShare    bool `toml:"lock_screen_share"`
	LockChatOff        bool `toml:"lock_chat_off"`
	LockPrivateChatOff bool `toml:"lock_private_chat_off"`
	LockChatPresenters bool `toml:"lock_chat_presenters"`
	// MeetingLifetime is how long a meeting created without an end date
	// lasts; MaxMeetingLifetime bounds how far ahead any meeting may end.
	// TOML takes them as strings such as "720h".
	MeetingLifetime    time.Duration `toml:"meeting_lifetime"`
	MaxMeetingLifetime time.Duration `toml:"max_meeting_lifetime"`
	// ResumeGrace is how long a participant whose signalling connection
	// dropped keeps their place for a resume; "0s" turns resume off.
	ResumeGrace time.Duration `toml:"resume_grace"`
	// MetricsListen is host:port of a separate listener for Prometheus
	// metrics; empty disables it. Off loopback it needs MetricsToken.
	MetricsListen string `toml:"metrics_listen"`
	// MetricsToken, when set, is required as "Authorization: Bearer" on
	// /metrics. Prefer the environment variable: flags show in ps.
	MetricsToken string `toml:"metrics_token"`
	// ReleaseFeed is the URL of a JSON list of releases that the server
	// fetches daily to tell administrators about updates; empty (the
	// default) fetches nothing. It may hold a token: prefer the
	// environment or the file to the flag.
	ReleaseFeed string `toml:"release_feed"`
	// Privacy: controller, contact and retention (privacy.go).
	Privacy
	// AuditAnchor: where the audit log's head is published (audit.go).
	AuditAnchor
	// Files: file sharing in meetings, its size limit and scanner (files.go).
	Files
	// Media: whether camera and microphone start on at join (media.go).
	Media
	// Recording: whether meetings may be recorded, how many at once, and
	// the composite export's ffmpeg (recording.go).
	Recording
	// Transcription: whether meetings may be transcribed, and by which
	// local engine (transcription.go).
	Transcription
	// Secrets: key files shared by every node of a cluster (secrets.go).
	Secrets
	// Cluster: this node among several (cluster.go).
	Cluster
	// RemoteControl: whether and by whom shared screens may be controlled
	// remotely, and for how long (remotecontrol.go).
	RemoteControl
	// Accounts: second factors required per role, session timeouts and
	// the breached-password list (mfa.go).
	Accounts
	// OIDC: single sign-on providers, [[oidc]] tables (oidc.go).
	OIDC []OIDCProvider `toml:"oidc"`
}

// Default returns the configuration used when nothing is set. PublicURL and
// MediaAddr stay empty: they are derived by Load once every layer is applied.
func Default() Config {
	return Config{
		Listen:    DefaultListen,
		DataDir:   DefaultDataDir,
		MediaPort: DefaultMediaPort,
		TURNPort:  DefaultTURNPort,

		TURNMaxPerCredential: DefaultTURNMaxPerCredential,
		TURNMaxPerAddress:    DefaultTURNMaxPerAddress,
		LogLevel:             DefaultLogLevel,
		LogFormat:            DefaultLogFormat,
		MaxParticipants:      DefaultMaxParticipants,
		JoinsPerAddress:      DefaultJoinsPerAddress,
		JoinsPerMeeting:      DefaultJoinsPerMeeting,

		MeetingLifetime:    DefaultMeetingLifetime,
		MaxMeetingLifetime: DefaultMaxMeetingLifetime,
		ResumeGrace:        DefaultResumeGrace,
		MinFreeMB:          DefaultMinFreeMB,
		Privacy:            DefaultPrivacy(),
		AuditAnchor:        DefaultAuditAnchor(),
		Files:              DefaultFiles(),
		Media:              DefaultMedia(),
		Recording:          DefaultRecording(),
		Transcription:      DefaultTranscription(),
		RemoteControl:      DefaultRemoteControl(),
		Accounts:           DefaultAccounts(),
	}
}

// listenHost returns the host part of Listen ("" when it cannot be split).
func (c Config) listenHost() string {
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return ""
	}
	return host
}

// IsLoopback reports whether the HTTP listener is reachable only from this
// machine: its host is "localhost", an address in 127.0.0.0/8 or ::1. An
// empty or unspecified host (":8080", "0.0.0.0:8080") listens on every
// interface and is therefore not loopback.
func IsLoopback(c Config) bool {
	return isLoopbackHost(c.listenHost())
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// TLSEnabled reports whether the server terminates TLS itself, with either a
// certificate pair or ACME.
func (c Config) TLSEnabled() bool {
	return (c.TLSCert != "" && c.TLSKey != "") || c.ACMEDomain != ""
}

// Secure reports whether cookies must carry the Secure attribute. Browsers
// treat loopback http as a secure context, so plain-HTTP development on
// localhost keeps working; anything else is served over HTTPS.
func (c Config) Secure() bool {
	return c.TLSEnabled() || !IsLoopback(c)
}

// MinFreeBytes is MinFreeMB in bytes.
func (c Config) MinFreeBytes() uint64 { return uint64(c.MinFreeMB) << 20 }

// DBPath is the SQLite database file inside DataDir.
func (c Config) DBPath() string { return filepath.Join(c.DataDir, "conclave.db") }

// ACMECacheDir holds autocert's account key and certificates.
func (c Config) ACMECacheDir() string { return filepath.Join(c.DataDir, "acme") }

// SlogLevel maps LogLevel to a slog level; Validate rejects unknown names, so
// anything unexpected here falls back to info.
func (c Config) SlogLevel() slog.Level {
	switch strings.ToLower(c.LogLevel) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}
