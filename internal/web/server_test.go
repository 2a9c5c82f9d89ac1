package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testlog"
)

func TestHealthz(t *testing.T) {
	e := newTestEnv(t)
	r := do(t, e.client(t), "GET", e.srv.URL+"/healthz", "")
	expectStatus(t, r, 200)
	if strings.TrimSpace(string(r.body)) != `{"status":"ok"}` {
		t.Fatalf("body %s", r.body)
	}
	e.store.Close()
	r = do(t, e.client(t), "GET", e.srv.URL+"/healthz", "")
	expectStatus(t, r, http.StatusServiceUnavailable)
}

func TestSecurityHeadersEverywhere(t *testing.T) {
	e := newTestEnv(t)
	c := e.client(t)
	for _, path := range []string{"/", "/login", "/m/k3m9-x2qa-7hvt-p4dz", "/static/app.js", "/api/me", "/nope", "/healthz", "/ws"} {
		r := do(t, c, "GET", e.srv.URL+path, "")
		h := r.Header
		csp := contentSecurityPolicy
		if strings.HasPrefix(path, "/m/") {
			csp = meetingPagePolicy
		}
		checks := map[string]string{
			"Content-Security-Policy":    csp,
			"X-Content-Type-Options":     "nosniff",
			"Referrer-Policy":            "no-referrer",
			"Permissions-Policy":         "camera=(self), microphone=(self), display-capture=(self), geolocation=()",
			"Cross-Origin-Opener-Policy": "same-origin",
		}
		for k, want := range checks {
			if got := h.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", path, k, got, want)
			}
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS without TLS", path)
		}
	}
	if !strings.Contains(contentSecurityPolicy, "default-src 'self'") || !strings.Contains(contentSecurityPolicy, "frame-ancestors 'none'") {
		t.Fatal("CSP lost its core directives")
	}
}

func TestHSTSWithTLS(t *testing.T) {
	opts := newOptions(t, openStore(t), &testlog.Buffer{})
	opts.Config.TLSCert, opts.Config.TLSKey = "c.pem", "k.pem"
	rec := httptest.NewRecorder()
	New(opts).ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if got := rec.Header().Get("Strict-Transport-Security"); got != hsts {
		t.Fatalf("HSTS %q", got)
	}
}

func TestCrossOriginPOSTRefused(t *testing.T) {
	e := newTestEnv(t)
	e.user(t, "a@example.org", store.RoleMember)
	c := e.client(t)
	login := `{"email":"a@example.org","password":"` + password + `"}`
	refused := [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
		{"Origin", "https://evil.example"},
	}
	for _, h := range refused {
		for _, path := range []string{"/api/login", "/api/logout", "/api/meetings", "/api/setup"} {
			r := do(t, c, "POST", e.srv.URL+path, login, h...)
			expectError(t, r, http.StatusForbidden, "forbidden")
			if len(r.Cookies()) != 0 {
				t.Fatalf("%v %s set a cookie", h, path)
			}
		}
	}
	expectStatus(t, do(t, c, "POST", e.srv.URL+"/api/login", login, "Sec-Fetch-Site", "same-origin"), http.StatusOK)
	expectStatus(t, do(t, c, "POST", e.srv.URL+"/api/login", login, "Origin", e.srv.URL), http.StatusOK)
	// Safe methods are not state-changing and stay allowed.
	expectStatus(t, do(t, c, "GET", e.srv.URL+"/api/me", "", "Sec-Fetch-Site", "cross-site"), http.StatusOK)
}

func TestBodyTooLarge(t *testing.T) {
	e := newTestEnv(t)
	c := e.signedIn(t, "a@example.org")
	big := `{"title":"` + strings.Repeat("x", MaxBodyBytes) + `"}`
	for _, path := range []string{"/api/meetings", "/api/login", "/api/setup"} {
		expectError(t, do(t, c, "POST", e.srv.URL+path, big), http.StatusRequestEntityTooLarge, "too_large")
	}
	// Without Content-Length (chunked) the limit applies while reading.
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/meetings", struct{ *strings.Reader }{strings.NewReader(big)})
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || req.ContentLength != 0 {
		t.Fatalf("chunked: status %d (content length %d)", resp.StatusCode, req.ContentLength)
	}
	// Just under the limit is fine as far as size goes (the title is too long).
	ok := `{"title":"` + strings.Repeat("x", MaxBodyBytes-20) + `"}`
	expectError(t, do(t, c, "POST", e.srv.URL+"/api/meetings", ok), http.StatusBadRequest, "bad_request")
}

