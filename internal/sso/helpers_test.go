package sso_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/sso"
	"github.com/conclave-meet/conclave/internal/sso/ssotest"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
	"github.com/conclave-meet/conclave/internal/testlog"
	"github.com/conclave-meet/conclave/internal/web"
)

// The provider's users. Alice is in the admins group, Dora the privacy
// officers, Max in none; Otto signs in with a one-time code besides his
// password.
var (
	alice = ssotest.User{ID: "sub-alice", Username: "alice", Password: "alice-pass", Email: "alice@example.org",
		First: "Alice", Last: "Doe", Groups: []string{"staff", "conclave-admins"}}
	dora = ssotest.User{ID: "sub-dora", Username: "dora", Password: "dora-pass", Email: "dora@example.org",
		First: "Dora", Last: "Poe", Groups: []string{"dpo"}}
	maxu = ssotest.User{ID: "sub-max", Username: "max", Password: "max-pass", Email: "max@example.org",
		First: "Max", Last: "Moe"}
	otto = ssotest.User{ID: "sub-otto", Username: "otto", Password: "otto-pass", Email: "otto@example.org",
		First: "Otto", Last: "Roe", AMR: []string{"pwd", "otp"}}
)

const secret = "client secret of the test relying party"

// env is Conclave (the real web handler with single sign-on) in front of
// a real OpenID provider.
type env struct {
	base     string
	op       *ssotest.Provider
	store    *sqlite.Store
	audit    *audit.Log
	tamper   *tamper
	log      *testlog.Buffer
	mod      []func(*sso.Options)
	accounts *auth.Accounts
}

// newEnv configures these providers, all at one OpenID provider: "corp"
// (just-in-time accounts, groups mapped to roles), "strict" (no
// just-in-time accounts) and "mfa" (requires MFA). Each has its own
// client; "other" is a client of someone else's application.
func newEnv(t *testing.T, mod ...func(*sso.Options)) *env {
	t.Helper()
	e := &env{tamper: &tamper{base: http.DefaultTransport}, log: &testlog.Buffer{}, mod: mod}
	var handler http.Handler
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	e.base = "http://" + srv.Listener.Addr().String()
	cb := func(name string) string { return e.base + "/auth/oidc/" + name + "/callback" }
	e.op = ssotest.Start(t, []ssotest.User{alice, dora, maxu, otto}, []ssotest.Client{
		{ID: "conclave-corp", Secret: secret, RedirectURIs: []string{cb("corp")}},
		{ID: "conclave-strict", Secret: secret, RedirectURIs: []string{cb("strict")}},
		{ID: "conclave-mfa", Secret: secret, RedirectURIs: []string{cb("mfa")}},
		{ID: "other", Secret: secret, RedirectURIs: []string{"http://127.0.0.1:1/other/callback"}},
	})
	handler = e.handler(t)
	srv.Start()
	t.Cleanup(srv.Close)
	return e
}

func (e *env) providers() []config.OIDCProvider {
	return []config.OIDCProvider{
		{Name: "corp", DisplayName: "Corp SSO", Issuer: e.op.Issuer, ClientID: "conclave-corp", ClientSecret: secret,
			Scopes: []string{"groups"}, RoleClaim: "groups", JIT: true,
			Roles: map[string]string{"conclave-admins": "admin", "dpo": "privacy_officer"}},
		{Name: "strict", Issuer: e.op.Issuer, ClientID: "conclave-strict", ClientSecret: secret},
		{Name: "mfa", Issuer: e.op.Issuer, ClientID: "conclave-mfa", ClientSecret: secret, JIT: true, RequireMFA: true},
	}
}

func (e *env) handler(t *testing.T) http.Handler {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.store = st
	logger := slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.audit = audit.New(st, audit.Options{Key: []byte("sso test audit key, 32 bytes....")})
	sessions := auth.NewSessions(st, auth.SessionOptions{Logger: logger})
	opts := sso.Options{
		Providers: e.providers(), PublicURL: e.base, Users: st,
		Identities: sso.CredentialIdentities{Store: st}, Sessions: sessions, Audit: e.audit, Logger: logger,
		HTTPClient: &http.Client{Transport: e.tamper},
	}
	for _, m := range e.mod {
		m(&opts)
	}
	svc, err := sso.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.accounts = auth.NewAccounts(st, auth.NewHasher(auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 2), nil)
	return web.New(web.Options{
		Store: st, Sessions: sessions, Accounts: e.accounts, Audit: e.audit, Logger: logger, SSO: svc,
		Config: config.Config{Listen: "127.0.0.1:0", PublicURL: e.base},
	})
}

// browser is a fresh cookie jar.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

// authorize starts a sign-in with provider in b and signs in at the
// provider as u; it returns the callback URL, not yet visited.
func (e *env) authorize(t *testing.T, b *http.Client, provider string, u ssotest.User) *url.URL {
	t.Helper()
	return e.authorizeAt(t, b, e.base+"/auth/oidc/"+provider+"/login", u)
}

// authorizeAt is authorize from a login URL (with ?link=1, say).
func (e *env) authorizeAt(t *testing.T, b *http.Client, login string, u ssotest.User) *url.URL {
	t.Helper()
	to, err := e.op.AuthorizeVia(b, login)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := e.op.Authorize(b, to.String(), u.Username, u.Password)
	if err != nil {
		t.Fatal(err)
	}
	return cb
}

// finish visits the callback and returns where Conclave sends the browser.
func finish(t *testing.T, b *http.Client, cb *url.URL) string {
	t.Helper()
	c := *b
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(cb.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("callback: status %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// signIn runs the whole flow and returns where it ends.
func (e *env) signIn(t *testing.T, b *http.Client, provider string, u ssotest.User) string {
	t.Helper()
	return finish(t, b, e.authorize(t, b, provider, u))
}

type me struct {
	User struct {
		ID, Email, Name, Role string
	} `json:"user"`
}

// me returns the signed-in user, or false.
func (e *env) me(t *testing.T, b *http.Client) (me, bool) {
	t.Helper()
	resp, err := b.Get(e.base + "/api/me")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m me
	if resp.StatusCode != http.StatusOK {
		return m, false
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m, true
}

// lastEntry returns the newest audit entry with action.
func (e *env) lastEntry(t *testing.T, action audit.Action) store.AuditEntry {
	t.Helper()
	entries, err := e.store.AuditEntries(context.Background(), store.AuditFilter{Action: string(action), Newest: true, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatalf("no %s entry", action)
	}
	return entries[0]
}

// tamper stands between Conclave and the provider's token endpoint: it
// remembers the last ID token and, when told, hands Conclave another one
// instead (a real token of the same provider, as an attacker who
// injects a stolen token would).
type tamper struct {
	base http.RoundTripper
	mu   sync.Mutex
	last string
	swap string
}

func (tp *tamper) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := tp.base.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/token") || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	tp.mu.Lock()
	tp.last, _ = m["id_token"].(string)
	if tp.swap != "" {
		m["id_token"], tp.swap = tp.swap, ""
	}
	tp.mu.Unlock()
	body, _ = json.Marshal(m)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

func (tp *tamper) lastIDToken() string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.last
}

func (tp *tamper) swapNext(idToken string) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	tp.swap = idToken
}
