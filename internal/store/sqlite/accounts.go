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

// ListUsers implements store.AccountStore. Accounts whose key was shredded
// are left out, as if erased.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	var rows []sealed.User
	err := s.queryEach(ctx, "SELECT "+userReadColumns+" FROM users WHERE erased_at = 0 ORDER BY created_at, id", nil,
		func(r *sql.Rows) error {
			row, err := scanUserRow(r)
			rows = append(rows, row)
			return err
		})
	if err != nil {
		return nil, mapErr("list users", err)
	}
	// Opened after the query is closed: opening may read data keys, and
	// the pool may have a single connection.
	users := make([]store.User, 0, len(rows))
	for _, r := range rows {
		u, err := s.openUser(ctx, r)
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
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := updateUser(ctx, tx, "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ? AND erased_at = 0",
			hash, toDB(at), userID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ? AND token_hash IS NOT ?", userID, keep)
		return err
	})
	return mapErr("set password", err)
}

// SetAccess implements store.AccountStore. The admin count is taken after
// the update, inside the transaction, so two administrators demoting each
// other at once cannot both succeed.
func (s *Store) SetAccess(ctx context.Context, userID string, role store.Role, disabled bool, at time.Time) error {
	if !role.Valid() {
		return fmt.Errorf("set access: invalid role %q", role)
	}
	var disabledAt int64
	if disabled {
		disabledAt = max(toDB(at), 1) // 0 means enabled
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// A repeated disable keeps the first time.
		err := updateUser(ctx, tx, "UPDATE users SET role = ?, disabled_at = CASE WHEN ? = 0 THEN 0 WHEN disabled_at != 0 THEN disabled_at ELSE ? END "+
			"WHERE id = ? AND erased_at = 0", string(role), disabledAt, disabledAt, userID)
		if err != nil {
			return err
		}
		if err := checkAdminLeft(ctx, tx); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ?", userID)
		return err
	})
	return mapErr("set access", err)
}

// checkAdminLeft returns ErrLastAdmin when no administrator who can sign
// in (enabled, unrestricted, not erased) remains. It runs after the
// update, inside its transaction, so two changes at once cannot both
// remove the last one.
func checkAdminLeft(ctx context.Context, tx *sql.Tx) error {
	var admins int
	err := tx.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE role = 'admin' AND erased_at = 0 "+
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
func updateUser(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}
