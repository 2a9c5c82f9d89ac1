package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/testlog"
)

// selfSigned writes a certificate for 127.0.0.1 and returns the file
// paths and a pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "conclave test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestServeTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	var out, errb testlog.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	args := []string{"serve", "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--tls-cert", certFile, "--tls-key", keyFile,
		"--public-url", "https://127.0.0.1", "--log-format", "json", "--media-port", "0", "--turn-port", "0"}
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, e) }()
	base := waitFor(t, &out, regexp.MustCompile(`listening on (https://127\.0\.0\.1:\d+)`))

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatal("no HSTS over TLS")
	}
	if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("TLS state %+v", resp.TLS)
	}
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}}}
	if _, err := old.Get(base + "/healthz"); err == nil {
		t.Fatal("TLS 1.1 accepted")
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	// JSON log lines parse, and the printed setup link is not among them.
	for _, line := range strings.Split(errb.String(), "\n") {
		if strings.HasPrefix(line, "{") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			if strings.Contains(line, "token=") {
				t.Fatal("setup token in structured log")
			}
		}
	}
}

func TestServeFailsOnMissingCertificate(t *testing.T) {
	r := cli(t, nil, "", "serve", "--listen", "127.0.0.1:0", "--data", t.TempDir(),
		"--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem", "--public-url", "https://127.0.0.1", "--media-port", "0", "--turn-port", "0")
	if r.code != 1 || !strings.Contains(r.stderr, "load TLS certificate") {
		t.Fatalf("%+v", r)
	}
}

func TestServeFailsWhenPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r := cli(t, nil, "", "serve", "--listen", ln.Addr().String(), "--data", t.TempDir(), "--media-port", "0", "--turn-port", "0")
	if r.code != 1 || !strings.Contains(r.stderr, "listen on") {
		t.Fatalf("%+v", r)
	}
}

func TestTLSSetupACME(t *testing.T) {
	cfg := config.Config{ACMEDomain: "meet.example.org", DataDir: t.TempDir()}
	tc, challenge, err := tlsSetup(cfg)
	if err != nil || tc == nil || challenge == nil {
		t.Fatalf("acme setup: %v %v %v", tc, challenge, err)
	}
	if tc.MinVersion != tls.VersionTLS12 || tc.GetCertificate == nil {
		t.Fatalf("tls config %+v", tc)
	}
	// The host policy refuses other names before any network access.
	if _, err := tc.GetCertificate(&tls.ClientHelloInfo{ServerName: "evil.example.org"}); err == nil {
		t.Fatal("certificate requested for a foreign host")
	}
	if tc, h, err := tlsSetup(config.Config{}); tc != nil || h != nil || err != nil {
		t.Fatal("plain config must give no TLS")
	}
}

func TestNewLoggerFormatAndLevel(t *testing.T) {
	var b bytes.Buffer
	l := newLogger(config.Config{LogFormat: "json", LogLevel: "warn"}, &b)
	l.Info("hidden")
	l.Warn("shown", "k", "v")
	if strings.Contains(b.String(), "hidden") || !strings.HasPrefix(b.String(), "{") || !strings.Contains(b.String(), `"k":"v"`) {
		t.Fatalf("log %q", b.String())
	}
	b.Reset()
	newLogger(config.Config{LogFormat: "text", LogLevel: "debug"}, &b).Debug("dbg")
	if !strings.Contains(b.String(), "level=DEBUG") {
		t.Fatalf("text log %q", b.String())
	}
}
