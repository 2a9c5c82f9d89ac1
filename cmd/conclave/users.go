package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/store"
)

func runUserDisable(ctx context.Context, args []string, e env) error {
	return runUserAccess(ctx, "user disable", args, e)
}

func runUserEnable(ctx context.Context, args []string, e env) error {
	return runUserAccess(ctx, "user enable", args, e)
}

func runUserRole(ctx context.Context, args []string, e env) error {
	return runUserAccess(ctx, "user role", args, e)
}

// runUserAccess is user disable, enable and role: the same change as the
// administrators' web page, for an operator who is locked out of it (or
// scripting). The account's sessions are revoked; the last enabled
// administrator cannot be disabled or demoted.
func runUserAccess(ctx context.Context, name string, args []string, e env) error {
	fs := newFlagSet(name, e)
	var cf cliFlags
	cf.register(fs, false)
	email := fs.String("email", "", "e-mail address of the account (required)")
	var role *string
	if name == "user role" {
		role = fs.String("role", "", "new role: "+roleChoices+" (required)")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *email == "" {
		return usageError{name + ": --email is required"}
	}
	if role != nil && !store.Role(*role).Valid() {
		return usageError{name + ": --role must be " + roleChoices}
	}
	norm, err := auth.NormalizeEmail(*email)
	if err != nil {
		return usageError{name + ": --email: " + err.Error()}
	}
	// The account exists already, so must the data dir: never create one.
	cfg, st, err := cf.openExisting(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	auditLog, err := openAuditLog(st, cfg)
	if err != nil {
		return err
	}
	u, err := st.UserByEmail(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no account with e-mail %s", norm)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	newRole, disabled, action := u.Role, u.Disabled, audit.UserRoleChange
	switch name {
	case "user disable":
		disabled, action = true, audit.UserDisable
	case "user enable":
		disabled, action = false, audit.UserEnable
	default:
		newRole = store.Role(*role)
	}
	// No actor: the operator has no account, so the self-disable rule
	// does not apply, but the last-administrator rule (in the store) does.
	accounts := auth.NewAccounts(st, auth.NewHasher(auth.DefaultParams, 1), nil)
	if _, err := accounts.SetAccess(ctx, "", u.ID, newRole, disabled); errors.Is(err, store.ErrLastAdmin) {
		return fmt.Errorf("%s is the last enabled administrator; make another account an administrator first", norm)
	} else if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	details := map[string]string{"role": string(newRole)}
	if newRole != u.Role {
		details["from"] = string(u.Role)
	}
	if err := recordCLI(ctx, auditLog, audit.Event{Action: action, Target: u.ID, Details: details}); err != nil {
		return fmt.Errorf("account %s was changed, but its audit entry could not be written: %w", u.ID, err)
	}
	state := "enabled"
	if disabled {
		state = "disabled"
	}
	fmt.Fprintf(e.stdout, "%s: %s, %s; its sessions were signed out\n", u.ID, newRole, state)
	return nil
}
