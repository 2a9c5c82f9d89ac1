package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

var _ store.CredentialStore = (*Store)(nil)

const credentialColumns = "id, user_id, kind, name_sealed, secret_sealed, lookup, counter, created_at, last_used_at"

// AddCredential implements store.CredentialStore: name and secret sealed
// under the account's key, the lookup value as a blind index.
func (s *Store) AddCredential(ctx context.Context, c store.Credential) error {
	// Checked before sealing: sealing creates a missing subject key, which
	// for an unknown or erased account would leave a key owning nothing.
	var one int
	if err := s.pool.QueryRow(ctx, "SELECT 1 FROM users WHERE id = $1 AND erased_at = 0", c.UserID).Scan(&one); err != nil {
		return mapErr("add credential", err)
	}
	r, err := sealed.SealCredential(ctx, s.keys, c)
	if err != nil {
		return fmt.Errorf("add credential: %w", err)
	}
	_, err = s.pool.Exec(ctx, "INSERT INTO credentials ("+credentialColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		r.ID, r.UserID, r.Kind, r.Name, r.Secret, r.Lookup, r.Counter, toDB(r.CreatedAt), optionalToDB(r.LastUsedAt))
	return mapErr("add credential", err)
}

func scanCredential(row pgx.Row) (sealed.Credential, error) {
	var (
		r             sealed.Credential
		created, used int64
	)
	err := row.Scan(&r.ID, &r.UserID, &r.Kind, &r.Name, &r.Secret, &r.Lookup, &r.Counter, &created, &used)
	r.CreatedAt, r.LastUsedAt = fromDB(created), optionalFromDB(used)
	return r, err
}

// Credentials implements store.CredentialStore.
func (s *Store) Credentials(ctx context.Context, userID string) ([]store.Credential, error) {
	rows, err := s.pool.Query(ctx,
		"SELECT "+credentialColumns+" FROM credentials WHERE user_id = $1 ORDER BY created_at, id COLLATE \"C\"", userID)
	if err != nil {
		return nil, mapErr("credentials", err)
	}
	sealedRows, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sealed.Credential, error) { return scanCredential(r) })
	if err != nil {
		return nil, mapErr("credentials", err)
	}
	var out []store.Credential
	for _, r := range sealedRows {
		c, err := r.Open(ctx, s.keys)
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
	r, err := scanCredential(s.pool.QueryRow(ctx,
		"SELECT "+credentialColumns+" FROM credentials WHERE kind = $1 AND lookup = $2",
		kind, sealed.CredentialLookup(s.keys, kind, lookup)))
	if err != nil {
		return store.Credential{}, mapErr("credential by lookup", err)
	}
	c, err := r.Open(ctx, s.keys)
	return c, mapErr("credential by lookup", err)
}

// UseCredential implements store.CredentialStore: one conditional UPDATE,
// so two uses of the same code at once, on any nodes, cannot both succeed.
func (s *Store) UseCredential(ctx context.Context, id string, oldCounter, newCounter int64, at time.Time) (bool, error) {
	n, err := s.execCount(ctx, "use credential",
		"UPDATE credentials SET counter = $1, last_used_at = $2 WHERE id = $3 AND counter = $4",
		newCounter, toDB(at), id, oldCounter)
	return n > 0, err
}

// DeleteCredential implements store.CredentialStore.
func (s *Store) DeleteCredential(ctx context.Context, userID, id string) error {
	n, err := s.execCount(ctx, "delete credential", "DELETE FROM credentials WHERE user_id = $1 AND id = $2", userID, id)
	if err == nil && n == 0 {
		return fmt.Errorf("delete credential: %w", store.ErrNotFound)
	}
	return err
}

// DeleteCredentials implements store.CredentialStore.
func (s *Store) DeleteCredentials(ctx context.Context, userID, kind string) (int, error) {
	return s.execCount(ctx, "delete credentials",
		"DELETE FROM credentials WHERE user_id = $1 AND ($2 = '' OR kind = $2)", userID, kind)
}
