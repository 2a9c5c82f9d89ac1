package audit

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestFileSinkAppendsAndReadsBack(t *testing.T) {
	ctx := context.Background()
	l, _ := newMemLog(t, 2)
	path := filepath.Join(t.TempDir(), "heads")
	h2 := sealedHead(t, l)
	s, err := OpenFileSink(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Publish(ctx, h2); err != nil {
		t.Fatal(err)
	}
	s.Close()
	appendN(t, l, 1)
	h3 := sealedHead(t, l)
	s, err = OpenFileSink(path) // a restart appends, never truncates
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Publish(ctx, h3); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", fi, err)
	}
	p, err := l.ReadHeadFile(path)
	if err != nil || len(p.Heads) != 2 || p.Newest.String() != h3.String() {
		t.Fatalf("read back %+v %v", p, err)
	}
	if !strings.Contains(s.Name(), path) {
		t.Fatalf("name %q", s.Name())
	}
	if _, err := OpenFileSink(filepath.Join(t.TempDir(), "absent", "heads")); err == nil {
		t.Fatal("opened a file in a missing directory")
	}
}

func TestWebhookSinkPostsJSON(t *testing.T) {
	l, _ := newMemLog(t, 2)
	h := sealedHead(t, l)
	got := make(chan headJSON, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body headJSON
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" ||
			json.NewDecoder(r.Body).Decode(&body) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		got <- body
	}))
	defer srv.Close()
	s, err := NewWebhookSink(srv.URL + "/hook?token=s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Publish(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	b := <-got
	if b.Seq != 2 || b.Anchor != h.String() || !b.Time.Equal(h.Time) || len(b.Hash) != 64 || len(b.Seal) != 64 {
		t.Fatalf("body %+v", b)
	}
	if strings.Contains(s.Name(), "s3cret") {
		t.Fatalf("name %q", s.Name())
	}
}

// TestWebhookSinkFailures: a refusal, a redirect and a dead receiver are
// errors, and none of them quotes the URL with its token.
func TestWebhookSinkFailures(t *testing.T) {
	l, _ := newMemLog(t, 1)
	h := sealedHead(t, l)
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("redirect followed")
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/moved") {
			http.Redirect(w, r, other.URL, http.StatusTemporaryRedirect)
			return
		}
		w.WriteHeader(http.StatusForbidden)
	}))
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	for _, u := range []string{srv.URL + "/hook?token=s3cret", srv.URL + "/moved?token=s3cret", dead.URL + "/?token=s3cret"} {
		s, err := NewWebhookSink(u)
		if err != nil {
			t.Fatal(err)
		}
		err = s.Publish(context.Background(), h)
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: %v", u, err)
		}
	}
	srv.Close()
	for _, bad := range []string{"", "ftp://x/", "/relative", "http://"} {
		if _, err := NewWebhookSink(bad); err == nil {
			t.Errorf("NewWebhookSink(%q) accepted", bad)
		}
	}
}

func TestSyslogSink(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no syslog")
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	l, _ := newMemLog(t, 2)
	h := sealedHead(t, l)
	s, err := DialSyslogSink("udp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Publish(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 2048)
	n, _, err := pc.ReadFrom(buf)
	if err != nil && err != io.EOF {
		t.Fatal(err)
	}
	msg := string(buf[:n])
	if !strings.Contains(msg, "conclave") || !strings.HasSuffix(strings.TrimSpace(msg), "audit head anchor="+h.String()) {
		t.Fatalf("syslog message %q", msg)
	}
}
