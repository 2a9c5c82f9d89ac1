package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

// userColumns are written on insert; name and e-mail are sealed (package
// sealed) and email_index is the blind index lookups use.
const userColumns = "id, email_index, email_sealed, name_sealed, role, password_hash, password_changed_at, created_at, erased_at"

// userReadColumns are read: new accounts start enabled and unrestricted.
const userReadColumns = userColumns + ", disabled_at, restricted_at"

func insertUser(ctx context.Context, q querier, r sealed.User) error {
	_, err := q.Exec(ctx,
		"INSERT INTO users ("+userColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)",
		r.ID, r.EmailIndex, r.Email, r.Name, string(r.Role), r.PasswordHash,
		optionalToDB(r.PasswordChangedAt), toDB(r.CreatedAt))
	return err
}

func scanUser(row pgx.Row) (sealed.User, error) {
	var (
		r                                           sealed.User
		index                                       *string
		role                                        string
		changed, created, erased, disabled, limited int64
	)
	err := row.Scan(&r.ID, &index, &r.Email, &r.Name, &role, &r.PasswordHash, &changed, &created, &erased,
		&disabled, &limited)
	if index != nil {
		r.EmailIndex = *index
	}
	r.Role = store.Role(role)
	r.PasswordChangedAt, r.CreatedAt = optionalFromDB(changed), fromDB(created)
	r.Erased, r.Disabled, r.Restricted = erased != 0, disabled != 0, limited != 0
	return r, err
}

// userWhere reads the one user matching where.
func (s *Store) userWhere(ctx context.Context, op, where string, args ...any) (store.User, error) {
	r, err := scanUser(s.pool.QueryRow(ctx, "SELECT "+userReadColumns+" FROM users "+where, args...))
	if err != nil {
		return store.User{}, mapErr(op, err)
	}
	u, err := r.Open(ctx, s.keys)
	return u, mapErr(op, err)
}

// CreateUser inserts u; ErrConflict when the ID or e-mail is taken. The
// fields are sealed first: sealing may create the subject's data key.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	if !u.Role.Valid() {
		return fmt.Errorf("create user: invalid role %q", u.Role)
	}
	r, err := sealed.SealUser(ctx, s.keys, u)
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return mapErr("create user", insertUser(ctx, s.pool, r))
}

// UserByID returns the user with the given ID; ErrErased (an ErrNotFound)
// for an erased account.
func (s *Store) UserByID(ctx context.Context, id string) (store.User, error) {
	return s.userWhere(ctx, "user by id", "WHERE id = $1", id)
}

// UserByEmail returns the user with the given e-mail, found by its blind
// index.
func (s *Store) UserByEmail(ctx context.Context, email string) (store.User, error) {
	return s.userWhere(ctx, "user by email", "WHERE email_index = $1", sealed.EmailIndex(s.keys, email))
}

// CountUsers returns the number of accounts; erased ones do not count.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, "SELECT count(*) FROM users WHERE erased_at = 0").Scan(&n)
	return n, mapErr("count users", err)
}

// FirstAdmin returns the earliest-created enabled admin; ErrNotFound when
// there is none (for the CLI).
func (s *Store) FirstAdmin(ctx context.Context) (store.User, error) {
	return s.userWhere(ctx, "first admin",
		"WHERE role = 'admin' AND erased_at = 0 AND disabled_at = 0 AND restricted_at = 0 ORDER BY created_at, id COLLATE \"C\" LIMIT 1")
}

// CreateFirstAdmin inserts u only while no user exists and the setup
// token is valid, consuming the token, in one transaction. Of concurrent
// callers one deletes the token; the others' DELETE waits for its commit
// and then matches nothing.
func (s *Store) CreateFirstAdmin(ctx context.Context, u store.User, tokenHash []byte, now time.Time) error {
	if u.Role != store.RoleAdmin {
		return fmt.Errorf("create first admin: role must be admin, not %q", u.Role)
	}
	r, err := sealed.SealUser(ctx, s.keys, u)
	if err != nil {
		return fmt.Errorf("create first admin: %w", err)
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM users WHERE erased_at = 0").Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.ErrConflict
		}
		tag, err := tx.Exec(ctx, "DELETE FROM setup_token WHERE token_hash = $1 AND expires_at > $2", tokenHash, toDB(now))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		return insertUser(ctx, tx, r)
	})
	return mapErr("create first admin", err)
}

// ReplaceSetupToken stores t as the only setup token.
func (s *Store) ReplaceSetupToken(ctx context.Context, t store.SetupToken) error {
	_, err := s.pool.Exec(ctx,
		"INSERT INTO setup_token (id, token_hash, expires_at) VALUES (1, $1, $2) "+
			"ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, expires_at = excluded.expires_at",
		t.TokenHash, toDB(t.ExpiresAt))
	return mapErr("replace setup token", err)
}

// RecordLogin notes a successful sign-in of the account.
func (s *Store) RecordLogin(ctx context.Context, userID string, at time.Time) error {
	_, err := s.pool.Exec(ctx, "UPDATE users SET last_login_at = $1 WHERE id = $2", toDB(at), userID)
	return mapErr("record login", err)
}

// InactiveUsers lists the members not erased or restricted whose last
// sign-in, or creation when they never signed in, is before `before`.
func (s *Store) InactiveUsers(ctx context.Context, before time.Time) ([]string, error) {
	rows, err := s.pool.Query(ctx,
		"SELECT id FROM users WHERE role = 'member' AND erased_at = 0 AND restricted_at = 0 "+
			"AND greatest(last_login_at, created_at) < $1 ORDER BY id COLLATE \"C\"",
		toDB(before))
	if err != nil {
		return nil, mapErr("inactive users", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, mapErr("inactive users", err)
}

// UserErased reports whether the account was erased (its row is a
// tombstone); ErrNotFound when there never was one.
func (s *Store) UserErased(ctx context.Context, id string) (bool, error) {
	var erased int64
	err := s.pool.QueryRow(ctx, "SELECT erased_at FROM users WHERE id = $1", id).Scan(&erased)
	return erased != 0, mapErr("user erased", err)
}
