package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// Checkpoint stands for the entries retention removed from the front of
// the log (see store.AuditCheckpoint).
type Checkpoint = store.AuditCheckpoint

// Truncate removes the oldest entries, those before `before`, and returns
// how many. The newest entry always stays. A sealed checkpoint keeps the
// last removed entry's Seq and Hash, so that Verify still checks the rest
// of the chain from there, and a database-only attacker cannot pass off
// removed entries as retention.
func (l *Log) Truncate(ctx context.Context, before time.Time) (int, error) {
	n, err := l.store.TruncateAudit(ctx, before, func(cp Checkpoint) (Checkpoint, error) {
		cp.Time = l.now().UTC()
		return l.chain.sealCheckpoint(cp), nil
	})
	if err != nil {
		return 0, fmt.Errorf("audit: truncate: %w", err)
	}
	return n, nil
}

// checkpoint returns the retention checkpoint, and false when no entry
// was ever removed.
func (l *Log) checkpoint(ctx context.Context) (Checkpoint, bool, error) {
	cp, err := l.store.AuditCheckpoint(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("audit: checkpoint: %w", err)
	}
	return cp, true, nil
}
