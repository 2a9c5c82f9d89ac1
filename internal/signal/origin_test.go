package signal

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"
)

func TestOriginAllowed(t *testing.T) {
	cases := []struct {
		origin, host string
		tls          bool
		public       string
		want         bool
	}{
		{"", "127.0.0.1:8080", false, "", true}, // not a browser
		{"http://127.0.0.1:8080", "127.0.0.1:8080", false, "", true},
		{"HTTP://LocalHost:8080", "localhost:8080", false, "", true},
		{"https://127.0.0.1:8080", "127.0.0.1:8080", false, "", false}, // scheme differs
		{"http://127.0.0.1:8081", "127.0.0.1:8080", false, "", false},  // port differs
		{"http://evil.example", "127.0.0.1:8080", false, "", false},
		{"null", "127.0.0.1:8080", false, "", false},
		{"https://meet.example.org", "meet.example.org", true, "", true},
		{"https://meet.example.org:443", "meet.example.org", true, "", true},
		{"http://meet.example.org", "meet.example.org", true, "", false},
		{"http://meet.example.org:443", "meet.example.org", true, "", false},
		// Behind a proxy that terminates TLS: the configured public URL.
		{"https://meet.example.org", "meet.example.org", false, "https://meet.example.org", true},
		{"http://meet.example.org", "127.0.0.1:8080", false, "https://meet.example.org", false},
		{"https://evil.example", "127.0.0.1:8080", false, "https://meet.example.org", false},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/ws", nil)
		r.Host = c.host
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		if c.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if got := originAllowed(r, c.public); got != c.want {
			t.Errorf("Origin %q on %s (tls %v, public %q): allowed %v, want %v", c.origin, c.host, c.tls, c.public, got, c.want)
		}
	}
}
