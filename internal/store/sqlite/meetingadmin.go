package sqlite

import (
	"context"
	"fmt"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

// SetMeetingPasscode replaces the meeting's passcode, sealed under the
// meeting's key like the original. ErrNotFound when there is no such
// meeting.
func (s *Store) SetMeetingPasscode(ctx context.Context, id, passcode string) error {
	// Checked before sealing: sealing creates the meeting's key when it is
	// missing, which for an unknown ID would leave a key owning nothing.
	var one int
	if err := s.db.QueryRowContext(ctx, "SELECT 1 FROM meetings WHERE id = ?", id).Scan(&one); err != nil {
		return mapErr("set meeting passcode", err)
	}
	sealedPasscode, err := sealed.SealPasscode(ctx, s.keys, id, passcode)
	if err != nil {
		return fmt.Errorf("set meeting passcode: %w", err)
	}
	res, err := s.db.ExecContext(ctx, "UPDATE meetings SET passcode_sealed = ? WHERE id = ?", sealedPasscode, id)
	if err != nil {
		return mapErr("set meeting passcode", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr("set meeting passcode", err)
	}
	if n == 0 { // deleted between the check and the update
		return fmt.Errorf("set meeting passcode: %w", store.ErrNotFound)
	}
	return nil
}
