package privacy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// SessionStore is what the session kind reads and erases.
type SessionStore interface {
	SessionsByUser(ctx context.Context, userID string) ([]store.Session, error)
	DeleteUserSessions(ctx context.Context, userID string) (int, error)
}

// SessionKind is an account's login sessions.
type SessionKind struct{ Store SessionStore }

// Declare implements Kind.
func (SessionKind) Declare() Declaration {
	return Declaration{
		Name:        "session",
		Category:    CatAccount,
		Description: "Login sessions of an account: when each began and when it expires.",
		Purpose:     "Keep the person signed in between requests.",
		LegalBasis:  Contract,
		Storage:     "table sessions",
		Fields:      []string{"account ID (plain)", "SHA-256 of the session cookie", "created (plain)", "expires (plain)"},
	}
}

type sessionRecord struct {
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Export implements Kind. The token hash is left out: it is a credential
// check, not information about the person.
func (k SessionKind) Export(ctx context.Context, s Subject) ([]Item, error) {
	if !strings.HasPrefix(s.ID, "u_") {
		return nil, nil // guests have no sessions
	}
	ss, err := k.Store.SessionsByUser(ctx, s.ID)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	items := make([]Item, 0, len(ss))
	for _, sess := range ss {
		items = append(items, Item{Record: sessionRecord{CreatedAt: sess.CreatedAt, ExpiresAt: sess.ExpiresAt}})
	}
	return items, nil
}

// Erase implements Kind: it signs the person out everywhere.
func (k SessionKind) Erase(ctx context.Context, s Subject) (Erased, error) {
	if !strings.HasPrefix(s.ID, "u_") {
		return Erased{}, nil
	}
	n, err := k.Store.DeleteUserSessions(ctx, s.ID)
	if err != nil {
		return Erased{}, fmt.Errorf("session: %w", err)
	}
	return Erased{Deleted: n}, nil
}

// Expire implements Kind. Sessions end at their own expiry, which
// auth.Sessions' cleanup deletes; nothing outlives it.
func (SessionKind) Expire(context.Context, time.Time) (int, error) { return 0, nil }
