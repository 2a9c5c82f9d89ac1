package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

// lockAdmins is the transaction-level advisory lock that changes able to
// remove the last administrator take first (SetAccess, SetRestricted), so
// that two of them on different connections or nodes cannot each see the
// other's administrator and both succeed. (SQLite gets this from its
// single writer.)
const lockAdmins int64 = 0x636f6e63_00000001

// ListUsers implements store.AccountStore. Accounts whose key was shredded
// are left out, as if erased.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+userReadColumns+" FROM users WHERE erased_at = 0 ORDER BY created_at, id COLLATE \"C\"")
	if err != nil {
		return nil, mapErr("list users", err)
	}
	sealedRows, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sealed.User, error) { return scanUser(r) })
	if err != nil {
		return nil, mapErr("list users", err)
	}
	users := make([]store.User, 0, len(sealedRows))
	for _, r := range sealedRows {
		u, err := r.Open(ctx, s.keys)
		if errors.Is(err, store.ErrErased) {
			continue
		}
		if err != nil {
			return nil, mapErr("list users", err)
		}
		users = append(users, u)
	}
	return users, nil
}

// SetPassword implements store.AccountStore.
func (s *Store) SetPassword(ctx context.Context, userID, hash string, at time.Time, keep []byte) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := updateUser(ctx, tx, "UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3 AND erased_at = 0",
			hash, toDB(at), userID)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2", userID, keep)
		return err
	})
	return mapErr("set password", err)
}

// SetAccess implements store.AccountStore. The admin count is taken after
// the update, under lockAdmins.
func (s *Store) SetAccess(ctx context.Context, userID string, role store.Role, disabled bool, at time.Time) error {
	if !role.Valid() {
		return fmt.Errorf("set access: invalid role %q", role)
	}
	var disabledAt int64
	if disabled {
		disabledAt = max(toDB(at), 1) // 0 means enabled
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockAdmins); err != nil {
			return err
		}
		// A repeated disable keeps the first time.
		err := updateUser(ctx, tx, "UPDATE users SET role = $1, disabled_at = CASE WHEN $2::bigint = 0 THEN 0 "+
			"WHEN disabled_at <> 0 THEN disabled_at ELSE $2 END WHERE id = $3 AND erased_at = 0",
			string(role), disabledAt, userID)
		if err != nil {
			return err
		}
		if err := checkAdminLeft(ctx, tx); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = $1", userID)
		return err
	})
	return mapErr("set access", err)
}

// SetRestricted implements store.AccountStore, under lockAdmins as
// SetAccess.
func (s *Store) SetRestricted(ctx context.Context, userID string, restricted bool, at time.Time) error {
	var restrictedAt int64
	if restricted {
		restrictedAt = max(toDB(at), 1) // 0 means not restricted
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockAdmins); err != nil {
			return err
		}
		// A repeated restriction keeps the first time.
		var role string
		err := tx.QueryRow(ctx, "UPDATE users SET restricted_at = CASE WHEN $1::bigint = 0 THEN 0 "+
			"WHEN restricted_at <> 0 THEN restricted_at ELSE $1 END WHERE id = $2 AND erased_at = 0 RETURNING role",
			restrictedAt, userID).Scan(&role)
		if err != nil || !restricted {
			return err
		}
		if role == string(store.RoleAdmin) {
			if err := checkAdminLeft(ctx, tx); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = $1", userID)
		return err
	})
	return mapErr("set restricted", err)
}

// SetProfile implements store.AccountStore. As in the SQLite store, the
// account is read first (sealing creates a subject key when there is none,
// and an erased account's key must stay shredded); should erasure win the
// race between that read and the update, the key sealing re-created is
// shredded again.
func (s *Store) SetProfile(ctx context.Context, userID, name, email string) error {
	if _, err := s.UserByID(ctx, userID); err != nil {
		return fmt.Errorf("set profile: %w", err)
	}
	r, err := sealed.SealUser(ctx, s.keys, store.User{ID: userID, Name: name, Email: email})
	if err != nil {
		return fmt.Errorf("set profile: %w", err)
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		return updateUser(ctx, tx, "UPDATE users SET email_index = $1, email_sealed = $2, name_sealed = $3 "+
			"WHERE id = $4 AND erased_at = 0", r.EmailIndex, r.Email, r.Name, userID)
	})
	if errors.Is(err, store.ErrNotFound) {
		if erased, eerr := s.UserErased(ctx, userID); eerr == nil && erased {
			_ = s.keys.Shred(ctx, sealed.SubjectOwner(userID)) // best effort: it seals nothing readable
		}
	}
	return mapErr("set profile", err)
}

// checkAdminLeft returns ErrLastAdmin when no administrator who can sign
// in (enabled, unrestricted, not erased) remains.
func checkAdminLeft(ctx context.Context, tx pgx.Tx) error {
	var admins int
	err := tx.QueryRow(ctx, "SELECT count(*) FROM users WHERE role = 'admin' AND erased_at = 0 "+
		"AND disabled_at = 0 AND restricted_at = 0").Scan(&admins)
	if err != nil {
		return err
	}
	if admins == 0 {
		return store.ErrLastAdmin
	}
	return nil
}

// updateUser runs an UPDATE of one users row; ErrNotFound when it matched
// none.
func updateUser(ctx context.Context, tx pgx.Tx, query string, args ...any) error {
	tag, err := tx.Exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}
