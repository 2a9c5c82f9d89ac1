package store

import "context"

// ConsentAuditStore writes a consent together with its audit entry, so
// that the ledger never holds a consent the audit log does not show (nor
// the reverse).
type ConsentAuditStore interface {
	// AddConsentAudited records c (c.ID is ignored) and appends e to the
	// audit log, as AppendAudit does with seal, in one write transaction:
	// both are stored or neither is. It returns both as stored.
	AddConsentAudited(ctx context.Context, c Consent, e AuditEntry, seal AuditSeal) (Consent, AuditEntry, error)
}
