package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// Credentials (migration 00021, docs/security.md "Accounts"). Not part of
// store.Store: package auth and the credential privacy kind declare the
// narrow interfaces they need.

var _ store.CredentialStore = (*Store)(nil)

// Field names bound into sealed values, with the row's ID after them, so
// that a value moved to another row of the same account fails to open.
const (
	aadCredentialName   = "credentials.name\x00"
	aadCredentialSecret = "credentials.secret\x00"
	indexCredential     = "credential."
)

const credentialColumns = "id, user_id, kind, name_sealed, secret_sealed, lookup, counter, created_at, last_used_at"

// credentialRow is a credentials row as stored.
type credentialRow struct {
	id, userID, kind, lookup string
	name, secret             []byte
	counter, created, used   int64
}

// credentialLookup is the blind index stored for a credential's lookup
// value; "" stays "" (no lookup).
func (s *Store) credentialLookup(kind, value string) string {
	if value == "" {
		return ""
	}
	return s.keys.Index(indexCredential+kind, value)
}

// AddCredential implements store.CredentialStore.
func (s *Store) AddCredential(ctx context.Context, c store.Credential) error {
	// Checked before sealing: sealing creates a missing subject key, which
	// for an unknown or erased account would leave a key owning nothing.
	if err := s.requireLiveUser(ctx, c.UserID); err != nil {
		return mapErr("add credential", err)
	}
	owner := subjectOwner(c.UserID)
	name, err := s.keys.Seal(ctx, owner, []byte(c.Name), []byte(aadCredentialName+c.ID))
	if err != nil {
		return fmt.Errorf("add credential: %w", err)
	}
	secret, err := s.keys.Seal(ctx, owner, c.Secret, []byte(aadCredentialSecret+c.ID))
	if err != nil {
		return fmt.Errorf("add credential: %w", err)
	}
	_, err = s.db.ExecContext(ctx, "INSERT INTO credentials ("+credentialColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		c.ID, c.UserID, c.Kind, name, secret, s.credentialLookup(c.Kind, c.Lookup), c.Counter,
		toDB(c.CreatedAt), optionalToDB(c.LastUsedAt))
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
	var rows []credentialRow
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

func scanCredential(row rowScanner) (credentialRow, error) {
	var r credentialRow
	err := row.Scan(&r.id, &r.userID, &r.kind, &r.name, &r.secret, &r.lookup, &r.counter, &r.created, &r.used)
	return r, err
}

// openCredential decrypts a row; one whose account key is gone reads as
// store.ErrErased.
func (s *Store) openCredential(ctx context.Context, r credentialRow) (store.Credential, error) {
	owner := subjectOwner(r.userID)
	name, err := s.keys.Open(ctx, owner, r.name, []byte(aadCredentialName+r.id))
	if errIsShredded(err) {
		return store.Credential{}, store.ErrErased
	}
	if err != nil {
		return store.Credential{}, err
	}
	secret, err := s.keys.Open(ctx, owner, r.secret, []byte(aadCredentialSecret+r.id))
	if err != nil {
		return store.Credential{}, errors.Join(store.ErrErased, err)
	}
	return store.Credential{ID: r.id, UserID: r.userID, Kind: r.kind, Name: string(name), Secret: secret,
		Lookup: r.lookup, Counter: r.counter, CreatedAt: fromDB(r.created), LastUsedAt: optionalFromDB(r.used)}, nil
}
