package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// EnvConfigFile names the environment variable that points at a TOML file.
const EnvConfigFile = "CONCLAVE_CONFIG"

// option describes one setting in all three sources. The TOML key is the
// struct tag on Config; flag and env names are listed here so that the
// reference in docs/operations.md can be checked against one table.
type option struct {
	flag  string
	env   string
	usage string
	set   func(c *Config, v string) error
}

func str(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		*field(c) = strings.TrimSpace(v)
		return nil
	}
}

func num(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		*field(c) = n
		return nil
	}
}

func boolean(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*field(c) = b
		return nil
	}
}

func duration(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 720h", v)
		}
		*field(c) = d
		return nil
	}
}

var options = append([]option{
	{"listen", "CONCLAVE_LISTEN", "host:port of the HTTP(S) listener (default " + DefaultListen + ")",
		str(func(c *Config) *string { return &c.Listen })},
	{"data", "CONCLAVE_DATA", "data directory: database, TURN secret, ACME cache (default " + DefaultDataDir + ")",
		str(func(c *Config) *string { return &c.DataDir })},
	{"store", "CONCLAVE_STORE", "database: empty for SQLite in the data directory (default), or postgres://user@host/db for PostgreSQL; prefer the environment or the file to the flag when it holds a password",
		str(func(c *Config) *string { return &c.Store })},
	{"min-free-mb", "CONCLAVE_MIN_FREE_MB", "free MiB the data directory's file system must keep for /readyz to answer ready, 0 disables the check (default " + strconv.Itoa(DefaultMinFreeMB) + ")",
		num(func(c *Config) *int { return &c.MinFreeMB })},
	{"public-url", "CONCLAVE_PUBLIC_URL", "origin users reach the server at, e.g. https://meet.example.org (default derived from --listen)",
		str(func(c *Config) *string { return &c.PublicURL })},
	{"tls-cert", "CONCLAVE_TLS_CERT", "TLS certificate chain (PEM)",
		str(func(c *Config) *string { return &c.TLSCert })},
	{"tls-key", "CONCLAVE_TLS_KEY", "TLS private key (PEM)",
		str(func(c *Config) *string { return &c.TLSKey })},
	{"acme-domain", "CONCLAVE_ACME_DOMAIN", "obtain a certificate for this domain via ACME (Let's Encrypt); needs port 80",
		str(func(c *Config) *string { return &c.ACMEDomain })},
	{"acme-email", "CONCLAVE_ACME_EMAIL", "contact address given to the ACME CA (optional)",
		str(func(c *Config) *string { return &c.ACMEEmail })},
	{"public-ip", "CONCLAVE_PUBLIC_IP", "public IP to advertise when behind a 1:1 NAT",
		str(func(c *Config) *string { return &c.PublicIP })},
	{"media-addr", "CONCLAVE_MEDIA_ADDR", "IP the media and TURN sockets bind to (default: 127.0.0.1 on loopback, else the --listen host)",
		str(func(c *Config) *string { return &c.MediaAddr })},
	{"media-port", "CONCLAVE_MEDIA_PORT", "UDP mux and ICE-TCP port (default " + strconv.Itoa(DefaultMediaPort) + ")",
		num(func(c *Config) *int { return &c.MediaPort })},
	{"turn-port", "CONCLAVE_TURN_PORT", "embedded TURN server port, 0 disables TURN (default " + strconv.Itoa(DefaultTURNPort) + ")",
		num(func(c *Config) *int { return &c.TURNPort })},
	{"turn-max-per-credential", "CONCLAVE_TURN_MAX_PER_CREDENTIAL", "live TURN allocations one participant may hold (default " + strconv.Itoa(DefaultTURNMaxPerCredential) + ")",
		num(func(c *Config) *int { return &c.TURNMaxPerCredential })},
	{"turn-max-per-address", "CONCLAVE_TURN_MAX_PER_ADDRESS", "live TURN allocations one client address may hold (default " + strconv.Itoa(DefaultTURNMaxPerAddress) + ")",
		num(func(c *Config) *int { return &c.TURNMaxPerAddress })},
	{"log-level", "CONCLAVE_LOG_LEVEL", "debug, info, warn or error (default " + DefaultLogLevel + ")",
		str(func(c *Config) *string { return &c.LogLevel })},
	{"log-format", "CONCLAVE_LOG_FORMAT", "text or json (default " + DefaultLogFormat + ")",
		str(func(c *Config) *string { return &c.LogFormat })},
	{"max-participants", "CONCLAVE_MAX_PARTICIPANTS", "participant limit per meeting (default " + strconv.Itoa(DefaultMaxParticipants) + ")",
		num(func(c *Config) *int { return &c.MaxParticipants })},
	{"joins-per-address", "CONCLAVE_JOINS_PER_ADDRESS", "joins per minute from one client address before a minute's lock-out (default " + strconv.Itoa(DefaultJoinsPerAddress) + ")",
		num(func(c *Config) *int { return &c.JoinsPerAddress })},
	{"joins-per-meeting", "CONCLAVE_JOINS_PER_MEETING", "joins per minute into one meeting before a minute's lock-out (default " + strconv.Itoa(DefaultJoinsPerMeeting) + ")",
		num(func(c *Config) *int { return &c.JoinsPerMeeting })},
	{"force-waiting-room", "CONCLAVE_FORCE_WAITING_ROOM", "true: refuse meetings without a waiting room (default false)",
		boolean(func(c *Config) *bool { return &c.ForceWaitingRoom })},
	{"require-signed-in", "CONCLAVE_REQUIRE_SIGNED_IN", "true: every meeting admits only signed-in participants, no guests (default false)",
		boolean(func(c *Config) *bool { return &c.RequireSignedIn })},
	{"require-e2ee", "CONCLAVE_REQUIRE_E2EE", "true: every meeting's media is end-to-end encrypted; hosts cannot turn it off (default false)",
		boolean(func(c *Config) *bool { return &c.RequireE2EE })},
	{"lock-screen-share", "CONCLAVE_LOCK_SCREEN_SHARE", "true: only hosts, co-hosts and presenters share the screen in every meeting; hosts cannot open it (default false)",
		boolean(func(c *Config) *bool { return &c.LockScreenShare })},
	{"lock-chat-off", "CONCLAVE_LOCK_CHAT_OFF", "true: chat is off in every meeting, only hosts and co-hosts write; hosts cannot turn it on (default false)",
		boolean(func(c *Config) *bool { return &c.LockChatOff })},
	{"lock-private-chat-off", "CONCLAVE_LOCK_PRIVATE_CHAT_OFF", "true: no private or group messages except from hosts and co-hosts, in every meeting (default false)",
		boolean(func(c *Config) *bool { return &c.LockPrivateChatOff })},
	{"lock-chat-presenters", "CONCLAVE_LOCK_CHAT_PRESENTERS", "true: only hosts, co-hosts and presenters write in the chat of every meeting (default false)",
		boolean(func(c *Config) *bool { return &c.LockChatPresenters })},
	{"meeting-lifetime", "CONCLAVE_MEETING_LIFETIME", "how long a meeting without an end date stays joinable (default " + durationText(DefaultMeetingLifetime) + ")",
		duration(func(c *Config) *time.Duration { return &c.MeetingLifetime })},
	{"max-meeting-lifetime", "CONCLAVE_MAX_MEETING_LIFETIME", "latest end date a host may set, from now (default " + durationText(DefaultMaxMeetingLifetime) + ")",
		duration(func(c *Config) *time.Duration { return &c.MaxMeetingLifetime })},
	{"resume-grace", "CONCLAVE_RESUME_GRACE", "how long a participant whose connection dropped keeps their place to resume; 0s: off (default " + durationText(DefaultResumeGrace) + ")",
		duration(func(c *Config) *time.Duration { return &c.ResumeGrace })},
	{"metrics-listen", "CONCLAVE_METRICS_LISTEN", "host:port for Prometheus /metrics on a separate listener (default off)",
		str(func(c *Config) *string { return &c.MetricsListen })},
	{"metrics-token", "CONCLAVE_METRICS_TOKEN", "bearer token required on /metrics; needed off loopback",
		str(func(c *Config) *string { return &c.MetricsToken })},
}, slices.Concat(privacyOptions, auditAnchorOptions, releaseOptions, filesOptions, mediaOptions, recordingOptions, transcriptionOptions, remoteControlOptions, secretOptions, clusterOptions, accountOptions)...)

