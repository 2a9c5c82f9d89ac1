package signal

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// originAllowed reports whether a websocket handshake comes from this
// server's own pages. Browsers always send Origin on websocket handshakes
// and a cross-site page cannot suppress it, so a request without one is a
// non-browser client, which no other site can drive (and which carries no
// victim's cookie). Scheme, host and port are compared: the library's own
// check compares the host only, so https://host would pass on an
// http://host server. The server's origin is the request's own (TLS or
// not, and Host) or the configured public URL, for a TLS-terminating proxy.
func originAllowed(r *http.Request, publicOrigin string) bool {
	raw := r.Header.Get("Origin")
	if raw == "" {
		return true
	}
	got, ok := normalOrigin(raw)
	if !ok {
		return false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if own, ok := normalOrigin(scheme + "://" + r.Host); ok && got == own {
		return true
	}
	public, ok := normalOrigin(publicOrigin)
	return ok && got == public
}

// normalOrigin reduces an origin or URL to scheme://host:port, lower case
// and with the scheme's default port made explicit; ok is false for
// anything else, "null" included.
func normalOrigin(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	switch {
	case scheme != "http" && scheme != "https":
		return "", false
	case port == "" && scheme == "https":
		port = "443"
	case port == "":
		port = "80"
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port), true
}
