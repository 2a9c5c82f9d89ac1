package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/conclave-meet/conclave/internal/store"
)

// AddConsentAudited implements store.ConsentAuditStore: the consent and
// its audit entry go into one immediate transaction, taken under the same
// mutex as AppendAudit so that the chain stays serialised.
func (s *Store) AddConsentAudited(ctx context.Context, c store.Consent, e store.AuditEntry, seal store.AuditSeal) (store.Consent, store.AuditEntry, error) {
	s.auditMu.Lock()
	defer s.auditMu.Unlock()
	var out store.AuditEntry
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if c, err = insertConsent(ctx, tx, c); err != nil {
			return fmt.Errorf("insert consent: %w", err)
		}
		out, err = appendAudit(ctx, tx, e, seal)
		return err
	})
	if err != nil {
		return store.Consent{}, store.AuditEntry{}, mapErr("add consent with its audit entry", err)
	}
	return c, out, nil
}
