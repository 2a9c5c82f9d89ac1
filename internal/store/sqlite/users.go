package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

// userColumns are the stored columns. Name and e-mail are sealed under the
// user's subject key; email_index (a blind index of the lower-cased
// e-mail) is what lookups by e-mail and the UNIQUE constraint use.
const userColumns = "id, email_index, email_sealed, name_sealed, role, password_hash, password_changed_at, created_at, erased_at"

// userReadColumns are read but not written on insert (new accounts start
// enabled and unrestricted).
const userReadColumns = userColumns + ", disabled_at, restricted_at"

func subjectOwner(userID string) string { return sealed.SubjectOwner(userID) }

// querier is satisfied by *sql.DB and *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// emailIndex is the blind index users.email_index holds for e-mail.
func (s *Store) emailIndex(email string) string { return sealed.EmailIndex(s.keys, email) }

// sealUser encrypts u's personal fields (package sealed). It runs before
// any transaction: creating the data key writes to the database itself.
func (s *Store) sealUser(ctx context.Context, u store.User) (sealed.User, error) {
	return sealed.SealUser(ctx, s.keys, u)
}

func insertUser(ctx context.Context, q querier, r sealed.User) error {
	var changed int64
	if !r.PasswordChangedAt.IsZero() {
		changed = toDB(r.PasswordChangedAt)
	}
	_, err := q.ExecContext(ctx,
		"INSERT INTO users ("+userColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
		r.ID, r.EmailIndex, r.Email, r.Name, string(r.Role), r.PasswordHash, changed, toDB(r.CreatedAt))
	return err
}

// scanUserRow reads userReadColumns; times are stored as Unix nanoseconds,
// 0 for none.
func scanUserRow(row rowScanner) (sealed.User, error) {
	var (
		r                                      sealed.User
		index                                  sql.NullString
		role                                   string
		changed, created, erased, disabled, rs int64
	)
	err := row.Scan(&r.ID, &index, &r.Email, &r.Name, &role, &r.PasswordHash, &changed, &created, &erased,
		&disabled, &rs)
	r.EmailIndex, r.Role = index.String, store.Role(role)
	r.PasswordChangedAt, r.CreatedAt = passwordChangedAt(changed), fromDB(created)
	r.Erased, r.Disabled, r.Restricted = erased != 0, disabled != 0, rs != 0
	return r, err
}

// openUser decrypts a row. An erased account, or one whose key is gone,
// reads as store.ErrErased.
func (s *Store) openUser(ctx context.Context, r sealed.User) (store.User, error) {
	return r.Open(ctx, s.keys)
}

// userWhere reads the one user matching where.
func (s *Store) userWhere(ctx context.Context, op, where string, args ...any) (store.User, error) {
	r, err := scanUserRow(s.db.QueryRowContext(ctx, "SELECT "+userReadColumns+" FROM users "+where, args...))
	if err != nil {
		return store.User{}, mapErr(op, err)
	}
	u, err := s.openUser(ctx, r)
	return u, mapErr(op, err)
}

// CreateUser inserts u; ErrConflict when the ID or e-mail is taken.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	if !u.Role.Valid() {
		return fmt.Errorf("create user: invalid role %q", u.Role)
	}
	r, err := s.sealUser(ctx, u)
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return mapErr("create user", insertUser(ctx, s.db, r))
}

// UserByID returns the user with the given ID; ErrErased (an ErrNotFound)
// for an erased account.
func (s *Store) UserByID(ctx context.Context, id string) (store.User, error) {
	return s.userWhere(ctx, "user by id", "WHERE id = ?", id)
}

// UserByEmail returns the user with the given e-mail, found by its blind
// index.
func (s *Store) UserByEmail(ctx context.Context, email string) (store.User, error) {
	return s.userWhere(ctx, "user by email", "WHERE email_index = ?", s.emailIndex(email))
}

// CountUsers returns the number of accounts; erased ones do not count.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE erased_at = 0").Scan(&n)
	return n, mapErr("count users", err)
}

// FirstAdmin returns the earliest-created enabled admin; ErrNotFound when there is
// none. It is not part of store.Store: only the CLI needs it.
func (s *Store) FirstAdmin(ctx context.Context) (store.User, error) {
	return s.userWhere(ctx, "first admin",
		"WHERE role = 'admin' AND erased_at = 0 AND disabled_at = 0 AND restricted_at = 0 ORDER BY created_at, id LIMIT 1")
}

// CreateFirstAdmin inserts u only while no user exists and the setup token
// is valid, consuming the token, all in one (immediate) transaction.
func (s *Store) CreateFirstAdmin(ctx context.Context, u store.User, tokenHash []byte, now time.Time) error {
	if u.Role != store.RoleAdmin {
		return fmt.Errorf("create first admin: role must be admin, not %q", u.Role)
	}
	r, err := s.sealUser(ctx, u)
	if err != nil {
		return fmt.Errorf("create first admin: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE erased_at = 0").Scan(&n); err != nil {
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
		return insertUser(ctx, tx, r)
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

// passwordChangedAt reads users.password_changed_at: 0 is no password.
func passwordChangedAt(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromDB(v)
}