// durationText writes d the way operators type it: "720h", not "720h0m0s".
func durationText(d time.Duration) string { return strings.TrimSuffix(d.String(), "0m0s") }

// newFlagSet declares every option as a string flag; values are converted by
// the option's setter so flags, env and file share one parser.
func newFlagSet(out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("conclave serve", flag.ContinueOnError)
	fs.SetOutput(out)
	for _, o := range options {
		fs.String(o.flag, "", fmt.Sprintf("%s [$%s]", o.usage, o.env))
	}
	fs.String("config", "", "TOML configuration file [$"+EnvConfigFile+"]")
	return fs
}

// ErrUsage marks a mistake in the command line itself (an unknown flag, a
// malformed value, a stray argument), as opposed to a setting that fails
// validation: the CLI answers it with serve's flags and exit status 2.
var ErrUsage = errors.New("usage")

// FlagSet is serve's flag set, for printing its usage after ErrUsage.
func FlagSet() *flag.FlagSet {
	fs := newFlagSet(io.Discard)
	fs.Usage = func() { PrintUsage(fs.Output()) }
	return fs
}

// PrintUsage writes the flag reference to w.
func PrintUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: conclave serve [flags]")
	fmt.Fprintln(w, "Precedence: flags > CONCLAVE_* environment > --config file > defaults.")
	newFlagSet(w).PrintDefaults()
}

