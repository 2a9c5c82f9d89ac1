package postgres

import (
	"context"
	"fmt"
	"time"
)

// ProbeWrite rewrites the one row of health_probe, so that the readiness
// check (web.WriteProber) sees what every write would: a database that is
// unreachable, read-only (a standby) or out of space fails it. Callers
// rate-limit it (web.Readiness caches its result).
func (s *Store) ProbeWrite(ctx context.Context) error {
	_, err := s.pool.Exec(ctx,
		"INSERT INTO health_probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
		toDB(time.Now()))
	if err != nil {
		return fmt.Errorf("probe write: %w", err)
	}
	return nil
}
