package main

import (
	"log/slog"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/sso"
	"github.com/conclave-meet/conclave/internal/throttle"
	"github.com/conclave-meet/conclave/internal/web"
)

// ssoDeps are what single sign-on shares with password sign-in.
type ssoDeps struct {
	sessions *auth.Sessions
	// factors: a sign-in whose provider showed no MFA still owes the
	// account's own second factor.
	factors *auth.Factors
	audit   *audit.Log
	// limiter: failed single sign-ons count with failed passwords, one
	// budget per client address for both.
	limiter *throttle.Limiter
}

// newSSO returns single sign-on for the configured [[oidc]] providers, or
// nil when there are none.
func newSSO(cfg config.Config, st serverStore, d ssoDeps, logger *slog.Logger) (web.SSO, error) {
	if len(cfg.OIDC) == 0 {
		return nil, nil
	}
	svc, err := sso.New(sso.Options{
		Providers: cfg.OIDC, PublicURL: cfg.PublicURL, Secure: cfg.Secure(),
		Users: st, Identities: sso.CredentialIdentities{Store: st}, Factors: d.factors, Sessions: d.sessions,
		Audit: d.audit, Throttle: d.limiter, Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	return svc, nil
}
