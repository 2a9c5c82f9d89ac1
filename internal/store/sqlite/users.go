package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// userColumns are the stored columns. Name and e-mail are sealed under the
// user's subject key; email_index (a blind index of the lower-cased
// e-mail) is what lookups by e-mail and the UNIQUE constraint use.
const userColumns = "id, email_index, email_sealed, name_sealed, role, password_hash, password_changed_at, created_at, erased_at"

// userReadColumns are read but not written on insert (new accounts start
// enabled and unrestricted).
const userReadColumns = userColumns + ", disabled_at, restricted_at"

// Field names bound into sealed values and blind indexes.
const (
	aadUserEmail  = "users.email"
	aadUserName   = "users.name"
	indexEmail    = "user.email"
	subjectPrefix = "subject:"
)

// querier is satisfied by *sql.DB and *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// userRow is a users row as stored: sealed fields, no plain text.
type userRow struct {
	id, emailIndex          string
	emailSealed, nameSealed []byte
	role, passwordHash      string
	passwordChanged         int64
	created, erased         int64
	disabled, restricted    int64
}

func subjectOwner(userID string) string { return subjectPrefix + userID }

// emailIndex is the blind index users.email_index holds for e-mail.
func (s *Store) emailIndex(email string) string {
	return s.keys.Index(indexEmail, strings.ToLower(email))
}

// sealUser encrypts u's personal fields. It runs before any transaction:
// creating the data key writes to the database itself.
func (s *Store) sealUser(ctx context.Context, u store.User) (userRow, error) {
	owner := subjectOwner(u.ID)
	email, err := s.keys.Seal(ctx, owner, []byte(u.Email), []byte(aadUserEmail))
	if err != nil {
		return userRow{}, err
	}
	name, err := s.keys.Seal(ctx, owner, []byte(u.Name), []byte(aadUserName))
	if err != nil {
		return userRow{}, err
	}
	changed := u.PasswordChangedAt
	if changed.IsZero() && u.PasswordHash != "" {
		changed = u.CreatedAt
	}
	var changedDB int64
	if u.PasswordHash != "" {
		changedDB = toDB(changed)
	}
	return userRow{id: u.ID, emailIndex: s.emailIndex(u.Email), emailSealed: email, nameSealed: name,
		role: string(u.Role), passwordHash: u.PasswordHash, passwordChanged: changedDB, created: toDB(u.CreatedAt)}, nil
}

func insertUser(ctx context.Context, q querier, r userRow) error {
	_, err := q.ExecContext(ctx,
		"INSERT INTO users ("+userColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
		r.id, r.emailIndex, r.emailSealed, r.nameSealed, r.role, r.passwordHash, r.passwordChanged, r.created)
	return err
}

func scanUserRow(row rowScanner) (userRow, error) {
	var (
		r     userRow
		index sql.NullString
	)
	err := row.Scan(&r.id, &index, &r.emailSealed, &r.nameSealed, &r.role, &r.passwordHash, &r.passwordChanged, &r.created, &r.erased,
		&r.disabled, &r.restricted)
	r.emailIndex = index.String
	return r, err
}

// openUser decrypts a row. An erased account, or one whose key is gone,
// reads as store.ErrErased.
func (s *Store) openUser(ctx context.Context, r userRow) (store.User, error) {
	if r.erased != 0 || r.emailSealed == nil {
		return store.User{}, store.ErrErased
	}
	owner := subjectOwner(r.id)
	email, err := s.keys.Open(ctx, owner, r.emailSealed, []byte(aadUserEmail))
	if errIsShredded(err) {
		return store.User{}, store.ErrErased
	}
	if err != nil {
		return store.User{}, err
	}
	name, err := s.keys.Open(ctx, owner, r.nameSealed, []byte(aadUserName))
	if err != nil {
		return store.User{}, err
	}
	return store.User{ID: r.id, Email: string(email), Name: string(name), Role: store.Role(r.role),
		PasswordHash: r.passwordHash, PasswordChangedAt: passwordChangedAt(r.passwordChanged), CreatedAt: fromDB(r.created),
		Disabled:   r.disabled != 0,
		Restricted: r.restricted != 0}, nil
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
