// Package sso is single sign-on with OpenID Connect: the authorisation
// code flow with PKCE (S256), state and nonce, against any number of
// configured providers (config.OIDCProvider). It verifies the ID token
// (coreos/go-oidc), finds the account linked to the identity (or creates
// one when just-in-time creation is on), maps the provider's groups to a
// role, enforces the provider's MFA when required, audits every outcome
// and starts a session. docs/security.md, "Single sign-on", is the
// reference.
package sso

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/throttle"
)

// Users is what sign-in needs of the accounts.
type Users interface {
	UserByID(ctx context.Context, id string) (store.User, error)
	UserByEmail(ctx context.Context, email string) (store.User, error)
	CreateUser(ctx context.Context, u store.User) error
	RecordLogin(ctx context.Context, userID string, at time.Time) error
	SetAccess(ctx context.Context, userID string, role store.Role, disabled bool, at time.Time) error
}

// SecondFactors tells what second factors an account has and whether
// its role requires one (auth.Factors).
type SecondFactors interface {
	Status(ctx context.Context, u store.User) (auth.FactorStatus, error)
}

// Options are the dependencies of a Service.
type Options struct {
	Providers []config.OIDCProvider
	// PublicURL is the origin the browser reaches the server at; the
	// redirect URI registered at each provider is
	// PublicURL/auth/oidc/NAME/callback.
	PublicURL string
	// Secure sets the binding cookie's Secure attribute.
	Secure     bool
	Users      Users
	Identities Identities
	// Factors are the accounts' own second factors (auth.Factors); nil
	// when there are none to ask for.
	Factors  SecondFactors
	Sessions *auth.Sessions
	Audit    *audit.Log
	// Throttle counts failed sign-ins per client address: the password
	// sign-in's limiter, so that both methods share one budget.
	Throttle *throttle.Limiter
	Logger   *slog.Logger
	// HTTPClient talks to the providers (discovery, keys, token,
	// userinfo); a client with a 10 s timeout when nil.
	HTTPClient *http.Client
	Now        func() time.Time
}

// Service serves the sign-in routes under /auth/oidc/.
type Service struct {
	opts      Options
	providers map[string]*provider
	order     []string
	flows     *flowStore
	mux       *http.ServeMux
}

// New returns a Service for the configured providers; it reads client
// secret files but contacts no provider yet.
func New(o Options) (*Service, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Throttle == nil {
		o.Throttle = throttle.NewLogin(nil)
	}
	s := &Service{opts: o, providers: map[string]*provider{}, flows: newFlowStore(o.Now), mux: http.NewServeMux()}
	for _, pc := range o.Providers {
		p, err := newProvider(pc, o.PublicURL, o.HTTPClient)
		if err != nil {
			return nil, err
		}
		s.providers[pc.Name] = p
		s.order = append(s.order, pc.Name)
	}
	s.mux.HandleFunc("GET /auth/oidc/{provider}/login", s.login)
	s.mux.HandleFunc("GET /auth/oidc/{provider}/callback", s.callback)
	return s, nil
}

// ProviderInfo is a provider as the sign-in page lists it.
type ProviderInfo struct {
	Name  string `json:"name"`
	Label string `json:"label"`
}

// Providers lists the configured providers in configuration order.
func (s *Service) Providers() []ProviderInfo {
	out := make([]ProviderInfo, 0, len(s.order))
	for _, name := range s.order {
		out = append(out, ProviderInfo{Name: name, Label: s.providers[name].cfg.Label()})
	}
	return out
}

// ServeHTTP serves GET /auth/oidc/{provider}/login and /callback.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Nothing here may be cached: each answer starts or ends one sign-in.
	w.Header().Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
}

// auditTimeout bounds an audit write, which does not inherit the
// request's cancellation (a client that hangs up must not keep an entry
// out of the log).
const auditTimeout = 10 * time.Second

func (s *Service) appendAudit(r *http.Request, ev audit.Event) error {
	ev.ClientAddr = clientAddr(r)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), auditTimeout)
	defer cancel()
	if _, err := s.opts.Audit.Append(ctx, ev); err != nil {
		return fmt.Errorf("sso: audit %s: %w", ev.Action, err)
	}
	return nil
}

// auditOrLog records an entry whose loss must not change the answer (a
// refusal); a lost entry is logged.
func (s *Service) auditOrLog(r *http.Request, ev audit.Event) {
	if err := s.appendAudit(r, ev); err != nil {
		s.opts.Logger.ErrorContext(r.Context(), "audit write failed", "action", string(ev.Action), "err", err)
	}
}

// clientAddr is the peer's IP address (forwarded headers are not
// trusted), as package web reads it.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	return ip.Unmap().WithZone("").String()
}

// Linked lists the account's linked identities.
func (s *Service) Linked(ctx context.Context, userID string) ([]LinkedIdentity, error) {
	return s.opts.Identities.Linked(ctx, userID)
}