func TestWebsocketThroughMiddleware(t *testing.T) {
	ws := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		typ, msg, err := conn.Read(r.Context())
		if err == nil {
			conn.Write(r.Context(), typ, msg)
		}
	})
	e := newTestEnv(t, func(o *Options) { o.WS = ws })
	ctx := context.Background()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatalf("dial through middleware: %v", err)
	}
	defer conn.CloseNow()
	if err := conn.Write(ctx, websocket.MessageText, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	_, msg, err := conn.Read(ctx)
	if err != nil || string(msg) != "ping" {
		t.Fatalf("echo %q %v", msg, err)
	}
	conn.Close(websocket.StatusNormalClosure, "")
}

func TestWebsocketUnavailableWithoutHandler(t *testing.T) {
	e := newTestEnv(t)
	expectError(t, do(t, e.client(t), "GET", e.srv.URL+"/ws", ""), http.StatusServiceUnavailable, "unavailable")
}

func TestAccessLogOmitsSecrets(t *testing.T) {
	e := newTestEnv(t)
	c := e.signedIn(t, "a@example.org")
	m := createMeeting(t, c, e.srv.URL, `{"title":"Secret plans"}`)
	do(t, c, "GET", e.srv.URL+"/m/"+m.ID+"?pwd="+m.Passcode, "")
	do(t, c, "GET", e.srv.URL+"/api/me?token=querysecret", "")
	u, _ := http.NewRequest("GET", e.srv.URL, nil)
	cookie := c.Jar.Cookies(u.URL)[0].Value
	log := e.log.String()
	for _, secret := range []string{m.ID, m.Passcode, "querysecret", cookie, password, "Secret plans", "127.0.0.1"} {
		if strings.Contains(log, secret) {
			t.Errorf("log contains %q:\n%s", secret, log)
		}
	}
	for _, want := range []string{`route="GET /m/{id}"`, `route="GET /api/me"`, "status=200", `route="POST /api/login"`, "duration_ms="} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
}

// failingStore makes the meeting list fail to exercise the 500 path.
type failingStore struct{ store.Store }

func (failingStore) MeetingsByHost(context.Context, string) ([]store.Meeting, error) {
	return nil, errors.New("disk I/O error at /var/lib/secret-path")
}

func TestInternalErrorsStayInTheLog(t *testing.T) {
	st := openStore(t)
	log := &testlog.Buffer{}
	opts := newOptions(t, st, log)
	opts.Meetings.Store = failingStore{st}
	srv := httptest.NewServer(New(opts))
	defer srv.Close()
	e := &testEnv{opts: opts, store: st, srv: srv, log: log, accounts: opts.Accounts}
	c := e.signedIn(t, "a@example.org")
	r := do(t, c, "GET", srv.URL+"/api/meetings", "")
	expectError(t, r, 500, "internal")
	if strings.Contains(string(r.body), "secret-path") {
		t.Fatalf("internal detail leaked: %s", r.body)
	}
	if !strings.Contains(log.String(), "secret-path") {
		t.Fatal("internal error not logged")
	}
}

func TestSessionCookieUsableBySignalling(t *testing.T) {
	// The websocket handler resolves users through the same Sessions.
	var sessions *auth.Sessions
	ws := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, ok := sessions.UserFromRequest(r); ok {
			w.Write([]byte(u.Email))
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	})
	e := newTestEnv(t, func(o *Options) { o.WS = ws; sessions = o.Sessions })
	c := e.signedIn(t, "a@example.org")
	r := do(t, c, "GET", e.srv.URL+"/ws", "")
	if r.StatusCode != 200 || string(r.body) != "a@example.org" {
		t.Fatalf("ws saw %d %s", r.StatusCode, r.body)
	}
}
