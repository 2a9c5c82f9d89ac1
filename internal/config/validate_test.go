package config

import (
	"strings"
	"testing"
	"time"
)

// valid returns a loopback configuration that passes Validate; cases modify it.
func valid() Config {
	c := Default()
	c.derive()
	return c
}

func TestValidateAcceptsDefaults(t *testing.T) {
	if err := valid().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateRejects(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"public listen without TLS", func(c *Config) { c.Listen = "203.0.113.5:8080"; c.MediaAddr = "203.0.113.5" }, "requires HTTPS"},
		{"hostname listen without TLS", func(c *Config) { c.Listen = "meet.example.org:8080" }, "requires HTTPS"},
		{"empty host without TLS", func(c *Config) { c.Listen = ":8080" }, "every interface"},
		{"0.0.0.0 without TLS", func(c *Config) { c.Listen = "0.0.0.0:8080" }, "every interface"},
		{"[::] without TLS", func(c *Config) { c.Listen = "[::]:8080" }, "every interface"},
		{"cert without key", func(c *Config) { c.TLSCert = "c.pem" }, "together"},
		{"key without cert", func(c *Config) { c.TLSKey = "k.pem" }, "together"},
		{"cert and acme", func(c *Config) { c.TLSCert, c.TLSKey, c.ACMEDomain = "c", "k", "m.example.org" }, "not both"},
		{"acme email alone", func(c *Config) { c.ACMEEmail = "a@example.org" }, "acme_email"},
		{"acme domain with scheme", func(c *Config) { c.ACMEDomain = "https://m.example.org" }, "bare DNS name"},
		{"acme domain is ip", func(c *Config) { c.ACMEDomain = "203.0.113.5" }, "bare DNS name"},
		{"listen no port", func(c *Config) { c.Listen = "localhost" }, "host:port"},
		{"listen port range", func(c *Config) { c.Listen = "localhost:70000" }, "out of range"},
		{"listen port text", func(c *Config) { c.Listen = "localhost:http" }, "out of range"},
		{"media port negative", func(c *Config) { c.MediaPort = -1 }, "media_port"},
		{"media port high", func(c *Config) { c.MediaPort = 65536 }, "media_port"},
		{"turn port negative", func(c *Config) { c.TURNPort = -1 }, "turn_port"},
		{"turn equals media", func(c *Config) { c.TURNPort = c.MediaPort }, "must differ"},
		{"listen equals media", func(c *Config) { c.Listen = "localhost:7882" }, "collides"},
		{"media addr missing", func(c *Config) { c.MediaAddr = "" }, "media_addr is required"},
		{"media addr unspecified", func(c *Config) { c.MediaAddr = "0.0.0.0" }, "concrete IP"},
		{"media addr hostname", func(c *Config) { c.MediaAddr = "example.org" }, "concrete IP"},
		{"public ip garbage", func(c *Config) { c.PublicIP = "nat" }, "public_ip"},
		{"public ip loopback", func(c *Config) { c.PublicIP = "127.0.0.1" }, "public_ip"},
		{"public url missing", func(c *Config) { c.PublicURL = "" }, "public_url is required"},
		{"public url relative", func(c *Config) { c.PublicURL = "/meet" }, "absolute"},
		{"public url ftp", func(c *Config) { c.PublicURL = "ftp://x.example.org" }, "absolute"},
		{"public url path", func(c *Config) { c.PublicURL = "http://localhost:8080/conclave" }, "origin only"},
		{"public url query", func(c *Config) { c.PublicURL = "http://localhost:8080?a=b" }, "origin only"},
		{"public url creds", func(c *Config) { c.PublicURL = "http://u:p@localhost:8080" }, "origin only"},
		{"http public url with TLS", func(c *Config) { c.TLSCert, c.TLSKey = "c", "k" }, "must use https"},
		{"log level", func(c *Config) { c.LogLevel = "loud" }, "log_level"},
		{"log format", func(c *Config) { c.LogFormat = "xml" }, "log_format"},
		{"participants zero", func(c *Config) { c.MaxParticipants = 0 }, "max_participants"},
		{"participants huge", func(c *Config) { c.MaxParticipants = MaxParticipantsLimit + 1 }, "max_participants"},
		{"data dir empty", func(c *Config) { c.DataDir = " " }, "data_dir"},
		{"lifetime in nanoseconds", func(c *Config) { c.MeetingLifetime = 720 }, "meeting_lifetime"},
		{"lifetime over max", func(c *Config) { c.MeetingLifetime = c.MaxMeetingLifetime + time.Hour }, "meeting_lifetime"},
		{"max lifetime short", func(c *Config) { c.MaxMeetingLifetime = time.Minute }, "max_meeting_lifetime"},
		{"max lifetime huge", func(c *Config) { c.MaxMeetingLifetime = MeetingLifetimeLimit + 1 }, "max_meeting_lifetime"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.mod(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Config)
	}{
		{"ipv4 loopback", func(c *Config) { c.Listen = "127.0.0.1:8080" }},
		{"other 127/8", func(c *Config) { c.Listen = "127.1.2.3:8080" }},
		{"ipv6 loopback", func(c *Config) { c.Listen = "[::1]:8080" }},
		{"LOCALHOST", func(c *Config) { c.Listen = "LOCALHOST:8080" }},
		{"port zero for tests", func(c *Config) { c.Listen = "127.0.0.1:0" }},
		{"turn disabled", func(c *Config) { c.TURNPort = 0 }},
		{"public with cert", func(c *Config) {
			c.Listen, c.TLSCert, c.TLSKey = "0.0.0.0:443", "c", "k"
			c.PublicURL, c.MediaAddr = "https://meet.example.org", "203.0.113.5"
		}},
		{"public with acme", func(c *Config) {
			c.Listen, c.ACMEDomain, c.ACMEEmail = ":443", "meet.example.org", "ops@example.org"
			c.PublicURL, c.MediaAddr = "https://meet.example.org", "203.0.113.5"
		}},
		{"nat", func(c *Config) { c.PublicIP = "198.51.100.7" }},
		{"warning alias", func(c *Config) { c.LogLevel = "WARNING" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.mod(&c)
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestValidateReportsAllProblems(t *testing.T) {
	c := valid()
	c.LogFormat, c.MediaPort = "xml", -1
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "log_format") || !strings.Contains(err.Error(), "media_port") {
		t.Fatalf("want both problems, got %v", err)
	}
}

func TestLoadRefusesPublicWithoutTLS(t *testing.T) {
	for _, listen := range []string{":8080", "0.0.0.0:8080", "192.0.2.1:8080"} {
		if _, err := Load([]string{"--listen", listen}, noEnv); err == nil || !strings.Contains(err.Error(), "HTTPS") {
			t.Errorf("listen %s: err = %v", listen, err)
		}
	}
}

func TestIsLoopbackAndSecure(t *testing.T) {
	cases := []struct {
		listen   string
		tls      bool
		loopback bool
		secure   bool
	}{
		{"localhost:8080", false, true, false},
		{"127.0.0.1:8080", false, true, false},
		{"127.8.9.10:1", false, true, false},
		{"[::1]:8080", false, true, false},
		{"localhost:8443", true, true, true},
		{":8080", true, false, true},
		{"0.0.0.0:443", true, false, true},
		{"[::]:443", true, false, true},
		{"192.0.2.1:443", true, false, true},
		{"meet.example.org:443", true, false, true},
		{"garbage", false, false, true},
	}
	for _, tc := range cases {
		c := Config{Listen: tc.listen}
		if tc.tls {
			c.TLSCert, c.TLSKey = "c", "k"
		}
		if got := IsLoopback(c); got != tc.loopback {
			t.Errorf("IsLoopback(%s) = %v", tc.listen, got)
		}
		if got := c.Secure(); got != tc.secure {
			t.Errorf("Secure(%s, tls=%v) = %v", tc.listen, tc.tls, got)
		}
	}
}

func TestDerive(t *testing.T) {
	cases := []struct {
		name      string
		c         Config
		publicURL string
		mediaAddr string
	}{
		{"loopback http", Config{Listen: "localhost:8080"}, "http://localhost:8080", "127.0.0.1"},
		{"ipv6 loopback", Config{Listen: "[::1]:9000"}, "http://[::1]:9000", "127.0.0.1"},
		{"http port 80", Config{Listen: "127.0.0.1:80"}, "http://127.0.0.1", "127.0.0.1"},
		{"cert on ip", Config{Listen: "192.0.2.1:8443", TLSCert: "c", TLSKey: "k"}, "https://192.0.2.1:8443", "192.0.2.1"},
		{"cert on 443", Config{Listen: "192.0.2.1:443", TLSCert: "c", TLSKey: "k"}, "https://192.0.2.1", "192.0.2.1"},
		{"cert on ipv6 443", Config{Listen: "[2001:db8::1]:443", TLSCert: "c", TLSKey: "k"}, "https://[2001:db8::1]", "2001:db8::1"},
		{"acme on any", Config{Listen: ":443", ACMEDomain: "m.example.org"}, "https://m.example.org", ""},
		{"acme other port", Config{Listen: "0.0.0.0:8443", ACMEDomain: "m.example.org"}, "https://m.example.org:8443", ""},
		{"cert on any", Config{Listen: ":443", TLSCert: "c", TLSKey: "k"}, "", ""},
		{"hostname", Config{Listen: "m.example.org:443", TLSCert: "c", TLSKey: "k"}, "https://m.example.org", ""},
		{"explicit kept", Config{Listen: ":443", PublicURL: "https://x.example.org/", MediaAddr: "192.0.2.9"}, "https://x.example.org", "192.0.2.9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			c.derive()
			if c.PublicURL != tc.publicURL || c.MediaAddr != tc.mediaAddr {
				t.Fatalf("got url %q media %q, want %q %q", c.PublicURL, c.MediaAddr, tc.publicURL, tc.mediaAddr)
			}
		})
	}
}

func TestValidateMetrics(t *testing.T) {
	cases := []struct {
		listen, token string
		want          string // "" = valid
	}{
		{"", "", ""},
		{"127.0.0.1:9090", "", ""},
		{"localhost:9090", "", ""},
		{"10.0.0.5:9090", "", "requires metrics_token"},
		{"10.0.0.5:9090", "s3cret-token", ""},
		{":9090", "", "requires metrics_token"},
		{"nonsense", "", "host:port"},
		{"", "orphan", "needs metrics_listen"},
	}
	for _, tc := range cases {
		c := valid()
		c.MetricsListen, c.MetricsToken = tc.listen, tc.token
		err := c.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q/%q: %v", tc.listen, tc.token, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q/%q: err %v, want %q", tc.listen, tc.token, err, tc.want)
		}
	}
	c := valid()
	c.MetricsListen = c.Listen
	if err := c.Validate(); err == nil {
		t.Error("metrics on the public listener accepted")
	}
	// Port 0 on both picks two different free ports: allowed (tests do it).
	c.Listen, c.MetricsListen = "127.0.0.1:0", "127.0.0.1:0"
	if err := c.Validate(); err != nil {
		t.Errorf("two free ports refused: %v", err)
	}
}
