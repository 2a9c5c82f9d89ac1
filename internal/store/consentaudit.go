package store

import (
	"context"
	"time"
)

// ConsentAuditStore writes a consent together with its audit entry, so
// that the ledger never holds a consent the audit log does not show (nor
// the reverse).
type ConsentAuditStore interface {
	// AddConsentAudited records c (c.ID is ignored) and appends e to the
	// audit log, as AppendAudit does with seal, in one write transaction:
	// both are stored or neither is. It returns both as stored.
	AddConsentAudited(ctx context.Context, c Consent, e AuditEntry, seal AuditSeal) (Consent, AuditEntry, error)
	// WithdrawConsentAudited withdraws, as WithdrawConsent does, the
	// subject's standing consents of kind in meetingID ("" for any) at
	// time at, and appends e as AppendAudit does with seal, in one write
	// transaction. When nothing stood to withdraw it changes nothing and
	// appends nothing, and returns 0 and a zero entry.
	WithdrawConsentAudited(ctx context.Context, subjectID, kind, meetingID string, at time.Time, e AuditEntry, seal AuditSeal) (int, AuditEntry, error)
}
