package endpoint

import (
	"crypto/tls"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckAllowsOnlyEncryptedOrLoopback(t *testing.T) {
	for _, ok := range []string{"https://gpu1.example.org:8178", "http://127.0.0.1:8178", "http://localhost:8178/",
		"http://[::1]:8178", "http://127.0.0.2", "https://10.0.0.5"} {
		if _, err := Check(ok, "https", "http"); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for raw, want := range map[string]string{
		"http://gpu1.example.org:8178":  "in clear",
		"http://10.0.0.5:8178":          "in clear",
		"http://0.0.0.0:8178":           "in clear",
		"ftp://gpu1.example.org":        "scheme must be https",
		"gpu1.example.org:8178":         "scheme must be https",
		"https://":                      "no host",
		"https://user:secret@gpu1/":     "token file",
		"http://localhost.evil.org:80/": "in clear",
	} {
		_, err := Check(raw, "https", "http")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", raw, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error shows the password: %v", raw, err)
		}
	}
	if _, err := Check("ws://gpu1:9000", "wss", "ws"); err == nil || !strings.Contains(err.Error(), "use wss://") {
		t.Errorf("ws to another host: %v", err)
	}
}

func TestLoopbackAddr(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:9000": true, "[::1]:9000": true, "localhost:9000": true,
		":9000": false, "0.0.0.0:9000": false, "192.168.1.2:9000": false, "nonsense": false} {
		if got := LoopbackAddr(addr); got != want {
			t.Errorf("%s: %v", addr, got)
		}
	}
}

// TestTLSConfigTrustsTheCAFile: a server with a certificate no system
// root signed is trusted with its certificate as the CA file, and not
// without.
func TestTLSConfigTrustsTheCAFile(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	get := func(cfg *tls.Config) error {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
		resp, err := c.Get(srv.URL)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	plain, err := TLSConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if get(plain) == nil {
		t.Fatal("an unknown certificate was trusted")
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	withCA, err := TLSConfig(ca)
	if err != nil {
		t.Fatal(err)
	}
	if err := get(withCA); err != nil {
		t.Fatalf("with the CA file: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	_ = os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if _, err := TLSConfig(bad); err == nil {
		t.Fatal("a CA file without a certificate was accepted")
	}
	if _, err := TLSConfig(filepath.Join(t.TempDir(), "missing.pem")); err == nil {
		t.Fatal("a missing CA file was accepted")
	}
}

func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "token")
	_ = os.WriteFile(good, []byte("  s3cret-token \nignored\n"), 0o600)
	if tok, err := ReadToken(good); err != nil || tok != "s3cret-token" {
		t.Fatalf("%q %v", tok, err)
	}
	empty := filepath.Join(dir, "empty")
	_ = os.WriteFile(empty, []byte("\n"), 0o600)
	if _, err := ReadToken(empty); err == nil {
		t.Fatal("an empty token was accepted")
	}
	if tok, err := ReadToken(""); tok != "" || err != nil {
		t.Fatalf("no file: %q %v", tok, err)
	}
	if _, err := ReadToken(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing file was accepted")
	}
}
