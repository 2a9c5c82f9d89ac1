package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

const userColumns = "id, email, name, role, password_hash, created_at"

// querier is satisfied by *sql.DB and *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func insertUser(ctx context.Context, q querier, u store.User) error {
	_, err := q.ExecContext(ctx,
		"INSERT INTO users ("+userColumns+") VALUES (?, ?, ?, ?, ?, ?)",
		u.ID, u.Email, u.Name, string(u.Role), u.PasswordHash, toDB(u.CreatedAt))
	return err
}

func scanUser(row *sql.Row) (store.User, error) {
	var (
		u       store.User
		role    string
		created int64
	)
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &role, &u.PasswordHash, &created); err != nil {
		return store.User{}, err
	}
	u.Role = store.Role(role)
	u.CreatedAt = fromDB(created)
	return u, nil
}

// CreateUser inserts u; ErrConflict when the ID or e-mail is taken.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	if !u.Role.Valid() {
		return fmt.Errorf("create user: invalid role %q", u.Role)
	}
	return mapErr("create user", insertUser(ctx, s.db, u))
}

// UserByID returns the user with the given ID.
func (s *Store) UserByID(ctx context.Context, id string) (store.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", id))
	return u, mapErr("user by id", err)
}

// UserByEmail returns the user with the given (already lower-cased) e-mail.
func (s *Store) UserByEmail(ctx context.Context, email string) (store.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE email = ?", email))
	return u, mapErr("user by email", err)
}

// CountUsers returns the number of accounts.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n)
	return n, mapErr("count users", err)
}

// FirstAdmin returns the earliest-created admin; ErrNotFound when there is
// none. It is not part of store.Store: only the CLI needs it.
func (s *Store) FirstAdmin(ctx context.Context) (store.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx,
		"SELECT "+userColumns+" FROM users WHERE role = 'admin' ORDER BY created_at, id LIMIT 1"))
	return u, mapErr("first admin", err)
}

// CreateFirstAdmin inserts u only while no user exists and the setup token
// is valid, consuming the token, all in one (immediate) transaction.
func (s *Store) CreateFirstAdmin(ctx context.Context, u store.User, tokenHash []byte, now time.Time) error {
	if u.Role != store.RoleAdmin {
		return fmt.Errorf("create first admin: role must be admin, not %q", u.Role)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.ErrConflict
		}
		res, err := tx.ExecContext(ctx,
			"DELETE FROM setup_token WHERE token_hash = ? AND expires_at > ?", tokenHash, toDB(now))
		if err != nil {
			return err
		}
		if deleted, err := res.RowsAffected(); err != nil || deleted == 0 {
			return errors.Join(store.ErrNotFound, err)
		}
		return insertUser(ctx, tx, u)
	})
	return mapErr("create first admin", err)
}

// ReplaceSetupToken stores t as the only setup token.
func (s *Store) ReplaceSetupToken(ctx context.Context, t store.SetupToken) error {
	_, err := s.db.ExecContext(ctx,
		"INSERT OR REPLACE INTO setup_token (id, token_hash, expires_at) VALUES (1, ?, ?)",
		t.TokenHash, toDB(t.ExpiresAt))
	return mapErr("replace setup token", err)
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, rollback(tx))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func rollback(tx *sql.Tx) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("rollback: %w", err)
	}
	return nil
}
