package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// SetProfile implements store.AccountStore. The new values are sealed
// under the account's existing subject key, as CreateUser seals them, and
// the blind index follows the e-mail so that sign-in and co-host lookups
// find the account by its new address only; the UNIQUE index refuses an
// address another account holds.
//
// The account is read first: sealing creates a subject key when there is
// none, and an erased account's key must stay shredded. Should erasure
// win the race between that read and the update, the update matches no
// row and the key sealing re-created is shredded again.
func (s *Store) SetProfile(ctx context.Context, userID, name, email string) error {
	if _, err := s.UserByID(ctx, userID); err != nil {
		return fmt.Errorf("set profile: %w", err)
	}
	r, err := s.sealUser(ctx, store.User{ID: userID, Name: name, Email: email})
	if err != nil {
		return fmt.Errorf("set profile: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		return updateUser(ctx, tx, "UPDATE users SET email_index = ?, email_sealed = ?, name_sealed = ? "+
			"WHERE id = ? AND erased_at = 0", r.EmailIndex, r.Email, r.Name, userID)
	})
	if errors.Is(err, store.ErrNotFound) {
		if erased, eerr := s.UserErased(ctx, userID); eerr == nil && erased {
			_ = s.keys.Shred(ctx, subjectOwner(userID)) // best effort: it seals nothing readable
		}
	}
	return mapErr("set profile", err)
}

// SetRestricted implements store.AccountStore.
func (s *Store) SetRestricted(ctx context.Context, userID string, restricted bool, at time.Time) error {
	var restrictedAt int64
	if restricted {
		restrictedAt = max(toDB(at), 1) // 0 means not restricted
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// A repeated restriction keeps the first time.
		err := updateUser(ctx, tx, "UPDATE users SET restricted_at = CASE WHEN ? = 0 THEN 0 "+
			"WHEN restricted_at != 0 THEN restricted_at ELSE ? END WHERE id = ? AND erased_at = 0",
			restrictedAt, restrictedAt, userID)
		if err != nil || !restricted {
			return err
		}
		var role string
		if err := tx.QueryRowContext(ctx, "SELECT role FROM users WHERE id = ?", userID).Scan(&role); err != nil {
			return err
		}
		if role == string(store.RoleAdmin) {
			if err := checkAdminLeft(ctx, tx); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ?", userID)
		return err
	})
	return mapErr("set restricted", err)
}
