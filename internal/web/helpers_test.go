package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/meeting"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
	"github.com/conclave-meet/conclave/internal/testlog"
)

const (
	publicURL = "https://meet.example.org"
	password  = "correct horse battery"
)

var auditKey = []byte("web test audit key, 32 bytes....")

var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

type testEnv struct {
	opts     Options
	store    *sqlite.Store
	srv      *httptest.Server
	log      *testlog.Buffer
	accounts *auth.Accounts
}

// sqliteOf is the test store behind o, whole (Options.Store is only
// what the handler reads directly).
func sqliteOf(o *Options) *sqlite.Store { return o.Store.(*sqlite.Store) }

func newOptions(t *testing.T, st store.Store, log io.Writer) Options {
	t.Helper()
	h := auth.NewHasher(cheap, 2)
	accounts := auth.NewAccounts(st, h, nil)
	logger := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return Options{
		Store:    st,
		Sessions: auth.NewSessions(st, auth.SessionOptions{Logger: logger}),
		Accounts: accounts,
		Setup:    auth.NewSetup(st, accounts, nil),
		Meetings: &meeting.Service{Store: st},
		Audit:    audit.New(st, audit.Options{Key: auditKey}),
		Config:   config.Config{Listen: "127.0.0.1:0", PublicURL: publicURL},
		Logger:   logger,
	}
}

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newTestEnv starts the handler on an httptest server (127.0.0.1).
func newTestEnv(t *testing.T, mod ...func(*Options)) *testEnv {
	t.Helper()
	st := openStore(t)
	log := &testlog.Buffer{}
	opts := newOptions(t, st, log)
	for _, m := range mod {
		m(&opts)
	}
	srv := httptest.NewServer(New(opts))
	t.Cleanup(srv.Close)
	return &testEnv{opts: opts, store: st, srv: srv, log: log, accounts: opts.Accounts}
}

func (e *testEnv) client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

func (e *testEnv) user(t *testing.T, email string, role store.Role) store.User {
	t.Helper()
	u, err := e.accounts.CreateUser(context.Background(), auth.NewUser{Email: email, Name: "User", Password: password, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// signedIn returns a client with a session for a new user.
func (e *testEnv) signedIn(t *testing.T, email string) *http.Client {
	t.Helper()
	e.user(t, email, store.RoleMember)
	c := e.client(t)
	resp := do(t, c, "POST", e.srv.URL+"/api/login", `{"email":"`+email+`","password":"`+password+`"}`)
	expectStatus(t, resp, http.StatusOK)
	return c
}

type response struct {
	*http.Response
	body []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) errorCode(t *testing.T) string {
	t.Helper()
	var e errorBody
	r.json(t, &e)
	if e.Error.Message == "" {
		t.Fatalf("error without message: %s", r.body)
	}
	return e.Error.Code
}

func do(t *testing.T, c *http.Client, method, url, body string, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp, b}
}

func expectStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, want, r.body)
	}
}

func expectError(t *testing.T, r response, status int, code string) {
	t.Helper()
	expectStatus(t, r, status)
	if got := r.errorCode(t); got != code {
		t.Fatalf("error code %q, want %q (%s)", got, code, r.body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error content type %q", ct)
	}
}
