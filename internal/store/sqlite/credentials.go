package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

// Credentials (migration 00021, docs/security.md "Accounts"). Not part of
// store.Store: package auth and the credential privacy kind declare the
// narrow interfaces they need.

var _ store.CredentialStore = (*Store)(nil)

const credentialColumns = "id, user_id, kind, name_sealed, secret_sealed, lookup, counter, created_at, last_used_at"

// credentialLookup is the blind index stored for a credential's lookup
// value (package sealed); "" stays "" (no lookup).
func (s *Store) credentialLookup(kind, value string) string {
	return sealed.CredentialLookup(s.keys, kind, value)
}

// AddCredential implements store.CredentialStore.
func (s *Store) AddCredential(ctx context.Context, c store.Credential) error {
	// Checked before sealing: sealing creates a missing subject key, which
	// for an unknown or erased account would leave a key owning nothing.
	if err := s.requireLiveUser(ctx, c.UserID); err != nil {
		return mapErr("add credential", err)
	}
	r, err := sealed.SealCredential(ctx, s.keys, c)
	if err != nil {
		return fmt.Errorf("add credential: %w", err)
	}
	_, err = s.db.ExecContext(ctx, "INSERT INTO credentials ("+credentialColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		r.ID, r.UserID, r.Kind, r.Name, r.Secret, r.Lookup, r.Counter,
		toDB(r.CreatedAt), optionalToDB(r.LastUsedAt))
	return mapErr("add credential", err)
}

// requireLiveUser returns ErrNotFound unless the account exists and is not
// erased.
func (s *Store) requireLiveUser(ctx context.Context, id string) error {
	var one int
	return s.db.QueryRowContext(ctx, "SELECT 1 FROM users WHERE id = ? AND erased_at = 0", id).Scan(&one)
}

// Credentials implements store.CredentialStore.
func (s *Store) Credentials(ctx context.Context, userID string) ([]store.Credential, error) {
	var rows []sealed.Credential
	err := s.queryEach(ctx, "SELECT "+credentialColumns+" FROM credentials WHERE user_id = ? ORDER BY created_at, id",
		[]any{userID}, func(r *sql.Rows) error {
			row, err := scanCredential(r)
			rows = append(rows, row)
			return err
		})
	if err != nil {
		return nil, mapErr("credentials", err)
	}
	// Opened after the query is closed: opening may read data keys, and
	// the pool may have a single connection.
	var out []store.Credential
	for _, r := range rows {
		c, err := s.openCredential(ctx, r)
		if err != nil {
			return nil, mapErr("credentials", err)
		}
		out = append(out, c)
	}
	return out, nil
}

// CredentialByLookup implements store.CredentialStore.
func (s *Store) CredentialByLookup(ctx context.Context, kind, lookup string) (store.Credential, error) {
	if lookup == "" {
		return store.Credential{}, fmt.Errorf("credential by lookup: %w", store.ErrNotFound)
	}
	r, err := scanCredential(s.db.QueryRowContext(ctx,
		"SELECT "+credentialColumns+" FROM credentials WHERE kind = ? AND lookup = ?",
		kind, s.credentialLookup(kind, lookup)))
	if err != nil {
		return store.Credential{}, mapErr("credential by lookup", err)
	}
	c, err := s.openCredential(ctx, r)
	return c, mapErr("credential by lookup", err)
}

// UseCredential implements store.CredentialStore: one conditional UPDATE,
// so two uses of the same code at once cannot both succeed.
func (s *Store) UseCredential(ctx context.Context, id string, oldCounter, newCounter int64, at time.Time) (bool, error) {
	n, err := s.execCount(ctx, "use credential",
		"UPDATE credentials SET counter = ?, last_used_at = ? WHERE id = ? AND counter = ?",
		newCounter, toDB(at), id, oldCounter)
	return n > 0, err
}

// DeleteCredential implements store.CredentialStore.
func (s *Store) DeleteCredential(ctx context.Context, userID, id string) error {
	n, err := s.execCount(ctx, "delete credential", "DELETE FROM credentials WHERE user_id = ? AND id = ?", userID, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("delete credential: %w", store.ErrNotFound)
	}
	return nil
}

// DeleteCredentials implements store.CredentialStore.
func (s *Store) DeleteCredentials(ctx context.Context, userID, kind string) (int, error) {
	return s.execCount(ctx, "delete credentials",
		"DELETE FROM credentials WHERE user_id = ? AND (? = '' OR kind = ?)", userID, kind, kind)
}

func scanCredential(row rowScanner) (sealed.Credential, error) {
	var (
		r             sealed.Credential
		created, used int64
	)
	err := row.Scan(&r.ID, &r.UserID, &r.Kind, &r.Name, &r.Secret, &r.Lookup, &r.Counter, &created, &used)
	r.CreatedAt, r.LastUsedAt = fromDB(created), optionalFromDB(used)
	return r, err
}

// openCredential decrypts a row; one whose account key is gone reads as
// store.ErrErased.
func (s *Store) openCredential(ctx context.Context, r sealed.Credential) (store.Credential, error) {
	return r.Open(ctx, s.keys)
}
