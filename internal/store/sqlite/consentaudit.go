package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

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

// WithdrawConsentAudited implements store.ConsentAuditStore, under the
// audit mutex like AddConsentAudited: the ledger never shows a withdrawal
// the audit log does not, nor the reverse.
func (s *Store) WithdrawConsentAudited(ctx context.Context, subjectID, kind, meetingID string, at time.Time,
	e store.AuditEntry, seal store.AuditSeal) (int, store.AuditEntry, error) {
	s.auditMu.Lock()
	defer s.auditMu.Unlock()
	var (
		n   int
		out store.AuditEntry
	)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if n, err = withdrawConsent(ctx, tx, subjectID, kind, meetingID, at); err != nil || n == 0 {
			return err
		}
		out, err = appendAudit(ctx, tx, e, seal)
		return err
	})
	if err != nil {
		return 0, store.AuditEntry{}, mapErr("withdraw consent with its audit entry", err)
	}
	return n, out, nil
}
