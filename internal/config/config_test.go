package config

import (
	"errors"
	"flag"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func noEnv(string) string { return "" }

func mustLoad(t *testing.T, args []string, getenv func(string) string) Config {
	t.Helper()
	cfg, err := Load(args, getenv)
	if err != nil {
		t.Fatalf("Load(%q): %v", args, err)
	}
	return cfg
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "conclave.toml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadDefaults(t *testing.T) {
	cfg := mustLoad(t, nil, noEnv)
	want := Config{
		Listen:    "localhost:8080",
		DataDir:   "./conclave-data",
		PublicURL: "http://localhost:8080",
		MediaAddr: "127.0.0.1",
		MediaPort: 7882,
		TURNPort:  3478,
		LogLevel:  "info",

		TURNMaxPerCredential: 8,
		TURNMaxPerAddress:    128,
		JoinsPerAddress:      60,
		JoinsPerMeeting:      300,

		LogFormat:       "text",
		MaxParticipants: 100,

		MeetingLifetime:    720 * time.Hour,
		MaxMeetingLifetime: 8784 * time.Hour,
		ResumeGrace:        30 * time.Second,
		MinFreeMB:          256,
		Privacy:            DefaultPrivacy(),
		AuditAnchor:        DefaultAuditAnchor(),
		Files:              Files{FileMaxMB: 25},
		Recording:          DefaultRecording(),
		Transcription:      DefaultTranscription(),
		RemoteControl:      DefaultRemoteControl(),
		Accounts:           DefaultAccounts(),
		Media:              Media{CameraDefaultOn: true, MicrophoneDefaultOn: true},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", cfg, want)
	}
	if !IsLoopback(cfg) || cfg.Secure() || cfg.TLSEnabled() {
		t.Fatalf("default must be loopback, insecure, no TLS")
	}
}

func TestLoadEveryFlag(t *testing.T) {
	dir := t.TempDir()
	args := []string{
		"--listen", "203.0.113.5:443", "--data", dir, "--public-url", "https://meet.example.org/",
		"--tls-cert", "c.pem", "--tls-key", "k.pem", "--public-ip", "198.51.100.7",
		"--media-addr", "203.0.113.5", "--media-port", "9000", "--turn-port", "0",
		"--turn-max-per-credential", "4", "--turn-max-per-address", "500",
		"--joins-per-address", "90", "--joins-per-meeting", "900",
		"--log-level", "debug", "--log-format", "json", "--max-participants", "12",
		"--force-waiting-room", "true", "--meeting-lifetime", "2h", "--max-meeting-lifetime", "48h", "--resume-grace", "45s",
		"--min-free-mb", "64", "--release-feed", "https://releases.example.org/conclave.json",
		"--clamd-socket", "/run/clamav/clamd.ctl", "--file-max-mb", "50",
		"--lock-screen-share", "true", "--lock-chat-off", "true", "--lock-private-chat-off", "true", "--lock-chat-presenters", "true",
		"--camera-default-on", "false", "--microphone-default-on", "false",
	}
	cfg := mustLoad(t, args, noEnv)
	want := Config{
		Listen: "203.0.113.5:443", DataDir: dir, PublicURL: "https://meet.example.org",
		TLSCert: "c.pem", TLSKey: "k.pem", PublicIP: "198.51.100.7", MediaAddr: "203.0.113.5",
		MediaPort: 9000, TURNPort: 0, TURNMaxPerCredential: 4, TURNMaxPerAddress: 500, JoinsPerAddress: 90, JoinsPerMeeting: 900, LogLevel: "debug", LogFormat: "json", MaxParticipants: 12,
		ForceWaitingRoom: true, MeetingLifetime: 2 * time.Hour, MaxMeetingLifetime: 48 * time.Hour, ResumeGrace: 45 * time.Second, MinFreeMB: 64,
		LockScreenShare: true, LockChatOff: true, LockPrivateChatOff: true, LockChatPresenters: true,
		ReleaseFeed:   "https://releases.example.org/conclave.json",
		Privacy:       DefaultPrivacy(),
		AuditAnchor:   DefaultAuditAnchor(),
		Files:         Files{ClamdSocket: "/run/clamav/clamd.ctl", FileMaxMB: 50},
		Recording:     DefaultRecording(),
		Transcription: DefaultTranscription(),
		RemoteControl: DefaultRemoteControl(),
		Accounts:      DefaultAccounts(),
		Media:         Media{},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("\n got %+v\nwant %+v", cfg, want)
	}
}

func TestLoadEveryEnv(t *testing.T) {
	e := map[string]string{
		"CONCLAVE_LISTEN": "127.0.0.1:9443", "CONCLAVE_DATA": "/srv/c", "CONCLAVE_PUBLIC_URL": "https://m.example.org",
		"CONCLAVE_ACME_DOMAIN": "m.example.org", "CONCLAVE_ACME_EMAIL": "ops@example.org",
		"CONCLAVE_PUBLIC_IP": "198.51.100.7", "CONCLAVE_MEDIA_ADDR": "127.0.0.2", "CONCLAVE_MEDIA_PORT": "7000",
		"CONCLAVE_TURN_PORT": "3479", "CONCLAVE_TURN_MAX_PER_CREDENTIAL": "5", "CONCLAVE_TURN_MAX_PER_ADDRESS": "600",
		"CONCLAVE_JOINS_PER_ADDRESS": "91", "CONCLAVE_JOINS_PER_MEETING": "901",
		"CONCLAVE_LOG_LEVEL": "warn", "CONCLAVE_LOG_FORMAT": "json",
		"CONCLAVE_MAX_PARTICIPANTS": "50", "CONCLAVE_FORCE_WAITING_ROOM": "1",
		"CONCLAVE_MEETING_LIFETIME": "24h", "CONCLAVE_MAX_MEETING_LIFETIME": "2160h", "CONCLAVE_RESUME_GRACE": "0s",
		"CONCLAVE_MIN_FREE_MB": "0", "CONCLAVE_RELEASE_FEED": "http://127.0.0.1:9000/feed.json?token=t",
		"CONCLAVE_CLAMD_SOCKET": "127.0.0.1:3310", "CONCLAVE_FILE_MAX_MB": "10",
		"CONCLAVE_LOCK_SCREEN_SHARE": "true", "CONCLAVE_LOCK_CHAT_OFF": "1", "CONCLAVE_LOCK_PRIVATE_CHAT_OFF": "true", "CONCLAVE_LOCK_CHAT_PRESENTERS": "true",
		"CONCLAVE_CAMERA_DEFAULT_ON": "false", "CONCLAVE_MICROPHONE_DEFAULT_ON": "0",
	}
	cfg := mustLoad(t, nil, env(e))
	want := Config{
		Listen: "127.0.0.1:9443", DataDir: "/srv/c", PublicURL: "https://m.example.org",
		ACMEDomain: "m.example.org", ACMEEmail: "ops@example.org", PublicIP: "198.51.100.7",
		MediaAddr: "127.0.0.2", MediaPort: 7000, TURNPort: 3479, TURNMaxPerCredential: 5, TURNMaxPerAddress: 600, JoinsPerAddress: 91, JoinsPerMeeting: 901, LogLevel: "warn", LogFormat: "json",
		MaxParticipants: 50, ForceWaitingRoom: true, MeetingLifetime: 24 * time.Hour, MaxMeetingLifetime: 2160 * time.Hour, ResumeGrace: 0,
		LockScreenShare: true, LockChatOff: true, LockPrivateChatOff: true, LockChatPresenters: true,
		ReleaseFeed:   "http://127.0.0.1:9000/feed.json?token=t",
		Privacy:       DefaultPrivacy(),
		AuditAnchor:   DefaultAuditAnchor(),
		Files:         Files{ClamdSocket: "127.0.0.1:3310", FileMaxMB: 10},
		Recording:     DefaultRecording(),
		Transcription: DefaultTranscription(),
		RemoteControl: DefaultRemoteControl(),
		Accounts:      DefaultAccounts(),
		Media:         Media{},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("\n got %+v\nwant %+v", cfg, want)
	}
	e2 := map[string]string{"CONCLAVE_TLS_CERT": "c", "CONCLAVE_TLS_KEY": "k"}
	if cfg := mustLoad(t, nil, env(e2)); cfg.TLSCert != "c" || cfg.TLSKey != "k" {
		t.Fatalf("tls env not applied: %+v", cfg)
	}
}

func TestLoadFileEveryKey(t *testing.T) {
	path := writeFile(t, `
listen = "localhost:8443"
data_dir = "/var/lib/conclave"
public_url = "https://localhost:8443"
tls_cert = "/etc/c.pem"
tls_key = "/etc/k.pem"
public_ip = "198.51.100.7"
media_addr = "127.0.0.1"
media_port = 7001
turn_port = 3480
turn_max_per_credential = 6
turn_max_per_address = 700
joins_per_address = 92
joins_per_meeting = 902
log_level = "error"
log_format = "json"
max_participants = 7
force_waiting_room = true
meeting_lifetime = "168h"
max_meeting_lifetime = "720h"
resume_grace = "1m"
min_free_mb = 1024
release_feed = "https://releases.example.org/conclave.json"
clamd_socket = "unix:/var/run/clamd.sock"
file_max_mb = 100
lock_screen_share = true
lock_chat_off = true
lock_private_chat_off = true
lock_chat_presenters = true
camera_default_on = false
microphone_default_on = false
`)
	cfg := mustLoad(t, []string{"--config", path}, noEnv)
	want := Config{
		Listen: "localhost:8443", DataDir: "/var/lib/conclave", PublicURL: "https://localhost:8443",
		TLSCert: "/etc/c.pem", TLSKey: "/etc/k.pem", PublicIP: "198.51.100.7", MediaAddr: "127.0.0.1",
		MediaPort: 7001, TURNPort: 3480, TURNMaxPerCredential: 6, TURNMaxPerAddress: 700, JoinsPerAddress: 92, JoinsPerMeeting: 902, LogLevel: "error", LogFormat: "json", MaxParticipants: 7,
		ForceWaitingRoom: true, MeetingLifetime: 168 * time.Hour, MaxMeetingLifetime: 720 * time.Hour, ResumeGrace: time.Minute, MinFreeMB: 1024,
		LockScreenShare: true, LockChatOff: true, LockPrivateChatOff: true, LockChatPresenters: true,
		ReleaseFeed:   "https://releases.example.org/conclave.json",
		Privacy:       DefaultPrivacy(),
		AuditAnchor:   DefaultAuditAnchor(),
		Files:         Files{ClamdSocket: "unix:/var/run/clamd.sock", FileMaxMB: 100},
		Recording:     DefaultRecording(),
		Transcription: DefaultTranscription(),
		RemoteControl: DefaultRemoteControl(),
		Accounts:      DefaultAccounts(),
		Media:         Media{},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("\n got %+v\nwant %+v", cfg, want)
	}
	acme := writeFile(t, "listen = \"127.0.0.1:443\"\nacme_domain = \"m.example.org\"\nacme_email = \"a@example.org\"\n")
	cfg = mustLoad(t, nil, env(map[string]string{"CONCLAVE_CONFIG": acme}))
	if cfg.ACMEDomain != "m.example.org" || cfg.ACMEEmail != "a@example.org" {
		t.Fatalf("acme keys not applied: %+v", cfg)
	}
}

func TestPrecedence(t *testing.T) {
	path := writeFile(t, "media_port = 1001\nturn_port = 2001\nlog_level = \"error\"\nmax_participants = 5\n")
	e := env(map[string]string{
		"CONCLAVE_CONFIG":           path,
		"CONCLAVE_MEDIA_PORT":       "1002",
		"CONCLAVE_TURN_PORT":        "2002",
		"CONCLAVE_MAX_PARTICIPANTS": "6",
	})
	cfg := mustLoad(t, []string{"--media-port", "1003"}, e)
	if cfg.MediaPort != 1003 {
		t.Errorf("flag must beat env and file: media_port %d", cfg.MediaPort)
	}
	if cfg.TURNPort != 2002 || cfg.MaxParticipants != 6 {
		t.Errorf("env must beat file: turn %d max %d", cfg.TURNPort, cfg.MaxParticipants)
	}
	if cfg.LogLevel != "error" {
		t.Errorf("file must beat default: %q", cfg.LogLevel)
	}
	if cfg.LogFormat != "text" {
		t.Errorf("default kept: %q", cfg.LogFormat)
	}
}

func TestConfigFlagBeatsConfigEnv(t *testing.T) {
	a := writeFile(t, "max_participants = 3\n")
	b := writeFile(t, "max_participants = 4\n")
	cfg := mustLoad(t, []string{"--config=" + b}, env(map[string]string{"CONCLAVE_CONFIG": a}))
	if cfg.MaxParticipants != 4 {
		t.Fatalf("got %d, want file from --config", cfg.MaxParticipants)
	}
}

func TestFileErrors(t *testing.T) {
	cases := map[string]string{
		"unknown key": "listen = \"localhost:1\"\ntls_certificate = \"x\"\n",
		"bad syntax":  "listen = \n",
		"wrong type":  "media_port = \"seven\"\n",
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load([]string{"--config", writeFile(t, content)}, noEnv)
			if err == nil {
				t.Fatal("want error")
			}
			if name == "unknown key" && !strings.Contains(err.Error(), "tls_certificate") {
				t.Fatalf("error should name the key: %v", err)
			}
		})
	}
	if _, err := Load([]string{"--config", filepath.Join(t.TempDir(), "missing.toml")}, noEnv); err == nil {
		t.Fatal("missing file must be an error")
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad int flag", []string{"--media-port", "x"}, nil, "--media-port"},
		{"bad int env", nil, map[string]string{"CONCLAVE_TURN_PORT": "many"}, "CONCLAVE_TURN_PORT"},
		{"bad bool flag", []string{"--force-waiting-room", "maybe"}, nil, "--force-waiting-room"},
		{"bare bool flag", []string{"--force-waiting-room"}, nil, "force-waiting-room"},
		{"bad lock env", nil, map[string]string{"CONCLAVE_LOCK_CHAT_OFF": "sometimes"}, "CONCLAVE_LOCK_CHAT_OFF"},
		{"bad lock flag", []string{"--lock-screen-share", "maybe"}, nil, "--lock-screen-share"},
		{"bad duration env", nil, map[string]string{"CONCLAVE_MEETING_LIFETIME": "30 days"}, "CONCLAVE_MEETING_LIFETIME"},
		{"duration without unit", []string{"--max-meeting-lifetime", "720"}, nil, "--max-meeting-lifetime"},
		{"unknown flag", []string{"--nope"}, nil, "nope"},
		{"positional", []string{"extra"}, nil, "unexpected argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.args, env(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want mention of %q", err, tc.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	_, err := Load([]string{"--help"}, noEnv)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	var b strings.Builder
	PrintUsage(&b)
	for _, o := range options {
		if !strings.Contains(b.String(), "-"+o.flag) || !strings.Contains(b.String(), o.env) {
			t.Errorf("usage lacks %s / %s", o.flag, o.env)
		}
	}
}

// TestOptionsMatchTOML keeps the flag table and the TOML tags in step: every
// option must be settable from a file under the documented key.
func TestOptionsMatchTOML(t *testing.T) {
	keys := map[string]string{
		"listen": "listen", "data": "data_dir", "store": "store", "public-url": "public_url", "tls-cert": "tls_cert",
		"tls-key": "tls_key", "acme-domain": "acme_domain", "acme-email": "acme_email",
		"public-ip": "public_ip", "media-addr": "media_addr", "media-port": "media_port",
		"turn-port": "turn_port", "turn-max-per-credential": "turn_max_per_credential",
		"turn-max-per-address": "turn_max_per_address", "joins-per-address": "joins_per_address",
		"joins-per-meeting": "joins_per_meeting", "log-level": "log_level", "log-format": "log_format",
		"max-participants": "max_participants", "metrics-listen": "metrics_listen", "metrics-token": "metrics_token",
		"force-waiting-room": "force_waiting_room", "meeting-lifetime": "meeting_lifetime",
		"max-meeting-lifetime": "max_meeting_lifetime", "min-free-mb": "min_free_mb",
		"require-signed-in": "require_signed_in", "require-e2ee": "require_e2ee", "resume-grace": "resume_grace",
		"release-feed":      "release_feed",
		"lock-screen-share": "lock_screen_share", "lock-chat-off": "lock_chat_off",
		"lock-private-chat-off": "lock_private_chat_off", "lock-chat-presenters": "lock_chat_presenters",
	}
	maps.Copy(keys, privacyKeys)
	maps.Copy(keys, auditAnchorKeys)
	maps.Copy(keys, filesKeys)
	maps.Copy(keys, recordingKeys)
	maps.Copy(keys, transcriptionKeys)
	maps.Copy(keys, remoteControlKeys)
	maps.Copy(keys, secretKeys)
	maps.Copy(keys, clusterKeys)
	maps.Copy(keys, mediaKeys)
	maps.Copy(keys, accountKeys)
	if len(keys) != len(options) {
		t.Fatalf("%d options, %d documented keys", len(options), len(keys))
	}
	for _, o := range options {
		key, ok := keys[o.flag]
		if !ok {
			t.Fatalf("flag %s has no documented key", o.flag)
		}
		if want := "CONCLAVE_" + strings.ToUpper(strings.ReplaceAll(o.flag, "-", "_")); o.env != want && o.flag != "data" {
			t.Errorf("env for %s = %s, want %s", o.flag, o.env, want)
		}
		// A type error also proves the key exists; only "undecoded" means unknown.
		extra, err := decodeTOML(key + " = \"1\"")
		if err == nil && len(extra) > 0 {
			t.Errorf("key %s unknown to Config", key)
		}
	}
}

func TestSlogLevel(t *testing.T) {
	cases := map[string]slog.Level{
		"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn,
		"WARNING": slog.LevelWarn, "error": slog.LevelError, "": slog.LevelInfo,
	}
	for in, want := range cases {
		if got := (Config{LogLevel: in}).SlogLevel(); got != want {
			t.Errorf("SlogLevel(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestPaths(t *testing.T) {
	c := Config{DataDir: "/d"}
	if c.DBPath() != "/d/conclave.db" || c.ACMECacheDir() != "/d/acme" || c.TURNSecretPath() != "/d/turn.secret" {
		t.Fatalf("paths: %s %s %s", c.DBPath(), c.ACMECacheDir(), c.TURNSecretPath())
	}
	if c.AuditKeyPath() != "/d/audit.key" {
		t.Fatalf("audit key path %s", c.AuditKeyPath())
	}
}

func TestLoadValueForms(t *testing.T) {
	cfg := mustLoad(t, []string{"--media-port=9001", "-turn-port", "0", "--log-level= debug "}, env(map[string]string{
		"CONCLAVE_LISTEN":    " 127.0.0.1:9090 ",
		"CONCLAVE_LOG_LEVEL": "error",
		"CONCLAVE_DATA":      "", // empty means unset
	}))
	if cfg.MediaPort != 9001 || cfg.TURNPort != 0 || cfg.LogLevel != "debug" || cfg.Listen != "127.0.0.1:9090" || cfg.DataDir != DefaultDataDir {
		t.Fatalf("got %+v", cfg)
	}
	if cfg.PublicURL != "http://127.0.0.1:9090" {
		t.Fatalf("public url derived from env listen: %q", cfg.PublicURL)
	}
}

func TestLoadEmptyFlagOverridesToEmpty(t *testing.T) {
	// An explicit empty flag clears a value from the environment, e.g. to
	// switch ACME off for one run.
	cfg, err := Load([]string{"--acme-domain", ""}, env(map[string]string{"CONCLAVE_ACME_DOMAIN": "m.example.org"}))
	if err != nil || cfg.ACMEDomain != "" || cfg.TLSEnabled() {
		t.Fatalf("got %+v, %v", cfg, err)
	}
}

func TestLoadReportsValidationErrors(t *testing.T) {
	_, err := Load([]string{"--log-format", "xml", "--media-port", "70000"}, noEnv)
	if err == nil || !strings.Contains(err.Error(), "log_format") || !strings.Contains(err.Error(), "media_port") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadTLSDerivesHTTPS(t *testing.T) {
	cfg := mustLoad(t, []string{"--listen", "localhost:8443", "--tls-cert", "c", "--tls-key", "k"}, noEnv)
	if cfg.PublicURL != "https://localhost:8443" || !cfg.Secure() || !IsLoopback(cfg) {
		t.Fatalf("got %+v", cfg)
	}
}

// TestMeetingPolicyFalseOverrides: an explicit false beats a true from the
// file, so one run can lift the rule.
func TestMeetingPolicyFalseOverrides(t *testing.T) {
	path := writeFile(t, "force_waiting_room = true\n")
	cfg := mustLoad(t, []string{"--config", path, "--force-waiting-room=false"}, noEnv)
	if cfg.ForceWaitingRoom {
		t.Fatal("--force-waiting-room=false did not override the file")
	}
	cfg = mustLoad(t, []string{"--config", path}, env(map[string]string{"CONCLAVE_FORCE_WAITING_ROOM": "false"}))
	if cfg.ForceWaitingRoom {
		t.Fatal("CONCLAVE_FORCE_WAITING_ROOM=false did not override the file")
	}
}

// TestBoundFollowsTheChosenPort: a listen port of 0 takes the port the
// system chose, and so does a derived public URL; a configured public URL
// and a fixed port stay as they are.
func TestBoundFollowsTheChosenPort(t *testing.T) {
	c := Default()
	c.Listen = "127.0.0.1:0"
	c.derive()
	if c.PublicURL != "http://127.0.0.1:0" {
		t.Fatalf("derived %q before binding", c.PublicURL)
	}
	b := c.Bound("127.0.0.1:41234")
	if b.Listen != "127.0.0.1:41234" || b.PublicURL != "http://127.0.0.1:41234" {
		t.Errorf("bound: listen %q, public URL %q", b.Listen, b.PublicURL)
	}
	c.PublicURL = "https://meet.example.org"
	if b := c.Bound("127.0.0.1:41234"); b.PublicURL != "https://meet.example.org" || b.Listen != "127.0.0.1:41234" {
		t.Errorf("configured public URL: listen %q, public URL %q", b.Listen, b.PublicURL)
	}
	c = Default()
	c.Listen = "localhost:8080"
	c.derive()
	if b := c.Bound("127.0.0.1:8080"); b.Listen != c.Listen || b.PublicURL != c.PublicURL {
		t.Errorf("a fixed port changed: listen %q, public URL %q", b.Listen, b.PublicURL)
	}
	c.Listen = "localhost:0"
	c.PublicURL = ""
	c.derive()
	if b := c.Bound("127.0.0.1:5555"); b.Listen != "localhost:5555" || b.PublicURL != "http://localhost:5555" {
		t.Errorf("localhost: listen %q, public URL %q", b.Listen, b.PublicURL)
	}
}
