package release

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const feedBody = `{"releases":[
 {"version":"1.4.0","date":"2026-09-01","url":"https://conclave.example.org/notes/1.4.0"},
 {"version":"v1.5.0","date":"2026-11-30","url":"https://conclave.example.org/notes/1.5.0","security":true,"channel":"stable"}
]}`

// feedServer serves body on 127.0.0.1 and records each request.
func feedServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, func() []*http.Request) {
	t.Helper()
	var mu sync.Mutex
	var seen []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Clone(context.Background()))
		mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []*http.Request {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

func serve(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}
}

func fetcher(t *testing.T, url string, timeout time.Duration) *Fetcher {
	t.Helper()
	f, err := NewFetcher(url, timeout)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestFetchSendsNothingAboutTheInstallation: the request is a GET of the
// configured URL with exactly two headers, and a cookie the feed sets is
// never sent back.
func TestFetchSendsNothingAboutTheInstallation(t *testing.T) {
	srv, seen := feedServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "track", Value: "you"})
		serve(feedBody)(w, r)
	})
	f := fetcher(t, srv.URL+"/feed.json?token=s3cret", 0)
	for range 2 {
		rs, err := f.Fetch(context.Background())
		if err != nil || len(rs) != 2 {
			t.Fatalf("fetch: %v %v", rs, err)
		}
	}
	reqs := seen()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	for _, r := range reqs {
		if r.Method != http.MethodGet || r.URL.Path != "/feed.json" || r.URL.RawQuery != "token=s3cret" || r.ContentLength > 0 {
			t.Errorf("request %s %s, length %d", r.Method, r.URL, r.ContentLength)
		}
		want := http.Header{"User-Agent": {"Conclave"}, "Accept": {"application/json"}}
		if !equalHeaders(r.Header, want) {
			t.Errorf("headers %v, want exactly %v", r.Header, want)
		}
	}
	if f.Host() != strings.TrimPrefix(srv.URL, "http://") {
		t.Errorf("Host() = %q", f.Host())
	}
}

func equalHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestFetchParses(t *testing.T) {
	srv, _ := feedServer(t, serve(feedBody))
	rs, err := fetcher(t, srv.URL, 0).Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := rs[1]
	if got.Version != "v1.5.0" || got.Date != "2026-11-30" || got.URL != "https://conclave.example.org/notes/1.5.0" ||
		!got.Security || got.parsed.String() != "1.5.0" || rs[0].Security {
		t.Fatalf("got %+v", rs)
	}
}

// TestFetchFailures: every way a feed can be wrong is an error that says
// why, and none quotes the URL's query.
func TestFetchFailures(t *testing.T) {
	big := `{"releases":[{"version":"1.5.0"}],"pad":"` + strings.Repeat("x", MaxFeedSize) + `"}`
	cases := map[string]struct {
		h    http.HandlerFunc
		want string
	}{
		"not JSON":      {serve("<html>moved</html>"), "not a release feed"},
		"wrong shape":   {serve(`{"releases":{"version":"1.5.0"}}`), "not a release feed"},
		"no releases":   {serve(`{"releases":[]}`), "no release"},
		"no versions":   {serve(`{"releases":[{"version":"latest"},{"version":"1.5"}]}`), "no release"},
		"too large":     {serve(big), "larger than 64 KiB"},
		"status":        {func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "gone", http.StatusNotFound) }, "status 404"},
		"redirect":      {func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) }, "status 302"},
		"server closes": {func(w http.ResponseWriter, _ *http.Request) { panic(http.ErrAbortHandler) }, "EOF"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv, seen := feedServer(t, tc.h)
			_, err := fetcher(t, srv.URL+"/feed?token=s3cret", 0).Fetch(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), srv.URL) {
				t.Fatalf("error quotes the URL: %v", err)
			}
			if n := len(seen()); n != 1 {
				t.Fatalf("%d requests, want 1 (redirects are not followed)", n)
			}
		})
	}
}

func TestFetchLimitIsInclusive(t *testing.T) {
	body := `{"releases":[{"version":"1.5.0"}]}`
	body += strings.Repeat(" ", MaxFeedSize-len(body))
	srv, _ := feedServer(t, serve(body))
	if _, err := fetcher(t, srv.URL, 0).Fetch(context.Background()); err != nil {
		t.Fatalf("a feed of exactly %d bytes: %v", MaxFeedSize, err)
	}
}

// TestFetchTimeout: a feed that never answers is given up after the
// timeout; one that stops halfway too.
func TestFetchTimeout(t *testing.T) {
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	wait := func(r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-hang:
		}
	}
	silent, _ := feedServer(t, func(_ http.ResponseWriter, r *http.Request) { wait(r) })
	stalled, _ := feedServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		_, _ = w.Write([]byte(`{"releases":[`))
		w.(http.Flusher).Flush()
		wait(r)
	})
	for name, srv := range map[string]*httptest.Server{"silent": silent, "stalled": stalled} {
		_, err := fetcher(t, srv.URL+"?token=s3cret", 50*time.Millisecond).Fetch(context.Background())
		if err == nil || !strings.Contains(err.Error(), "within 50ms") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s feed: err = %v", name, err)
		}
	}
}

func TestParseFeedDropsWhatItCannotShow(t *testing.T) {
	rs, err := ParseFeed([]byte(`{"releases":[
		{"version":"1.5.0","date":"30.11.2026","url":"javascript:alert(1)"},
		{"version":"1.5.1","url":"/notes"},
		{"version":"not a version","url":"https://conclave.example.org/"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Date != "" || rs[0].URL != "" || rs[1].URL != "" {
		t.Fatalf("got %+v", rs)
	}
}

func TestCheckURL(t *testing.T) {
	for _, ok := range []string{"https://releases.example.org/conclave.json", "https://releases.example.org/f?token=x",
		"http://127.0.0.1:8000/feed.json", "http://localhost/feed", "http://[::1]:9/feed"} {
		if err := CheckURL(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://releases.example.org/f?token=s3cret", "ftp://releases.example.org/f?token=s3cret",
		"releases.example.org/f?token=s3cret", "https:///f?token=s3cret", "https://me:s3cret@releases.example.org/f", "::"} {
		err := CheckURL(bad)
		if err == nil || !strings.Contains(err.Error(), "release_feed") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: %v", bad, err)
		}
		if _, err := NewFetcher(bad, 0); err == nil {
			t.Errorf("NewFetcher(%s) accepted it", bad)
		}
	}
}
