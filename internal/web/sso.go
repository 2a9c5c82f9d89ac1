package web

import (
	"context"
	"net/http"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/sso"
)

// SSO is single sign-on (package sso): it serves GET
// /auth/oidc/{provider}/login and /callback itself, and tells the sign-in
// page which providers to offer and the account page which identities
// are linked.
type SSO interface {
	http.Handler
	Providers() []sso.ProviderInfo
	Linked(ctx context.Context, userID string) ([]sso.LinkedIdentity, error)
}

func (s *server) ssoRoutes(mux *http.ServeMux) {
	route(mux, "/api/auth/providers", methods{"GET": s.ssoProviders})
	if s.SSO == nil {
		return
	}
	route(mux, "/api/me/identities", methods{"GET": s.ssoIdentities})
	// Browser navigations, not API calls: outside route()'s JSON checks.
	mux.Handle("GET /auth/oidc/{provider}/login", s.SSO)
	mux.Handle("GET /auth/oidc/{provider}/callback", s.SSO)
}

// ssoProviders lists the providers the sign-in page offers; it is public,
// like the page.
func (s *server) ssoProviders(w http.ResponseWriter, _ *http.Request) {
	providers := []sso.ProviderInfo{}
	if s.SSO != nil {
		providers = s.SSO.Providers()
	}
	writeJSON(w, http.StatusOK, map[string]any{"providers": providers})
}

// ssoIdentities lists the signed-in person's linked identities.
func (s *server) ssoIdentities(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.SelfService, audit.DataExport)
	if !ok {
		return
	}
	linked, err := s.SSO.Linked(r.Context(), u.ID)
	if err != nil {
		s.internalError(w, r, "linked identities", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"identities": linked, "providers": s.SSO.Providers()})
}
