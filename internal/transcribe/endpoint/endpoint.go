// Package endpoint holds the rules for reaching a speech engine over a
// network (a whisper.cpp server, a transcription worker): audio must never
// travel in clear over a network, so an engine's address is https (wss)
// or plain http (ws) to this machine's loopback only, and TLS trusts the
// CA file the operator names besides the system's roots.
package endpoint

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
)

// Check parses raw and refuses an address audio could travel to in clear:
// secure is https or wss; insecure is http or ws, allowed to a loopback
// address only. It returns the URL, for the caller to use.
func Check(raw, secure, insecure string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("engine address %q: %w", raw, err)
	}
	if u.Scheme != secure && u.Scheme != insecure {
		return nil, fmt.Errorf("engine address %s: scheme must be %s (or %s to this machine's loopback)", u.Redacted(), secure, insecure)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("engine address %q: no host", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("engine address %q: credentials belong in a token file, not the address", u.Redacted())
	}
	if u.Scheme == insecure && !Loopback(u.Hostname()) {
		return nil, fmt.Errorf("engine address %s: plain %s to another host would send the audio in clear over the network: use %s://",
			u.Redacted(), insecure, secure)
	}
	return u, nil
}

// Loopback reports whether host (a name or an IP, without port) is this
// machine's loopback: "localhost" or an address in 127.0.0.0/8 or ::1.
func Loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// LoopbackAddr reports whether a listen address (host:port) binds to the
// loopback only. An empty host binds every interface: not loopback.
func LoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && host != "" && Loopback(host)
}

// TLSConfig trusts the system's roots and, when caFile is set, the
// certificates in that PEM file: a private CA or the engine host's own
// self-signed certificate.
func TLSConfig(caFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("engine CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("engine CA file %s: no PEM certificate in it", caFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// ReadToken reads a secret token from a file: its first line, trimmed.
// The token itself never appears in an error.
func ReadToken(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	tok := strings.TrimSpace(line)
	if tok == "" {
		return "", fmt.Errorf("token file %s: %w", path, errEmptyToken)
	}
	return tok, nil
}

var errEmptyToken = errors.New("empty")
