// Package ssotest runs a real OpenID provider for tests: zitadel/oidc's
// op package (the protocol: discovery, keys, authorisation with PKCE,
// token and userinfo endpoints) with its example storage and login page,
// on 127.0.0.1. What a test needs to vary and the example does not offer
// (the groups claim, the authentication methods) is added per user.
package ssotest

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// User is an account at the provider.
type User struct {
	ID       string // the subject
	Username string
	Password string
	Email    string
	// Unverified marks the e-mail address as not verified.
	Unverified bool
	First      string
	Last       string
	// Groups go into the ID token as the "groups" claim when the client
	// asks for the groups scope.
	Groups []string
	// AMR are the authentication methods the ID token names; ["pwd"]
	// when empty.
	AMR []string
}

// Client is a client registered at the provider.
type Client struct {
	ID, Secret   string
	RedirectURIs []string
}

// Provider is a running OpenID provider.
type Provider struct {
	// Issuer is http://127.0.0.1:PORT.
	Issuer string
	st     *opStorage
}

// AddClient registers a client, also while the provider runs (a relying
// party whose address is known only once it listens).
func (p *Provider) AddClient(c Client) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	p.st.clients[c.ID] = c
}

// Start runs a provider with these users and clients until the test ends.
func Start(t testing.TB, users []User, clients []Client) *Provider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	quietDefaultLogger()
	st := newStorage(users)
	p := &Provider{Issuer: issuer, st: st}
	for _, c := range clients {
		p.AddClient(c)
	}
	srv := &http.Server{Handler: exampleop.SetupServer(issuer, st, nil, false), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("openid provider: %v", err)
		}
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return p
}

// opStorage is the example storage with per-user groups and
// authentication methods, and clients that can be added at any time.
type opStorage struct {
	*storage.Storage
	users map[string]User

	mu      sync.Mutex
	clients map[string]Client
}

func newStorage(users []User) *opStorage {
	us := userStore{}
	byID := map[string]User{}
	for _, u := range users {
		us[u.ID] = &storage.User{
			ID: u.ID, Username: u.Username, Password: u.Password, FirstName: u.First, LastName: u.Last,
			Email: u.Email, EmailVerified: !u.Unverified, PreferredLanguage: language.English,
		}
		byID[u.ID] = u
	}
	return &opStorage{Storage: storage.NewStorageWithClients(us, map[string]*storage.Client{}), users: byID,
		clients: map[string]Client{}}
}

func (s *opStorage) client(id string) (Client, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	return c, ok
}

// SetUserinfoFromRequest adds the groups claim to ID tokens.
func (s *opStorage) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, ui, req, scopes); err != nil {
		return err
	}
	if u, ok := s.users[req.GetSubject()]; ok && slices.Contains(scopes, "groups") && len(u.Groups) > 0 {
		ui.AppendClaims("groups", u.Groups)
	}
	return nil
}

// AuthRequestByCode gives the request the user's authentication methods,
// which go into the ID token the code is exchanged for.
func (s *opStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	req, err := s.Storage.AuthRequestByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	if u, ok := s.users[req.GetSubject()]; ok && len(u.AMR) > 0 {
		return withAMR{AuthRequest: req, amr: u.AMR}, nil
	}
	return req, nil
}

// GetClientByClientID lets every client ask for the groups scope, which
// the example would drop as unknown.
func (s *opStorage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	c, ok := s.client(id)
	if !ok {
		return nil, errors.New("client not found")
	}
	return groupsClient{storage.WebClient(c.ID, c.Secret, c.RedirectURIs...)}, nil
}

// AuthorizeClientIDSecret checks a client's secret at the token endpoint.
func (s *opStorage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c, ok := s.client(id)
	if !ok || subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		return errors.New("client unknown or secret wrong")
	}
	return nil
}

type groupsClient struct{ op.Client }

func (c groupsClient) IsScopeAllowed(scope string) bool {
	return scope == "groups" || c.Client.IsScopeAllowed(scope)
}

// The example storage recognises its own request type only: hand it
// that one back.
func (s *opStorage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	return s.Storage.CreateAccessToken(ctx, unwrap(req))
}

func (s *opStorage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	return s.Storage.CreateAccessAndRefreshTokens(ctx, unwrap(req), current)
}

type withAMR struct {
	op.AuthRequest
	amr []string
}

func (w withAMR) GetAMR() []string { return w.amr }

func unwrap(req op.TokenRequest) op.TokenRequest {
	if w, ok := req.(withAMR); ok {
		return w.AuthRequest
	}
	return req
}

var quiet sync.Once

// quietDefaultLogger drops slog's default logger below warnings, once per
// test binary: the example provider logs every request there.
func quietDefaultLogger() {
	quiet.Do(func() {
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	})
}

// userStore implements storage.UserStore.
type userStore map[string]*storage.User

func (u userStore) GetUserByID(id string) *storage.User { return u[id] }

func (u userStore) GetUserByUsername(name string) *storage.User {
	for _, x := range u {
		if x.Username == name {
			return x
		}
	}
	return nil
}

func (u userStore) ExampleClientID() string { return storage.ServiceUserID }
