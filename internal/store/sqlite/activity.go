package sqlite

import (
	"context"
	"fmt"
	"time"
)

// RecordLogin notes a successful sign-in of the account.
func (s *Store) RecordLogin(ctx context.Context, userID string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, "UPDATE users SET last_login_at = ? WHERE id = ?", toDB(at), userID)
	return mapErr("record login", err)
}

// InactiveUsers lists the members (not administrators or privacy
// officers, whose accounts carry the organisation's duties) not erased
// whose last sign-in, or creation when they never signed in, is before
// `before`. Restricted accounts are left out: a restriction (Art. 18)
// keeps the data, which expiry would erase.
func (s *Store) InactiveUsers(ctx context.Context, before time.Time) ([]string, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT id FROM users WHERE role = 'member' AND erased_at = 0 AND restricted_at = 0 "+
			"AND max(last_login_at, created_at) < ? ORDER BY id",
		toDB(before))
	if err != nil {
		return nil, mapErr("inactive users", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("inactive users: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("inactive users: %w", err)
	}
	return ids, nil
}