// Load builds the configuration from args (flags without the subcommand),
// the environment read through getenv, the optional TOML file and the
// defaults, then derives PublicURL and MediaAddr and validates the result.
// A -h/--help flag yields an error matching flag.ErrHelp.
func Load(args []string, getenv func(string) string) (Config, error) {
	fs := newFlagSet(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		return Config{}, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}
	cfg := Default()
	if path := configPath(fs, getenv); path != "" {
		if err := loadFile(path, &cfg); err != nil {
			return Config{}, err
		}
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return Config{}, err
	}
	if err := applyFlags(&cfg, fs); err != nil {
		return Config{}, err
	}
	cfg.derive()
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

func configPath(fs *flag.FlagSet, getenv func(string) string) string {
	path := strings.TrimSpace(getenv(EnvConfigFile))
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "config" {
			path = f.Value.String()
		}
	})
	return path
}

// loadFile decodes the TOML file over cfg; keys absent from the file keep
// their defaults. Unknown keys are an error so that typos do not silently
// fall back to defaults (a misspelt tls_cert would otherwise mean no TLS).
func loadFile(path string, cfg *Config) error {
	md, err := toml.DecodeFile(path, cfg)
	if err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	if extra := md.Undecoded(); len(extra) > 0 {
		keys := make([]string, len(extra))
		for i, k := range extra {
			keys[i] = k.String()
		}
		return fmt.Errorf("config file %s: unknown keys: %s", path, strings.Join(keys, ", "))
	}
	return nil
}

func applyEnv(cfg *Config, getenv func(string) string) error {
	for _, o := range options {
		v := getenv(o.env)
		if v == "" {
			continue
		}
		if err := o.set(cfg, v); err != nil {
			return fmt.Errorf("config: $%s: %w", o.env, err)
		}
	}
	return nil
}

func applyFlags(cfg *Config, fs *flag.FlagSet) error {
	given := map[string]string{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = f.Value.String() })
	var errs []error
	for _, o := range options {
		v, ok := given[o.flag]
		if !ok {
			continue
		}
		if err := o.set(cfg, v); err != nil {
			errs = append(errs, fmt.Errorf("config: --%s: %w", o.flag, err))
		}
	}
	return errors.Join(errs...)
}

// derive fills PublicURL and MediaAddr when they were not configured.
func (c *Config) derive() {
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.PublicURL == "" {
		c.PublicURL = c.derivePublicURL()
	}
	if c.MediaAddr == "" {
		c.MediaAddr = c.deriveMediaAddr()
	}
}

// Bound returns c for an HTTP listener bound at addr. Only a listen port of
// 0 changes anything: it becomes the port the system chose, and a public
// URL derived from the listen address follows it, so that links and
// redirect URIs name a reachable port. A configured public URL stays.
func (c Config) Bound(addr string) Config {
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || port != "0" {
		return c
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return c
	}
	derived := c.PublicURL == c.derivePublicURL()
	c.Listen = net.JoinHostPort(c.listenHost(), port)
	if derived {
		c.PublicURL = c.derivePublicURL()
	}
	c.NodeURL = boundNodeURL(c.NodeURL, port)
	return c
}

// boundNodeURL gives a node URL that names port 0 (the system picks the
// listening port: tests) the real port.
func boundNodeURL(nodeURL, port string) string {
	u, err := url.Parse(nodeURL)
	if err != nil || u.Port() != "0" {
		return nodeURL
	}
	u.Host = net.JoinHostPort(u.Hostname(), port)
	return u.String()
}

// derivePublicURL returns "" when no usable host is known (an unspecified
// listen host without ACME); Validate then asks for --public-url.
func (c Config) derivePublicURL() string {
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return ""
	}
	scheme := "http"
	if c.TLSEnabled() {
		scheme = "https"
	}
	if c.ACMEDomain != "" {
		host = c.ACMEDomain
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return ""
	}
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		if strings.Contains(host, ":") {
			return scheme + "://[" + host + "]"
		}
		return scheme + "://" + host
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// deriveMediaAddr binds media next to the HTTP listener. A hostname other
// than localhost is not resolved: the operator must pick the interface.
func (c Config) deriveMediaAddr() string {
	host := c.listenHost()
	if isLoopbackHost(host) {
		return "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
		return ip.String()
	}
	return ""
}
