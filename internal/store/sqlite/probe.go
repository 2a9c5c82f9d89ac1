package sqlite

import (
	"context"
	"fmt"
	"time"
)

// ProbeWrite rewrites the one row of health_probe, so that the readiness
// check sees what every write would: a full disk, a read-only file system
// or a locked database fails it. It writes one small page per call;
// callers rate-limit it (web.Readiness caches its result).
func (s *Store) ProbeWrite(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx,
		"INSERT INTO health_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
		toDB(time.Now()))
	if err != nil {
		return fmt.Errorf("probe write: %w", err)
	}
	return nil
}
