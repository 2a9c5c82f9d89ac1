package main

import (
	"fmt"
	"log/slog"

	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/password"
	"github.com/conclave-meet/conclave/internal/store"
)

// newAccountSecurity builds the accounts (with the operator's
// breached-password list, if any), the sessions with the configured
// timeouts, and the second factors each role requires (config mfa_roles;
// docs/security.md, "Accounts").
func newAccountSecurity(cfg config.Config, st serverStore, hasher *auth.Hasher, logger *slog.Logger) (*auth.Accounts, *auth.Sessions, *auth.Factors, error) {
	accounts := auth.NewAccounts(st, hasher, nil)
	if err := setBreachedList(cfg, accounts); err != nil {
		return nil, nil, nil, err
	}
	idle := cfg.SessionIdle
	if idle == 0 {
		idle = -1 // configured off
	}
	sessions := auth.NewSessions(st, auth.SessionOptions{Secure: cfg.Secure(), Logger: logger,
		TTL: cfg.SessionLifetime, Idle: idle, PasswordMaxAge: cfg.PasswordMaxAge})
	var required []store.Role
	for _, r := range cfg.MFARoles.Roles() {
		required = append(required, store.Role(r))
	}
	// Passkeys' relying party ID is the public URL's host (docs/security.md,
	// "Passkeys"); an address without a domain name leaves them off.
	factors := auth.NewFactors(st, auth.FactorOptions{Issuer: "Conclave", Required: required,
		Passkeys: auth.PasskeyOptions{PublicURL: cfg.PublicURL}})
	if !factors.PasskeysEnabled() {
		logger.Info("passkeys are off: the public URL names no domain", "public_url", cfg.PublicURL)
	}
	return accounts, sessions, factors, nil
}

// setBreachedList opens config breached_passwords, when set, for accounts.
func setBreachedList(cfg config.Config, accounts *auth.Accounts) error {
	if cfg.BreachedPasswords == "" {
		return nil
	}
	list, err := password.OpenBreached(cfg.BreachedPasswords)
	if err != nil {
		return fmt.Errorf("breached_passwords: %w", err)
	}
	accounts.SetBreachedList(list)
	return nil
}
