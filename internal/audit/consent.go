package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// AppendConsent records consent c in the ledger and ev, its audit entry
// (consent.given), in one transaction: a consent is never on record
// without its entry, nor the entry without the consent. It returns the
// stored consent.
func (l *Log) AppendConsent(ctx context.Context, c store.Consent, ev Event) (store.Consent, error) {
	e, err := l.entry(ev)
	if err != nil {
		return store.Consent{}, err
	}
	c, out, err := l.store.AddConsentAudited(ctx, c, e, l.chain.seal)
	if err != nil {
		return store.Consent{}, fmt.Errorf("audit: append %s with its consent: %w", ev.Action, err)
	}
	// Appended like any other entry: whoever watches appends sees it too.
	if fn := l.onAppend.Load(); fn != nil {
		(*fn)(out)
	}
	return c, nil
}

// WithdrawConsent withdraws subject's standing consents of kind (in
// meetingID, "" for any) at time at in the ledger and records ev, their
// audit entry (consent.withdrawn), in one transaction. It returns how many
// consents it withdrew; when none stood, nothing is recorded.
func (l *Log) WithdrawConsent(ctx context.Context, subject, kind, meetingID string, at time.Time, ev Event) (int, error) {
	e, err := l.entry(ev)
	if err != nil {
		return 0, err
	}
	n, out, err := l.store.WithdrawConsentAudited(ctx, subject, kind, meetingID, at, e, l.chain.seal)
	if err != nil {
		return 0, fmt.Errorf("audit: append %s with its withdrawal: %w", ev.Action, err)
	}
	if n > 0 {
		if fn := l.onAppend.Load(); fn != nil {
			(*fn)(out)
		}
	}
	return n, nil
}
